## mk/plugins.mk: the Slurm plugins (SPANK launcher, job_submit admission) and their tests.
##
## vgpu_spank.so (plugins/spank, doc/slurm-integration.md): a libtool module
## with the core library linked in statically; only slurm_spank_* and
## plugin_* are exported (plugins/spank/vgpu_spank.map). Slurm's own symbols
## (spank_*, slurm_error, ...) are resolved in the process that loads it.

if HAVE_SLURM_H
slurmplugin_LTLIBRARIES += plugins/spank/vgpu_spank.la
plugins_spank_vgpu_spank_la_SOURCES = \
	plugins/spank/vgpu_spank.c \
	plugins/spank/spank_config.c \
	plugins/spank/spank_config.h \
	plugins/spank/spank_option.c \
	plugins/spank/spank_option.h \
	plugins/spank/spank_remote.c \
	plugins/spank/spank_remote.h \
	plugins/spank/spank_mount.c \
	plugins/spank/spank_mount.h \
	plugins/spank/spank_state.c \
	plugins/spank/spank_state.h \
	plugins/spank/spank_gpu.c \
	plugins/spank/spank_gpu.h \
	plugins/spank/spank_leftover.c \
	plugins/spank/spank_leftover.h
plugins_spank_vgpu_spank_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,--version-script=$(srcdir)/plugins/spank/vgpu_spank.map
plugins_spank_vgpu_spank_la_LIBADD = libvgpucore.la
EXTRA_plugins_spank_vgpu_spank_la_DEPENDENCIES = $(srcdir)/plugins/spank/vgpu_spank.map
endif

## job_submit_vgpu.so (plugins/job_submit): slurmctld's admission checks, a
## thin adapter over src/lib/vgpu_admit.c. slurmctld finds it by name in
## PluginDir (JobSubmitPlugins=vgpu). Built against public slurm.h only;
## Slurm's symbols (slurm_xstrdup, slurm_info) come from slurmctld, and -z now
## makes a missing one fail the load. Only plugin_*, init, fini, job_submit
## and job_modify are exported. The checks themselves are vgpu_admit.c, in
## the core library.
if HAVE_SLURM_H
slurmplugin_LTLIBRARIES += plugins/job_submit/job_submit_vgpu.la
plugins_job_submit_job_submit_vgpu_la_SOURCES = \
	plugins/job_submit/job_submit_vgpu.c
plugins_job_submit_job_submit_vgpu_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,-z,now -Wl,--version-script=$(srcdir)/plugins/job_submit/job_submit_vgpu.map
plugins_job_submit_job_submit_vgpu_la_LIBADD = libvgpucore.la -ldl
EXTRA_plugins_job_submit_job_submit_vgpu_la_DEPENDENCIES = $(srcdir)/plugins/job_submit/job_submit_vgpu.map
endif
EXTRA_DIST += plugins/job_submit/job_submit_vgpu.map

## cli_filter_vgpu.so (plugins/cli_filter): the admission of --gres=vgpu in
## the clients (CliFilterPlugins=vgpu; the one admission path: the Lua filter
## is retired). Slurm's option accessors and slurm_xfree are looked up
## with dlsym in init(), so the module has no undefined Slurm symbols (-z now).
## The rules themselves are src/lib/vgpu_clifilter.c, in the core library.
if HAVE_SLURM_H
slurmplugin_LTLIBRARIES += plugins/cli_filter/cli_filter_vgpu.la
plugins_cli_filter_cli_filter_vgpu_la_SOURCES = \
	plugins/cli_filter/cli_filter_vgpu.c
plugins_cli_filter_cli_filter_vgpu_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,-z,now -Wl,--version-script=$(srcdir)/plugins/cli_filter/cli_filter_vgpu.map
plugins_cli_filter_cli_filter_vgpu_la_LIBADD = libvgpucore.la -ldl
EXTRA_plugins_cli_filter_cli_filter_vgpu_la_DEPENDENCIES = $(srcdir)/plugins/cli_filter/cli_filter_vgpu.map
endif
EXTRA_DIST += plugins/cli_filter/cli_filter_vgpu.map

## Unit tests of the admission checks, and the replay of their fuzz corpus.
check_PROGRAMS += tests/unit/test_jobsubmit tests/fuzz/replay_admit
TESTS += tests/unit/test_jobsubmit tests/fuzz/replay_admit
tests_unit_test_jobsubmit_SOURCES = tests/unit/test_jobsubmit.c tests/unit/vgpu_test.h
tests_unit_test_jobsubmit_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobsubmit_LDADD = $(UNIT_LDADD)
tests_fuzz_replay_admit_SOURCES = tests/fuzz/fuzz_admit.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_admit_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"admit"'
tests_fuzz_replay_admit_LDADD = libvgpucore.la

## The SPANK plugin's parsers of outside data (ld.so.cache, gres_detail_str):
## the replay of their fuzz corpus.
check_PROGRAMS += tests/fuzz/replay_spankgpu
TESTS += tests/fuzz/replay_spankgpu
tests_fuzz_replay_spankgpu_SOURCES = tests/fuzz/fuzz_spankgpu.c plugins/spank/spank_gpu.c \
	plugins/spank/spank_gpu.h $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_spankgpu_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/spank -DVGPU_FUZZ_CORPUS='"spankgpu"'
tests_fuzz_replay_spankgpu_LDADD = libvgpucore.la -ldl

EXTRA_DIST += plugins/spank/vgpu_spank.map
dist_doc_DATA += doc/slurm-integration.md etc/plugstack.conf.example

## Unit tests of the Slurm-free parts (plugstack arguments, state dirs, GPU types).
check_PROGRAMS += tests/unit/test_spank
TESTS += tests/unit/test_spank
tests_unit_test_spank_SOURCES = tests/unit/test_spank.c tests/unit/vgpu_test.h \
	plugins/spank/spank_config.c plugins/spank/spank_config.h \
	plugins/spank/spank_state.c plugins/spank/spank_state.h \
	plugins/spank/spank_leftover.c plugins/spank/spank_leftover.h \
	plugins/spank/spank_mount.c plugins/spank/spank_mount.h \
	plugins/spank/spank_gpu.c plugins/spank/spank_gpu.h
tests_unit_test_spank_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/spank
tests_unit_test_spank_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_spank_LDADD = $(UNIT_LDADD)

## End-to-end tests on the devcluster (tests/e2e/lib.sh).
PLUGIN_E2E_TESTS = \
	tests/e2e/0200-spank-launch.sh \
	tests/e2e/0210-vgpu-admission.sh \
	tests/e2e/0215-cli-filter-c.sh \
	tests/e2e/0220-job-submit.sh \
	tests/e2e/0250-whole-after-slices.sh \
	tests/e2e/0251-whole-waits.sh \
	tests/e2e/0260-job-ledger.sh \
	tests/e2e/0265-multinode-ledger.sh \
	tests/e2e/0270-type-placement.sh \
	tests/e2e/0280-mixed-node.sh
if SIMULATOR
TESTS += $(PLUGIN_E2E_TESTS)
endif
EXTRA_DIST += $(PLUGIN_E2E_TESTS)

## On real daemons (root): the step plan's refusals (no private /etc; an
## unusable StateDir under the 22.05 whole-GPU guard) and a setsid
## leftover killed at the job's end (tests/e2e/0380).
STEPPLAN_E2E_TESTS = tests/e2e/0380-step-refusals.sh
if SIMULATOR
TESTS += $(STEPPLAN_E2E_TESTS)
endif
EXTRA_DIST += $(STEPPLAN_E2E_TESTS)
