## mk/cli.mk: the `vgpu` command, the config generator and their tests.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_slurmconf.c \
	src/lib/vgpu_slurmconf.h

bin_PROGRAMS += vgpu
vgpu_SOURCES = \
	src/cli/vgpu.c \
	src/cli/vgpu_cmd.h \
	src/cli/cli_util.c \
	src/cli/cli_util.h \
	src/cli/cmd_conf.c \
	src/cli/cmd_request.c \
	src/cli/cmd_discover.c
vgpu_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/discover -DVGPU_PKGLIBEXECDIR='"$(pkglibexecdir)"'
vgpu_LDADD = libvgpudiscover.la libvgpujson.la libvgpucore.la
# A position-independent executable where hardening is on (configure.ac).
vgpu_CFLAGS = $(AM_CFLAGS) $(VGPU_PIE_CFLAGS)
vgpu_LDFLAGS = $(AM_LDFLAGS) $(VGPU_PIE_LDFLAGS)

dist_man_MANS += doc/vgpu.1

check_PROGRAMS += tests/unit/test_slurmconf
TESTS += tests/unit/test_slurmconf
tests_unit_test_slurmconf_SOURCES = tests/unit/test_slurmconf.c tests/unit/vgpu_test.h
tests_unit_test_slurmconf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slurmconf_LDADD = $(UNIT_LDADD)

TESTS += tests/sh/0100-cli.sh tests/sh/0110-conf-golden.sh
EXTRA_DIST += tests/sh/0100-cli.sh tests/sh/0110-conf-golden.sh tests/golden/conf

# Real-GPU tests (skipped without a GPU; tests/gpu/README.md).
TESTS += tests/gpu/0010-discover.sh tests/gpu/0020-shim.sh
EXTRA_DIST += tests/gpu/0010-discover.sh tests/gpu/0020-shim.sh tests/gpu/README.md
check_PROGRAMS += tests/gpu/gpuspin
tests_gpu_gpuspin_SOURCES = tests/gpu/gpuspin.c
tests_gpu_gpuspin_LDADD = -ldl

## The cli_filter's admission (Slurm-free): what the plugin
## cli_filter_vgpu.so does to a client's options; unit tests and the replay
## of its fuzz corpus.
libvgpucore_la_SOURCES += \
	src/lib/vgpu_clifilter.c \
	src/lib/vgpu_clifilter.h
check_PROGRAMS += tests/unit/test_clifilter tests/fuzz/replay_clifilter
TESTS += tests/unit/test_clifilter tests/fuzz/replay_clifilter
tests_unit_test_clifilter_SOURCES = tests/unit/test_clifilter.c tests/unit/vgpu_test.h
tests_unit_test_clifilter_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_clifilter_LDADD = $(UNIT_LDADD)
tests_fuzz_replay_clifilter_SOURCES = tests/fuzz/fuzz_clifilter.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_clifilter_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"clifilter"'
tests_fuzz_replay_clifilter_LDADD = libvgpucore.la
