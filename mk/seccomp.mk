## mk/seccomp.mk: the user-namespace seccomp filter of slice steps
## (src/lib/vgpu_seccomp.c, in the core library; the SPANK plugin installs it
## in each task of a slice step, doc/shim.md "Threat model"). It parses no
## input, so it has no fuzz target.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_seccomp.c \
	src/lib/vgpu_seccomp.h

check_PROGRAMS += tests/unit/test_seccomp
TESTS += tests/unit/test_seccomp
tests_unit_test_seccomp_SOURCES = tests/unit/test_seccomp.c tests/unit/vgpu_test.h
tests_unit_test_seccomp_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_seccomp_LDADD = $(UNIT_LDADD) $(PTHREAD_LIBS)

if SIMULATOR
TESTS += tests/e2e/0375-userns.sh
endif
EXTRA_DIST += tests/e2e/0375-userns.sh
