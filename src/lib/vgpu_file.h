/*
 * vgpu_file.h - reading a small configuration or data file whole, bounded;
 * writing one so that readers see the old version or the new one, never a
 * part.
 */
#ifndef VGPU_FILE_H
#define VGPU_FILE_H

#include <stddef.h>

#include "vgpu_error.h"

/* Read the file at path into a malloc'ed buffer (*buf, *len bytes, plus a
 * NUL after them; the caller frees it). A file larger than max bytes is
 * refused. Errors name the path: "PATH: cannot open: ...", "PATH: cannot
 * read: ...", "PATH: file is too large (more than MAX bytes)". Returns 0, or
 * -1 with *buf NULL. */
int vgpu_file_read(const char *path, size_t max, char **buf, size_t *len, vgpu_err_t *err);

/* Write len bytes of text to a new temporary file beside path
 * (DIR/.NAME.tmp.XXXXXX), mode 0644, fsync'ed and closed; its name in *tmp
 * (malloc'ed; the caller renames it over path, or unlinks it, and frees
 * it). Errors name path: "PATH: cannot create a temporary file beside it:
 * ...", "PATH: cannot write: ...". Returns 0, or -1 with no file left and
 * *tmp NULL. */
int vgpu_file_write_tmp(const char *path, const char *text, size_t len, char **tmp,
			vgpu_err_t *err);

/* vgpu_file_write_tmp, then the temporary file renamed over path. Returns
 * 0, or -1 with path as it was and no temporary file left. */
int vgpu_file_write_atomic(const char *path, const char *text, size_t len, vgpu_err_t *err);

#endif
