## mk/shim.mk: the slice enforcement shim (src/shim, doc/shim.md), the
## per-step description it reads (src/lib/vgpu_stepdesc.c, in the core
## library because the Slurm launcher writes it), their tests and benchmarks.

libvgpucore_la_SOURCES += src/lib/vgpu_stepdesc.c src/lib/vgpu_stepdesc.h

check_PROGRAMS += tests/unit/test_stepdesc
TESTS += tests/unit/test_stepdesc
tests_unit_test_stepdesc_SOURCES = tests/unit/test_stepdesc.c tests/unit/vgpu_test.h
tests_unit_test_stepdesc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stepdesc_LDADD = $(UNIT_LDADD)

## Fuzz target of the step description parser; `make check` replays its
## seed corpus (tests/fuzz/corpus/stepdesc/). REPLAY_CFLAGS: mk/core.mk.
check_PROGRAMS += tests/fuzz/replay_stepdesc
TESTS += tests/fuzz/replay_stepdesc
tests_fuzz_replay_stepdesc_SOURCES = tests/fuzz/fuzz_stepdesc.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_stepdesc_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"stepdesc"'
tests_fuzz_replay_stepdesc_CFLAGS = $(REPLAY_CFLAGS)
tests_fuzz_replay_stepdesc_LDADD = libvgpucore.la
