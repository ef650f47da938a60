/*
 * test_jsonl.c - the JSON reader with lines (vgpu_jsonl.c): values, their
 * line and column, key order, and every refusal with its place.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vgpu_jsonl.h"
#include "vgpu_test.h"

START_TEST(test_values)
{
	const char *text = "{\n \"b\": [1, -2.5e3, true, false, null],\n"
			   "  \"a\": \"x\\u00e9\\ud83d\\ude00\\n\\\"\\/\",\n \"c\": {}, \"d\": []\n}";
	vgpu_jsonl_t *root;
	const vgpu_jsonl_t *b, *a;
	vgpu_err_t err;
	int64_t v;

	ck_assert_msg(vgpu_jsonl_parse(text, strlen(text), "t.json", &root, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(root->type, VGPU_JSONL_OBJECT);
	ck_assert_uint_eq(root->n, 4);
	/* file order kept */
	ck_assert_str_eq(root->keys[0], "b");
	ck_assert_str_eq(root->keys[1], "a");
	b = vgpu_jsonl_get(root, "b");
	ck_assert_uint_eq(b->line, 2);
	ck_assert_uint_eq(b->col, 7);
	ck_assert_uint_eq(b->n, 5);
	ck_assert_int_eq(vgpu_jsonl_int(b->items[0], 0, 10, &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(vgpu_jsonl_int(b->items[0], 2, 10, &v), -1);
	ck_assert_str_eq(b->items[1]->str, "-2.5e3");
	ck_assert_int_eq(vgpu_jsonl_int(b->items[1], INT64_MIN, INT64_MAX, &v), -1);
	ck_assert_int_eq(b->items[2]->type, VGPU_JSONL_BOOL);
	ck_assert_int_eq(b->items[2]->boolean, 1);
	ck_assert_int_eq(b->items[3]->boolean, 0);
	ck_assert_int_eq(b->items[4]->type, VGPU_JSONL_NULL);
	ck_assert_uint_eq(b->items[4]->col, 32);
	a = vgpu_jsonl_get(root, "a");
	ck_assert_uint_eq(a->line, 3);
	ck_assert_str_eq(a->str, "x\xc3\xa9\xf0\x9f\x98\x80\n\"/");
	ck_assert_int_eq(vgpu_jsonl_get(root, "c")->type, VGPU_JSONL_OBJECT);
	ck_assert_uint_eq(vgpu_jsonl_get(root, "d")->n, 0);
	ck_assert_ptr_null(vgpu_jsonl_get(root, "e"));
	ck_assert_ptr_null(vgpu_jsonl_get(b, "a"));
	ck_assert_str_eq(vgpu_jsonl_type_name(VGPU_JSONL_ARRAY), "an array");
	vgpu_jsonl_free(root);
	vgpu_jsonl_free(NULL);
}
END_TEST

START_TEST(test_refused)
{
	static const char *const cases[][2] = {
		{ "{\"a\": 1,\n \"a\": 2}", "f:2:2: duplicate key 'a' (first at line 1)" },
		{ "{\"a\": 1,}", "f:1:9: a ',' before '}' (JSON has no trailing commas)" },
		{ "[1 2]", "f:1:4: expected ',' or ']', found '2'" },
		{ "{\"a\" 1}", "f:1:6: expected ':' after a key, found '1'" },
		{ "{a: 1}", "f:1:2: expected a key in double quotes, found 'a'" },
		{ "\"\\x\"", "f:1:3: bad escape: '\\' then 'x'" },
		{ "\"\\u12\"", "f:1:6: \\u needs four hex digits" },
		{ "\"\\ud800\"", "f:1:8: \\uD800 is half of a surrogate pair" },
		{ "\"\\udc00\"", "f:1:8: \\uDC00 is half of a surrogate pair" },
		{ "\"\\ud800\\u0041\"", "f:1:14: \\uD800\\u0041 is not a surrogate pair" },
		{ "\"\\u0000\"", "f:1:8: \\u0000 (a NUL) is not allowed" },
		{ "\"a\xc3(\"", "f:1:3: bad UTF-8 (byte 0xc3)" },
		{ "\"\xc0\xaf\"", "f:1:2: bad UTF-8" },
		{ "\"\xed\xa0\x80\"", "f:1:2: bad UTF-8" },
		{ "\"\xf4\x90\x80\x80\"", "f:1:2: bad UTF-8" },
		{ "\"a\nb\"", "f:1:3: byte 0x0a inside a string" },
		{ "\"abc", "f:1:5: a string is not closed" },
		{ "01", "f:1:2: a number with a leading zero" },
		{ "1.", "f:1:3: expected a digit after '.'" },
		{ "1e", "f:1:3: expected a digit in the exponent" },
		{ "-", "f:1:2: expected a digit" },
		{ "tru", "f:1:1: expected true or false" },
		{ "nul", "f:1:1: expected null" },
		{ "truex", "f:1:5: unexpected 'x' after a value" },
		{ "{} x", "f:1:4: 'x' after the end of the JSON value" },
		{ "", "f:1:1: expected a value, found the end of the file" },
		{ "\xef\xbb\xbf{}", "f:1:1: a byte order mark" },
		{ "[\n\n  1,\n  @]", "f:4:3: expected a value, found '@'" },
		{ "{\"\xc3\xa9\xc3\xa9\": 1, @}", "f:1:11: expected a key in double quotes, found '@'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vgpu_jsonl_t *root = (vgpu_jsonl_t *)1;
		vgpu_err_t err;

		ck_assert_msg(vgpu_jsonl_parse(cases[i][0], strlen(cases[i][0]), "f", &root, &err) == -1,
			      "case %zu accepted", i);
		ck_assert_ptr_null(root);
		ck_assert_msg(strncmp(err.msg, cases[i][1], strlen(cases[i][1])) == 0,
			      "case %zu: got '%s', want '%s...'", i, err.msg, cases[i][1]);
	}
}
END_TEST

START_TEST(test_limits)
{
	char deep[2 * VGPU_JSONL_DEPTH + 8], ok[2 * VGPU_JSONL_DEPTH + 8];
	vgpu_jsonl_t *root;
	vgpu_err_t err;
	size_t i;

	for (i = 0; i < VGPU_JSONL_DEPTH + 1; i++) {
		deep[i] = '[';
		deep[2 * (VGPU_JSONL_DEPTH + 1) - 1 - i] = ']';
	}
	deep[2 * (VGPU_JSONL_DEPTH + 1)] = '\0';
	ck_assert_int_eq(vgpu_jsonl_parse(deep, strlen(deep), "d", &root, &err), -1);
	ck_assert(strstr(err.msg, "nested more than 64 deep"));
	for (i = 0; i < VGPU_JSONL_DEPTH; i++) {
		ok[i] = '[';
		ok[2 * VGPU_JSONL_DEPTH - 1 - i] = ']';
	}
	ok[2 * VGPU_JSONL_DEPTH] = '\0';
	ck_assert_int_eq(vgpu_jsonl_parse(ok, strlen(ok), "d", &root, &err), 0);
	vgpu_jsonl_free(root);
	ck_assert_int_eq(vgpu_jsonl_parse("{\"a\":\n 1}\0", 10, "z", &root, &err), -1);
	ck_assert_str_eq(err.msg, "z:2:4: a NUL byte (this is not a text file)");
	ck_assert_int_eq(vgpu_jsonl_parse("1", (size_t)VGPU_JSONL_SIZE + 1, "big", &root, &err), -1);
	ck_assert(strstr(err.msg, "big: larger than"));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("jsonl");
	TCase *tc = tcase_create("jsonl");

	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
