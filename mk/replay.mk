## mk/replay.mk: `vgpu replay`, the replay benchmark of what sharing buys
## (doc/replay.md): the trace parser and the seeded generator in the core
## (src/lib/vgpu_trace*.c), the CLI (src/cli/cmd_replay.c), the job the
## driver submits (bench/replay_hold.c), the driver (tools/vgpu-replay),
## the report (bench/replay.py), `make bench-replay`, and their tests.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_trace.c \
	src/lib/vgpu_trace_gen.c \
	src/lib/vgpu_trace.h

vgpu_SOURCES += src/cli/cmd_replay.c

check_PROGRAMS += tests/unit/test_trace
TESTS += tests/unit/test_trace
tests_unit_test_trace_SOURCES = tests/unit/test_trace.c tests/unit/vgpu_test.h
tests_unit_test_trace_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_trace_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/fuzz/replay_trace
TESTS += tests/fuzz/replay_trace
tests_fuzz_replay_trace_SOURCES = tests/fuzz/fuzz_trace.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_trace_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"trace"'
tests_fuzz_replay_trace_LDADD = libvgpucore.la

REPLAY_FUZZ_BINS = fuzz/trace
if FUZZING
noinst_PROGRAMS += $(REPLAY_FUZZ_BINS)
fuzz_trace_SOURCES = tests/fuzz/fuzz_trace.c
fuzz_trace_LDADD = libvgpucore.la
fuzz_trace_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif

# The job the replay driver submits: holds GPU memory through the CUDA
# driver for the job's duration (built with `make`, it is small).
noinst_PROGRAMS += bench/replay_hold
bench_replay_hold_SOURCES = bench/replay_hold.c
bench_replay_hold_LDADD = -ldl

TESTS += tests/sh/0410-replay-report.sh tests/sh/0430-replay-cli.sh
EXTRA_DIST += tests/sh/0410-replay-report.sh tests/sh/0430-replay-cli.sh tests/e2e/0400-replay.sh bench/replay.py \
	tools/vgpu-replay tools/vgpu-replay-record
if SIMULATOR
TESTS += tests/e2e/0400-replay.sh
endif

# `make bench-replay`: a small trace through whole, strict and memory on a
# devcluster of this machine's Slurm, the ratios with configuration,
# release, trace and seed (bench/replay.sh; doc/replay.md).
bench-replay:
	$(MAKE) $(AM_MAKEFLAGS) all && VGPU_BUILDDIR='$(abs_top_builddir)' VGPU_SRCDIR='$(abs_top_srcdir)' bash $(srcdir)/bench/replay.sh
.PHONY: bench-replay
EXTRA_DIST += bench/replay.sh
dist_doc_DATA += doc/replay.md
