/*
 * spank_config.h - the arguments of the vgpu SPANK plugin in plugstack.conf:
 *
 *   required /usr/lib/slurm-vgpu/vgpu_spank.so conf=/etc/slurm/vgpu.conf \
 *            [shim=/path/libvgpu-shim.so] [ctx=300M] [log=warn] [preload=etc|env]
 *
 *   conf=     vgpu.conf (default: the configured VGPU_CONF_PATH)
 *   shim=     the shim to inject (default: vgpu.conf ShimLibrary)
 *   ctx=      device memory charged per CUDA context (a size, default 0)
 *   log=      the shim's log level (off|error|warn|info|debug, default warn)
 *   preload=  etc: LD_PRELOAD plus a private /etc/ld.so.preload per task
 *             (overlay mount); env: LD_PRELOAD only (default etc)
 *
 * Slurm-free, so it is unit-tested (tests/unit/test_spank.c). An unknown key
 * or a bad value is an error: the plugin then refuses to start.
 */
#ifndef VGPU_SPANK_CONFIG_H
#define VGPU_SPANK_CONFIG_H

#include <stdint.h>

#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_stepdesc.h"

typedef enum vgpu_spank_preload {
	VGPU_SPANK_PRELOAD_ETC = 0,     /* LD_PRELOAD + private /etc/ld.so.preload */
	VGPU_SPANK_PRELOAD_ENV = 1,     /* LD_PRELOAD only */
} vgpu_spank_preload_t;

typedef struct vgpu_spank_config {
	char conf_path[VGPU_PATH_MAX];
	char shim_path[VGPU_PATH_MAX];  /* "" = vgpu.conf ShimLibrary */
	uint64_t ctx_bytes;
	vgpu_log_level_t log_level;
	vgpu_spank_preload_t preload;
} vgpu_spank_config_t;

/* Parse the plugstack.conf arguments (argc/argv as SPANK passes them) into
 * *cfg, starting from the defaults. Returns 0, or -1 with "plugstack.conf:
 * ..." in err naming the argument. */
int vgpu_spank_config_parse(int argc, char **argv, vgpu_spank_config_t *cfg, vgpu_err_t *err);

#endif
