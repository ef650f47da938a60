## mk/sim.mk: the simulated GPU node (sim/, doc/simulator.md): stand-in
## libcuda.so.1 and libnvidia-ml.so.1 that describe a node's GPUs from a JSON
## file, with device memory shared across processes; the node generator;
## their tests. The libraries link json-c and pthread only (never
## libvgpucore) and install under $(pkglibdir)/sim, where they never shadow
## a real driver.

# The node parser, the shared device state and the environment, shared by
# both libraries, the parser's unit test and its fuzz target.
noinst_LTLIBRARIES += sim/libvgpusim.la
sim_libvgpusim_la_SOURCES = \
	sim/sim_node.c \
	sim/sim_node.h \
	sim/sim_state.c \
	sim/sim_state.h \
	sim/sim_env.c \
	sim/sim_env.h \
	src/lib/vgpu_proc.c \
	src/lib/vgpu_proc.h
sim_libvgpusim_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
sim_libvgpusim_la_LIBADD = $(JSONC_LIBS) $(PTHREAD_LIBS)

SIM_LIB_LDFLAGS = $(AM_LDFLAGS) -version-info 1:0:0 -no-undefined

# configure --disable-simulator (production builds, packages): the stand-in
# driver, its generator, nodes and the tests that load it are not built nor
# installed. Enabled, they install under $(pkglibdir)/sim, a directory no
# dynamic linker or Slurm searches (doc/install.md).
simdir = $(pkglibdir)/sim
if SIMULATOR
sim_LTLIBRARIES = sim/libcuda.la sim/libnvidia-ml.la
endif

sim_libcuda_la_SOURCES = \
	sim/sim_cuda.c \
	sim/sim_cuda.h \
	sim/sim_cuda_ctx.c \
	sim/sim_cuda_exec.c \
	sim/sim_cuda_graph.c \
	sim/sim_cuda_module.c \
	sim/sim_cuda_library.c \
	src/lib/vgpu_cuimage.c \
	src/lib/vgpu_cuimage.h \
	sim/sim_cuda_mem.c \
	sim/sim_cuda_pool.c \
	sim/sim_cuda_vmm.c \
	sim/sim_cuda_getproc.c \
	sim/sim_cuda_stubs.c \
	sim/sim_procs.h \
	src/include/vgpu_cuda_abi.h \
	src/include/vgpu_cuda_exports.def
# -Bsymbolic: the library's own references (cuGetProcAddress's table, calls
# between entry points) bind inside it, as a real driver's do, even when a
# preloaded library (the shim) exports the same names.
sim_libcuda_la_LDFLAGS = $(SIM_LIB_LDFLAGS) -Wl,-Bsymbolic -Wl,--version-script=$(srcdir)/sim/libcuda.map
sim_libcuda_la_LIBADD = sim/libvgpusim.la $(JSONC_LIBS) $(PTHREAD_LIBS)
EXTRA_sim_libcuda_la_DEPENDENCIES = $(srcdir)/sim/libcuda.map

sim_libnvidia_ml_la_SOURCES = \
	sim/sim_nvml.c \
	sim/sim_nvml.h \
	sim/sim_nvml_telemetry.c \
	src/include/vgpu_nvml_abi.h
sim_libnvidia_ml_la_LDFLAGS = $(SIM_LIB_LDFLAGS) -Wl,--version-script=$(srcdir)/sim/libnvidia-ml.map
sim_libnvidia_ml_la_LIBADD = sim/libvgpusim.la $(JSONC_LIBS) $(PTHREAD_LIBS)
EXTRA_sim_libnvidia_ml_la_DEPENDENCIES = $(srcdir)/sim/libnvidia-ml.map

simnodesdir = $(pkgdatadir)/sim/nodes
SIM_NODE_FILES = \
	sim/nodes/h100x8.json \
	sim/nodes/a100x2.json \
	sim/nodes/l40sx4-nolink.json
if SIMULATOR
dist_sim_SCRIPTS = sim/vgpu-simnode
dist_simnodes_DATA = $(SIM_NODE_FILES)
endif
EXTRA_DIST += sim/vgpu-simnode $(SIM_NODE_FILES)
EXTRA_DIST += sim/libcuda.map sim/libnvidia-ml.map
dist_doc_DATA += doc/simulator.md

## Tests. test_simnode: the parser, CUDA_VISIBLE_DEVICES and the shared
## state (Check). test_simdriver, test_simshare and test_simgetproc: the built libraries,
## loaded with dlopen by path (sim/.libs), as an application would; they link
## nothing but libdl. 0010-simnode.sh: the generator and the shipped nodes.
SIM_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/sim -I$(top_srcdir)/tests/unit

if SIMULATOR
check_PROGRAMS += tests/sim/test_simnode tests/sim/test_simdriver tests/sim/test_simshare \
	tests/sim/test_simgetproc tests/sim/simnode_dump
TESTS += tests/sim/test_simnode tests/sim/test_simdriver tests/sim/test_simshare \
	tests/sim/test_simgetproc tests/sim/0010-simnode.sh
endif
EXTRA_DIST += tests/sim/0010-simnode.sh

tests_sim_test_simnode_SOURCES = tests/sim/test_simnode.c tests/unit/vgpu_test.h
tests_sim_test_simnode_CPPFLAGS = $(SIM_TEST_CPPFLAGS)
tests_sim_test_simnode_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_sim_test_simnode_LDADD = sim/libvgpusim.la $(CHECK_LIBS)

tests_sim_test_simdriver_SOURCES = tests/sim/test_simdriver.c tests/sim/simtest.h
tests_sim_test_simdriver_CPPFLAGS = $(SIM_TEST_CPPFLAGS)

tests_sim_test_simshare_SOURCES = tests/sim/test_simshare.c tests/sim/simtest.h
tests_sim_test_simshare_CPPFLAGS = $(SIM_TEST_CPPFLAGS)

tests_sim_test_simgetproc_SOURCES = tests/sim/test_simgetproc.c tests/sim/simtest.h

# SM time: launches, events, synchronisation, the bounded queue, NVML
# utilisation (reads the shared state through libvgpusim).
if SIMULATOR
check_PROGRAMS += tests/sim/test_simexec
TESTS += tests/sim/test_simexec
endif
tests_sim_test_simexec_SOURCES = tests/sim/test_simexec.c tests/sim/simtest.h
tests_sim_test_simexec_CPPFLAGS = $(SIM_TEST_CPPFLAGS)
tests_sim_test_simexec_LDADD = sim/libvgpusim.la

## NVML as monitoring clients call it: unversioned names, process lists in
## every struct version, per-process utilisation, telemetry (nvmlmon).
if SIMULATOR
check_PROGRAMS += tests/sim/test_simnvml
TESTS += tests/sim/test_simnvml
endif
tests_sim_test_simnvml_SOURCES = tests/sim/test_simnvml.c tests/sim/simtest.h
tests_sim_test_simnvml_CPPFLAGS = $(SIM_TEST_CPPFLAGS)
tests_sim_test_simnvml_LDADD = sim/libvgpusim.la

## Modules and libraries (cuModuleLoadData, cuLibraryLoadData, ...): PTX
## images, module memory, handle checks at launch.
if SIMULATOR
check_PROGRAMS += tests/sim/test_simmodule
TESTS += tests/sim/test_simmodule
endif
tests_sim_test_simmodule_SOURCES = tests/sim/test_simmodule.c tests/sim/simtest.h tests/sim/simptx.h
tests_sim_test_simmodule_CPPFLAGS = $(SIM_TEST_CPPFLAGS)
tests_sim_test_simmodule_LDADD = sim/libvgpusim.la
EXTRA_DIST += tests/sim/simptx.h

## The image reader (PTX, cubin, fatbin) the simulator and the shim share;
## not in libvgpucore, so the test compiles it in.
check_PROGRAMS += tests/unit/test_cuimage
TESTS += tests/unit/test_cuimage
tests_unit_test_cuimage_SOURCES = tests/unit/test_cuimage.c tests/unit/vgpu_test.h src/lib/vgpu_cuimage.c src/lib/vgpu_cuimage.h
tests_unit_test_cuimage_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cuimage_LDADD = $(CHECK_LIBS)
tests_sim_test_simgetproc_CPPFLAGS = $(SIM_TEST_CPPFLAGS)

# Prints a node file's facts, one per line (used by 0010-simnode.sh).
tests_sim_simnode_dump_SOURCES = tests/sim/simnode_dump.c
tests_sim_simnode_dump_CPPFLAGS = $(SIM_TEST_CPPFLAGS)
tests_sim_simnode_dump_LDADD = sim/libvgpusim.la

## The ABI check against NVIDIA's headers, when they are installed.
if HAVE_CUDA_H
check_PROGRAMS += tests/unit/test_cuda_abi
TESTS += tests/unit/test_cuda_abi
tests_unit_test_cuda_abi_SOURCES = tests/unit/test_cuda_abi.c tests/unit/vgpu_test.h
tests_unit_test_cuda_abi_CPPFLAGS = $(AM_CPPFLAGS) $(CUDA_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_test_cuda_abi_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_cuda_abi_LDADD = $(CHECK_LIBS)
endif
EXTRA_DIST += tests/unit/test_cuda_abi.c

## Fuzz target of the node-JSON parser; `make check` replays its seed corpus
## (tests/fuzz/corpus/simnode/); mk/tests.mk runs $(SIM_FUZZ_BINS) in `make fuzz`.
check_PROGRAMS += tests/fuzz/replay_simnode
TESTS += tests/fuzz/replay_simnode
tests_fuzz_replay_simnode_SOURCES = tests/fuzz/fuzz_simnode.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_simnode_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/sim -DVGPU_FUZZ_CORPUS='"simnode"'
tests_fuzz_replay_simnode_CFLAGS = $(AM_CFLAGS)
tests_fuzz_replay_simnode_LDADD = sim/libvgpusim.la
SIM_FUZZ_BINS = fuzz/simnode fuzz/cuimage
if FUZZING
noinst_PROGRAMS += fuzz/simnode fuzz/cuimage
fuzz_simnode_SOURCES = tests/fuzz/fuzz_simnode.c
fuzz_simnode_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/sim
fuzz_simnode_LDADD = sim/libvgpusim.la
fuzz_simnode_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_cuimage_SOURCES = tests/fuzz/fuzz_cuimage.c src/lib/vgpu_cuimage.c
fuzz_cuimage_CFLAGS = $(AM_CFLAGS)
fuzz_cuimage_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif

## The module image reader (PTX, cubin, fatbin) parses what user programs
## load, in the shim: its fuzz target and the replay of its seed corpus.
check_PROGRAMS += tests/fuzz/replay_cuimage
TESTS += tests/fuzz/replay_cuimage
tests_fuzz_replay_cuimage_SOURCES = tests/fuzz/fuzz_cuimage.c src/lib/vgpu_cuimage.c src/lib/vgpu_cuimage.h \
	$(FUZZ_REPLAY_SRC)
tests_fuzz_replay_cuimage_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"cuimage"'
tests_fuzz_replay_cuimage_CFLAGS = $(AM_CFLAGS)

## NVML monitoring clients on the devcluster (nvmlcli): tests/e2e/nvmlclient.py
## (ctypes, pynvml's calls), pynvml and gpustat where installed, inside a
## slice (the shim's view) and on the node (the whole GPU).
if SIMULATOR
TESTS += tests/e2e/0360-nvml-clients.sh
endif
EXTRA_DIST += tests/e2e/0360-nvml-clients.sh tests/e2e/nvmlclient.py
