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
vgpu_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/discover
vgpu_LDADD = libvgpudiscover.la libvgpucore.la

dist_man_MANS += doc/vgpu.1

check_PROGRAMS += tests/unit/test_slurmconf
TESTS += tests/unit/test_slurmconf
tests_unit_test_slurmconf_SOURCES = tests/unit/test_slurmconf.c tests/unit/vgpu_test.h
tests_unit_test_slurmconf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slurmconf_LDADD = $(UNIT_LDADD)

TESTS += tests/sh/0100-cli.sh tests/sh/0110-conf-golden.sh
EXTRA_DIST += tests/sh/0100-cli.sh tests/sh/0110-conf-golden.sh tests/golden/conf

# Real-GPU tests (skipped without a GPU; tests/gpu/README.md).
TESTS += tests/gpu/0010-discover.sh
EXTRA_DIST += tests/gpu/0010-discover.sh tests/gpu/README.md
