## mk/core.mk: the Slurm-free core library (src/lib) and its unit tests.

noinst_LTLIBRARIES += libvgpucore.la
libvgpucore_la_SOURCES = \
	src/lib/vgpu_admit.c \
	src/lib/vgpu_admit.h \
	src/lib/vgpu_error.c \
	src/lib/vgpu_file.c \
	src/lib/vgpu_file.h \
	src/lib/vgpu_error.h \
	src/lib/vgpu_size.c \
	src/lib/vgpu_size.h \
	src/lib/vgpu_request.c \
	src/lib/vgpu_request.h \
	src/lib/vgpu_conf.c \
	src/lib/vgpu_conf.h \
	src/lib/vgpu_account.c \
	src/lib/vgpu_account.h \
	src/lib/vgpu_proc.c \
	src/lib/vgpu_proc.h \
	src/lib/vgpu_slurmcheck.c \
	src/lib/vgpu_slurmcheck.h \
	src/lib/vgpu_stepplan.c \
	src/lib/vgpu_stepplan.h
# No json-c here: the plugins (cli_filter_vgpu.so is loaded into every
# Slurm client) link this library whole. JSON lives in libvgpujson.la.
libvgpucore_la_CFLAGS = $(AM_CFLAGS)

UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
UNIT_LDADD = libvgpucore.la $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_error
TESTS += tests/unit/test_error
tests_unit_test_error_SOURCES = tests/unit/test_error.c tests/unit/vgpu_test.h
tests_unit_test_error_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_error_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_size
TESTS += tests/unit/test_size
tests_unit_test_size_SOURCES = tests/unit/test_size.c tests/unit/vgpu_test.h
tests_unit_test_size_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_size_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_request
TESTS += tests/unit/test_request
tests_unit_test_request_SOURCES = tests/unit/test_request.c tests/unit/vgpu_test.h
tests_unit_test_request_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_request_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_conf
TESTS += tests/unit/test_conf
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c tests/unit/vgpu_test.h
tests_unit_test_conf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_account
TESTS += tests/unit/test_account
tests_unit_test_account_SOURCES = tests/unit/test_account.c tests/unit/vgpu_test.h
tests_unit_test_account_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_account_LDADD = $(UNIT_LDADD)

## Fuzz targets of the request and vgpu.conf parsers; `make check` replays
## their seed corpora (tests/fuzz/corpus/{request,conf}/).
## REPLAY_CFLAGS: the flags every fuzz replay test compiles with.
REPLAY_CFLAGS = $(AM_CFLAGS)
check_PROGRAMS += tests/fuzz/replay_request
TESTS += tests/fuzz/replay_request
tests_fuzz_replay_request_SOURCES = tests/fuzz/fuzz_request.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_request_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"request"'
tests_fuzz_replay_request_LDADD = libvgpucore.la

check_PROGRAMS += tests/fuzz/replay_conf
TESTS += tests/fuzz/replay_conf
tests_fuzz_replay_conf_SOURCES = tests/fuzz/fuzz_conf.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_conf_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"conf"'
tests_fuzz_replay_conf_LDADD = libvgpucore.la

## (The libFuzzer binaries fuzz/request and fuzz/conf are built by
## mk/tests.mk.)

dist_man_MANS += doc/vgpu.conf.5
dist_doc_DATA += doc/request.md etc/vgpu.conf.example

check_PROGRAMS += tests/unit/test_proc
TESTS += tests/unit/test_proc
tests_unit_test_proc_SOURCES = tests/unit/test_proc.c tests/unit/vgpu_test.h
tests_unit_test_proc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proc_LDADD = $(UNIT_LDADD) $(PTHREAD_LIBS)

## The checks of the Slurm slurm-vgpu runs under (plugin release,
## MULTIPLE_SHARING_GRES_PJ, a slice step's GPUs): unit tests, which also
## load the built cli_filter/job_submit plugins into a stand-in for another
## Slurm release (the program exports slurm_api_version and friends:
## --export-dynamic), and the replay of the fuzz corpus.
check_PROGRAMS += tests/unit/test_slurmcheck tests/fuzz/replay_slurmcheck
TESTS += tests/unit/test_slurmcheck tests/fuzz/replay_slurmcheck
tests_unit_test_slurmcheck_SOURCES = tests/unit/test_slurmcheck.c tests/unit/vgpu_test.h
tests_unit_test_slurmcheck_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slurmcheck_LDFLAGS = $(AM_LDFLAGS) -Wl,--export-dynamic
tests_unit_test_slurmcheck_LDADD = $(UNIT_LDADD) -ldl
tests_fuzz_replay_slurmcheck_SOURCES = tests/fuzz/fuzz_slurmcheck.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_slurmcheck_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"slurmcheck"'
tests_fuzz_replay_slurmcheck_LDADD = libvgpucore.la
## The step plan (vgpu_stepplan: StateDir's owner/gpu/cap files, the
## StateDir view, each step's plan or refusal): unit test and corpus replay.
check_PROGRAMS += tests/unit/test_stepplan tests/fuzz/replay_stepplan
TESTS += tests/unit/test_stepplan tests/fuzz/replay_stepplan
tests_unit_test_stepplan_SOURCES = tests/unit/test_stepplan.c tests/unit/vgpu_test.h
tests_unit_test_stepplan_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stepplan_LDADD = $(UNIT_LDADD)
tests_fuzz_replay_stepplan_SOURCES = tests/fuzz/fuzz_stepplan.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_stepplan_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"stepplan"'
tests_fuzz_replay_stepplan_LDADD = libvgpucore.la
## Their libFuzzer binaries; mk/tests.mk's print-fuzz-bins must list
## $(CORE_FUZZ_BINS) for tools/fuzz.sh to run it.
CORE_FUZZ_BINS = fuzz/slurmcheck fuzz/stepplan
if FUZZING
fuzz_stepplan_SOURCES = tests/fuzz/fuzz_stepplan.c
fuzz_stepplan_LDADD = libvgpucore.la
fuzz_stepplan_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += $(CORE_FUZZ_BINS)
fuzz_slurmcheck_SOURCES = tests/fuzz/fuzz_slurmcheck.c
fuzz_slurmcheck_LDADD = libvgpucore.la
fuzz_slurmcheck_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif
