## mk/metrics.mk: `vgpu metrics` (OpenMetrics for Prometheus), the plugins'
## counter files and their tests. doc/metrics.md.
##
## The exposition builder and the counter files are core code
## (src/lib/vgpu_metrics*.c: unit-tested, the counter-file parser fuzzed);
## src/cli/cmd_metrics.c gathers the controller's view, the StateDir and the
## shim's ledgers (vgpu_ledger.c, compiled in to read them) and serves.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_metrics.c \
	src/lib/vgpu_metrics_count.c \
	src/lib/vgpu_metrics.h

vgpu_SOURCES += src/cli/cmd_metrics.c src/shim/vgpu_ledger.c src/shim/vgpu_ledger.h \
	src/shim/vgpu_ledger_guard.c src/shim/vgpu_ledger_int.h
vgpu_CPPFLAGS += -I$(top_srcdir)/src/shim

dist_doc_DATA += doc/metrics.md

check_PROGRAMS += tests/unit/test_metrics
TESTS += tests/unit/test_metrics
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c tests/unit/vgpu_test.h
tests_unit_test_metrics_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_metrics_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/fuzz/replay_metrics
TESTS += tests/fuzz/replay_metrics
tests_fuzz_replay_metrics_SOURCES = tests/fuzz/fuzz_metrics.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_metrics_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"metrics"'
tests_fuzz_replay_metrics_CFLAGS = $(REPLAY_CFLAGS)
tests_fuzz_replay_metrics_LDADD = libvgpucore.la

METRICS_E2E_TESTS = tests/e2e/0350-metrics.sh
if SIMULATOR
TESTS += $(METRICS_E2E_TESTS)
endif
EXTRA_DIST += $(METRICS_E2E_TESTS)

## libFuzzer binary of the counter-file parser (mk/tests.mk's print-fuzz-bins
## lists $(METRICS_FUZZ_BINS) once the lead adds it).
METRICS_FUZZ_BINS = fuzz/metrics
if FUZZING
noinst_PROGRAMS += fuzz/metrics
fuzz_metrics_SOURCES = tests/fuzz/fuzz_metrics.c
fuzz_metrics_LDADD = libvgpucore.la
fuzz_metrics_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif
