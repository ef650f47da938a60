## mk/place.mk: NVLink placement (vgpu_place) and its job_submit use; PLACE_FUZZ_BINS.
##
## vgpu_place (src/lib) decides, at submit, what keeps a multi-node GPU job
## inside one NVLink partition of the clique map; job_submit/vgpu applies it
## (mk/plugins.mk builds the plugin). Unit tests, the fuzz replay of its
## inputs, and the e2e test on real daemons.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_place.c \
	src/lib/vgpu_place.h

check_PROGRAMS += tests/unit/test_place
TESTS += tests/unit/test_place
tests_unit_test_place_SOURCES = tests/unit/test_place.c tests/unit/vgpu_test.h
tests_unit_test_place_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_place_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/fuzz/replay_place
TESTS += tests/fuzz/replay_place
tests_fuzz_replay_place_SOURCES = tests/fuzz/fuzz_place.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_place_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"place"'
tests_fuzz_replay_place_LDADD = libvgpucore.la

PLACE_FUZZ_BINS = fuzz/place
if FUZZING
noinst_PROGRAMS += $(PLACE_FUZZ_BINS)
fuzz_place_SOURCES = tests/fuzz/fuzz_place.c
fuzz_place_LDADD = libvgpucore.la
fuzz_place_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif

if SIMULATOR
TESTS += tests/e2e/0320-nvlink-placement.sh
endif
EXTRA_DIST += tests/e2e/0320-nvlink-placement.sh
