/*
 * vgpu_lua.c - vgpu_lua.so: `vgpu request --slurm` inside the Slurm client,
 * for etc/cli_filter.lua. The script gets the function with
 *
 *   local request = package.loadlib(PATH, "vgpu_lua_request")
 *   local line = request(VGPU_CONF, "mem=10G:type=h100")
 *
 * and `line` is exactly what `vgpu request --slurm --conf VGPU_CONF --
 * REQUEST` prints, without its newline: "ok SHARDS CANONICAL FEATURES" or
 * "vgpu request: MESSAGE". It replaces the popen of `vgpu` (a shell and an
 * exec, ~1.8 ms per client on a 2-CPU VM); the script falls back to the
 * popen when the module cannot be loaded. doc/slurm-integration.md.
 *
 * The Lua C API is declared here, not taken from lua.h: the three calls used
 * have the same arguments in Lua 5.1 to 5.4 (lua_pushstring returns the
 * string from 5.2 on; the result is not used). Debian 12's cli_filter/lua
 * runs Lua 5.1. The module is not linked against liblua: Slurm's
 * slurm_lua_init() dlopens liblua with RTLD_GLOBAL, and the lua_* symbols
 * resolve against it when package.loadlib loads this file.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>

#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_request.h"
#include "vgpu_slurmconf.h"

typedef struct lua_State lua_State;
extern int lua_gettop(lua_State *L);
extern const char *lua_tolstring(lua_State *L, int idx, size_t *len);
extern void lua_pushstring(lua_State *L, const char *s);

/* request(CONF, REQUEST) -> the line (a lua_CFunction). */
int vgpu_lua_request(lua_State *L);

int vgpu_lua_request(lua_State *L)
{
	char ok[VGPU_SLURMCONF_REQUEST_MAX];
	char line[VGPU_SLURMCONF_REQUEST_MAX + VGPU_ERR_MAX + 32];
	const char *path = NULL, *text = NULL;
	vgpu_conf_t conf;
	vgpu_request_t req;
	vgpu_err_t err;

	if (lua_gettop(L) >= 2) {
		path = lua_tolstring(L, 1, NULL);
		text = lua_tolstring(L, 2, NULL);
	}
	if (!path || !text) {
		snprintf(line, sizeof(line), "vgpu request: vgpu_lua_request(CONF, REQUEST) takes two "
			 "strings");
		goto out;
	}
	/* The order of `vgpu request --slurm --conf PATH`: the request, then
	 * vgpu.conf, then the accounting. */
	if (vgpu_request_parse(text, "--gres=vgpu", &req, &err) != 0 ||
	    vgpu_conf_load(path, &conf, &err) != 0 ||
	    vgpu_slurmconf_request(&conf, &req, ok, sizeof(ok), &err) != 0)
		snprintf(line, sizeof(line), "vgpu request: %s", err.msg);
	else
		snprintf(line, sizeof(line), "%s", ok);
out:
	lua_pushstring(L, line);
	return 1;
}
