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
## and lists tests/fuzz/fuzz_request.c in FUZZ_TARGETS so tools/fuzz.sh runs it.

FUZZ_REPLAY_SRC = tests/fuzz/replay_main.c
FUZZ_TARGETS =
EXTRA_DIST += tests/fuzz/corpus tests/sh/tap.sh
