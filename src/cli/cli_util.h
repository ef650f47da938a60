/*
 * cli_util.h - small helpers the vgpu subcommands share.
 */
#ifndef VGPU_CLI_UTIL_H
#define VGPU_CLI_UTIL_H

#include "vgpu_conf.h"

/* Load vgpu.conf for subcommand `cmd`: from `path` when given, else from
 * $VGPU_CONF when set (either is an error when it cannot be read), else from
 * the installed default path when that file exists, else the built-in
 * defaults. Prints errors as "vgpu CMD: ..." and
 * returns 0 or -1. Sets *source to the path used or "built-in defaults". */
int vgpu_cli_load_conf(const char *cmd, const char *path, vgpu_conf_t *conf,
		       const char **source);

#endif
