/*
 * vgpu_plugargs.h - the plugstack.conf arguments of the vgpu SPANK plugin,
 * and where in plugstack.conf they were written.
 *
 *   required /usr/lib/slurm-vgpu/vgpu_spank.so conf=/etc/slurm/vgpu.conf \
 *            [shim=/path/libvgpu-shim.so] [ctx=300M] [log=warn] [preload=etc|env]
 *            [userns=deny|allow]
 *
 * Slurm hands a SPANK plugin its arguments as argc/argv only. The parser
 * says which argument was bad (its index); vgpu_plugargs_locate finds the
 * plugstack.conf line the arguments came from by reading plugstack.conf as
 * Slurm does (comments from '#', words split on blanks and tabs, `include`
 * globs relative to the including file), so messages can say FILE:LINE.
 * Slurm-free and json-c-free (tests/unit/test_plugargs.c, fuzz_plugargs.c).
 */
#ifndef VGPU_PLUGARGS_H
#define VGPU_PLUGARGS_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_stepdesc.h"

typedef enum vgpu_plugargs_preload {
	VGPU_PLUGARGS_PRELOAD_ETC = 0,  /* LD_PRELOAD + private /etc/ld.so.preload */
	VGPU_PLUGARGS_PRELOAD_ENV = 1,  /* LD_PRELOAD only */
} vgpu_plugargs_preload_t;

typedef struct vgpu_plugargs {
	char conf_path[VGPU_PATH_MAX];  /* default VGPU_CONF_PATH */
	char shim_path[VGPU_PATH_MAX];  /* "" = vgpu.conf ShimLibrary */
	uint64_t ctx_bytes;
	vgpu_log_level_t log_level;     /* default VGPU_LOG_WARN */
	vgpu_plugargs_preload_t preload;
	int allow_userns;               /* userns=allow: no seccomp filter in slice steps (default deny) */
} vgpu_plugargs_t;

/* Deepest `include` nesting vgpu_plugargs_locate follows (Slurm sets none). */
#define VGPU_PLUGARGS_INCLUDE_DEPTH 8

/* Parse argv[0..argc) into *out, starting from the defaults. Returns 0; or
 * -1 with *bad set to the index of the first bad argument and err saying
 * what is wrong with it ("ctx: unknown unit 'X' in '10X' ..."), without any
 * file or argument prefix. out is the defaults plus the arguments before
 * the bad one. */
int vgpu_plugargs_parse(int argc, char *const *argv, vgpu_plugargs_t *out, int *bad,
			vgpu_err_t *err);

/* One plugstack.conf line (as Slurm reads it): is it a required/optional
 * line whose plugin path has the base name `plugin_base` (the path may be
 * absolute or relative to PluginDir) and whose arguments are exactly
 * argv[0..argc)? 1 yes, 0 no. An `include` line gives 2 and its pattern
 * (NUL-terminated, at most plen bytes) in pattern. `line` is modified. */
int vgpu_plugargs_match_line(char *line, const char *plugin_base, int argc, char *const *argv,
			     char *pattern, size_t plen);

/* Find the first line of plugstack.conf `path` (or of a file it includes,
 * in glob order, at most VGPU_PLUGARGS_INCLUDE_DEPTH deep) that loads
 * plugin `plugin_base` with exactly these arguments. Returns 0 with the
 * file in file (flen bytes) and the 1-based line in *line; 1 when no line
 * matches or a file cannot be read (file then holds `path`, *line 0). */
int vgpu_plugargs_locate(const char *path, const char *plugin_base, int argc, char *const *argv,
			 char *file, size_t flen, unsigned *line);

/* "FILE:LINE" (or "plugstack.conf (FILE)" when line is 0, or
 * "plugstack.conf" when file is NULL or empty) into buf. Returns buf. */
const char *vgpu_plugargs_where(char *buf, size_t len, const char *file, unsigned line);

#endif
