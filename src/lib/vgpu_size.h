/*
 * vgpu_size.h - memory sizes as people write them.
 *
 * Grammar (doc/request.md is the reference):
 *   SIZE  := DIGITS [UNIT]
 *   UNIT  := B | K | M | G | T | P            (1024-based, as Slurm's --mem and --gres)
 *          | KiB | MiB | GiB | TiB | PiB      (1024-based)
 *          | KB | MB | GB | TB | PB           (1000-based, as Slurm's count suffixes)
 * Units are case-insensitive. No unit means bytes. No sign, no spaces, no
 * fraction. The value must be > 0 and fit in 64 bits.
 */
#ifndef VGPU_SIZE_H
#define VGPU_SIZE_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"

/* Parse the len bytes at text as a SIZE. `what` names the input in errors
 * (e.g. "mem", "vgpu.conf:4: ShardMemory"). Returns 0 and sets *bytes, or -1
 * with a distinct message for: empty, negative, zero, overflow, unknown unit,
 * trailing garbage. */
int vgpu_size_parse(const char *text, size_t len, const char *what,
		    uint64_t *bytes, vgpu_err_t *err);

/* Flags for vgpu_size_parse_ex. */
#define VGPU_SIZE_ZERO_OK 1u    /* accept a zero size ("0", "0G") */

/* As vgpu_size_parse, with flags (VGPU_SIZE_ZERO_OK for settings such as
 * MemoryReserve where 0 means "none"). */
int vgpu_size_parse_ex(const char *text, size_t len, const char *what,
		       unsigned flags, uint64_t *bytes, vgpu_err_t *err);

/* Format bytes as the shortest exact 1024-based form ("10G", "512M", "1536K",
 * "1000" for bytes that are no multiple of 1024). Returns the length written
 * (as snprintf), output always NUL-terminated when len > 0. */
int vgpu_size_format(uint64_t bytes, char *buf, size_t len);

/* Format bytes for people: "79.6 GiB", "512 MiB", "100 B" (one decimal). */
int vgpu_size_human(uint64_t bytes, char *buf, size_t len);

#endif
