/*
 * vgpu_elfid.c - find the slurm-vgpu shim's identity note in an ELF file.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgpu_elfid.h"

/* The program header fields the scan needs, of either class. */
typedef struct phdr {
	uint32_t type;
	uint64_t offset, filesz;
} phdr_t;

static int native_data(void)
{
	const uint16_t one = 1;

	return *(const unsigned char *)&one == 1 ? ELFDATA2LSB : ELFDATA2MSB;
}

static int read_exact(vgpu_elfid_read_fn read, void *ctx, uint64_t size, void *buf, size_t n,
		      uint64_t off)
{
	if (off > size || n > size - off)
		return -1;
	return read(ctx, buf, n, off) == (ssize_t)n ? 0 : -1;
}

static void copy_id(char *id, size_t len, const unsigned char *desc, uint32_t dlen)
{
	size_t n = 0;

	if (!len)
		return;
	while (n < dlen && desc[n] != '\0')
		n++;
	for (size_t i = 0; i < n; i++)
		if (desc[i] < 0x20 || desc[i] > 0x7e) {
			snprintf(id, len, "?");
			return;
		}
	if (n >= len)
		n = len - 1;
	memcpy(id, desc, n);
	id[n] = '\0';
}

/* Walk the notes of one PT_NOTE segment: 1 with id set when ours is in it. */
static int scan_notes(const unsigned char *p, uint64_t n, char *id, size_t len)
{
	static const char name[] = VGPU_ELFID_NOTE_NAME;
	uint64_t o = 0;

	while (n - o >= 12) {
		uint32_t nsz, dsz, type;
		uint64_t npad, dpad;

		memcpy(&nsz, p + o, 4);
		memcpy(&dsz, p + o + 4, 4);
		memcpy(&type, p + o + 8, 4);
		o += 12;
		npad = ((uint64_t)nsz + 3) & ~(uint64_t)3;
		dpad = ((uint64_t)dsz + 3) & ~(uint64_t)3;
		if (npad > n - o || dpad > n - o - npad)
			return 0;
		if (type == VGPU_ELFID_NOTE_TYPE && nsz == sizeof(name) &&
		    memcmp(p + o, name, sizeof(name)) == 0) {
			copy_id(id, len, p + o + npad, dsz);
			return 1;
		}
		o += npad + dpad;
	}
	return 0;
}

static int read_phdr(vgpu_elfid_read_fn read, void *ctx, uint64_t size, int is64, uint64_t off,
		     phdr_t *ph)
{
	if (is64) {
		Elf64_Phdr h;

		if (read_exact(read, ctx, size, &h, sizeof(h), off) != 0)
			return -1;
		ph->type = h.p_type;
		ph->offset = h.p_offset;
		ph->filesz = h.p_filesz;
	} else {
		Elf32_Phdr h;

		if (read_exact(read, ctx, size, &h, sizeof(h), off) != 0)
			return -1;
		ph->type = h.p_type;
		ph->offset = h.p_offset;
		ph->filesz = h.p_filesz;
	}
	return 0;
}

vgpu_elfid_kind_t vgpu_elfid_scan(vgpu_elfid_read_fn read, void *ctx, uint64_t size, char *id,
				  size_t len)
{
	unsigned char *notes = NULL;
	vgpu_elfid_kind_t kind = VGPU_ELFID_NO_NOTE;
	unsigned char ident[EI_NIDENT];
	uint64_t phoff;
	unsigned phnum, phentsize, etype;
	int is64;

	if (len)
		id[0] = '\0';
	if (read_exact(read, ctx, size, ident, sizeof(ident), 0) != 0 ||
	    memcmp(ident, ELFMAG, SELFMAG) != 0)
		return VGPU_ELFID_NOT_ELF;
	if ((ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32) ||
	    ident[EI_DATA] != native_data())
		return VGPU_ELFID_FOREIGN;
	is64 = ident[EI_CLASS] == ELFCLASS64;
	if (is64) {
		Elf64_Ehdr e;

		if (read_exact(read, ctx, size, &e, sizeof(e), 0) != 0)
			return VGPU_ELFID_NOT_ELF;
		etype = e.e_type;
		phoff = e.e_phoff;
		phnum = e.e_phnum;
		phentsize = e.e_phentsize;
	} else {
		Elf32_Ehdr e;

		if (read_exact(read, ctx, size, &e, sizeof(e), 0) != 0)
			return VGPU_ELFID_NOT_ELF;
		etype = e.e_type;
		phoff = e.e_phoff;
		phnum = e.e_phnum;
		phentsize = e.e_phentsize;
	}
	if (etype != ET_DYN)
		return etype == ET_EXEC || etype == ET_REL || etype == ET_CORE ? VGPU_ELFID_NOT_SHARED
									   : VGPU_ELFID_NOT_ELF;
	if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phnum == 0 ||
	    phnum > VGPU_ELFID_PHDR_MAX)
		return phnum == 0 ? VGPU_ELFID_NO_NOTE : VGPU_ELFID_NOT_ELF;
	if (!(notes = malloc(VGPU_ELFID_NOTE_MAX)))
		return VGPU_ELFID_NOT_ELF;
	for (unsigned i = 0; i < phnum; i++) {
		phdr_t ph;

		if (phoff > size || (uint64_t)i * phentsize > size - phoff ||
		    read_phdr(read, ctx, size, is64, phoff + (uint64_t)i * phentsize, &ph) != 0) {
			kind = VGPU_ELFID_NOT_ELF;
			break;
		}
		if (ph.type != PT_NOTE || ph.filesz == 0)
			continue;
		if (ph.filesz > VGPU_ELFID_NOTE_MAX ||
		    read_exact(read, ctx, size, notes, (size_t)ph.filesz, ph.offset) != 0)
			continue; /* not ours: ours is small and inside the file */
		if (scan_notes(notes, ph.filesz, id, len)) {
			kind = VGPU_ELFID_SHIM;
			break;
		}
	}
	free(notes);
	return kind;
}

typedef struct mem {
	const unsigned char *p;
	size_t n;
} mem_t;

static ssize_t mem_read(void *ctx, void *buf, size_t n, uint64_t off)
{
	const mem_t *m = ctx;

	if (off >= m->n)
		return 0;
	if (n > m->n - off)
		n = m->n - (size_t)off;
	memcpy(buf, m->p + off, n);
	return (ssize_t)n;
}

vgpu_elfid_kind_t vgpu_elfid_scan_mem(const void *data, size_t size, char *id, size_t len)
{
	mem_t m = { data, size };

	return vgpu_elfid_scan(mem_read, &m, size, id, len);
}

static ssize_t fd_read(void *ctx, void *buf, size_t n, uint64_t off)
{
	const int *fd = ctx;
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(*fd, (char *)buf + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int vgpu_elfid_check(const char *path, const char *expected, vgpu_err_t *err)
{
	char id[VGPU_ELFID_ID_MAX];
	vgpu_elfid_kind_t kind;
	struct stat st;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return vgpu_err_set(err, "shim %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		vgpu_err_set(err, "shim %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		vgpu_err_set(err, "shim %s is not a regular file", path);
		goto out;
	}
	kind = vgpu_elfid_scan(fd_read, &fd, (uint64_t)st.st_size, id, sizeof(id));
	switch (kind) {
	case VGPU_ELFID_SHIM:
		if (strcmp(id, expected) == 0)
			rc = 0;
		else
			vgpu_err_set(err, "shim %s is the shim of another build ('%s'; this build is "
				     "'%s')", path, id, expected);
		break;
	case VGPU_ELFID_NOT_ELF:
		vgpu_err_set(err, "shim %s is not an ELF file (or a truncated one)", path);
		break;
	case VGPU_ELFID_FOREIGN:
		vgpu_err_set(err, "shim %s is an ELF file of another class or byte order", path);
		break;
	case VGPU_ELFID_NOT_SHARED:
		vgpu_err_set(err, "shim %s is an ELF file but not a shared object", path);
		break;
	case VGPU_ELFID_NO_NOTE:
		vgpu_err_set(err, "shim %s is a shared object without the slurm-vgpu shim identity "
			     "(note '%s'): not the slurm-vgpu shim", path, VGPU_ELFID_NOTE_NAME);
		break;
	}
out:
	close(fd);
	return rc;
}
