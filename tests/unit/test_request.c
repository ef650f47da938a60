/* Unit tests for vgpu_request: the grammar, every error message, the
 * canonical form and parse(format(r)) == r. */
#include <stdint.h>
#include <string.h>

#include "vgpu_request.h"
#include "vgpu_test.h"

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

static vgpu_request_t parse_ok(const char *s)
{
	vgpu_request_t r;
	vgpu_err_t err = { "" };

	ck_assert_msg(vgpu_request_parse(s, "--vgpu", &r, &err) == 0, "'%s': %s", s, err.msg);
	return r;
}

static const char *parse_err(const char *s, const char *where)
{
	static const vgpu_request_t zero;
	static vgpu_err_t err;
	vgpu_request_t r;

	memset(&r, 0x5a, sizeof(r));
	memset(&err, 0, sizeof(err));
	ck_assert_msg(vgpu_request_parse(s, where, &r, &err) == -1, "'%s' accepted", s);
	ck_assert_msg(memcmp(&r, &zero, sizeof(r)) == 0, "'%s' left a result", s);
	return err.msg;
}

START_TEST(accepts_the_grammar)
{
	vgpu_request_t r;

	r = parse_ok("mem=10G");
	ck_assert_uint_eq(r.mem_bytes, 10 * GiB);
	ck_assert_uint_eq(r.cores_pct, 0);
	ck_assert_str_eq(r.type, "");
	ck_assert_uint_eq(r.gpus, 0);

	r = parse_ok("cores=25");
	ck_assert_uint_eq(r.mem_bytes, 0);
	ck_assert_uint_eq(r.cores_pct, 25);

	r = parse_ok("mem=10G,cores=25,type=h100,gpus=2");
	ck_assert_uint_eq(r.mem_bytes, 10 * GiB);
	ck_assert_uint_eq(r.cores_pct, 25);
	ck_assert_str_eq(r.type, "h100");
	ck_assert_uint_eq(r.gpus, 2);

	r = parse_ok("gpus=64:type=A100-SXM4_80.gb:cores=100%:mem=512MB");
	ck_assert_uint_eq(r.mem_bytes, 512000000);
	ck_assert_uint_eq(r.cores_pct, 100);
	ck_assert_str_eq(r.type, "a100-sxm4_80.gb");
	ck_assert_uint_eq(r.gpus, 64);

	r = parse_ok("MEM=10g,Cores=1%,TYPE=H100");
	ck_assert_uint_eq(r.mem_bytes, 10 * GiB);
	ck_assert_uint_eq(r.cores_pct, 1);
	ck_assert_str_eq(r.type, "h100");

	r = parse_ok("cores=007,gpus=01");
	ck_assert_uint_eq(r.cores_pct, 7);
	ck_assert_uint_eq(r.gpus, 1);

	r = parse_ok("mem=10G,type=abcdefghijklmnopqrstuvwxyz01234");
	ck_assert_str_eq(r.type, "abcdefghijklmnopqrstuvwxyz01234");
}
END_TEST


START_TEST(gres_form_after_prefix)
{
	/* --gres=vgpu:mem=10G:cores=25 reaches us as "mem=10G:cores=25" */
	vgpu_request_t a = parse_ok("mem=10G:cores=25");
	vgpu_request_t b = parse_ok("mem=10G,cores=25");

	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
}
END_TEST

START_TEST(structure_errors)
{
	vgpu_request_t r;
	vgpu_err_t err;

	ck_assert_str_eq(parse_err("", "--gres"),
			 "--gres: empty request (expected e.g. mem=10G or mem=10G,cores=25)");
	ck_assert_int_eq(vgpu_request_parse(NULL, NULL, &r, &err), -1);
	ck_assert_str_eq(err.msg, "empty request (expected e.g. mem=10G or mem=10G,cores=25)");
	ck_assert_str_eq(parse_err("mem=10G,,cores=25", "--vgpu"),
			 "--vgpu: empty item in 'mem=10G,,cores=25' (items are separated by one ',' or ':')");
	ck_assert_str_eq(parse_err("mem=10G,", NULL),
			 "empty item in 'mem=10G,' (items are separated by one ',' or ':')");
	ck_assert_str_eq(parse_err(":mem=10G", NULL),
			 "empty item in ':mem=10G' (items are separated by one ',' or ':')");
	ck_assert_str_eq(parse_err("mem", "--gres"),
			 "--gres: item 'mem' has no '=' (expected key=value, e.g. mem=10G)");
	ck_assert_str_eq(parse_err("mem=10G,2", "argument 1"),
			 "argument 1: item '2' has no '=' (expected key=value, e.g. mem=10G)");
	ck_assert_str_eq(parse_err("memory=10G", "--gres"),
			 "--gres: unknown key 'memory' in 'memory=10G' (expected mem, share, cores, ctx, type or gpus)");
	ck_assert_str_eq(parse_err("=10G", NULL),
			 "unknown key '' in '=10G' (expected mem, share, cores, ctx, type or gpus)");
	ck_assert_str_eq(parse_err("mem=1G,MEM=2G", NULL),
			 "duplicate key 'mem' in 'MEM=2G' (each key may appear once)");
	ck_assert_str_eq(parse_err("cores=5,type=a,cores=6", NULL),
			 "duplicate key 'cores' in 'cores=6' (each key may appear once)");
	ck_assert_str_eq(parse_err("type=h100", "--vgpu"),
			 "--vgpu: request 'type=h100' gives neither mem, share nor cores (e.g. mem=10G, share=1/3 or cores=25)");
	ck_assert_str_eq(parse_err("gpus=2", NULL),
			 "request 'gpus=2' gives neither mem, share nor cores (e.g. mem=10G, share=1/3 or cores=25)");
	ck_assert_str_eq(parse_err("mem=10G cores=25", NULL),
			 "mem: unexpected ' cores=25' after '10G' in '10G cores=25' (no spaces, one unit)");
}
END_TEST

START_TEST(empty_values)
{
	ck_assert_str_eq(parse_err("mem=", NULL), "empty value in 'mem=' (e.g. mem=10G)");
	ck_assert_str_eq(parse_err("mem=1G,cores=", NULL), "empty value in 'cores=' (e.g. cores=25)");
	ck_assert_str_eq(parse_err("mem=1G:type=", NULL), "empty value in 'type=' (e.g. type=h100)");
	ck_assert_str_eq(parse_err("gpus=,mem=1G", NULL), "empty value in 'gpus=' (e.g. gpus=2)");
}
END_TEST

START_TEST(value_errors)
{
	ck_assert_str_eq(parse_err("mem=10X", "--gres"),
			 "--gres: mem: unknown unit 'X' in '10X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)");
	ck_assert_str_eq(parse_err("mem=0", NULL), "mem: size '0' is zero");
	ck_assert_str_eq(parse_err("mem=-5G", NULL), "mem: negative size '-5G'");
	ck_assert_str_eq(parse_err("mem=16384P", NULL),
			 "mem: size '16384P' is too large (at most 18446744073709551615 bytes, 16 EiB)");
	ck_assert_str_eq(parse_err("cores=0", NULL), "cores: 'cores=0' is out of range (expected 1..100)");
	ck_assert_str_eq(parse_err("cores=101", NULL), "cores: 'cores=101' is out of range (expected 1..100)");
	ck_assert_str_eq(parse_err("cores=99999999999999", NULL),
			 "cores: 'cores=99999999999999' is out of range (expected 1..100)");
	ck_assert_str_eq(parse_err("cores=abc", NULL),
			 "cores: 'cores=abc' is not a whole percentage (expected 1..100, e.g. cores=25)");
	ck_assert_str_eq(parse_err("cores=-5", NULL),
			 "cores: 'cores=-5' is not a whole percentage (expected 1..100, e.g. cores=25)");
	ck_assert_str_eq(parse_err("cores=25%%", NULL),
			 "cores: 'cores=25%%' is not a whole percentage (expected 1..100, e.g. cores=25)");
	ck_assert_str_eq(parse_err("cores=12.5", NULL),
			 "cores: 'cores=12.5' is not a whole percentage (expected 1..100, e.g. cores=25)");
	ck_assert_str_eq(parse_err("mem=1G,type=1abc", NULL), "type: name '1abc' does not start with a letter");
	ck_assert_str_eq(parse_err("mem=1G,type=h100!", NULL),
			 "type: name 'h100!' has a character other than letters, digits, '_', '.', '-'");
	ck_assert_str_eq(parse_err("mem=1G,type=h 100", NULL),
			 "type: name 'h 100' has a character other than letters, digits, '_', '.', '-'");
	ck_assert_str_eq(parse_err("mem=1G,type=abcdefghijklmnopqrstuvwxyz012345", NULL),
			 "type: name 'abcdefghijklmnopqrstuvwxyz012345' is too long (32 characters, at most 31)");
	ck_assert_str_eq(parse_err("mem=1G,type=h\xc3\xa9", NULL),
			 "type: name 'h\\xc3\\xa9' has a character other than letters, digits, '_', '.', '-'");
	ck_assert_str_eq(parse_err("mem=1G,gpus=0", NULL), "gpus: 'gpus=0' is out of range (expected 1..64)");
	ck_assert_str_eq(parse_err("mem=1G,gpus=65", NULL), "gpus: 'gpus=65' is out of range (expected 1..64)");
	ck_assert_str_eq(parse_err("mem=1G,gpus=two", NULL),
			 "gpus: 'gpus=two' is not a whole number (expected 1..64)");
	ck_assert_str_eq(parse_err("mem=1G,gpus=2%", NULL),
			 "gpus: 'gpus=2%' is not a whole number (expected 1..64)");
}
END_TEST

START_TEST(length_limit)
{
	char text[VGPU_REQUEST_TEXT_MAX + 8];
	vgpu_request_t r;

	/* "mem=" + zeros + "10G": exactly 255 characters is accepted */
	memset(text, '0', sizeof(text));
	memcpy(text, "mem=", 4);
	memcpy(text + VGPU_REQUEST_TEXT_MAX - 1 - 3, "10G", 3);
	text[VGPU_REQUEST_TEXT_MAX - 1] = '\0';
	ck_assert_uint_eq(strlen(text), 255);
	r = parse_ok(text);
	ck_assert_uint_eq(r.mem_bytes, 10 * GiB);
	/* one more is refused */
	memset(text, '0', sizeof(text));
	memcpy(text, "mem=", 4);
	memcpy(text + VGPU_REQUEST_TEXT_MAX - 3, "10G", 3);
	text[VGPU_REQUEST_TEXT_MAX] = '\0';
	ck_assert_str_eq(parse_err(text, "--vgpu"),
			 "--vgpu: request 'mem=000000000000000000000000000000000000000000000000000000000000...' "
			 "is too long (at most 255 characters)");
}
END_TEST

static const char *fmt(const vgpu_request_t *r)
{
	static char buf[VGPU_REQUEST_TEXT_MAX];

	ck_assert_int_eq(vgpu_request_format(r, buf, sizeof(buf)), (int)strlen(buf));
	return buf;
}

START_TEST(canonical_form)
{
	vgpu_request_t r;
	char small[8];

	r = parse_ok("gpus=2:type=H100:cores=25%:mem=10240M");
	ck_assert_str_eq(fmt(&r), "mem=10G,cores=25,type=h100,gpus=2");
	r = parse_ok("mem=1536M");
	ck_assert_str_eq(fmt(&r), "mem=1536M");
	r = parse_ok("mem=1000");
	ck_assert_str_eq(fmt(&r), "mem=1000");
	r = parse_ok("mem=1GB");
	ck_assert_str_eq(fmt(&r), "mem=1000000000");
	r = parse_ok("cores=50,type=a100");
	ck_assert_str_eq(fmt(&r), "cores=50,type=a100");
	r = parse_ok("mem=10G,cores=25");
	ck_assert_int_eq(vgpu_request_format(&r, small, sizeof(small)), 16);
	ck_assert_str_eq(small, "mem=10G");
}
END_TEST

/* Parts of a GPU and the per-context charge. */
START_TEST(fractions_and_ctx)
{
	vgpu_request_t r;

	r = parse_ok("share=1/3");
	ck_assert_uint_eq(r.share_num, 1);
	ck_assert_uint_eq(r.share_den, 3);
	ck_assert(vgpu_request_relative(&r));
	ck_assert_str_eq(fmt(&r), "share=1/3");
	r = parse_ok("SHARE=02/64:type=h100");
	ck_assert_str_eq(fmt(&r), "share=2/64,type=h100");
	r = parse_ok("mem=33%,cores=20");
	ck_assert_uint_eq(r.mem_pct, 33);
	ck_assert_uint_eq(r.mem_bytes, 0);
	ck_assert_str_eq(fmt(&r), "mem=33%,cores=20");
	r = parse_ok("mem=10G:ctx=512M");
	ck_assert_uint_eq(r.ctx_bytes, 512 * MiB);
	ck_assert(!vgpu_request_relative(&r));
	ck_assert_str_eq(fmt(&r), "mem=10G,ctx=512M");
	ck_assert_str_eq(parse_err("share=1/3,mem=10G", NULL),
			 "request 'share=1/3,mem=10G': share= sets both memory and SMs; give it without mem= and cores=");
	ck_assert_str_eq(parse_err("cores=5,share=1/2", NULL),
			 "request 'cores=5,share=1/2': share= sets both memory and SMs; give it without mem= and cores=");
	ck_assert_str_eq(parse_err("share=3", NULL), "share: 'share=3' is not a fraction K/N (e.g. share=1/3)");
	ck_assert_str_eq(parse_err("share=1/x", NULL),
			 "share: 'share=1/x' is not a fraction K/N of whole numbers (e.g. share=1/3)");
	ck_assert_str_eq(parse_err("share=4/3", NULL),
			 "share: 'share=4/3' is out of range (expected K/N with 1 <= K <= N <= 64)");
	ck_assert_str_eq(parse_err("share=0/3", NULL),
			 "share: 'share=0/3' is out of range (expected K/N with 1 <= K <= N <= 64)");
	ck_assert_str_eq(parse_err("share=1/65", NULL),
			 "share: 'share=1/65' is out of range (expected K/N with 1 <= K <= N <= 64)");
	ck_assert_str_eq(parse_err("mem=101%", NULL), "mem: 'mem=101%' is out of range (expected 1%..100%)");
	ck_assert_str_eq(parse_err("mem=0%", NULL), "mem: 'mem=0%' is out of range (expected 1%..100%)");
	ck_assert_str_eq(parse_err("mem=%", NULL),
			 "mem: 'mem=%' is not a whole percentage (expected 1%..100%, e.g. mem=33%)");
	ck_assert_str_eq(parse_err("mem=1.5%", NULL),
			 "mem: 'mem=1.5%' is not a whole percentage (expected 1%..100%, e.g. mem=33%)");
	ck_assert_str_eq(parse_err("ctx=1G", NULL),
			 "request 'ctx=1G' gives neither mem, share nor cores (e.g. mem=10G, share=1/3 or cores=25)");
}
END_TEST

START_TEST(format_parse_round_trip)
{
	static const char *const types[] = { "", "h100", "a100-80", "l40s", "x.y_z-9" };
	uint64_t x = UINT64_C(88172645463325252);
	int i;

	for (i = 0; i < 20000; i++) {
		vgpu_request_t r, back;
		vgpu_err_t err;
		char buf[VGPU_REQUEST_TEXT_MAX];

		memset(&r, 0, sizeof(r));
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x & 1)
			r.mem_bytes = (x >> 8) >> ((x >> 2) % 60);
		r.cores_pct = (unsigned)((x >> 20) % 101);
		if (!r.mem_bytes && !r.cores_pct)
			r.cores_pct = 1;
		snprintf(r.type, sizeof(r.type), "%s", types[(x >> 30) % 5]);
		r.gpus = (unsigned)((x >> 40) % (VGPU_REQUEST_GPUS_MAX + 1));
		if ((x >> 47) % 4 == 0)
			r.ctx_bytes = 1 + ((x >> 8) >> ((x >> 3) % 60));
		if ((x >> 50) % 5 == 0 && !r.mem_bytes) {
			r.mem_pct = 1 + (unsigned)((x >> 52) % 100);
		} else if ((x >> 50) % 5 == 1) {
			r.mem_bytes = 0;
			r.cores_pct = 0;
			r.share_den = 1 + (unsigned)((x >> 53) % VGPU_REQUEST_SHARE_MAX);
			r.share_num = 1 + (unsigned)((x >> 59) % r.share_den);
		}
		vgpu_request_format(&r, buf, sizeof(buf));
		ck_assert_msg(vgpu_request_parse(buf, NULL, &back, &err) == 0, "'%s': %s", buf, err.msg);
		ck_assert_msg(memcmp(&r, &back, sizeof(r)) == 0, "'%s' changed", buf);
	}
}
END_TEST

START_TEST(check_name)
{
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_request_check_name("h100", "GpuType", &err), 0);
	ck_assert_int_eq(vgpu_request_check_name("", "GpuType", &err), -1);
	ck_assert_str_eq(err.msg, "GpuType: empty name");
	ck_assert_int_eq(vgpu_request_check_name("-x", "GpuType", &err), -1);
	ck_assert_str_eq(err.msg, "GpuType: name '-x' does not start with a letter");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("request");

	tcase_add_test(tc, accepts_the_grammar);
	tcase_add_test(tc, gres_form_after_prefix);
	tcase_add_test(tc, structure_errors);
	tcase_add_test(tc, empty_values);
	tcase_add_test(tc, value_errors);
	tcase_add_test(tc, length_limit);
	tcase_add_test(tc, canonical_form);
	tcase_add_test(tc, format_parse_round_trip);
	tcase_add_test(tc, fractions_and_ctx);
	tcase_add_test(tc, check_name);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
