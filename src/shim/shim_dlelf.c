/*
 * shim_dlelf.c - the ELF identity of a library, read without loading it: its
 * DT_SONAME and whether its dynamic symbol table defines the driver's (or
 * NVML's) first entry point. The same reader serves a file (pread at the
 * offsets its PT_LOAD segments give) and an object already loaded (its
 * memory, from the link_map). 64-bit ELF of the machine the shim is built
 * for only (x86_64, aarch64). No malloc: every read goes to a small buffer
 * on the stack; every table index is bounded.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim_dl.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#else
#error "libvgpu-shim supports x86_64 and aarch64 only"
#endif

#define MAX_LOADS 16
#define MAX_DYN 1024	 /* dynamic entries read before giving up */
#define MAX_CHAIN 100000 /* symbols of one hash chain (bounds a hostile file) */
#define MAX_SCAN 100000	 /* undefined symbols scanned for imports */

/* An image: a file (fd >= 0; vaddrs map to offsets through its PT_LOADs) or
 * loaded memory (fd < 0; base + vaddr, trusted: the loader mapped it). */
struct img {
	int fd;
	uintptr_t base;
	int nload;
	Elf64_Addr lv[MAX_LOADS], lsz[MAX_LOADS];
	Elf64_Off loff[MAX_LOADS];
	/* from the dynamic section */
	Elf64_Addr strtab, symtab, gnuhash, hash;
	Elf64_Xword strsz, soname;
	int has_soname;
};

static int img_read(const struct img *im, Elf64_Addr va, void *buf, size_t n)
{
	if (im->fd < 0) {
		/* byte by byte: no library call on the path dlsym runs before a
		 * sanitizer runtime is set up (shim_dl.c); volatile keeps the
		 * compiler from making it one */
		const volatile unsigned char *from = (const volatile unsigned char *)(im->base + va);
		unsigned char *to = buf;

		for (size_t i = 0; i < n; i++)
			to[i] = from[i];
		return 0;
	}
	for (int i = 0; i < im->nload; i++) {
		if (va >= im->lv[i] && n <= im->lsz[i] && va - im->lv[i] <= im->lsz[i] - n) {
			off_t off = (off_t)(im->loff[i] + (va - im->lv[i]));
			size_t got = 0;

			while (got < n) {
				ssize_t r = pread(im->fd, (char *)buf + got, n - got, off + (off_t)got);

				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					return -1;
				got += (size_t)r;
			}
			return 0;
		}
	}
	return -1;
}

/* Does the string at strtab offset off equal s (whole: its NUL too), or
 * start with it? (No strlen/memcmp: see img_read.) */
static int str_cmp(const struct img *im, Elf64_Xword off, const char *s, int whole)
{
	char buf[64];
	size_t n = 0;

	while (s[n] && n < sizeof(buf))
		n++;
	n += whole;
	if (n > sizeof(buf) || off >= im->strsz || n > im->strsz - off ||
	    img_read(im, im->strtab + off, buf, n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i] != s[i])
			return 0;
	return 1;
}

static int str_is(const struct img *im, Elf64_Xword off, const char *s)
{
	return str_cmp(im, off, s, 1);
}

static int str_starts(const struct img *im, Elf64_Xword off, const char *prefix)
{
	return str_cmp(im, off, prefix, 0);
}

/* A dynamic-section address: loaded objects may hold them relocated. */
static Elf64_Addr dyn_addr(const struct img *im, Elf64_Addr v)
{
	return im->fd < 0 && im->base && v >= im->base ? v - im->base : v;
}

/* Read the dynamic section at vaddr dyn. 0 when the tables are usable. */
static int read_dynamic(struct img *im, Elf64_Addr dyn)
{
	Elf64_Dyn d[16];

	for (int i = 0; i < MAX_DYN; i += 16) {
		if (img_read(im, dyn + (Elf64_Addr)i * sizeof(Elf64_Dyn), d, sizeof(d)) != 0) {
			/* the segment ends within these 16: one entry at a time */
			for (int j = 0; j < 16; j++)
				if (img_read(im, dyn + (Elf64_Addr)(i + j) * sizeof(Elf64_Dyn), &d[j],
					     sizeof(d[j])) != 0)
					d[j].d_tag = DT_NULL;
		}
		for (int j = 0; j < 16; j++) {
			switch (d[j].d_tag) {
			case DT_NULL:
				return im->strtab && im->symtab && (im->gnuhash || im->hash) ? 0 : -1;
			case DT_STRTAB:
				im->strtab = dyn_addr(im, d[j].d_un.d_ptr);
				break;
			case DT_SYMTAB:
				im->symtab = dyn_addr(im, d[j].d_un.d_ptr);
				break;
			case DT_GNU_HASH:
				im->gnuhash = dyn_addr(im, d[j].d_un.d_ptr);
				break;
			case DT_HASH:
				im->hash = dyn_addr(im, d[j].d_un.d_ptr);
				break;
			case DT_STRSZ:
				im->strsz = d[j].d_un.d_val;
				break;
			case DT_SONAME:
				im->soname = d[j].d_un.d_val;
				im->has_soname = 1;
				break;
			default:
				break;
			}
		}
	}
	return -1;
}

static int sym_defined(const Elf64_Sym *s)
{
	int type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);

	return s->st_shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE) &&
	       (type == STT_FUNC || type == STT_OBJECT || type == STT_NOTYPE || type == STT_GNU_IFUNC);
}

/* The defined symbol name: its Elf64_Sym in *out; 0 when found. */
static int lookup(const struct img *im, const char *name, Elf64_Sym *out)
{
	Elf64_Sym s;

	if (im->gnuhash) {
		uint32_t hdr[4], h = 5381, bucket, h2;

		for (const unsigned char *c = (const unsigned char *)name; *c; c++)
			h = h * 33 + *c;
		if (img_read(im, im->gnuhash, hdr, sizeof(hdr)) != 0 || hdr[0] == 0)
			return -1;
		/* buckets follow the bloom filter (bloom_size words of 64 bits) */
		Elf64_Addr buckets = im->gnuhash + 16 + (Elf64_Addr)hdr[2] * 8;
		Elf64_Addr chains = buckets + (Elf64_Addr)hdr[0] * 4;

		if (img_read(im, buckets + (Elf64_Addr)(h % hdr[0]) * 4, &bucket, 4) != 0 || bucket < hdr[1])
			return -1;
		for (uint32_t i = bucket; i - bucket < MAX_CHAIN; i++) {
			if (img_read(im, chains + (Elf64_Addr)(i - hdr[1]) * 4, &h2, 4) != 0)
				return -1;
			if ((h2 | 1) == (h | 1) &&
			    img_read(im, im->symtab + (Elf64_Addr)i * sizeof(s), &s, sizeof(s)) == 0 &&
			    str_is(im, s.st_name, name) && sym_defined(&s)) {
				*out = s;
				return 0;
			}
			if (h2 & 1)
				break;
		}
		return -1;
	}
	{
		uint32_t hdr[2], h = 0, i;

		for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
			uint32_t g;

			h = (h << 4) + *c;
			g = h & 0xf0000000u;
			if (g)
				h ^= g >> 24;
			h &= ~g;
		}
		if (img_read(im, im->hash, hdr, sizeof(hdr)) != 0 || hdr[0] == 0 ||
		    img_read(im, im->hash + 8 + (Elf64_Addr)(h % hdr[0]) * 4, &i, 4) != 0)
			return -1;
		for (int n = 0; i != STN_UNDEF && i < hdr[1] && n < MAX_CHAIN; n++) {
			if (img_read(im, im->symtab + (Elf64_Addr)i * sizeof(s), &s, sizeof(s)) != 0)
				return -1;
			if (str_is(im, s.st_name, name) && sym_defined(&s)) {
				*out = s;
				return 0;
			}
			if (img_read(im, im->hash + 8 + (Elf64_Addr)hdr[0] * 4 + (Elf64_Addr)i * 4, &i, 4) != 0)
				return -1;
		}
		return -1;
	}
}

static int defines(const struct img *im, const char *name)
{
	Elf64_Sym s;

	return lookup(im, name, &s) == 0;
}

static int kind_of(const struct img *im)
{
	if (im->has_soname && str_starts(im, im->soname, "libcuda.so"))
		return VGPU_SHIM_DL_CUDA;
	if (im->has_soname && str_starts(im, im->soname, "libnvidia-ml.so"))
		return VGPU_SHIM_DL_NVML;
	if (defines(im, "cuInit"))
		return VGPU_SHIM_DL_CUDA;
	if (defines(im, "nvmlInit_v2") || defines(im, "nvmlInit"))
		return VGPU_SHIM_DL_NVML;
	return VGPU_SHIM_DL_OTHER;
}

int vgpu_shim_dlelf_fd_kind(int fd)
{
	struct img im;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Addr dyn = 0;
	int have_dyn = 0;

	memset(&im, 0, sizeof(im));
	im.fd = fd;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != NATIVE_MACHINE || eh.e_type != ET_DYN ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
		return -1;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return -1;
		if (ph.p_type == PT_LOAD && im.nload < MAX_LOADS) {
			im.lv[im.nload] = ph.p_vaddr;
			im.lsz[im.nload] = ph.p_filesz;
			im.loff[im.nload++] = ph.p_offset;
		} else if (ph.p_type == PT_DYNAMIC) {
			dyn = ph.p_vaddr;
			have_dyn = 1;
		}
	}
	if (!have_dyn || read_dynamic(&im, dyn) != 0)
		return -1;
	return kind_of(&im);
}

/* A loaded object's image; 0 when its tables are usable. */
static int mem_img(const struct link_map *lm, struct img *im)
{
	static const struct img zero;

	*im = zero; /* a memcpy at most: the runtimes' memcpy works before they are set up */
	im->fd = -1;
	if (!lm || !lm->l_ld)
		return -1;
	im->base = (uintptr_t)lm->l_addr;
	return read_dynamic(im, (Elf64_Addr)((uintptr_t)lm->l_ld - im->base));
}

int vgpu_shim_dlelf_mem_kind(const struct link_map *lm)
{
	struct img im;

	return mem_img(lm, &im) == 0 ? kind_of(&im) : VGPU_SHIM_DL_OTHER;
}

void *vgpu_shim_dlelf_mem_sym(const struct link_map *lm, const char *name)
{
	struct img im;
	Elf64_Sym s;

	if (mem_img(lm, &im) != 0 || lookup(&im, name, &s) != 0 || ELF64_ST_TYPE(s.st_info) == STT_GNU_IFUNC)
		return NULL;
	return (void *)(im.base + s.st_value);
}

int vgpu_shim_dlelf_mem_imports_loader(const struct link_map *lm)
{
	static const char *const names[] = { "dlopen", "dlmopen", "dlsym", "dlvsym" };
	struct img im;
	uint32_t n;
	Elf64_Sym s;

	if (mem_img(lm, &im) != 0)
		return 0;
	/* Undefined symbols: below symoffset with a GNU hash table (the linker
	 * hashes defined symbols only, and puts them last), all nchain
	 * symbols with a SysV one. */
	if (im.gnuhash) {
		uint32_t hdr[4];

		if (img_read(&im, im.gnuhash, hdr, sizeof(hdr)) != 0)
			return 0;
		n = hdr[1];
	} else {
		uint32_t hdr[2];

		if (img_read(&im, im.hash, hdr, sizeof(hdr)) != 0)
			return 0;
		n = hdr[1];
	}
	for (uint32_t i = 1; i < n && i < MAX_SCAN; i++) {
		if (img_read(&im, im.symtab + (Elf64_Addr)i * sizeof(s), &s, sizeof(s)) != 0)
			return 0;
		if (s.st_shndx != SHN_UNDEF || !str_starts(&im, s.st_name, "dl"))
			continue;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (str_is(&im, s.st_name, names[k]))
				return 1;
	}
	return 0;
}
