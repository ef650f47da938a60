/* vgpu_size.c - see vgpu_size.h */
#include "vgpu_size.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define QUOTE_MAX 48            /* bytes of bad input shown in messages */

typedef struct unit {
	const char *name;
	uint64_t factor;
} unit_t;

#define KI (UINT64_C(1) << 10)
#define MI (UINT64_C(1) << 20)
#define GI (UINT64_C(1) << 30)
#define TI (UINT64_C(1) << 40)
#define PI (UINT64_C(1) << 50)

static const unit_t units[] = {
	{ "B", 1 },
	{ "K", KI }, { "M", MI }, { "G", GI }, { "T", TI }, { "P", PI },
	{ "KiB", KI }, { "MiB", MI }, { "GiB", GI }, { "TiB", TI }, { "PiB", PI },
	{ "KB", UINT64_C(1000) }, { "MB", UINT64_C(1000000) },
	{ "GB", UINT64_C(1000000000) }, { "TB", UINT64_C(1000000000000) },
	{ "PB", UINT64_C(1000000000000000) },
};

/* Quote the len bytes at text for a message as vgpu_err_quote does, NUL
 * bytes included (as \x00); at most QUOTE_MAX bytes, then "...". */
static const char *quote_n(char *buf, size_t buflen, const char *text, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 8 < buflen; i++) {
		unsigned char c = (unsigned char)text[i];

		if (i >= QUOTE_MAX) {
			o += (size_t)snprintf(buf + o, buflen - o, "...");
			break;
		}
		if (isprint(c) && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, buflen - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The factor of the unit spelled by the len bytes at s, or 0 if none. */
static uint64_t unit_factor(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == len && strncasecmp(units[i].name, s, len) == 0)
			return units[i].factor;
	return 0;
}

int vgpu_size_parse_ex(const char *text, size_t len, const char *what,
		       unsigned flags, uint64_t *bytes, vgpu_err_t *err)
{
	char q[4 * QUOTE_MAX + 16], q2[4 * QUOTE_MAX + 16], q3[4 * QUOTE_MAX + 16];
	size_t ndig = 0, nunit = 0, i;
	uint64_t value = 0, factor;

	if (!what)
		what = "size";
	if (!text || len == 0)
		return vgpu_err_set(err, "%s: empty size (expected a number with an optional unit, e.g. 10G)",
				    what);
	quote_n(q, sizeof(q), text, len);
	if (text[0] == '-')
		return vgpu_err_set(err, "%s: negative size '%s'", what, q);
	while (ndig < len && is_digit(text[ndig]))
		ndig++;
	if (ndig == 0)
		return vgpu_err_set(err, "%s: '%s' is not a size (expected a number with an optional unit, e.g. 10G)",
				    what, q);
	while (ndig + nunit < len && is_alpha(text[ndig + nunit]))
		nunit++;
	if (ndig + nunit < len) {
		if (nunit == 0 && text[ndig] == '.')
			return vgpu_err_set(err, "%s: fraction in '%s' (use a whole number of a smaller unit, e.g. 1536M for 1.5G)",
					    what, q);
		quote_n(q2, sizeof(q2), text + ndig + nunit, len - ndig - nunit);
		quote_n(q3, sizeof(q3), text, ndig + nunit);
		return vgpu_err_set(err, "%s: unexpected '%s' after '%s' in '%s' (no spaces, one unit)",
				    what, q2, q3, q);
	}
	factor = unit_factor(text + ndig, nunit);
	if (factor == 0) {
		quote_n(q2, sizeof(q2), text + ndig, nunit);
		return vgpu_err_set(err, "%s: unknown unit '%s' in '%s' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)",
				    what, q2, q);
	}
	for (i = 0; i < ndig; i++) {
		unsigned d = (unsigned)(text[i] - '0');

		if (value > (UINT64_MAX - d) / 10)
			goto overflow;
		value = value * 10 + d;
	}
	if (value != 0 && value > UINT64_MAX / factor)
		goto overflow;
	value *= factor;
	if (value == 0 && !(flags & VGPU_SIZE_ZERO_OK))
		return vgpu_err_set(err, "%s: size '%s' is zero", what, q);
	if (bytes)
		*bytes = value;
	return 0;
overflow:
	return vgpu_err_set(err, "%s: size '%s' is too large (at most 18446744073709551615 bytes, 16 EiB)",
			    what, q);
}

int vgpu_size_parse(const char *text, size_t len, const char *what,
		    uint64_t *bytes, vgpu_err_t *err)
{
	return vgpu_size_parse_ex(text, len, what, 0, bytes, err);
}

int vgpu_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char suffix[] = "PTGMK";
	int shift;

	if (bytes != 0) {
		for (shift = 50; shift >= 10; shift -= 10) {
			uint64_t unit = UINT64_C(1) << shift;

			if (bytes % unit == 0)
				return snprintf(buf, len, "%" PRIu64 "%c", bytes / unit,
						suffix[(50 - shift) / 10]);
		}
	}
	return snprintf(buf, len, "%" PRIu64, bytes);
}

int vgpu_size_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t unit = 1, whole, tenths;

	while (u + 1 < sizeof(names) / sizeof(names[0]) && bytes >= (unit << 10)) {
		unit <<= 10;
		u++;
	}
	whole = bytes / unit;
	if (bytes % unit == 0)
		return snprintf(buf, len, "%" PRIu64 " %s", whole, names[u]);
	/* rem < unit <= 2^60, so rem * 10 cannot overflow */
	tenths = ((bytes % unit) * 10 + unit / 2) / unit;
	if (tenths == 10) {
		whole++;
		tenths = 0;
		if (whole == 1024 && u + 1 < sizeof(names) / sizeof(names[0])) {
			whole = 1;
			u++;
		}
	}
	return snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s", whole, tenths, names[u]);
}
