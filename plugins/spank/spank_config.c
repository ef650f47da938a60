/*
 * spank_config.c - plugstack.conf arguments of the vgpu SPANK plugin: the
 * core's parser (vgpu_plugargs), messages with file, line and argument,
 * and the check of shim= (vgpu_elfid).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "spank_config.h"
#include "vgpu_elfid.h"

static void from_args(vgpu_spank_config_t *cfg, const vgpu_plugargs_t *a)
{
	snprintf(cfg->conf_path, sizeof(cfg->conf_path), "%s", a->conf_path);
	snprintf(cfg->shim_path, sizeof(cfg->shim_path), "%s", a->shim_path);
	cfg->ctx_bytes = a->ctx_bytes;
	cfg->log_level = a->log_level;
	cfg->preload = (vgpu_spank_preload_t)a->preload;
	cfg->allow_userns = a->allow_userns;
}

int vgpu_spank_config_parse(int argc, char **argv, vgpu_spank_config_t *cfg, vgpu_err_t *err)
{
	vgpu_plugargs_t a;
	int bad = -1, rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = vgpu_plugargs_parse(argc, argv, &a, &bad, err);
	from_args(cfg, &a);
	if (rc != 0)
		return vgpu_err_prefix(err, "plugstack.conf");
	return 0;
}

const char *vgpu_spank_config_where(const vgpu_spank_config_t *cfg, char *buf, size_t len)
{
	char file[VGPU_PATH_MAX + 1];
	unsigned line = 0;

	if (!cfg->plugstack || !*cfg->plugstack)
		return vgpu_plugargs_where(buf, len, NULL, 0);
	vgpu_plugargs_locate(cfg->plugstack, cfg->self, cfg->argc, cfg->argv, file, sizeof(file),
			     &line);
	return vgpu_plugargs_where(buf, len, file, line);
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "";
}

int vgpu_spank_config_load(int argc, char **argv, const char *plugstack, const char *self,
			   vgpu_spank_config_t *cfg)
{
	char where[VGPU_PATH_MAX + 64], q[96];
	vgpu_plugargs_t a;
	vgpu_err_t err;
	int bad = -1, rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->plugstack = plugstack;
	cfg->self = base_name(self);
	cfg->argc = argc;
	cfg->argv = argv;
	rc = vgpu_plugargs_parse(argc, argv, &a, &bad, &err);
	from_args(cfg, &a);
	if (rc == 0)
		return 0;
	vgpu_spank_config_where(cfg, where, sizeof(where));
	cfg->state = VGPU_SPANK_CONFIG_BAD_ARGS;
	snprintf(cfg->invalid, sizeof(cfg->invalid), "%s: argument %d '%s': %s", where, bad + 1,
		 argv[bad] ? vgpu_err_quote(q, sizeof(q), argv[bad], 64) : "", err.msg);
	return -1;
}

int vgpu_spank_config_check_shim(vgpu_spank_config_t *cfg, const char *expected)
{
	char where[VGPU_PATH_MAX + 64];
	vgpu_err_t err;

	if (cfg->state != VGPU_SPANK_CONFIG_OK || !cfg->shim_path[0])
		return 0;
	if (vgpu_elfid_check(cfg->shim_path, expected, &err) == 0)
		return 0;
	vgpu_spank_config_where(cfg, where, sizeof(where));
	cfg->state = VGPU_SPANK_CONFIG_BAD_SHIM;
	snprintf(cfg->invalid, sizeof(cfg->invalid), "%s: %s", where, err.msg);
	return -1;
}
