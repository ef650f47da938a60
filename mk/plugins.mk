## mk/plugins.mk: the Slurm plugins (SPANK launcher, admission) and their tests.
##
## vgpu_spank.so (plugins/spank, doc/slurm-integration.md): a libtool module
## with the core library linked in statically; only slurm_spank_* and
## plugin_* are exported (plugins/spank/vgpu_spank.map). Slurm's own symbols
## (spank_*, slurm_error, ...) are resolved in the process that loads it.

if HAVE_SLURM_H
pkglib_LTLIBRARIES += plugins/spank/vgpu_spank.la
plugins_spank_vgpu_spank_la_SOURCES = \
	plugins/spank/vgpu_spank.c \
	plugins/spank/spank_config.c \
	plugins/spank/spank_config.h \
	plugins/spank/spank_option.c \
	plugins/spank/spank_option.h \
	plugins/spank/spank_remote.c \
	plugins/spank/spank_remote.h \
	plugins/spank/spank_state.c \
	plugins/spank/spank_state.h \
	plugins/spank/spank_gpu.c \
	plugins/spank/spank_gpu.h
plugins_spank_vgpu_spank_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,--version-script=$(srcdir)/plugins/spank/vgpu_spank.map
plugins_spank_vgpu_spank_la_LIBADD = libvgpucore.la
EXTRA_plugins_spank_vgpu_spank_la_DEPENDENCIES = $(srcdir)/plugins/spank/vgpu_spank.map
endif
EXTRA_DIST += plugins/spank/vgpu_spank.map etc/cli_filter.lua
dist_doc_DATA += doc/slurm-integration.md etc/plugstack.conf.example

## The cli_filter script with this installation's paths filled in, installed
## as $(pkgdatadir)/cli_filter.lua (sites copy it next to slurm.conf).
clifilterdir = $(pkgdatadir)
clifilter_DATA = cli_filter.lua
cli_filter.lua: $(srcdir)/etc/cli_filter.lua Makefile
	$(AM_V_GEN)sed -e 's|@VGPU@|$(bindir)/vgpu|g' -e 's|@VGPU_CONF@|$(vgpu_conf_path)|g' \
		$(srcdir)/etc/cli_filter.lua >$@.tmp && mv $@.tmp $@
CLEANFILES += cli_filter.lua

## Unit tests of the Slurm-free parts (plugstack arguments, state dirs, GPU types).
check_PROGRAMS += tests/unit/test_spank
TESTS += tests/unit/test_spank
tests_unit_test_spank_SOURCES = tests/unit/test_spank.c tests/unit/vgpu_test.h \
	plugins/spank/spank_config.c plugins/spank/spank_config.h \
	plugins/spank/spank_state.c plugins/spank/spank_state.h \
	plugins/spank/spank_gpu.c plugins/spank/spank_gpu.h
tests_unit_test_spank_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/spank
tests_unit_test_spank_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_spank_LDADD = $(UNIT_LDADD)

## End-to-end tests on the devcluster (tests/e2e/lib.sh).
PLUGIN_E2E_TESTS = \
	tests/e2e/0200-spank-launch.sh \
	tests/e2e/0205-request-slurm.sh \
	tests/e2e/0210-vgpu-admission.sh
TESTS += $(PLUGIN_E2E_TESTS)
EXTRA_DIST += $(PLUGIN_E2E_TESTS)
