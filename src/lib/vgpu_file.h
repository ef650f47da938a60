/*
 * vgpu_file.h - reading a small configuration or data file whole, bounded.
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

#endif
