/*
 * vgpu_test.h - the little glue every Check unit test shares.
 *
 * A test file defines `static Suite *make_suite(void)` and ends with
 * VGPU_TEST_MAIN(make_suite). The runner prints TAP (one line per test case)
 * on stdout so automake's tap-driver counts each case; it exits non-zero when
 * any case fails.
 *
 * vgpu_test_fixture(name) gives the path of a file under ../shared/fixtures,
 * vgpu_test_srcpath(rel) a path under the source tree (VGPU_SRCDIR, set by
 * `make check`; "." otherwise).
 */
#ifndef VGPU_TEST_H
#define VGPU_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static inline const char *vgpu_test_srcpath(const char *rel)
{
	static char buf[4][1024];
	static int slot;
	const char *src = getenv("VGPU_SRCDIR");

	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", src ? src : ".", rel);
	return buf[slot];
}

static inline const char *vgpu_test_fixture(const char *rel)
{
	static char buf[4][1024];
	static int slot;
	const char *shared = getenv("VGPU_SHARED");

	slot = (slot + 1) % 4;
	if (shared)
		snprintf(buf[slot], sizeof(buf[slot]), "%s/fixtures/%s", shared, rel);
	else
		snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", vgpu_test_srcpath("../shared/fixtures"),
			 rel);
	return buf[slot];
}

#define VGPU_TEST_MAIN(make_suite_fn)                                         \
	int main(void)                                                        \
	{                                                                     \
		SRunner *sr = srunner_create(make_suite_fn());                \
		int failed;                                                   \
		srunner_set_tap(sr, "-");                                     \
		srunner_run_all(sr, CK_SILENT);                               \
		failed = srunner_ntests_failed(sr);                           \
		srunner_free(sr);                                             \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;             \
	}

#endif
