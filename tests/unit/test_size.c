/* Unit tests for vgpu_size: units, every error message, formatting. */
#include <stdint.h>
#include <string.h>

#include "vgpu_size.h"
#include "vgpu_test.h"

#define GiB (UINT64_C(1) << 30)

static uint64_t parse_ok(const char *s)
{
	vgpu_err_t err = { "" };
	uint64_t v = 0;

	ck_assert_msg(vgpu_size_parse(s, strlen(s), "mem", &v, &err) == 0, "'%s': %s", s, err.msg);
	return v;
}

static const char *parse_err(const char *s, const char *what)
{
	static vgpu_err_t err;
	uint64_t v = 42;

	memset(&err, 0, sizeof(err));
	ck_assert_msg(vgpu_size_parse(s, strlen(s), what, &v, &err) == -1, "'%s' accepted", s);
	ck_assert_msg(v == 42, "'%s' wrote the result", s);
	return err.msg;
}

START_TEST(units_1024_based)
{
	ck_assert_uint_eq(parse_ok("1"), 1);
	ck_assert_uint_eq(parse_ok("1B"), 1);
	ck_assert_uint_eq(parse_ok("1b"), 1);
	ck_assert_uint_eq(parse_ok("2K"), 2048);
	ck_assert_uint_eq(parse_ok("2k"), 2048);
	ck_assert_uint_eq(parse_ok("512M"), UINT64_C(512) << 20);
	ck_assert_uint_eq(parse_ok("10G"), 10 * GiB);
	ck_assert_uint_eq(parse_ok("10g"), 10 * GiB);
	ck_assert_uint_eq(parse_ok("007G"), 7 * GiB);
	ck_assert_uint_eq(parse_ok("81559M"), UINT64_C(85520809984));
	ck_assert_uint_eq(parse_ok("3T"), UINT64_C(3) << 40);
	ck_assert_uint_eq(parse_ok("1P"), UINT64_C(1) << 50);
	ck_assert_uint_eq(parse_ok("2KiB"), 2048);
	ck_assert_uint_eq(parse_ok("1mib"), UINT64_C(1) << 20);
	ck_assert_uint_eq(parse_ok("10GiB"), 10 * GiB);
	ck_assert_uint_eq(parse_ok("1TiB"), UINT64_C(1) << 40);
	ck_assert_uint_eq(parse_ok("1PIB"), UINT64_C(1) << 50);
}
END_TEST

START_TEST(units_1000_based)
{
	ck_assert_uint_eq(parse_ok("1KB"), 1000);
	ck_assert_uint_eq(parse_ok("1kb"), 1000);
	ck_assert_uint_eq(parse_ok("5MB"), 5000000);
	ck_assert_uint_eq(parse_ok("80GB"), UINT64_C(80000000000));
	ck_assert_uint_eq(parse_ok("2TB"), UINT64_C(2000000000000));
	ck_assert_uint_eq(parse_ok("1PB"), UINT64_C(1000000000000000));
}
END_TEST

START_TEST(limits_of_64_bits)
{
	ck_assert_uint_eq(parse_ok("18446744073709551615"), UINT64_MAX);
	ck_assert_uint_eq(parse_ok("16383P"), UINT64_C(16383) << 50);
	ck_assert_str_eq(parse_err("18446744073709551616", "mem"),
			 "mem: size '18446744073709551616' is too large (at most 18446744073709551615 bytes, 16 EiB)");
	ck_assert_str_eq(parse_err("16384P", "mem"),
			 "mem: size '16384P' is too large (at most 18446744073709551615 bytes, 16 EiB)");
	ck_assert_str_eq(parse_err("18446744073709551615K", "mem"),
			 "mem: size '18446744073709551615K' is too large (at most 18446744073709551615 bytes, 16 EiB)");
	ck_assert_str_eq(parse_err("18446744073709551615KB", "mem"),
			 "mem: size '18446744073709551615KB' is too large (at most 18446744073709551615 bytes, 16 EiB)");
	ck_assert_str_eq(parse_err("99999999999999999999999999999999", "mem"),
			 "mem: size '99999999999999999999999999999999' is too large (at most 18446744073709551615 bytes, 16 EiB)");
}
END_TEST

START_TEST(each_error_has_its_message)
{
	vgpu_err_t err;
	uint64_t v;

	ck_assert_str_eq(parse_err("", "mem"),
			 "mem: empty size (expected a number with an optional unit, e.g. 10G)");
	ck_assert_int_eq(vgpu_size_parse(NULL, 0, NULL, &v, &err), -1);
	ck_assert_str_eq(err.msg, "size: empty size (expected a number with an optional unit, e.g. 10G)");
	ck_assert_str_eq(parse_err("-5G", "mem"), "mem: negative size '-5G'");
	ck_assert_str_eq(parse_err("0", "mem"), "mem: size '0' is zero");
	ck_assert_str_eq(parse_err("000G", "vgpu.conf:4: ShardMemory"),
			 "vgpu.conf:4: ShardMemory: size '000G' is zero");
	ck_assert_str_eq(parse_err("10X", "mem"),
			 "mem: unknown unit 'X' in '10X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)");
	ck_assert_str_eq(parse_err("10GiBs", "mem"),
			 "mem: unknown unit 'GiBs' in '10GiBs' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)");
	ck_assert_str_eq(parse_err("10G5", "mem"),
			 "mem: unexpected '5' after '10G' in '10G5' (no spaces, one unit)");
	ck_assert_str_eq(parse_err("10 G", "mem"),
			 "mem: unexpected ' G' after '10' in '10 G' (no spaces, one unit)");
	ck_assert_str_eq(parse_err("10G ", "mem"),
			 "mem: unexpected ' ' after '10G' in '10G ' (no spaces, one unit)");
	ck_assert_str_eq(parse_err("1.5G", "mem"),
			 "mem: fraction in '1.5G' (use a whole number of a smaller unit, e.g. 1536M for 1.5G)");
	ck_assert_str_eq(parse_err("G", "mem"),
			 "mem: 'G' is not a size (expected a number with an optional unit, e.g. 10G)");
	ck_assert_str_eq(parse_err("+5G", "mem"),
			 "mem: '+5G' is not a size (expected a number with an optional unit, e.g. 10G)");
	ck_assert_str_eq(parse_err(" 5G", "mem"),
			 "mem: ' 5G' is not a size (expected a number with an optional unit, e.g. 10G)");
	ck_assert_str_eq(parse_err("5\tG", "mem"),
			 "mem: unexpected '\\x09G' after '5' in '5\\x09G' (no spaces, one unit)");
}
END_TEST

START_TEST(long_bad_input_is_cut_in_messages)
{
	char text[300];
	const char *msg;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	msg = parse_err(text, "mem");
	ck_assert_ptr_nonnull(strstr(msg, "mem: 'xxxxxxxx"));
	ck_assert_ptr_nonnull(strstr(msg, "...' is not a size"));
	ck_assert_uint_lt(strlen(msg), 200);
}
END_TEST

START_TEST(length_bounds_the_text)
{
	vgpu_err_t err;
	uint64_t v = 0;

	ck_assert_int_eq(vgpu_size_parse("10G5", 3, "mem", &v, &err), 0);
	ck_assert_uint_eq(v, 10 * GiB);
	ck_assert_int_eq(vgpu_size_parse("10Gx", 2, "mem", &v, &err), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(vgpu_size_parse("10\0G", 4, "mem", &v, &err), -1);
	ck_assert_str_eq(err.msg, "mem: unexpected '\\x00G' after '10' in '10\\x00G' (no spaces, one unit)");
	ck_assert_int_eq(vgpu_size_parse("4G", 2, "mem", NULL, &err), 0);
}
END_TEST

START_TEST(zero_ok_flag)
{
	vgpu_err_t err;
	uint64_t v = 1;

	ck_assert_int_eq(vgpu_size_parse_ex("0", 1, "MemoryReserve", VGPU_SIZE_ZERO_OK, &v, &err), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(vgpu_size_parse_ex("0G", 2, "MemoryReserve", VGPU_SIZE_ZERO_OK, &v, &err), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(vgpu_size_parse_ex("512M", 4, "MemoryReserve", VGPU_SIZE_ZERO_OK, &v, &err), 0);
	ck_assert_uint_eq(v, UINT64_C(512) << 20);
	ck_assert_int_eq(vgpu_size_parse_ex("-0", 2, "MemoryReserve", VGPU_SIZE_ZERO_OK, &v, &err), -1);
	ck_assert_str_eq(err.msg, "MemoryReserve: negative size '-0'");
}
END_TEST

static const char *fmt(uint64_t v)
{
	static char buf[64];

	ck_assert_int_eq(vgpu_size_format(v, buf, sizeof(buf)), (int)strlen(buf));
	return buf;
}

START_TEST(format_shortest_exact)
{
	char small[4];

	ck_assert_str_eq(fmt(0), "0");
	ck_assert_str_eq(fmt(1000), "1000");
	ck_assert_str_eq(fmt(1024), "1K");
	ck_assert_str_eq(fmt(1025), "1025");
	ck_assert_str_eq(fmt(1536 * 1024), "1536K");
	ck_assert_str_eq(fmt(GiB + GiB / 2), "1536M");
	ck_assert_str_eq(fmt(10 * GiB), "10G");
	ck_assert_str_eq(fmt(UINT64_C(81559) << 20), "81559M");
	ck_assert_str_eq(fmt(UINT64_C(80) << 40), "80T");
	ck_assert_str_eq(fmt(UINT64_C(1) << 50), "1P");
	ck_assert_str_eq(fmt(UINT64_C(1) << 60), "1024P");
	ck_assert_str_eq(fmt(UINT64_MAX), "18446744073709551615");
	ck_assert_int_eq(vgpu_size_format(10 * GiB, small, sizeof(small)), 3);
	ck_assert_str_eq(small, "10G");
	ck_assert_int_eq(vgpu_size_format(100 * GiB, small, sizeof(small)), 4);
	ck_assert_str_eq(small, "100");
}
END_TEST

static const char *human(uint64_t v)
{
	static char buf[64];

	ck_assert_int_eq(vgpu_size_human(v, buf, sizeof(buf)), (int)strlen(buf));
	return buf;
}

START_TEST(human_one_decimal)
{
	ck_assert_str_eq(human(0), "0 B");
	ck_assert_str_eq(human(100), "100 B");
	ck_assert_str_eq(human(1023), "1023 B");
	ck_assert_str_eq(human(1536), "1.5 KiB");
	ck_assert_str_eq(human(UINT64_C(512) << 20), "512 MiB");
	ck_assert_str_eq(human(UINT64_C(81559) << 20), "79.6 GiB");
	ck_assert_str_eq(human(UINT64_C(80535) << 20), "78.6 GiB");
	ck_assert_str_eq(human(GiB + 1), "1.0 GiB");
	ck_assert_str_eq(human(10 * GiB), "10 GiB");
	ck_assert_str_eq(human(1048575), "1.0 MiB");
	ck_assert_str_eq(human(UINT64_C(1) << 60), "1 EiB");
	ck_assert_str_eq(human(UINT64_MAX), "16.0 EiB");
	ck_assert_str_eq(human(UINT64_C(80000000000)), "74.5 GiB");
}
END_TEST

START_TEST(format_parse_round_trip)
{
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	int i;

	for (i = 0; i < 20000; i++) {
		char buf[64];
		uint64_t v, back = 0;
		vgpu_err_t err;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (x % 64);     /* all magnitudes */
		if (i % 3 == 0)
			v &= ~((UINT64_C(1) << ((x >> 8) % 55)) - 1); /* many exact multiples */
		if (v == 0)
			continue;
		vgpu_size_format(v, buf, sizeof(buf));
		ck_assert_msg(vgpu_size_parse(buf, strlen(buf), "mem", &back, &err) == 0, "%s", err.msg);
		ck_assert_msg(back == v, "%s", buf);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("size");
	TCase *tc = tcase_create("size");

	tcase_add_test(tc, units_1024_based);
	tcase_add_test(tc, units_1000_based);
	tcase_add_test(tc, limits_of_64_bits);
	tcase_add_test(tc, each_error_has_its_message);
	tcase_add_test(tc, long_bad_input_is_cut_in_messages);
	tcase_add_test(tc, length_bounds_the_text);
	tcase_add_test(tc, zero_ok_flag);
	tcase_add_test(tc, format_shortest_exact);
	tcase_add_test(tc, human_one_decimal);
	tcase_add_test(tc, format_parse_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
