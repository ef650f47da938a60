/*
 * spank_config.c - plugstack.conf arguments of the vgpu SPANK plugin.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spank_config.h"
#include "vgpu_size.h"

static int set_path(char *dst, size_t len, const char *key, const char *val, vgpu_err_t *err)
{
	char q[96];

	if (val[0] != '/')
		return vgpu_err_set(err, "plugstack.conf: %s: '%s' is not an absolute path", key,
				    vgpu_err_quote(q, sizeof(q), val, 64));
	if (strlen(val) >= len)
		return vgpu_err_set(err, "plugstack.conf: %s: path '%s' is too long (at most %zu bytes)",
				    key, vgpu_err_quote(q, sizeof(q), val, 64), len - 1);
	snprintf(dst, len, "%s", val);
	return 0;
}

static int parse_one(const char *arg, vgpu_spank_config_t *cfg, vgpu_err_t *err)
{
	const char *eq = strchr(arg, '=');
	char key[32], q[96];
	const char *val;
	size_t klen;

	if (!eq)
		return vgpu_err_set(err, "plugstack.conf: argument '%s' has no '=' (expected "
				    "conf=, shim=, ctx=, log= or preload=)",
				    vgpu_err_quote(q, sizeof(q), arg, 64));
	klen = (size_t)(eq - arg);
	val = eq + 1;
	if (klen == 0 || klen >= sizeof(key))
		goto unknown;
	memcpy(key, arg, klen);
	key[klen] = '\0';
	if (*val == '\0')
		return vgpu_err_set(err, "plugstack.conf: %s: empty value", key);
	if (strcmp(key, "conf") == 0)
		return set_path(cfg->conf_path, sizeof(cfg->conf_path), key, val, err);
	if (strcmp(key, "shim") == 0)
		return set_path(cfg->shim_path, sizeof(cfg->shim_path), key, val, err);
	if (strcmp(key, "ctx") == 0) {
		return vgpu_size_parse_ex(val, strlen(val), "plugstack.conf: ctx", VGPU_SIZE_ZERO_OK,
					  &cfg->ctx_bytes, err);
	}
	if (strcmp(key, "log") == 0) {
		if (vgpu_stepdesc_level_parse(val, &cfg->log_level) != 0)
			return vgpu_err_set(err, "plugstack.conf: log: '%s' is not a level (expected "
					    "off, error, warn, info or debug)",
					    vgpu_err_quote(q, sizeof(q), val, 64));
		return 0;
	}
	if (strcmp(key, "preload") == 0) {
		if (strcmp(val, "etc") == 0)
			cfg->preload = VGPU_SPANK_PRELOAD_ETC;
		else if (strcmp(val, "env") == 0)
			cfg->preload = VGPU_SPANK_PRELOAD_ENV;
		else
			return vgpu_err_set(err, "plugstack.conf: preload: '%s' is neither etc nor env",
					    vgpu_err_quote(q, sizeof(q), val, 64));
		return 0;
	}
unknown:
	return vgpu_err_set(err, "plugstack.conf: unknown argument '%s' (expected conf=, shim=, "
			    "ctx=, log= or preload=)", vgpu_err_quote(q, sizeof(q), arg, 64));
}

int vgpu_spank_config_parse(int argc, char **argv, vgpu_spank_config_t *cfg, vgpu_err_t *err)
{
	int i;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->conf_path, sizeof(cfg->conf_path), "%s", VGPU_CONF_PATH);
	cfg->log_level = VGPU_LOG_WARN;
	cfg->preload = VGPU_SPANK_PRELOAD_ETC;
	for (i = 0; i < argc; i++)
		if (parse_one(argv[i], cfg, err) != 0)
			return -1;
	return 0;
}
