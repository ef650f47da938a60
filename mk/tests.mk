## mk/tests.mk: shared test machinery (fuzz replay, shell tests).
##
## A parser's fuzz target lives in tests/fuzz/fuzz_NAME.c (it defines
## LLVMFuzzerTestOneInput) with its seed corpus in tests/fuzz/corpus/NAME/.
## Its owner's fragment adds a replay test, e.g. for NAME=request:
##
##   check_PROGRAMS += tests/fuzz/replay_request
##   TESTS += tests/fuzz/replay_request
##   tests_fuzz_replay_request_SOURCES = tests/fuzz/fuzz_request.c $(FUZZ_REPLAY_SRC)
##   tests_fuzz_replay_request_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"request"'
##   tests_fuzz_replay_request_LDADD = libvgpucore.la
##
## and the lead adds its libFuzzer binary (fuzz/NAME) to FUZZ_BINS below so
## tools/fuzz.sh runs it.

FUZZ_REPLAY_SRC = tests/fuzz/replay_main.c
EXTRA_DIST += tests/fuzz/corpus tests/sh/tap.sh

## libFuzzer builds (configure CC=clang --enable-fuzzing; tools/fuzz.sh does
## it): one binary per parser under fuzz/, linked with -fsanitize=fuzzer.
if FUZZING
FUZZ_BINS = fuzz/request fuzz/conf fuzz/inventory fuzz/admit fuzz/spankgpu fuzz/clifilter
noinst_PROGRAMS += $(FUZZ_BINS)
fuzz_request_SOURCES = tests/fuzz/fuzz_request.c
fuzz_request_LDADD = libvgpucore.la
fuzz_request_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c
fuzz_conf_LDADD = libvgpucore.la
fuzz_conf_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_inventory_SOURCES = tests/fuzz/fuzz_inventory.c
fuzz_inventory_LDADD = libvgpujson.la libvgpucore.la
fuzz_inventory_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_admit_SOURCES = tests/fuzz/fuzz_admit.c
fuzz_admit_LDADD = libvgpucore.la
fuzz_admit_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_clifilter_SOURCES = tests/fuzz/fuzz_clifilter.c
fuzz_clifilter_LDADD = libvgpucore.la
fuzz_clifilter_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_spankgpu_SOURCES = tests/fuzz/fuzz_spankgpu.c plugins/spank/spank_gpu.c plugins/spank/spank_gpu.h
fuzz_spankgpu_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/spank
fuzz_spankgpu_LDADD = libvgpucore.la -ldl
fuzz_spankgpu_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
print-fuzz-bins:
	@echo $(FUZZ_BINS) $(SIM_FUZZ_BINS) $(SHIM_FUZZ_BINS) $(SHOW_FUZZ_BINS) $(CORE_FUZZ_BINS) $(NVLINK_FUZZ_BINS) $(TOPO_FUZZ_BINS) $(PLACE_FUZZ_BINS) $(IMEX_FUZZ_BINS) $(METRICS_FUZZ_BINS) $(LINKS_FUZZ_BINS) $(SPANKCFG_FUZZ_BINS) $(WEIGHTS_FUZZ_BINS) $(REPLAY_FUZZ_BINS)
endif

# `make fuzz FUZZ_SECONDS=60`: run every libFuzzer target (in its own clang
# build under build/fuzz) for that long.
fuzz:
	FUZZ_SECONDS='$(FUZZ_SECONDS)' $(SHELL) $(top_srcdir)/tools/fuzz.sh '$(FUZZ_SECONDS)'
FUZZ_SECONDS = 60
.PHONY: fuzz print-fuzz-bins
EXTRA_DIST += tools/fuzz.sh tools/check.sh tools/deps.sh
