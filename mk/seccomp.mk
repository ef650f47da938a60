## mk/seccomp.mk: hardening of slice steps: the user-namespace seccomp filter
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

# The job ledger's faults and tampering (src/shim/vgpu_ledger.c, compiled
# in, as tests/shim/test_ledger does): a full file system, deletion,
# replacement, symlinks, a rewritten header, a closed lock descriptor.
check_PROGRAMS += tests/shim/test_ledger_guard
TESTS += tests/shim/test_ledger_guard
tests_shim_test_ledger_guard_SOURCES = tests/shim/test_ledger_guard.c src/shim/vgpu_ledger.c src/shim/vgpu_ledger.h \
	src/shim/vgpu_ledger_guard.c src/shim/vgpu_ledger_int.h \
	src/lib/vgpu_proc.c src/lib/vgpu_proc.h
tests_shim_test_ledger_guard_CPPFLAGS = $(SHIM_TEST_CPPFLAGS)
tests_shim_test_ledger_guard_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_shim_test_ledger_guard_LDADD = $(CHECK_LIBS)

if SIMULATOR
TESTS += tests/e2e/0376-ledger-tamper.sh
endif
EXTRA_DIST += tests/e2e/0376-ledger-tamper.sh
