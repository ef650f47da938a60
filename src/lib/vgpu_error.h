/*
 * vgpu_error.h - error reporting for the core library.
 *
 * Every fallible function of the core library takes a vgpu_err_t * last and,
 * on failure, fills it with one readable sentence that says what was wrong,
 * with which input, and where ("vgpu.conf:12: ...", "request 'mem=10X': ...").
 * Callers may pass NULL when they do not want the text.
 */
#ifndef VGPU_ERROR_H
#define VGPU_ERROR_H

#include <stddef.h>

#define VGPU_ERR_MAX 512

typedef struct vgpu_err {
	char msg[VGPU_ERR_MAX];
} vgpu_err_t;

/* Format an error into err (no-op when err is NULL). Always returns -1, so a
 * failing function can end with `return vgpu_err_set(err, ...);`. */
int vgpu_err_set(vgpu_err_t *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix the message already in err with "prefix: " (bounded). Returns -1. */
int vgpu_err_prefix(vgpu_err_t *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write into buf (size len) a printable, quoted copy of at most max bytes of
 * text (non-printable bytes as \xNN, "..." when cut); for naming bad input in
 * messages. Returns buf. */
const char *vgpu_err_quote(char *buf, size_t len, const char *text, size_t max);

#endif
