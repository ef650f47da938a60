/*
 * test_hostlist.c - Slurm hostlist syntax (vgpu_hostlist.c). The expected
 * results are what `scontrol show hostnames` / `scontrol show hostlist` of
 * Slurm 22.05.8 print for the same text (checked by hand on the host; the
 * cases marked were also checked with 26.05.5's in its chroot).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vgpu_hostlist.h"
#include "vgpu_test.h"

/* Expand text and join the names with ' '; "ERR: message" on failure. */
static char *expand_join(const char *text)
{
	static char out[8192];
	char **names;
	size_t n, o = 0;
	vgpu_err_t err;

	if (vgpu_hostlist_expand(text, &names, &n, &err) < 0) {
		ck_assert_ptr_null(names);
		snprintf(out, sizeof(out), "ERR: %s", err.msg);
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "", names[i]);
	vgpu_hostlist_free(names, n);
	return out;
}

/* Compress the blank-separated names in list. */
static char *compress_words(const char *list)
{
	static char out[8192];
	char buf[4096], *names[256], *save = NULL, *s;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		names[n++] = w;
	s = vgpu_hostlist_compress((const char *const *)names, n);
	ck_assert_ptr_nonnull(s);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

START_TEST(test_expand_as_scontrol)
{
	static const char *const cases[][2] = {
		{ "n[1-3,7]", "n1 n2 n3 n7" },
		{ "n[01-10]", "n01 n02 n03 n04 n05 n06 n07 n08 n09 n10" },
		{ "n[8-11]", "n8 n9 n10 n11" },
		{ "n[1-2],m[3-4]", "n1 n2 m3 m4" },
		{ "n1,n1", "n1 n1" },
		{ "n[1-2]x[3-4]", "n1x3 n1x4 n2x3 n2x4" },
		{ "n[009-011]", "n009 n010 n011" },
		{ "n[9-10]", "n9 n10" },
		{ "gpu-a", "gpu-a" },
		{ "n01,n1,n2", "n01 n1 n2" },
		{ "n[1,1]", "n1 n1" },
		{ "n[5-5]", "n5" },
		{ ",n1", "n1" },
		{ "n1,,n2", "n1 n2" },
		{ "n1 n2", "n1 n2" },
		{ "n[01-3]", "n01 n02 n03" },
		{ "n[1-03]", "n1 n2 n3" },
		{ "n-[1-2]", "n-1 n-2" },
		{ "[1-2]", "1 2" },
		/* a suffix: 26.05's scontrol expands it, 22.05's refuses it */
		{ "a1b[1-2]c", "a1b1c a1b2c" },
		{ "n[1-3]-x", "n1-x n2-x n3-x" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(expand_join(cases[i][0]), cases[i][1]);
}
END_TEST

START_TEST(test_expand_refused)
{
	static const char *const cases[][2] = {
		{ "n[3-1]", "hostlist 'n[3-1]': range 3-1 goes backwards" },
		{ "n[]", "empty brackets" },
		{ "n[a-b]", "range 'a-b' is not N or N-M" },
		{ "n[1-2-3]", "range '1-2-3' is not N or N-M" },
		{ "n[1--2]", "is not N or N-M" },
		{ "n[-2]", "is not N or N-M" },
		{ "n[1-]", "is not N or N-M" },
		{ "n[1,,2]", "an empty range" },
		{ "n[1-2]]", "']' without '['" },
		{ "n[[1-2]", "'[' inside brackets" },
		{ "n[1-2", "'[' without ']'" },
		{ "n[ 1-2]", "'[' without ']'" },
		{ "n[1-100000]", "more than 65536 host names" },
		{ "n\x01", "a control character" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = expand_join(cases[i][0]);

		ck_assert_msg(strncmp(got, "ERR: ", 5) == 0 && strstr(got, cases[i][1]),
			      "'%s': got '%s', want an error with '%s'", cases[i][0], got, cases[i][1]);
	}
}
END_TEST

START_TEST(test_expand_limits)
{
	char **names;
	size_t n;
	char big[400];

	/* the largest range Slurm takes, and a product beyond the limit */
	ck_assert_int_eq(vgpu_hostlist_expand("n[1-65536]", &names, &n, NULL), 0);
	ck_assert_uint_eq(n, 65536);
	ck_assert_str_eq(names[65535], "n65536");
	vgpu_hostlist_free(names, n);
	ck_assert_int_eq(vgpu_hostlist_expand("n[1-300]x[1-300]", &names, &n, NULL), -1);
	ck_assert_ptr_null(names);
	/* 18-digit bounds work, 19 do not */
	ck_assert_str_eq(expand_join("n[999999999999999998-999999999999999999]"),
			 "n999999999999999998 n999999999999999999");
	ck_assert(strstr(expand_join("n[1-1000000000000000000]"), "ERR: "));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert(strstr(expand_join(big), "longer than 255 bytes"));
}
END_TEST

START_TEST(test_compress_as_scontrol)
{
	static const char *const cases[][2] = {
		{ "n1 n2 n3 n7", "n[1-3,7]" },
		{ "n01 n02 n03", "n[01-03]" },
		{ "n1 n01", "n[1,01]" },
		{ "n9 n10", "n[9-10]" },
		{ "n3 n1 n2", "n[3,1-2]" },
		{ "a b c", "a,b,c" },
		{ "n1 m1 n2", "n1,m1,n2" },
		{ "n1x n2x", "n1x,n2x" },
		{ "n1 n1", "n[1,1]" },
		{ "r1n1 r1n2", "r1n[1-2]" },
		{ "n0 n00", "n[0,00]" },
		{ "n8 n9 n10 n11", "n[8-11]" },
		{ "n099 n100", "n[099-100]" },
		{ "n1-1 n1-2", "n1-[1-2]" },
		{ "n7", "n7" },
		{ "n1 n3", "n[1,3]" },
		{ "n1 n2 m1 n3", "n[1-2],m1,n3" },
		{ "n08 n9", "n[08,9]" },
		{ "n008 n9 n10", "n[008,9-10]" },
		{ "1 2 3", "[1-3]" },
		{ "n1 n2 n2", "n[1-2,2]" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(compress_words(cases[i][0]), cases[i][1]);
	ck_assert_str_eq(compress_words(""), "");
}
END_TEST

/* compress then expand gives the names back, in order. */
START_TEST(test_round_trip)
{
	static const char *const lists[] = {
		"n1 n2 n3 n7", "n01 n02 n9 n10 n11 m1 m2 a", "gpu-01 gpu-02 gpu-10 x", "n98 n99 n100 n101",
		"n0 n00 n000 n1", "rack1-n3 rack1-n4 rack2-n1",
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char want[1024];

		snprintf(want, sizeof(want), "%s", lists[i]);
		ck_assert_str_eq(expand_join(compress_words(lists[i])), want);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("hostlist");
	TCase *tc = tcase_create("hostlist");

	tcase_add_test(tc, test_expand_as_scontrol);
	tcase_add_test(tc, test_expand_refused);
	tcase_add_test(tc, test_expand_limits);
	tcase_add_test(tc, test_compress_as_scontrol);
	tcase_add_test(tc, test_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
