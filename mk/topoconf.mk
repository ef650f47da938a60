## mk/topoconf.mk: Slurm configuration from the clique map (topology.conf per release, Features, partitions, Links=); TOPO_FUZZ_BINS.
## No parser here (the clique map's is vgpu_cliquemap.c): no fuzz target.
libvgpucore_la_SOURCES += \
	src/lib/vgpu_topoconf.c \
	src/lib/vgpu_topoconf.h

check_PROGRAMS += tests/unit/test_topoconf
TESTS += tests/unit/test_topoconf
tests_unit_test_topoconf_SOURCES = tests/unit/test_topoconf.c tests/unit/vgpu_test.h
tests_unit_test_topoconf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_topoconf_LDADD = $(UNIT_LDADD)

if SIMULATOR
TESTS += tests/e2e/0310-topology-conf.sh
endif
EXTRA_DIST += tests/e2e/0310-topology-conf.sh
