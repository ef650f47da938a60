## mk/show.mk: vgpu show (reads the controller through libslurm) and its tests.
##
## The Slurm-free parts (GRES string parser, the per-GPU model) live in the
## core library and are unit-tested and fuzzed; only src/cli/cmd_show.c
## talks to libslurm.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_slurmgres.c \
	src/lib/vgpu_slurmgres.h \
	src/lib/vgpu_show.c \
	src/lib/vgpu_show.h \
	src/lib/vgpu_partview.c \
	src/lib/vgpu_partview.h

vgpu_SOURCES += src/cli/cmd_show.c src/cli/cmd_show.h src/cli/cmd_show_parts.c
vgpu_CPPFLAGS += $(JSONC_CFLAGS)
vgpu_LDADD += $(SLURM_LIBS) $(JSONC_LIBS)

dist_doc_DATA += doc/slurm-views.md

check_PROGRAMS += tests/unit/test_slurmgres tests/unit/test_show tests/unit/test_partview
TESTS += tests/unit/test_slurmgres tests/unit/test_show tests/unit/test_partview
tests_unit_test_partview_SOURCES = tests/unit/test_partview.c tests/unit/vgpu_test.h
tests_unit_test_partview_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_partview_LDADD = $(UNIT_LDADD)
tests_unit_test_slurmgres_SOURCES = tests/unit/test_slurmgres.c tests/unit/vgpu_test.h
tests_unit_test_slurmgres_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slurmgres_LDADD = $(UNIT_LDADD)
tests_unit_test_show_SOURCES = tests/unit/test_show.c tests/unit/vgpu_test.h
tests_unit_test_show_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_show_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/fuzz/replay_slurmgres
TESTS += tests/fuzz/replay_slurmgres
tests_fuzz_replay_slurmgres_SOURCES = tests/fuzz/fuzz_slurmgres.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_slurmgres_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"slurmgres"'
tests_fuzz_replay_slurmgres_LDADD = libvgpucore.la

SHOW_E2E_TESTS = tests/e2e/0100-show.sh
if SIMULATOR
TESTS += $(SHOW_E2E_TESTS)
endif
EXTRA_DIST += $(SHOW_E2E_TESTS)

## libFuzzer binary of the GRES-string parser (tools/fuzz.sh runs it once
## mk/tests.mk lists $(SHOW_FUZZ_BINS) in print-fuzz-bins).
SHOW_FUZZ_BINS = fuzz/slurmgres
if FUZZING
noinst_PROGRAMS += fuzz/slurmgres
fuzz_slurmgres_SOURCES = tests/fuzz/fuzz_slurmgres.c
fuzz_slurmgres_LDADD = libvgpucore.la
fuzz_slurmgres_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif
