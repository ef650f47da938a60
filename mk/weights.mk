## mk/weights.mk: `vgpu weights`, the controller-side agent that keeps node
## weights filling partly used NVLink partitions first (core rule
## src/lib/vgpu_weights.c over vgpu_place_weights; doc/nvlink.md "Small jobs
## into partly used partitions"). The planner reads no text (its inputs are
## the clique map, parsed and fuzzed by vgpu_cliquemap, and libslurm's
## structs), so it has no fuzz target of its own.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_weights.c \
	src/lib/vgpu_weights.h

vgpu_SOURCES += src/cli/cmd_weights.c

check_PROGRAMS += tests/unit/test_weights
TESTS += tests/unit/test_weights
tests_unit_test_weights_SOURCES = tests/unit/test_weights.c tests/unit/vgpu_test.h
tests_unit_test_weights_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_weights_LDADD = $(UNIT_LDADD)

dist_doc_DATA += etc/vgpu-weights.service.example

if SIMULATOR
TESTS += tests/e2e/0325-nvlink-weights.sh
endif
EXTRA_DIST += tests/e2e/0325-nvlink-weights.sh
