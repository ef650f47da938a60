/*
 * vgpu_cuimage.c - sizes and symbols of CUDA module images (vgpu_cuimage.h).
 *
 * The PTX reader is a small tokenizer, not a PTX parser: it follows
 * statements at file scope (ended by ';', or a body in braces, which it
 * skips) and reads only `.entry` names and `.global`/`.const` declarations.
 * Anything it cannot size (an unknown type, `NAME[]`) is an error naming the
 * line, so a simulated load fails loudly instead of charging a wrong size.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "vgpu_cuimage.h"

#include <stdio.h>
#include <string.h>

#define GRANULE (UINT64_C(2) << 20)
#define PTX_MAX_DIMS 8
#define ELF_MAX_SECTIONS 65535u
#define ELF_MAX_OFFSET (UINT64_C(1) << 32)
#define FATBIN_MAGIC 0xBA55ED50u
#define WRAPPER_MAGIC 0x466243b1u

static uint64_t round_up(uint64_t n)
{
	if (n > UINT64_MAX - (GRANULE - 1))
		return UINT64_MAX - (UINT64_MAX % GRANULE);
	return (n + GRANULE - 1) / GRANULE * GRANULE;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return (b && a > UINT64_MAX / b) ? UINT64_MAX : a * b;
}

uint64_t vgpu_cuimage_code_bytes(const struct vgpu_cuimage *im)
{
	return round_up(im->bytes ? im->bytes : 1);
}

uint64_t vgpu_cuimage_data_bytes(const struct vgpu_cuimage *im)
{
	return round_up(im->globals);
}

uint64_t vgpu_cuimage_device_bytes(const struct vgpu_cuimage *im)
{
	return sat_add(vgpu_cuimage_code_bytes(im), vgpu_cuimage_data_bytes(im));
}

/* ---- PTX ------------------------------------------------------------------ */

struct lexer {
	const char *p, *end;
	unsigned int line;
	const char *tok; /* the current token */
	size_t len;
};

static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || c == '%' || c == '.';
}

/* The next token (an identifier, directive or number: a run of ident_char;
 * a quoted string; else one punctuation character). 0 at the end. */
static int next(struct lexer *lx)
{
	const char *p = lx->p;

	for (;;) {
		while (p < lx->end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
			lx->line += *p == '\n';
			p++;
		}
		if (p + 1 < lx->end && p[0] == '/' && p[1] == '/') {
			while (p < lx->end && *p != '\n')
				p++;
			continue;
		}
		if (p + 1 < lx->end && p[0] == '/' && p[1] == '*') {
			for (p += 2; p < lx->end && !(p + 1 < lx->end && p[0] == '*' && p[1] == '/'); p++)
				lx->line += *p == '\n';
			p = p < lx->end ? p + 2 : p;
			continue;
		}
		break;
	}
	lx->tok = p;
	if (p >= lx->end) {
		lx->p = p;
		lx->len = 0;
		return 0;
	}
	if (*p == '"') {
		for (p++; p < lx->end && *p != '"' && *p != '\n'; p++)
			;
		p = p < lx->end && *p == '"' ? p + 1 : p;
	} else if (ident_char(*p)) {
		/* a directive is one token per dot: ".global.u32" never occurs at
		 * file scope, and ".v4.u32" reads as ".v4" ".u32" */
		p++;
		while (p < lx->end && ident_char(*p) && *p != '.')
			p++;
	} else {
		p++;
	}
	lx->len = (size_t)(p - lx->tok);
	lx->p = p;
	return 1;
}

static int is(const struct lexer *lx, const char *word)
{
	return lx->len == strlen(word) && memcmp(lx->tok, word, lx->len) == 0;
}

/* Bytes of a PTX fundamental type token, 0 when not one. */
static unsigned int type_size(const struct lexer *lx)
{
	static const struct {
		const char *name;
		unsigned int size;
	} types[] = {
		{ ".b8", 1 },   { ".u8", 1 },    { ".s8", 1 },   { ".b16", 2 },  { ".u16", 2 },   { ".s16", 2 },
		{ ".f16", 2 },  { ".bf16", 2 },  { ".b32", 4 },  { ".u32", 4 },  { ".s32", 4 },   { ".f32", 4 },
		{ ".f16x2", 4 }, { ".bf16x2", 4 }, { ".b64", 8 }, { ".u64", 8 }, { ".s64", 8 },   { ".f64", 8 },
		{ ".b128", 16 }, { ".texref", 8 }, { ".samplerref", 8 }, { ".surfref", 8 },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (is(lx, types[i].name))
			return types[i].size;
	return 0;
}

static int parse_error(struct vgpu_cuimage *out, const struct lexer *lx, const char *what)
{
	snprintf(out->error, sizeof(out->error), "PTX line %u: %s near '%.*s'", lx->line, what,
		 (int)(lx->len > 40 ? 40 : lx->len), lx->tok);
	return VGPU_CUIMAGE_EPARSE;
}

/* Skip to the end of a brace-enclosed block whose '{' was just read. */
static int skip_block(struct lexer *lx)
{
	unsigned long depth = 1;

	while (depth && next(lx)) {
		if (is(lx, "{"))
			depth++;
		else if (is(lx, "}"))
			depth--;
	}
	return depth == 0;
}

/* Skip to the ';' that ends the statement (braces of an initialiser
 * included). */
static int skip_statement(struct lexer *lx)
{
	unsigned long depth = 0;

	while (next(lx)) {
		if (is(lx, "{"))
			depth++;
		else if (is(lx, "}") && depth)
			depth--;
		else if (is(lx, ";") && depth == 0)
			return 1;
	}
	return 0;
}

static int parse_number(const struct lexer *lx, uint64_t *v)
{
	uint64_t n = 0;

	if (lx->len == 0 || lx->len > 18)
		return -1;
	for (size_t i = 0; i < lx->len; i++) {
		if (lx->tok[i] < '0' || lx->tok[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(lx->tok[i] - '0');
	}
	*v = n;
	return 0;
}

/* A variable declaration after its state space (.global / .const) was read.
 * Reads up to and including its ';'. */
static int ptx_variable(struct lexer *lx, int external, struct vgpu_cuimage *out, vgpu_cuimage_sym_fn fn,
			void *arg)
{
	uint64_t elem = 0, vec = 1, v;

	while (next(lx) && lx->tok[0] == '.') {
		if (is(lx, ".align")) {
			if (!next(lx) || parse_number(lx, &v) != 0)
				return parse_error(out, lx, "expected a number after .align");
		} else if (is(lx, ".v2") || is(lx, ".v4") || is(lx, ".v8")) {
			vec = (uint64_t)(lx->tok[2] - '0');
		} else if (type_size(lx)) {
			elem = type_size(lx);
		} else if (is(lx, ".attribute")) { /* .attribute(.managed): skip the list */
			if (!next(lx) || !is(lx, "("))
				return parse_error(out, lx, "expected ( after .attribute");
			while (next(lx) && !is(lx, ")"))
				;
		} else if (!is(lx, ".visible") && !is(lx, ".weak") && !is(lx, ".common")) {
			return parse_error(out, lx, "unknown variable type");
		}
	}
	if (!elem)
		return parse_error(out, lx, "a variable without a type");
	for (;;) { /* declarators: NAME[dims] [= init], ... ; */
		const char *name = lx->tok;
		size_t len = lx->len;
		uint64_t count = 1;

		if (!len || !(ident_char(name[0]) && name[0] != '.'))
			return parse_error(out, lx, "expected a variable name");
		while (next(lx) && is(lx, "[")) {
			if (!next(lx) || parse_number(lx, &v) != 0)
				return parse_error(out, lx, "an array size that is not a number");
			count = sat_mul(count, v);
			if (!next(lx) || !is(lx, "]"))
				return parse_error(out, lx, "expected ]");
		}
		if (!external) {
			uint64_t size = sat_mul(sat_mul(elem, vec), count);

			out->globals = sat_add(out->globals, size);
			out->nglobals++;
			if (fn && fn(arg, name, len, 0, size) != 0)
				return VGPU_CUIMAGE_ECALLBACK;
		}
		if (is(lx, "=")) {
			if (!skip_statement(lx))
				return parse_error(out, lx, "an initialiser without its ';'");
			return VGPU_CUIMAGE_OK; /* (a list after an initialiser is not read) */
		}
		if (is(lx, ";"))
			return VGPU_CUIMAGE_OK;
		if (!is(lx, ",") || !next(lx))
			return parse_error(out, lx, "expected ',' or ';'");
	}
}

static int scan_ptx(const char *text, size_t len, struct vgpu_cuimage *out, vgpu_cuimage_sym_fn fn, void *arg)
{
	struct lexer lx = { text, text + len, 1, NULL, 0 };
	int external = 0, rc;

	out->kind = VGPU_CUIMAGE_PTX;
	out->bytes = (uint64_t)len + 1;
	while (next(&lx)) {
		if (is(&lx, ";")) {
			external = 0;
		} else if (is(&lx, "{")) {
			if (!skip_block(&lx))
				return parse_error(out, &lx, "a body without its '}'");
			external = 0;
		} else if (is(&lx, ".extern")) {
			external = 1;
		} else if (is(&lx, ".global") || is(&lx, ".const")) {
			rc = ptx_variable(&lx, external, out, fn, arg);
			if (rc != VGPU_CUIMAGE_OK)
				return rc;
			external = 0;
		} else if (is(&lx, ".entry")) {
			if (!next(&lx) || !ident_char(lx.tok[0]) || lx.tok[0] == '.')
				return parse_error(out, &lx, "expected a kernel name after .entry");
			if (!external) {
				out->nentries++;
				if (fn && fn(arg, lx.tok, lx.len, 1, 0) != 0)
					return VGPU_CUIMAGE_ECALLBACK;
			}
		}
	}
	return VGPU_CUIMAGE_OK;
}

/* Does text start (after blank space and comments) with ".version"? */
static int looks_like_ptx(const char *text, size_t avail)
{
	struct lexer lx = { text, text + strnlen(text, avail < 4096 ? avail : 4096), 1, NULL, 0 };

	return next(&lx) && is(&lx, ".version");
}

/* ---- ELF (cubin) ----------------------------------------------------------- */

static uint64_t rd(const unsigned char *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static int scan_elf(const unsigned char *e, size_t avail, struct vgpu_cuimage *out, vgpu_cuimage_sym_fn fn,
		    void *arg)
{
	uint64_t shoff, shentsize, shnum, shstrndx, end, strtab_off = 0, strtab_size = 0;

	out->kind = VGPU_CUIMAGE_ELF;
	if (avail < 64 || e[4] != 2 || e[5] != 1) {
		snprintf(out->error, sizeof(out->error), "ELF: not a 64-bit little-endian image");
		return VGPU_CUIMAGE_EPARSE;
	}
	shoff = rd(e + 0x28, 8);
	shentsize = rd(e + 0x3a, 2);
	shnum = rd(e + 0x3c, 2);
	shstrndx = rd(e + 0x3e, 2);
	end = shoff + shnum * shentsize;
	if (shentsize < 64 || shnum > ELF_MAX_SECTIONS || shoff > ELF_MAX_OFFSET || end > avail ||
	    shstrndx >= shnum) {
		snprintf(out->error, sizeof(out->error), "ELF: section headers out of range");
		return VGPU_CUIMAGE_EPARSE;
	}
	out->bytes = end;
	if (rd(e + 0x36, 2) && rd(e + 0x20, 8) <= ELF_MAX_OFFSET && rd(e + 0x38, 2) <= ELF_MAX_SECTIONS) {
		uint64_t ph_end = rd(e + 0x20, 8) + rd(e + 0x38, 2) * rd(e + 0x36, 2); /* program headers */

		if (ph_end > out->bytes && ph_end <= avail)
			out->bytes = ph_end;
	}
	strtab_off = rd(e + shoff + shstrndx * shentsize + 0x18, 8);
	strtab_size = rd(e + shoff + shstrndx * shentsize + 0x20, 8);
	if (strtab_off > ELF_MAX_OFFSET || strtab_size > ELF_MAX_OFFSET || strtab_off + strtab_size > avail)
		strtab_size = 0;
	for (uint64_t i = 0; i < shnum; i++) {
		const unsigned char *sh = e + shoff + i * shentsize;
		uint64_t name = rd(sh, 4), type = rd(sh + 4, 4), off = rd(sh + 0x18, 8), size = rd(sh + 0x20, 8);
		const char *s = NULL;
		size_t slen = 0;

		if (type != 8 /* SHT_NOBITS */ && off <= ELF_MAX_OFFSET && size <= ELF_MAX_OFFSET &&
		    off + size > out->bytes)
			out->bytes = off + size;
		if (name < strtab_size) {
			s = (const char *)e + strtab_off + name;
			slen = strnlen(s, (size_t)(strtab_size - name));
		}
		if (!s)
			continue;
		if (slen >= 10 && memcmp(s, ".nv.global", 10) == 0 && size <= ELF_MAX_OFFSET) {
			out->globals = sat_add(out->globals, size);
			out->nglobals++;
		} else if (slen > 6 && memcmp(s, ".text.", 6) == 0) {
			out->nentries++;
			if (fn && fn(arg, s + 6, slen - 6, 1, 0) != 0)
				return VGPU_CUIMAGE_ECALLBACK;
		}
	}
	return VGPU_CUIMAGE_OK;
}

/* ---- fatbin ---------------------------------------------------------------- */

static int scan_fatbin(const unsigned char *f, size_t avail, struct vgpu_cuimage *out)
{
	uint64_t hdr = rd(f + 6, 2), size = rd(f + 8, 8);

	out->kind = VGPU_CUIMAGE_FATBIN;
	if (hdr < 16 || size > ELF_MAX_OFFSET || hdr + size > avail) {
		snprintf(out->error, sizeof(out->error), "fatbin: header size %llu, size %llu out of range",
			 (unsigned long long)hdr, (unsigned long long)size);
		return VGPU_CUIMAGE_EPARSE;
	}
	out->bytes = hdr + size;
	/* the globals of the cubins inside (each architecture's copy declares
	 * the same variables: the largest counts) */
	for (uint64_t off = hdr; off + 64 <= out->bytes; off += 8) {
		struct vgpu_cuimage sub;

		if (memcmp(f + off, "\177ELF", 4) != 0)
			continue;
		memset(&sub, 0, sizeof(sub));
		if (scan_elf(f + off, (size_t)(out->bytes - off), &sub, NULL, NULL) == VGPU_CUIMAGE_OK) {
			if (sub.globals > out->globals)
				out->globals = sub.globals;
			if (sub.nglobals > out->nglobals)
				out->nglobals = sub.nglobals;
		}
	}
	return VGPU_CUIMAGE_OK;
}

int vgpu_cuimage_scan(const void *image, size_t avail, struct vgpu_cuimage *out, vgpu_cuimage_sym_fn fn,
		      void *arg)
{
	const unsigned char *p = image;

	memset(out, 0, sizeof(*out));
	if (!image || avail < 4)
		return VGPU_CUIMAGE_EUNKNOWN;
	if (strnlen(image, 4) < 4) /* no magic number has a NUL byte: text, if anything */
		return looks_like_ptx(image, avail) ? scan_ptx(image, strnlen(image, avail), out, fn, arg)
						    : VGPU_CUIMAGE_EUNKNOWN;
	if (rd(p, 4) == WRAPPER_MAGIC && avail >= 16) {
		const void *inner;

		memcpy(&inner, p + 8, sizeof(inner));
		if (!inner || rd(inner, 4) != FATBIN_MAGIC)
			return VGPU_CUIMAGE_EUNKNOWN;
		p = inner;
		avail = SIZE_MAX;
	}
	if (rd(p, 4) == FATBIN_MAGIC)
		return avail >= 16 ? scan_fatbin(p, avail, out) : VGPU_CUIMAGE_EUNKNOWN;
	if (memcmp(p, "\177ELF", 4) == 0)
		return scan_elf(p, avail, out, fn, arg);
	if (looks_like_ptx(image, avail))
		return scan_ptx(image, strnlen(image, avail), out, fn, arg);
	return VGPU_CUIMAGE_EUNKNOWN;
}
