/*
 * vgpu_jsonl.h - a small JSON reader for files people edit by hand (the
 * clique map): every value keeps its line and column so that every message
 * can say file:line, objects keep their key order, and what RFC 8259 leaves
 * open is decided strictly: duplicate keys, bad UTF-8, bad escapes, "\u0000",
 * lone surrogates, a BOM, trailing text are refused; nesting is at most
 * VGPU_JSONL_DEPTH deep and text at most VGPU_JSONL_SIZE bytes.
 *
 * Slurm-free, json-c-free (the core library's; inventories, written by
 * programs, are read with json-c in libvgpujson).
 */
#ifndef VGPU_JSONL_H
#define VGPU_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"

#define VGPU_JSONL_DEPTH 64
#define VGPU_JSONL_SIZE (16u << 20)

typedef enum vgpu_jsonl_type {
	VGPU_JSONL_NULL,
	VGPU_JSONL_BOOL,
	VGPU_JSONL_NUMBER,
	VGPU_JSONL_STRING,
	VGPU_JSONL_ARRAY,
	VGPU_JSONL_OBJECT,
} vgpu_jsonl_type_t;

typedef struct vgpu_jsonl vgpu_jsonl_t;

/* One value. Strings are decoded UTF-8, NUL-terminated (no NUL inside);
 * numbers keep their text as written ("12", "-1.5e3"). An object's members
 * are keys[i] -> items[i], in file order; an array's elements are items[i]
 * (keys NULL). */
struct vgpu_jsonl {
	vgpu_jsonl_type_t type;
	unsigned line, col;             /* where the value starts, 1-based */
	int boolean;                    /* VGPU_JSONL_BOOL */
	char *str;                      /* VGPU_JSONL_STRING, VGPU_JSONL_NUMBER */
	size_t n;                       /* members or elements */
	char **keys;                    /* VGPU_JSONL_OBJECT */
	vgpu_jsonl_t **items;           /* VGPU_JSONL_OBJECT, VGPU_JSONL_ARRAY */
};

/* Parse text (len bytes, NULs refused); name (the file) starts every
 * message, with line and column: "map.json:3:14: duplicate key 'nodes'
 * (first at line 2)". Returns 0 with *root (free with vgpu_jsonl_free), or
 * -1 with *root NULL. */
int vgpu_jsonl_parse(const char *text, size_t len, const char *name, vgpu_jsonl_t **root,
		     vgpu_err_t *err);

/* Release a tree from vgpu_jsonl_parse (NULL is fine). */
void vgpu_jsonl_free(vgpu_jsonl_t *v);

/* The member key of an object (NULL when absent or obj is not an object). */
const vgpu_jsonl_t *vgpu_jsonl_get(const vgpu_jsonl_t *obj, const char *key);

/* A number that is an integer written without fraction or exponent, within
 * [min, max]: 0 with *out, or -1 (not such a number). */
int vgpu_jsonl_int(const vgpu_jsonl_t *v, int64_t min, int64_t max, int64_t *out);

/* "null", "a boolean", "a number", "a string", "an array", "an object". */
const char *vgpu_jsonl_type_name(vgpu_jsonl_type_t type);

#endif
