## mk/spankcfg.mk: the SPANK plugin's plugstack.conf arguments and the shim
## identity check (doc/slurm-integration.md "plugstack.conf"): core modules
## vgpu_plugargs (arguments, the plugstack.conf line they are on) and
## vgpu_elfid (the shim's identity note, read without loading the file);
## their unit tests, fuzz targets and e2e test; SPANKCFG_FUZZ_BINS.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_plugargs.c \
	src/lib/vgpu_plugargs.h \
	src/lib/vgpu_elfid.c \
	src/lib/vgpu_elfid.h

# test_elfid and test_plugargs (which also tests the plugin's
# spank_config.c) read the built shim (and the simulator's libcuda, a shared
# object that is not the shim): build them first.
check_PROGRAMS += tests/unit/test_plugargs
TESTS += tests/unit/test_plugargs
if SIMULATOR
check_PROGRAMS += tests/unit/test_elfid
TESTS += tests/unit/test_elfid
endif
tests_unit_test_plugargs_SOURCES = tests/unit/test_plugargs.c tests/unit/vgpu_test.h \
	plugins/spank/spank_config.c plugins/spank/spank_config.h
tests_unit_test_plugargs_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/spank
tests_unit_test_plugargs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_plugargs_LDADD = $(UNIT_LDADD)
EXTRA_tests_unit_test_plugargs_DEPENDENCIES = src/shim/libcuda.la
tests_unit_test_elfid_SOURCES = tests/unit/test_elfid.c tests/unit/vgpu_test.h
tests_unit_test_elfid_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_elfid_LDADD = $(UNIT_LDADD)
EXTRA_tests_unit_test_elfid_DEPENDENCIES = src/shim/libcuda.la sim/libcuda.la

## Fuzz targets; `make check` replays tests/fuzz/corpus/{plugargs,elfid}/.
check_PROGRAMS += tests/fuzz/replay_plugargs tests/fuzz/replay_elfid
TESTS += tests/fuzz/replay_plugargs tests/fuzz/replay_elfid
tests_fuzz_replay_plugargs_SOURCES = tests/fuzz/fuzz_plugargs.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_plugargs_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"plugargs"'
tests_fuzz_replay_plugargs_CFLAGS = $(REPLAY_CFLAGS)
tests_fuzz_replay_plugargs_LDADD = libvgpucore.la
tests_fuzz_replay_elfid_SOURCES = tests/fuzz/fuzz_elfid.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_elfid_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"elfid"'
tests_fuzz_replay_elfid_CFLAGS = $(REPLAY_CFLAGS)
tests_fuzz_replay_elfid_LDADD = libvgpucore.la
# libFuzzer binaries (mk/tests.mk's print-fuzz-bins must list SPANKCFG_FUZZ_BINS).
SPANKCFG_FUZZ_BINS = fuzz/plugargs fuzz/elfid
if FUZZING
noinst_PROGRAMS += fuzz/plugargs fuzz/elfid
fuzz_plugargs_SOURCES = tests/fuzz/fuzz_plugargs.c
fuzz_plugargs_LDADD = libvgpucore.la
fuzz_plugargs_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_elfid_SOURCES = tests/fuzz/fuzz_elfid.c
fuzz_elfid_LDADD = libvgpucore.la
fuzz_elfid_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif

## On real daemons (root): a typo'd argument, shim= naming libc and a copy
## of the simulator's libcuda: GPU steps refused naming file:line, other
## jobs run, no node drained.
SPANKCFG_E2E_TESTS = tests/e2e/0370-spank-config.sh
if SIMULATOR
TESTS += $(SPANKCFG_E2E_TESTS)
endif
EXTRA_DIST += $(SPANKCFG_E2E_TESTS)
