/*
 * vgpu_elfid.h - the identity note of the slurm-vgpu shim, and a bounded
 * reader that finds it in a file without loading the file.
 *
 * The shim carries an ELF note (in a PT_NOTE segment): owner name
 * VGPU_ELFID_NOTE_NAME, type VGPU_ELFID_NOTE_TYPE, and as its descriptor
 * the NUL-terminated text VGPU_ELFID_IDENTITY: "slurm-vgpu shim VERSION
 * BUILD-ID", where configure makes BUILD-ID anew for every build tree. The
 * SPANK plugin checks the shim= file against the identity of its own build
 * before any task starts: dlopen is never used (the shim's constructors
 * must not run in slurmstepd), and a marker search in the file's bytes
 * would accept any file that merely contains the text (the plugin itself
 * does). The reader reads the ELF header, at most VGPU_ELFID_PHDR_MAX
 * program headers and the PT_NOTE segments (at most VGPU_ELFID_NOTE_MAX
 * bytes each), with every offset and size checked against the file's.
 * Slurm-free (tests/unit/test_elfid.c, tests/fuzz/fuzz_elfid.c).
 */
#ifndef VGPU_ELFID_H
#define VGPU_ELFID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vgpu_error.h"

#define VGPU_ELFID_NOTE_NAME "slurm-vgpu"
#define VGPU_ELFID_NOTE_TYPE 0x56475055u /* "UPGV": 'VGPU' little-endian */
#define VGPU_ELFID_IDENTITY "slurm-vgpu shim " PACKAGE_VERSION " " VGPU_BUILD_ID
#define VGPU_ELFID_PHDR_MAX 64
#define VGPU_ELFID_NOTE_MAX 65536
#define VGPU_ELFID_ID_MAX 256

/* What a file is, as far as the identity goes. */
typedef enum vgpu_elfid_kind {
	VGPU_ELFID_SHIM = 0,            /* a shared object with the identity note */
	VGPU_ELFID_NOT_ELF,             /* no ELF header, or a truncated/corrupt one */
	VGPU_ELFID_FOREIGN,             /* ELF of another class or byte order */
	VGPU_ELFID_NOT_SHARED,          /* ELF, but not a shared object (ET_DYN) */
	VGPU_ELFID_NO_NOTE,             /* a shared object without the note: not the shim */
} vgpu_elfid_kind_t;

/* Reads n bytes at offset off into buf; returns the bytes read (short at
 * the end of the data), or -1. */
typedef ssize_t (*vgpu_elfid_read_fn)(void *ctx, void *buf, size_t n, uint64_t off);

/* Classify the data behind read (size bytes in all) and, for
 * VGPU_ELFID_SHIM, put the identity text into id (len bytes, cut and
 * NUL-terminated; "?" for an identity that is not printable text). Returns
 * the kind (never fails otherwise: bad data is VGPU_ELFID_NOT_ELF). */
vgpu_elfid_kind_t vgpu_elfid_scan(vgpu_elfid_read_fn read, void *ctx, uint64_t size, char *id,
				  size_t len);

/* As vgpu_elfid_scan on a memory buffer. */
vgpu_elfid_kind_t vgpu_elfid_scan_mem(const void *data, size_t size, char *id, size_t len);

/* Check that `path` is the slurm-vgpu shim with identity `expected`
 * (normally VGPU_ELFID_IDENTITY). Returns 0, or -1 with err saying what
 * the file is instead: "shim /x: No such file or directory", "... is not
 * an ELF file", "... is an ELF executable, not a shared object", "... is
 * a shared object without the slurm-vgpu shim identity: not the shim",
 * "... is the shim of another build ('...'; this build is '...')". The
 * file is opened O_RDONLY|O_CLOEXEC|O_NOCTTY and read with pread; a FIFO
 * or device is refused before it is read (fstat: a regular file only). */
int vgpu_elfid_check(const char *path, const char *expected, vgpu_err_t *err);

#endif
