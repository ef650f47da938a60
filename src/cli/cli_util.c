/* cli_util.c - see cli_util.h */
#include "cli_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int vgpu_cli_load_conf(const char *cmd, const char *path, vgpu_conf_t *conf,
		       const char **source)
{
	vgpu_err_t err;

	vgpu_conf_init(conf);
	*source = "built-in defaults";
	if (!path) {
		const char *env = getenv("VGPU_CONF");

		if (env && *env)
			path = env;
		else if (access(VGPU_CONF_PATH, F_OK) == 0)
			path = VGPU_CONF_PATH;
		else
			return 0;
	}
	if (vgpu_conf_load(path, conf, &err) != 0) {
		fprintf(stderr, "vgpu %s: %s\n", cmd, err.msg);
		return -1;
	}
	*source = path;
	return 0;
}
