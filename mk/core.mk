## mk/core.mk: the Slurm-free core library (src/lib) and its unit tests.

noinst_LTLIBRARIES += libvgpucore.la
libvgpucore_la_SOURCES = \
	src/lib/vgpu_error.c \
	src/lib/vgpu_error.h
libvgpucore_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
libvgpucore_la_LIBADD = $(JSONC_LIBS)

UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
UNIT_LDADD = libvgpucore.la $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_error
TESTS += tests/unit/test_error
tests_unit_test_error_SOURCES = tests/unit/test_error.c tests/unit/vgpu_test.h
tests_unit_test_error_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_error_LDADD = $(UNIT_LDADD)
