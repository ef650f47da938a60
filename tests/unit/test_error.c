/* Unit tests for vgpu_error. */
#include <string.h>

#include "vgpu_error.h"
#include "vgpu_test.h"

START_TEST(set_formats_and_returns_minus_one)
{
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_err_set(&err, "bad %s at %d", "x", 3), -1);
	ck_assert_str_eq(err.msg, "bad x at 3");
	ck_assert_int_eq(vgpu_err_set(NULL, "ignored"), -1);
}
END_TEST

START_TEST(prefix_prepends)
{
	vgpu_err_t err;

	vgpu_err_set(&err, "unknown key 'foo'");
	ck_assert_int_eq(vgpu_err_prefix(&err, "%s:%d", "vgpu.conf", 12), -1);
	ck_assert_str_eq(err.msg, "vgpu.conf:12: unknown key 'foo'");
}
END_TEST

START_TEST(quote_escapes_and_cuts)
{
	char buf[64];

	ck_assert_str_eq(vgpu_err_quote(buf, sizeof(buf), "a\tb", 100), "a\\x09b");
	ck_assert_str_eq(vgpu_err_quote(buf, sizeof(buf), "abcdef", 3), "abc...");
	ck_assert_str_eq(vgpu_err_quote(buf, 4, "abcdef", 100), "");
	ck_assert_str_eq(vgpu_err_quote(buf, sizeof(buf), NULL, 3), "");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("error");

	tcase_add_test(tc, set_formats_and_returns_minus_one);
	tcase_add_test(tc, prefix_prepends);
	tcase_add_test(tc, quote_escapes_and_cuts);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
