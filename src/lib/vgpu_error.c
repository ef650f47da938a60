/* vgpu_error.c - see vgpu_error.h */
#include "vgpu_error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vgpu_err_set(vgpu_err_t *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Append src to dst (size len), cutting what does not fit; start anew when
 * `reset` is set. */
static void append_bounded(char *dst, size_t len, const char *src, int reset)
{
	size_t used = reset ? 0 : strnlen(dst, len - 1);
	size_t n = strlen(src);

	if (n > len - 1 - used)
		n = len - 1 - used;
	memcpy(dst + used, src, n);
	dst[used + n] = '\0';
}

int vgpu_err_prefix(vgpu_err_t *err, const char *fmt, ...)
{
	char prefix[VGPU_ERR_MAX];
	char old[VGPU_ERR_MAX];
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(prefix, sizeof(prefix), fmt, ap);
		va_end(ap);
		memcpy(old, err->msg, sizeof(old));
		old[sizeof(old) - 1] = '\0';
		append_bounded(err->msg, sizeof(err->msg), prefix, 1);
		append_bounded(err->msg, sizeof(err->msg), ": ", 0);
		append_bounded(err->msg, sizeof(err->msg), old, 0);
	}
	return -1;
}

const char *vgpu_err_quote(char *buf, size_t len, const char *text, size_t max)
{
	size_t o = 0;
	size_t i;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (!text)
		return buf;
	for (i = 0; text[i] != '\0' && o + 8 < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (i >= max) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (isprint(c) && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o < len ? o : len - 1] = '\0';
	return buf;
}
