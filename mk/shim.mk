## mk/shim.mk: the slice enforcement shim (src/shim, doc/shim.md), the
## per-step description it reads (src/lib/vgpu_stepdesc.c, in the core
## library because the Slurm launcher writes it), their tests and benchmarks.

libvgpucore_la_SOURCES += src/lib/vgpu_stepdesc.c src/lib/vgpu_stepdesc.h

check_PROGRAMS += tests/unit/test_stepdesc
TESTS += tests/unit/test_stepdesc
tests_unit_test_stepdesc_SOURCES = tests/unit/test_stepdesc.c tests/unit/vgpu_test.h
tests_unit_test_stepdesc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stepdesc_LDADD = $(UNIT_LDADD)

## Fuzz target of the step description parser; `make check` replays its
## seed corpus (tests/fuzz/corpus/stepdesc/). REPLAY_CFLAGS: mk/core.mk.
check_PROGRAMS += tests/fuzz/replay_stepdesc
TESTS += tests/fuzz/replay_stepdesc
tests_fuzz_replay_stepdesc_SOURCES = tests/fuzz/fuzz_stepdesc.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_stepdesc_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"stepdesc"'
tests_fuzz_replay_stepdesc_CFLAGS = $(REPLAY_CFLAGS)
tests_fuzz_replay_stepdesc_LDADD = libvgpucore.la
# Its libFuzzer binary (mk/tests.mk's print-fuzz-bins lists SHIM_FUZZ_BINS).
SHIM_FUZZ_BINS = fuzz/stepdesc fuzz/dlelf
if FUZZING
noinst_PROGRAMS += fuzz/stepdesc
fuzz_stepdesc_SOURCES = tests/fuzz/fuzz_stepdesc.c
fuzz_stepdesc_LDADD = libvgpucore.la
fuzz_stepdesc_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif

## The shim's ELF identity reader (src/shim/shim_dlelf.c: it reads files a
## job's user names to dlopen): fuzz target, its corpus replayed by `make
## check` (instrumented here, unlike in the shim), and the seeds' kinds.
check_PROGRAMS += tests/fuzz/replay_dlelf
TESTS += tests/fuzz/replay_dlelf
tests_fuzz_replay_dlelf_SOURCES = tests/fuzz/fuzz_dlelf.c src/shim/shim_dlelf.c src/shim/shim_dl.h $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_dlelf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim -DVGPU_FUZZ_CORPUS='"dlelf"'
tests_fuzz_replay_dlelf_CFLAGS = $(REPLAY_CFLAGS)
if FUZZING
noinst_PROGRAMS += fuzz/dlelf
fuzz_dlelf_SOURCES = tests/fuzz/fuzz_dlelf.c src/shim/shim_dlelf.c
fuzz_dlelf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
fuzz_dlelf_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif
check_PROGRAMS += tests/shim/test_dlelf
TESTS += tests/shim/test_dlelf
tests_shim_test_dlelf_SOURCES = tests/shim/test_dlelf.c src/shim/shim_dlelf.c src/shim/shim_dl.h
tests_shim_test_dlelf_CPPFLAGS = $(SHIM_TEST_CPPFLAGS)
EXTRA_tests_shim_test_dlelf_DEPENDENCIES = src/shim/libcuda.la sim/libcuda.la sim/libnvidia-ml.la

## The shim. libtool names the library after its soname, which must be
## libcuda.so.1 (see doc/shim.md): it is built as src/shim/libcuda.la
## (src/shim/.libs/libcuda.so.1), installed under $(pkglibdir)/shim/, and
## $(pkglibdir)/libvgpu-shim.so links to it.
shimdir = $(pkglibdir)/shim
shim_LTLIBRARIES = src/shim/libcuda.la
src_shim_libcuda_la_SOURCES = \
	src/shim/shim.h \
	src/shim/shim_stubs.c \
	src/shim/shim_main.c \
	src/shim/shim_acct.c \
	src/shim/shim_track.c \
	src/shim/shim_mem.c \
	src/shim/shim_ctx.c \
	src/shim/shim_info.c \
	src/shim/shim_nvml.c \
	src/shim/shim_sm.c \
	src/shim/shim_graph.c \
	src/shim/shim_module.c \
	src/lib/vgpu_cuimage.c \
	src/lib/vgpu_cuimage.h \
	src/shim/vgpu_ledger.c \
	src/shim/vgpu_ledger_guard.c \
	src/shim/vgpu_ledger_int.h \
	src/shim/vgpu_ledger.h \
	src/include/vgpu_cuda_exports.def \
	src/shim/nvml_exports.def \
	src/lib/vgpu_stepdesc.c \
	src/lib/vgpu_stepdesc.h \
	src/lib/vgpu_error.c \
	src/lib/vgpu_file.c \
	src/lib/vgpu_file.h \
	src/lib/vgpu_error.h \
	src/lib/vgpu_proc.c \
	src/lib/vgpu_proc.h \
	src/include/vgpu_cuda_abi.h \
	src/include/vgpu_nvml_abi.h
src_shim_libcuda_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim
src_shim_libcuda_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
src_shim_libcuda_la_LDFLAGS = $(AM_LDFLAGS) -version-info 1:0:0 -no-undefined \
	-Wl,--version-script=$(srcdir)/src/shim/libvgpu-shim.map
src_shim_libcuda_la_LIBADD = src/shim/libvgpushimdl.la $(PTHREAD_LIBS)
# The loader wrappers' C halves, without sanitizer instrumentation: the
# sanitizer runtimes call the shim's dlsym/dlvsym while they set themselves
# up, before instrumented code can run (src/shim/shim_dl.c).
noinst_LTLIBRARIES += src/shim/libvgpushimdl.la
src_shim_libvgpushimdl_la_SOURCES = src/shim/shim_dl.c src/shim/shim_dl.h src/shim/shim_dlelf.c
src_shim_libvgpushimdl_la_CPPFLAGS = $(src_shim_libcuda_la_CPPFLAGS)
src_shim_libvgpushimdl_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -fno-sanitize=all
EXTRA_src_shim_libcuda_la_DEPENDENCIES = $(srcdir)/src/shim/libvgpu-shim.map
EXTRA_DIST += src/shim/libvgpu-shim.map tools/gen-cuda-exports.sh tools/gen-nvml-exports.sh

install-exec-hook:
	$(MKDIR_P) $(DESTDIR)$(pkglibdir) && cd $(DESTDIR)$(pkglibdir) && rm -f libvgpu-shim.so && ln -sf shim/libcuda.so.1 libvgpu-shim.so
uninstall-hook:
	rm -f $(DESTDIR)$(pkglibdir)/libvgpu-shim.so

## In the build tree, the shim to preload and the simulated driver behind it.
VGPU_SHIM_LIB = $(abs_top_builddir)/src/shim/.libs/libcuda.so.1

## ---- tests ---------------------------------------------------------------
SHIM_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/shim -I$(top_srcdir)/tests/unit

# The program run under the shim: links nothing but libdl; its direct cu*
# and nvml* references are weak and undefined, bound at run time to the
# preloaded shim.
check_PROGRAMS += tests/shim/shimprobe
tests_shim_shimprobe_SOURCES = tests/shim/shimprobe.c tests/shim/schedstat.h
tests_shim_shimprobe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/sim

# The shared ledger, compiled into the test (multi-process, with fork).
check_PROGRAMS += tests/shim/test_ledger
TESTS += tests/shim/test_ledger
tests_shim_test_ledger_SOURCES = tests/shim/test_ledger.c src/shim/vgpu_ledger.c src/shim/vgpu_ledger.h \
	src/shim/vgpu_ledger_guard.c src/shim/vgpu_ledger_int.h \
	src/lib/vgpu_proc.c src/lib/vgpu_proc.h
tests_shim_test_ledger_CPPFLAGS = $(SHIM_TEST_CPPFLAGS)
tests_shim_test_ledger_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_shim_test_ledger_LDADD = $(CHECK_LIBS)

# Liveness across pid namespaces, exec and fork (plain TAP; it re-execs
# itself through /proc/self/exe, so it links no .la and stays a real binary).
check_PROGRAMS += tests/shim/test_ledger_ns
TESTS += tests/shim/test_ledger_ns
tests_shim_test_ledger_ns_SOURCES = tests/shim/test_ledger_ns.c src/shim/vgpu_ledger.c src/shim/vgpu_ledger.h \
	src/shim/vgpu_ledger_guard.c src/shim/vgpu_ledger_int.h \
	src/lib/vgpu_proc.c src/lib/vgpu_proc.h
tests_shim_test_ledger_ns_CPPFLAGS = $(SHIM_TEST_CPPFLAGS)
tests_shim_test_ledger_ns_LDADD = $(PTHREAD_LIBS)

# The shim in front of the simulated driver. SHIM_TEST_DEPS: what the
# tests run (the probe is preloaded with the shim; the simulator is its real
# driver).
SHIM_TEST_DEPS = src/shim/libcuda.la sim/libcuda.la sim/libnvidia-ml.la tests/shim/shimprobe
SHIM_TEST_LDADD = sim/libvgpusim.la libvgpucore.la
if SIMULATOR
check_PROGRAMS += tests/shim/test_shim
TESTS += tests/shim/test_shim
endif
tests_shim_test_shim_SOURCES = tests/shim/test_shim.c tests/shim/shimtest.h
tests_shim_test_shim_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim
tests_shim_test_shim_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_DEPENDENCIES = $(SHIM_TEST_DEPS)

# NVML monitoring clients in a slice: process lists, samples, utilisation
# (nvmlmon); the test is its own probe.
if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_nvml
TESTS += tests/shim/test_shim_nvml
endif
tests_shim_test_shim_nvml_SOURCES = tests/shim/test_shim_nvml.c tests/shim/shimtest.h
tests_shim_test_shim_nvml_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim
tests_shim_test_shim_nvml_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_nvml_DEPENDENCIES = $(SHIM_TEST_DEPS)

if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_access
TESTS += tests/shim/test_shim_access
endif
tests_shim_test_shim_access_SOURCES = tests/shim/test_shim_access.c tests/shim/shimtest.h
tests_shim_test_shim_access_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim
tests_shim_test_shim_access_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_access_DEPENDENCIES = $(SHIM_TEST_DEPS)

if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_race
TESTS += tests/shim/test_shim_race
endif
tests_shim_test_shim_race_SOURCES = tests/shim/test_shim_race.c tests/shim/shimtest.h
tests_shim_test_shim_race_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim
tests_shim_test_shim_race_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_race_DEPENDENCIES = $(SHIM_TEST_DEPS)

if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_sm
TESTS += tests/shim/test_shim_sm
endif
tests_shim_test_shim_sm_SOURCES = tests/shim/test_shim_sm.c tests/shim/shimtest.h tests/shim/smtest.h
tests_shim_test_shim_sm_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim
tests_shim_test_shim_sm_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_sm_DEPENDENCIES = $(SHIM_TEST_DEPS)

if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_extra
TESTS += tests/shim/test_shim_extra
endif
tests_shim_test_shim_extra_SOURCES = tests/shim/test_shim_extra.c tests/shim/shimtest.h tests/shim/childrun.h
tests_shim_test_shim_extra_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim
tests_shim_test_shim_extra_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_extra_DEPENDENCIES = $(SHIM_TEST_DEPS)

if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_graph
TESTS += tests/shim/test_shim_graph
endif
tests_shim_test_shim_graph_SOURCES = tests/shim/test_shim_graph.c tests/shim/shimtest.h tests/shim/smtest.h tests/shim/schedstat.h
tests_shim_test_shim_graph_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim -I$(top_srcdir)/tests/sim
tests_shim_test_shim_graph_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_graph_DEPENDENCIES = $(SHIM_TEST_DEPS)

## Module memory charged to the slice (cuModuleLoadData, cuLibraryLoadData, ...).
if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_module
TESTS += tests/shim/test_shim_module
endif
tests_shim_test_shim_module_SOURCES = tests/shim/test_shim_module.c tests/shim/shimtest.h tests/shim/childrun.h tests/sim/simptx.h
tests_shim_test_shim_module_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim -I$(top_srcdir)/tests/sim
tests_shim_test_shim_module_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_module_DEPENDENCIES = $(SHIM_TEST_DEPS)
EXTRA_DIST += bench/nulldrv.c

## The loader's routes to the driver library (tests/shim/test_shim_dl.c):
## dlprobe reaches the driver through each; libdlhelper is a second
## library that dlopens for it.
check_PROGRAMS += tests/shim/dlprobe
tests_shim_dlprobe_SOURCES = tests/shim/dlprobe.c
check_LTLIBRARIES += tests/shim/libdlhelper.la
tests_shim_libdlhelper_la_SOURCES = tests/shim/dlhelper.c
tests_shim_libdlhelper_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere
if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_dl
TESTS += tests/shim/test_shim_dl
endif
tests_shim_test_shim_dl_SOURCES = tests/shim/test_shim_dl.c tests/shim/shimtest.h
tests_shim_test_shim_dl_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim
tests_shim_test_shim_dl_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_dl_DEPENDENCIES = $(SHIM_TEST_DEPS) tests/shim/dlprobe tests/shim/libdlhelper.la

TESTS += tests/shim/0010-exports.sh
EXTRA_DIST += tests/shim/0010-exports.sh

## ---- benchmarks: `make bench` (not part of `make check`) ------------------
EXTRA_PROGRAMS = bench/bench_shim
bench_bench_shim_SOURCES = bench/bench_shim.c
bench: $(SHIM_TEST_DEPS) bench/bench_shim$(EXEEXT)
	VGPU_BUILDDIR='$(abs_top_builddir)' VGPU_SRCDIR='$(abs_top_srcdir)' $(SHELL) $(srcdir)/bench/run.sh
	$(MAKE) $(AM_MAKEFLAGS) all && VGPU_BUILDDIR='$(abs_top_builddir)' VGPU_SRCDIR='$(abs_top_srcdir)' bash $(srcdir)/bench/slurm-releases.sh
.PHONY: bench
# `make bench-placement`: the NVLink placement benchmark (bench/placement.sh;
# doc/nvlink-bench.md): the project's placement against stock Slurm, one job
# mix replayed to two NVL72-shaped devclusters. Root and Slurm's daemons.
bench-placement:
	$(MAKE) $(AM_MAKEFLAGS) all && VGPU_BUILDDIR='$(abs_top_builddir)' VGPU_SRCDIR='$(abs_top_srcdir)' bash $(srcdir)/bench/placement.sh
.PHONY: bench-placement
EXTRA_DIST += bench/run.sh
CLEANFILES += bench/bench_shim$(EXEEXT)

# Slices hold what they promise: contexts charged, N slices of each
# simulated model in N processes at once (limits from vgpu discover + vgpu
# conf + the core's accounting).
if SIMULATOR
check_PROGRAMS += tests/shim/test_shim_memtruth
TESTS += tests/shim/test_shim_memtruth
endif
tests_shim_test_shim_memtruth_SOURCES = tests/shim/test_shim_memtruth.c tests/shim/shimtest.h
tests_shim_test_shim_memtruth_CPPFLAGS = $(SHIM_TEST_CPPFLAGS) -I$(top_srcdir)/sim
tests_shim_test_shim_memtruth_LDADD = $(SHIM_TEST_LDADD)
EXTRA_tests_shim_test_shim_memtruth_DEPENDENCIES = $(SHIM_TEST_DEPS) vgpu$(EXEEXT)
