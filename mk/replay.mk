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
