## mk/discover.mk: the node inventory (core library) and node discovery
## (libvgpudiscover: NVML and the CUDA driver loaded with dlopen, hwloc
## locality), with their tests. Slurm-free.

libvgpucore_la_SOURCES += src/lib/vgpu_inventory.c src/lib/vgpu_inventory.h
## The inventory's JSON reader and writer (json-c): only the vgpu command and
## the tests link it.
noinst_LTLIBRARIES += libvgpujson.la
libvgpujson_la_SOURCES = src/lib/vgpu_inventory_json.c
libvgpujson_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
libvgpujson_la_LIBADD = $(JSONC_LIBS)
dist_doc_DATA += doc/inventory.md
# (vgpu discover is documented in vgpu(1) and doc/inventory.md.)

noinst_LTLIBRARIES += libvgpudiscover.la
libvgpudiscover_la_SOURCES = \
	src/discover/vgpu_discover.c \
	src/discover/vgpu_discover.h \
	src/discover/vgpu_nvmlprobe.c \
	src/discover/vgpu_nvmlprobe.h \
	src/discover/vgpu_cudaprobe.c \
	src/discover/vgpu_cudaprobe.h \
	src/discover/vgpu_topo.c \
	src/discover/vgpu_topo.h
libvgpudiscover_la_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
libvgpudiscover_la_LIBADD = $(HWLOC_LIBS)

DISCOVER_UNIT_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/discover $(HWLOC_CFLAGS)
DISCOVER_UNIT_LDADD = libvgpudiscover.la libvgpujson.la $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_inventory tests/unit/test_topo tests/unit/test_discover
TESTS += tests/unit/test_inventory tests/unit/test_topo tests/unit/test_discover
tests_unit_test_inventory_SOURCES = tests/unit/test_inventory.c tests/unit/vgpu_test.h
tests_unit_test_inventory_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_inventory_LDADD = libvgpujson.la $(UNIT_LDADD)
tests_unit_test_topo_SOURCES = tests/unit/test_topo.c tests/unit/vgpu_test.h
tests_unit_test_topo_CFLAGS = $(DISCOVER_UNIT_CFLAGS)
tests_unit_test_topo_LDADD = $(DISCOVER_UNIT_LDADD)
tests_unit_test_discover_SOURCES = tests/unit/test_discover.c tests/unit/vgpu_test.h
tests_unit_test_discover_CFLAGS = $(DISCOVER_UNIT_CFLAGS)
tests_unit_test_discover_LDADD = $(DISCOVER_UNIT_LDADD)
## test_discover.c built a second time as a fake NVML + CUDA driver module.
check_LTLIBRARIES += tests/unit/libfakedriver.la
tests_unit_libfakedriver_la_SOURCES = tests/unit/test_discover.c
tests_unit_libfakedriver_la_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_TEST_FAKE_DRIVER
tests_unit_libfakedriver_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere

## 0210-discover-sim.sh runs vgpu discover on the simulated driver (mk/sim.mk).
TESTS += tests/sh/0200-discover.sh
if SIMULATOR
TESTS += tests/sh/0210-discover-sim.sh
endif
EXTRA_DIST += tests/sh/0200-discover.sh tests/sh/0210-discover-sim.sh tests/golden/discover

## Fuzz target of the inventory reader; `make check` replays its seed corpus
## (tests/fuzz/corpus/inventory/). The libFuzzer binary fuzz/inventory is
## built by mk/tests.mk. REPLAY_CFLAGS comes from mk/core.mk.
check_PROGRAMS += tests/fuzz/replay_inventory
TESTS += tests/fuzz/replay_inventory
tests_fuzz_replay_inventory_SOURCES = tests/fuzz/fuzz_inventory.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_inventory_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"inventory"'
tests_fuzz_replay_inventory_CFLAGS = $(REPLAY_CFLAGS)
tests_fuzz_replay_inventory_LDADD = libvgpujson.la libvgpucore.la
