## mk/nvlink.mk: the clique map (vgpu_cliquemap, vgpu_hostlist, vgpu_jsonl), vgpu cliquemap; NVLINK_FUZZ_BINS.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_hostlist.c \
	src/lib/vgpu_hostlist.h \
	src/lib/vgpu_jsonl.c \
	src/lib/vgpu_jsonl.h

check_PROGRAMS += tests/unit/test_hostlist
TESTS += tests/unit/test_hostlist
tests_unit_test_hostlist_SOURCES = tests/unit/test_hostlist.c tests/unit/vgpu_test.h
tests_unit_test_hostlist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hostlist_LDADD = $(UNIT_LDADD)

libvgpucore_la_SOURCES += \
	src/lib/vgpu_cliquemap.c \
	src/lib/vgpu_cliquemap_build.c \
	src/lib/vgpu_cliquemap.h

check_PROGRAMS += tests/unit/test_jsonl tests/unit/test_cliquemap
TESTS += tests/unit/test_jsonl tests/unit/test_cliquemap
tests_unit_test_jsonl_SOURCES = tests/unit/test_jsonl.c tests/unit/vgpu_test.h
tests_unit_test_jsonl_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jsonl_LDADD = $(UNIT_LDADD)
tests_unit_test_cliquemap_SOURCES = tests/unit/test_cliquemap.c tests/unit/vgpu_test.h
tests_unit_test_cliquemap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cliquemap_LDADD = $(UNIT_LDADD)

vgpu_SOURCES += src/cli/cmd_cliquemap.c
TESTS += tests/sh/0300-cliquemap.sh
EXTRA_DIST += tests/sh/0300-cliquemap.sh
