## mk/links.mk: NVLink links between the GPUs of one node: the gres.conf
## Links= reader (core), its unit test and fuzz target, and the e2e test of
## which GPUs Slurm gives a multi-GPU job and what `vgpu show` says of them
## (doc/nvlink.md "GPU sets on one node", doc/slurm-views.md).
##
## The libFuzzer binary is $(LINKS_FUZZ_BINS); tools/fuzz.sh runs it once
## mk/tests.mk's print-fuzz-bins lists it.

libvgpucore_la_SOURCES += src/lib/vgpu_gresconf.c src/lib/vgpu_gresconf.h

check_PROGRAMS += tests/unit/test_gresconf
TESTS += tests/unit/test_gresconf
tests_unit_test_gresconf_SOURCES = tests/unit/test_gresconf.c tests/unit/vgpu_test.h
tests_unit_test_gresconf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_gresconf_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/fuzz/replay_gresconf
TESTS += tests/fuzz/replay_gresconf
tests_fuzz_replay_gresconf_SOURCES = tests/fuzz/fuzz_gresconf.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_gresconf_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"gresconf"'
tests_fuzz_replay_gresconf_LDADD = libvgpucore.la

LINKS_FUZZ_BINS = fuzz/gresconf
if FUZZING
noinst_PROGRAMS += fuzz/gresconf
fuzz_gresconf_SOURCES = tests/fuzz/fuzz_gresconf.c
fuzz_gresconf_LDADD = libvgpucore.la
fuzz_gresconf_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif

# The partly NVLink-connected simulated node (sim/vgpu-simnode --model
# a100-pcie) on real daemons, per release.
LINKS_E2E_TESTS = tests/e2e/0340-gpu-links.sh
if SIMULATOR
TESTS += $(LINKS_E2E_TESTS)
endif
EXTRA_DIST += $(LINKS_E2E_TESTS)

# `vgpu show`'s GPU SETS: which GPUs a job holds and how they are linked.
vgpu_SOURCES += src/cli/cmd_show_links.c src/cli/cmd_show_links.h
