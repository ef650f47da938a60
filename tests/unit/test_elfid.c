/*
 * test_elfid.c - the shim's identity note and its reader
 * (src/lib/vgpu_elfid.c): crafted ELF images (each way a file can fail to
 * be the shim), the shim this build made, the simulator's libcuda and libc
 * (shared objects that are not the shim), a copy of the shim whose
 * identity names another build, and files that are not ELF at all.
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgpu_elfid.h"
#include "vgpu_test.h"

/* A minimal ELF64 image: header, one PT_NOTE program header, the note
 * (name, type and identity given). Returns its size. */
static size_t image(unsigned char *buf, size_t len, uint16_t type, const char *name,
		    uint32_t ntype, const char *id)
{
	Elf64_Ehdr e;
	Elf64_Phdr p;
	uint32_t nsz = (uint32_t)strlen(name) + 1, dsz = (uint32_t)strlen(id) + 1;
	size_t o = sizeof(e) + sizeof(p), n0 = o;

	ck_assert_uint_lt(o + 12 + nsz + dsz + 8, len);
	memset(buf, 0, len);
	memset(&e, 0, sizeof(e));
	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = ELFCLASS64;
	e.e_ident[EI_DATA] = ELFDATA2LSB;
	e.e_ident[EI_VERSION] = EV_CURRENT;
	e.e_type = type;
	e.e_phoff = sizeof(e);
	e.e_phentsize = sizeof(p);
	e.e_phnum = 1;
	memcpy(buf, &e, sizeof(e));
	memcpy(buf + o, &nsz, 4);
	memcpy(buf + o + 4, &dsz, 4);
	memcpy(buf + o + 8, &ntype, 4);
	o += 12;
	memcpy(buf + o, name, nsz);
	o += (nsz + 3) & ~3u;
	memcpy(buf + o, id, dsz);
	o += (dsz + 3) & ~3u;
	memset(&p, 0, sizeof(p));
	p.p_type = PT_NOTE;
	p.p_offset = n0;
	p.p_filesz = o - n0;
	memcpy(buf + sizeof(e), &p, sizeof(p));
	return o;
}

START_TEST(scan_crafted_images)
{
	unsigned char buf[1024];
	char id[VGPU_ELFID_ID_MAX];
	Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
	Elf64_Phdr *p = (Elf64_Phdr *)(buf + sizeof(*e));
	size_t n;

	n = image(buf, sizeof(buf), ET_DYN, VGPU_ELFID_NOTE_NAME, VGPU_ELFID_NOTE_TYPE, "slurm-vgpu shim 1 abc");
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_SHIM);
	ck_assert_str_eq(id, "slurm-vgpu shim 1 abc");
	/* the identity is cut to the caller's buffer */
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, 6), VGPU_ELFID_SHIM);
	ck_assert_str_eq(id, "slurm");
	/* truncated anywhere: never the shim */
	for (size_t cut = 0; cut < n; cut++)
		ck_assert_int_ne(vgpu_elfid_scan_mem(buf, cut, id, sizeof(id)), VGPU_ELFID_SHIM);
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, 3, id, sizeof(id)), VGPU_ELFID_NOT_ELF);
	/* another note owner, another type */
	n = image(buf, sizeof(buf), ET_DYN, "GNU", VGPU_ELFID_NOTE_TYPE, "slurm-vgpu shim 1 abc");
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NO_NOTE);
	n = image(buf, sizeof(buf), ET_DYN, VGPU_ELFID_NOTE_NAME, 1, "slurm-vgpu shim 1 abc");
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NO_NOTE);
	n = image(buf, sizeof(buf), ET_DYN, "slurm-vgpux", VGPU_ELFID_NOTE_TYPE, "x");
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NO_NOTE);
	/* not a shared object */
	n = image(buf, sizeof(buf), ET_EXEC, VGPU_ELFID_NOTE_NAME, VGPU_ELFID_NOTE_TYPE, "id");
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NOT_SHARED);
	n = image(buf, sizeof(buf), ET_REL, VGPU_ELFID_NOTE_NAME, VGPU_ELFID_NOTE_TYPE, "id");
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NOT_SHARED);
	n = image(buf, sizeof(buf), 0x7777, VGPU_ELFID_NOTE_NAME, VGPU_ELFID_NOTE_TYPE, "id");
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NOT_ELF);
	/* another class, another byte order */
	n = image(buf, sizeof(buf), ET_DYN, VGPU_ELFID_NOTE_NAME, VGPU_ELFID_NOTE_TYPE, "id");
	buf[EI_CLASS] = ELFCLASSNONE;
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_FOREIGN);
	buf[EI_CLASS] = ELFCLASS64;
	buf[EI_DATA] = ELFDATA2MSB;
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_FOREIGN);
	buf[EI_DATA] = ELFDATA2LSB;
	/* bad program header table: size, count, place */
	e->e_phentsize = 12;
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NOT_ELF);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = VGPU_ELFID_PHDR_MAX + 1;
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NOT_ELF);
	e->e_phnum = 0;
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NO_NOTE);
	e->e_phnum = 1;
	e->e_phoff = ~(uint64_t)0 - 8;
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NOT_ELF);
	e->e_phoff = sizeof(*e);
	/* a note segment outside the file, or with sizes beyond it */
	p->p_offset = ~(uint64_t)0 - 4;
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NO_NOTE);
	p->p_offset = sizeof(*e) + sizeof(*p);
	memset(buf + p->p_offset + 4, 0xff, 4); /* descsz 4 GiB */
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_NO_NOTE);
	/* an identity that is not text */
	n = image(buf, sizeof(buf), ET_DYN, VGPU_ELFID_NOTE_NAME, VGPU_ELFID_NOTE_TYPE, "bad\x01id");
	ck_assert_int_eq(vgpu_elfid_scan_mem(buf, n, id, sizeof(id)), VGPU_ELFID_SHIM);
	ck_assert_str_eq(id, "?");
}
END_TEST

static const char *built(const char *rel)
{
	static char path[2][1024];
	static int slot;
	const char *b = getenv("VGPU_BUILDDIR");

	slot = (slot + 1) % 2;
	snprintf(path[slot], sizeof(path[slot]), "%s/%s", b ? b : ".", rel);
	return path[slot];
}

/* cp src dst; then, with `patch`, change the last byte of the first
 * occurrence of `find` in the copy. */
static void copy_file(const char *src, const char *dst, const char *find)
{
	static unsigned char data[32 << 20];
	size_t n, fl = find ? strlen(find) : 0;
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(src, "rb"));
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, sizeof(data));
	if (find) {
		unsigned char *hit = memmem(data, n, find, fl);

		ck_assert_ptr_nonnull(hit);
		hit[fl - 1] = hit[fl - 1] == '0' ? '1' : '0';
	}
	ck_assert_ptr_nonnull(f = fopen(dst, "wb"));
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(check_real_files)
{
	char dir[] = "/tmp/test_elfid.XXXXXX", path[256], cmd[300];
	const char *shim = built("src/shim/.libs/libcuda.so.1");
	const char *sim = built("sim/.libs/libcuda.so.1");
	Dl_info info;
	vgpu_err_t err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* the shim of this build */
	ck_assert_msg(vgpu_elfid_check(shim, VGPU_ELFID_IDENTITY, &err) == 0, "%s", err.msg);
	/* ... checked against another build's identity */
	ck_assert_int_eq(vgpu_elfid_check(shim, "slurm-vgpu shim 0.0.0 0000", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is the shim of another build ('" VGPU_ELFID_IDENTITY
					     "'; this build is 'slurm-vgpu shim 0.0.0 0000')"));
	/* a copy of the shim whose build id differs */
	snprintf(path, sizeof(path), "%s/other-build.so", dir);
	copy_file(shim, path, VGPU_ELFID_IDENTITY);
	ck_assert_int_eq(vgpu_elfid_check(path, VGPU_ELFID_IDENTITY, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is the shim of another build"));
	/* an exact copy of the shim is the shim (what it is, not its name) */
	snprintf(path, sizeof(path), "%s/copy.so", dir);
	copy_file(shim, path, NULL);
	ck_assert_msg(vgpu_elfid_check(path, VGPU_ELFID_IDENTITY, &err) == 0, "%s", err.msg);
	/* the simulator's libcuda (same soname) and libc: not the shim */
	ck_assert_int_eq(vgpu_elfid_check(sim, VGPU_ELFID_IDENTITY, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a shared object without the slurm-vgpu shim identity"));
	snprintf(path, sizeof(path), "%s/libcuda-copy.so.1", dir);
	copy_file(sim, path, NULL);
	ck_assert_int_eq(vgpu_elfid_check(path, VGPU_ELFID_IDENTITY, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not the slurm-vgpu shim"));
	ck_assert_int_ne(dladdr((void *)&printf, &info), 0);
	ck_assert_int_eq(vgpu_elfid_check(info.dli_fname, VGPU_ELFID_IDENTITY, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a shared object without the slurm-vgpu shim identity"));
	/* the start of the shim only */
	snprintf(cmd, sizeof(cmd), "head -c 100 '%s' > '%s/trunc.so'", shim, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/trunc.so", dir);
	ck_assert_int_eq(vgpu_elfid_check(path, VGPU_ELFID_IDENTITY, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not an ELF file"));
	/* a text file, a directory, a FIFO (refused without blocking), nothing */
	snprintf(path, sizeof(path), "%s/text", dir);
	copy_file(vgpu_test_srcpath("tests/unit/test_elfid.c"), path, NULL);
	ck_assert_int_eq(vgpu_elfid_check(path, VGPU_ELFID_IDENTITY, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not an ELF file"));
	ck_assert_int_eq(vgpu_elfid_check(dir, VGPU_ELFID_IDENTITY, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a regular file"));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(vgpu_elfid_check(path, VGPU_ELFID_IDENTITY, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a regular file"));
	snprintf(path, sizeof(path), "%s/none.so", dir);
	ck_assert_int_eq(vgpu_elfid_check(path, VGPU_ELFID_IDENTITY, &err), -1);
	snprintf(cmd, sizeof(cmd), "shim %s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err.msg, cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("elfid");
	TCase *tc = tcase_create("elfid");

	tcase_add_test(tc, scan_crafted_images);
	tcase_add_test(tc, check_real_files);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
