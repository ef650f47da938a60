/*
 * spank_config.h - the arguments of the vgpu SPANK plugin in plugstack.conf:
 *
 *   required /usr/lib/slurm-vgpu/vgpu_spank.so conf=/etc/slurm/vgpu.conf \
 *            [shim=/path/libvgpu-shim.so] [ctx=300M] [log=warn] [preload=etc|env]
 *
 *   conf=     vgpu.conf (default: the configured VGPU_CONF_PATH)
 *   shim=     the shim to inject (default: vgpu.conf ShimLibrary); it must be
 *             the slurm-vgpu shim of this build (vgpu_elfid.h)
 *   ctx=      device memory charged per CUDA context (a size, default 0)
 *   log=      the shim's log level (off|error|warn|info|debug, default warn)
 *   preload=  etc: LD_PRELOAD plus a private /etc/ld.so.preload per task
 *             (overlay mount); env: LD_PRELOAD only (default etc)
 *   userns=   deny: a seccomp filter in each task of a slice step keeps it
 *             from making or joining user namespaces (vgpu_seccomp.h);
 *             allow: no filter (default deny; doc/shim.md "Threat model")
 *
 * The parsing is the core's (vgpu_plugargs.h). A bad argument or a shim=
 * that is not this build's shim does not stop the plugin from loading: the
 * configuration is marked invalid with a message naming plugstack.conf's
 * file and line and the argument, and the plugin refuses the steps it would
 * have to enforce (GPU steps; doc/slurm-integration.md "plugstack.conf").
 * Slurm-free, so it is unit-tested (tests/unit/test_spank.c).
 */
#ifndef VGPU_SPANK_CONFIG_H
#define VGPU_SPANK_CONFIG_H

#include <stdint.h>

#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_plugargs.h"
#include "vgpu_stepdesc.h"

typedef enum vgpu_spank_preload {
	VGPU_SPANK_PRELOAD_ETC = VGPU_PLUGARGS_PRELOAD_ETC, /* LD_PRELOAD + private /etc/ld.so.preload */
	VGPU_SPANK_PRELOAD_ENV = VGPU_PLUGARGS_PRELOAD_ENV, /* LD_PRELOAD only */
} vgpu_spank_preload_t;

/* Whether the plugin may enforce slices with this configuration. */
typedef enum vgpu_spank_config_state {
	VGPU_SPANK_CONFIG_OK = 0,
	VGPU_SPANK_CONFIG_BAD_ARGS,     /* an argument is wrong: nothing is known */
	VGPU_SPANK_CONFIG_BAD_SHIM,     /* shim= is not this build's shim */
} vgpu_spank_config_state_t;

typedef struct vgpu_spank_config {
	char conf_path[VGPU_PATH_MAX];
	char shim_path[VGPU_PATH_MAX];  /* "" = vgpu.conf ShimLibrary */
	uint64_t ctx_bytes;
	vgpu_log_level_t log_level;
	vgpu_spank_preload_t preload;
	int allow_userns;               /* userns=allow: slice steps may make user namespaces */
	vgpu_spank_config_state_t state;
	/* "" when OK; else why, starting with "FILE:LINE: ..." */
	char invalid[VGPU_ERR_MAX + 2 * VGPU_PATH_MAX + 64];
	/* where the arguments are, for later messages: found lazily */
	const char *plugstack;          /* plugstack.conf's path, or NULL */
	const char *self;               /* the plugin's file base name */
	int argc;
	char **argv;
} vgpu_spank_config_t;

/* Parse the plugstack.conf arguments (argc/argv as SPANK passes them) into
 * *cfg, starting from the defaults. Returns 0, or -1 with "plugstack.conf:
 * ..." in err naming the argument. */
int vgpu_spank_config_parse(int argc, char **argv, vgpu_spank_config_t *cfg, vgpu_err_t *err);

/* As vgpu_spank_config_parse, and remember where the arguments are:
 * plugstack is the path of plugstack.conf Slurm read (NULL when unknown),
 * self the path or base name of the plugin's file. argv must outlive cfg
 * (Slurm keeps it for the plugin's lifetime). A bad argument leaves cfg
 * with the defaults plus the arguments before it, state
 * VGPU_SPANK_CONFIG_BAD_ARGS and cfg->invalid "FILE:LINE: argument N 'ARG':
 * WHY", and returns -1; otherwise 0. */
int vgpu_spank_config_load(int argc, char **argv, const char *plugstack, const char *self,
			   vgpu_spank_config_t *cfg);

/* When shim= was given, check that it is the slurm-vgpu shim with identity
 * `expected` (VGPU_ELFID_IDENTITY) without loading it. Returns 0 (also when
 * there is no shim= or cfg is already invalid), or -1 with state
 * VGPU_SPANK_CONFIG_BAD_SHIM and cfg->invalid "FILE:LINE: shim PATH is ..." (what the file is instead). */
int vgpu_spank_config_check_shim(vgpu_spank_config_t *cfg, const char *expected);

/* "FILE:LINE" of the plugin's line in plugstack.conf, "plugstack.conf
 * (FILE)" when the line cannot be found, or "plugstack.conf"; into buf
 * (len bytes). Reads plugstack.conf (and its includes). Returns buf. */
const char *vgpu_spank_config_where(const vgpu_spank_config_t *cfg, char *buf, size_t len);

#endif
