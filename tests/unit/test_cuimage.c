/* Unit tests for vgpu_cuimage: sizes and symbols of PTX, cubin (ELF),
 * fatbin and fatbin-wrapper images, and the device bytes they are charged. */
#include <stdint.h>
#include <string.h>

#include "vgpu_cuimage.h"
#include "vgpu_test.h"

#define MIB (UINT64_C(1) << 20)

struct seen {
	char names[8][64];
	uint64_t sizes[8];
	int entry[8];
	int n;
};

static int record(void *arg, const char *name, size_t len, int entry, uint64_t size)
{
	struct seen *s = arg;

	if (s->n < 8 && len < 64) {
		memcpy(s->names[s->n], name, len);
		s->names[s->n][len] = '\0';
		s->sizes[s->n] = size;
		s->entry[s->n] = entry;
		s->n++;
	}
	return 0;
}

static const char ptx[] = "// a module\n"
			  ".version 8.0\n.target sm_90\n.address_size 64\n"
			  ".visible .global .align 4 .b8 buf[4096];\n"
			  ".global .v2 .f64 pairs[2][3], one;\n"
			  ".global .attribute(.managed) .align 4 .u32 managed;\n"
			  ".extern .global .u32 elsewhere;\n"
			  ".visible .entry kern(.param .u64 p) { .reg .b32 %r<2>; ret; }\n"
			  ".visible .func helper() { ret; }\n";

START_TEST(ptx_sizes_and_symbols)
{
	struct vgpu_cuimage im;
	struct seen s = { 0 };

	ck_assert_int_eq(vgpu_cuimage_scan(ptx, SIZE_MAX, &im, record, &s), VGPU_CUIMAGE_OK);
	ck_assert_int_eq(im.kind, VGPU_CUIMAGE_PTX);
	ck_assert_uint_eq(im.bytes, sizeof(ptx));
	ck_assert_uint_eq(im.globals, 4096 + 96 + 16 + 4);
	ck_assert_uint_eq(im.nentries, 1);
	ck_assert_uint_eq(im.nglobals, 4);
	ck_assert_int_eq(s.n, 5);
	ck_assert_str_eq(s.names[0], "buf");
	ck_assert_uint_eq(s.sizes[1], 96);
	ck_assert_str_eq(s.names[2], "one");
	ck_assert_uint_eq(s.sizes[2], 16);
	ck_assert_str_eq(s.names[3], "managed");
	ck_assert_str_eq(s.names[4], "kern");
	ck_assert_int_eq(s.entry[4], 1);
	ck_assert_uint_eq(vgpu_cuimage_code_bytes(&im), 2 * MIB);
	ck_assert_uint_eq(vgpu_cuimage_data_bytes(&im), 2 * MIB);
	ck_assert_uint_eq(vgpu_cuimage_device_bytes(&im), 4 * MIB);
}
END_TEST

START_TEST(ptx_errors_name_the_line)
{
	struct vgpu_cuimage im;

	ck_assert_int_eq(vgpu_cuimage_scan(".version 8.0\n.target sm_80\n.global .u32 x[];\n", SIZE_MAX, &im, NULL, NULL),
			 VGPU_CUIMAGE_EPARSE);
	ck_assert_str_eq(im.error, "PTX line 3: an array size that is not a number near ']'");
	ck_assert_int_eq(vgpu_cuimage_scan(".version 8.0\n.global .quad y;\n", SIZE_MAX, &im, NULL, NULL),
			 VGPU_CUIMAGE_EPARSE);
	ck_assert_str_eq(im.error, "PTX line 2: unknown variable type near '.quad'");
	ck_assert_int_eq(vgpu_cuimage_scan(".version 8.0\n.entry k() { ret;\n", SIZE_MAX, &im, NULL, NULL),
			 VGPU_CUIMAGE_EPARSE);
}
END_TEST

START_TEST(unknown_images_take_one_granule)
{
	struct vgpu_cuimage im;

	ck_assert_int_eq(vgpu_cuimage_scan("hello world", SIZE_MAX, &im, NULL, NULL), VGPU_CUIMAGE_EUNKNOWN);
	ck_assert_uint_eq(vgpu_cuimage_device_bytes(&im), 2 * MIB);
	ck_assert_int_eq(vgpu_cuimage_scan("ab", SIZE_MAX, &im, NULL, NULL), VGPU_CUIMAGE_EUNKNOWN);
	ck_assert_int_eq(vgpu_cuimage_scan(NULL, SIZE_MAX, &im, NULL, NULL), VGPU_CUIMAGE_EUNKNOWN);
}
END_TEST

/* ---- a hand-made cubin: .shstrtab, .text.kern, .nv.global (NOBITS),
 * .nv.global.init ---------------------------------------------------------- */

static void put(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void section(unsigned char *sh, uint32_t name, uint32_t type, uint64_t off, uint64_t size)
{
	put(sh, name, 4);
	put(sh + 4, type, 4);
	put(sh + 0x18, off, 8);
	put(sh + 0x20, size, 8);
}

/* Writes a cubin at e; returns its length. */
static size_t make_elf(unsigned char *e)
{
	static const char names[] = "\0.shstrtab\0.text.kern\0.nv.global\0.nv.global.init";
	const uint64_t strtab = 64, text = 128, init = 384, shoff = 512;

	memset(e, 0, 832);
	memcpy(e, "\177ELF\002\001\001", 7);
	put(e + 0x28, shoff, 8);
	put(e + 0x3a, 64, 2);
	put(e + 0x3c, 5, 2);
	put(e + 0x3e, 1, 2);
	memcpy(e + strtab, names, sizeof(names));
	section(e + shoff + 64, 1, 3, strtab, sizeof(names));
	section(e + shoff + 128, 11, 1, text, 256);
	section(e + shoff + 192, 22, 8, 0, 3 * MIB); /* NOBITS: no bytes in the file */
	section(e + shoff + 256, 33, 1, init, 100);
	return 832;
}

START_TEST(cubin_sections)
{
	unsigned char e[832];
	struct vgpu_cuimage im;
	struct seen s = { 0 };

	ck_assert_uint_eq(make_elf(e), 832);
	ck_assert_int_eq(vgpu_cuimage_scan(e, sizeof(e), &im, record, &s), VGPU_CUIMAGE_OK);
	ck_assert_int_eq(im.kind, VGPU_CUIMAGE_ELF);
	ck_assert_uint_eq(im.bytes, 832);
	ck_assert_uint_eq(im.globals, 3 * MIB + 100);
	ck_assert_uint_eq(im.nentries, 1);
	ck_assert_str_eq(s.names[0], "kern");
	ck_assert_uint_eq(vgpu_cuimage_device_bytes(&im), 2 * MIB + 4 * MIB);
	ck_assert_int_eq(vgpu_cuimage_scan(e, 600, &im, NULL, NULL), VGPU_CUIMAGE_EPARSE); /* headers cut off */
}
END_TEST

START_TEST(fatbin_and_wrapper)
{
	static unsigned char f[16 + 64 + 832];
	struct {
		uint32_t magic, version;
		const void *data;
		void *unused;
	} wrapper = { 0x466243b1u, 1, f, NULL };
	struct vgpu_cuimage im;

	memset(f, 0, sizeof(f));
	put(f, 0xBA55ED50u, 4);
	put(f + 4, 1, 2);
	put(f + 6, 16, 2);
	put(f + 8, 64 + 832, 8);
	make_elf(f + 16 + 64);
	ck_assert_int_eq(vgpu_cuimage_scan(f, SIZE_MAX, &im, NULL, NULL), VGPU_CUIMAGE_OK);
	ck_assert_int_eq(im.kind, VGPU_CUIMAGE_FATBIN);
	ck_assert_uint_eq(im.bytes, sizeof(f));
	ck_assert_uint_eq(im.globals, 3 * MIB + 100);
	ck_assert_int_eq(vgpu_cuimage_scan(&wrapper, SIZE_MAX, &im, NULL, NULL), VGPU_CUIMAGE_OK);
	ck_assert_int_eq(im.kind, VGPU_CUIMAGE_FATBIN);
	ck_assert_uint_eq(vgpu_cuimage_device_bytes(&im), 6 * MIB);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("cuimage");
	TCase *tc = tcase_create("cuimage");

	tcase_add_test(tc, ptx_sizes_and_symbols);
	tcase_add_test(tc, ptx_errors_name_the_line);
	tcase_add_test(tc, unknown_images_take_one_granule);
	tcase_add_test(tc, cubin_sections);
	tcase_add_test(tc, fatbin_and_wrapper);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
