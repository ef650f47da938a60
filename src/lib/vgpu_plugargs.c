/*
 * vgpu_plugargs.c - plugstack.conf arguments of the vgpu SPANK plugin, and
 * the plugstack.conf line they came from.
 */
#include "config.h"

#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "vgpu_plugargs.h"
#include "vgpu_size.h"

#define EXPECTED "expected conf=, shim=, ctx=, log= or preload="

/* Slurm reads plugstack.conf with fgets into a PATH_MAX buffer: a longer
 * line is read (and counted) as several. The same here, so the numbers
 * match Slurm's own messages. */
#define LINE_MAX_SLURM 4096

static int set_path(char *dst, size_t len, const char *key, const char *val, vgpu_err_t *err)
{
	char q[96];

	if (val[0] != '/')
		return vgpu_err_set(err, "%s: '%s' is not an absolute path", key,
				    vgpu_err_quote(q, sizeof(q), val, 64));
	if (strlen(val) >= len)
		return vgpu_err_set(err, "%s: path '%s' is too long (at most %zu bytes)", key,
				    vgpu_err_quote(q, sizeof(q), val, 64), len - 1);
	snprintf(dst, len, "%s", val);
	return 0;
}

static int parse_one(const char *arg, vgpu_plugargs_t *out, vgpu_err_t *err)
{
	const char *eq = strchr(arg, '=');
	char key[32], q[96];
	const char *val;
	size_t klen;

	if (!eq)
		return vgpu_err_set(err, "argument '%s' has no '=' (" EXPECTED ")",
				    vgpu_err_quote(q, sizeof(q), arg, 64));
	klen = (size_t)(eq - arg);
	val = eq + 1;
	if (klen == 0 || klen >= sizeof(key))
		goto unknown;
	memcpy(key, arg, klen);
	key[klen] = '\0';
	if (*val == '\0')
		return vgpu_err_set(err, "%s: empty value", key);
	if (strcmp(key, "conf") == 0)
		return set_path(out->conf_path, sizeof(out->conf_path), key, val, err);
	if (strcmp(key, "shim") == 0)
		return set_path(out->shim_path, sizeof(out->shim_path), key, val, err);
	if (strcmp(key, "ctx") == 0)
		return vgpu_size_parse_ex(val, strlen(val), "ctx", VGPU_SIZE_ZERO_OK, &out->ctx_bytes,
					  err);
	if (strcmp(key, "log") == 0) {
		if (vgpu_stepdesc_level_parse(val, &out->log_level) != 0)
			return vgpu_err_set(err, "log: '%s' is not a level (expected off, error, warn, "
					    "info or debug)", vgpu_err_quote(q, sizeof(q), val, 64));
		return 0;
	}
	if (strcmp(key, "preload") == 0) {
		if (strcmp(val, "etc") == 0)
			out->preload = VGPU_PLUGARGS_PRELOAD_ETC;
		else if (strcmp(val, "env") == 0)
			out->preload = VGPU_PLUGARGS_PRELOAD_ENV;
		else
			return vgpu_err_set(err, "preload: '%s' is neither etc nor env",
					    vgpu_err_quote(q, sizeof(q), val, 64));
		return 0;
	}
	if (strcmp(key, "userns") == 0) {
		if (strcmp(val, "deny") != 0 && strcmp(val, "allow") != 0)
			return vgpu_err_set(err, "userns: '%s' is neither deny nor allow",
					    vgpu_err_quote(q, sizeof(q), val, 64));
		out->allow_userns = strcmp(val, "allow") == 0;
		return 0;
	}
unknown:
	return vgpu_err_set(err, "unknown argument '%s' (" EXPECTED ")",
			    vgpu_err_quote(q, sizeof(q), arg, 64));
}

int vgpu_plugargs_parse(int argc, char *const *argv, vgpu_plugargs_t *out, int *bad,
			vgpu_err_t *err)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->conf_path, sizeof(out->conf_path), "%s", VGPU_CONF_PATH);
	out->log_level = VGPU_LOG_WARN;
	out->preload = VGPU_PLUGARGS_PRELOAD_ETC;
	for (int i = 0; i < argc; i++) {
		if (!argv[i]) {
			*bad = i;
			return vgpu_err_set(err, "argument %d is missing", i + 1);
		}
		if (parse_one(argv[i], out, err) != 0) {
			*bad = i;
			return -1;
		}
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int vgpu_plugargs_match_line(char *line, const char *plugin_base, int argc, char *const *argv,
			     char *pattern, size_t plen)
{
	static const char sep[] = " \t\n";
	char *save = NULL, *word, *path, *hash = strchr(line, '#');
	int i;

	if (hash)
		*hash = '\0';
	if (!(word = strtok_r(line, sep, &save)) || !(path = strtok_r(NULL, sep, &save)))
		return 0;
	if (strcmp(word, "include") == 0) {
		if (strlen(path) >= plen)
			return 0;
		snprintf(pattern, plen, "%s", path);
		return 2;
	}
	if ((strcmp(word, "required") != 0 && strcmp(word, "optional") != 0) ||
	    strcmp(base_name(path), plugin_base) != 0)
		return 0;
	for (i = 0; (word = strtok_r(NULL, sep, &save)); i++)
		if (i >= argc || !argv[i] || strcmp(word, argv[i]) != 0)
			return 0;
	return i == argc;
}

/* One file: 0 found (file, line set), 1 not found. */
static int locate_in(const char *path, const char *plugin_base, int argc, char *const *argv,
		     char *file, size_t flen, unsigned *line, int depth)
{
	char buf[LINE_MAX_SLURM], pattern[LINE_MAX_SLURM + 8];
	unsigned n = 0;
	int rc = 1;
	FILE *f;

	if (depth > VGPU_PLUGARGS_INCLUDE_DEPTH || !(f = fopen(path, "re")))
		return 1;
	while (rc != 0 && fgets(buf, sizeof(buf), f)) {
		char inc[LINE_MAX_SLURM];
		glob_t gl;
		int m;

		n++;
		m = vgpu_plugargs_match_line(buf, plugin_base, argc, argv, inc, sizeof(inc));
		if (m == 1) {
			if (strlen(path) < flen) {
				snprintf(file, flen, "%s", path);
				*line = n;
				rc = 0;
			}
			break;
		}
		if (m != 2)
			continue;
		if (inc[0] != '/') {
			/* relative to the including file's directory, as Slurm does */
			const char *slash = strrchr(path, '/');
			int dl = slash ? (int)(slash - path) : 1;

			if ((size_t)snprintf(pattern, sizeof(pattern), "%.*s/%s", dl,
					     slash ? path : ".", inc) >= sizeof(pattern))
				continue;
		} else {
			snprintf(pattern, sizeof(pattern), "%s", inc);
		}
		if (glob(pattern, 0, NULL, &gl) != 0)
			continue;
		for (size_t i = 0; rc != 0 && i < gl.gl_pathc; i++)
			rc = locate_in(gl.gl_pathv[i], plugin_base, argc, argv, file, flen, line,
				       depth + 1);
		globfree(&gl);
	}
	fclose(f);
	return rc;
}

int vgpu_plugargs_locate(const char *path, const char *plugin_base, int argc, char *const *argv,
			 char *file, size_t flen, unsigned *line)
{
	*line = 0;
	if (flen)
		snprintf(file, flen, "%s", path ? path : "");
	if (!path || !*path || !plugin_base)
		return 1;
	if (locate_in(path, plugin_base, argc, argv, file, flen, line, 0) == 0)
		return 0;
	*line = 0;
	if (flen)
		snprintf(file, flen, "%s", path);
	return 1;
}

const char *vgpu_plugargs_where(char *buf, size_t len, const char *file, unsigned line)
{
	if (!file || !*file)
		snprintf(buf, len, "plugstack.conf");
	else if (line == 0)
		snprintf(buf, len, "plugstack.conf (%s)", file);
	else
		snprintf(buf, len, "%s:%u", file, line);
	return buf;
}
