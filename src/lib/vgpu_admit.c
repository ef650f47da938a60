/*
 * vgpu_admit.c - the controller's admission checks on a job's GRES.
 * Contracts in vgpu_admit.h.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vgpu_account.h"
#include "vgpu_admit.h"
#include "vgpu_slurmgres.h"

#define NAME_MAX_LEN 32

static const char *const field_option[VGPU_ADMIT_FIELDS] = {
	"--gres", "--gpus", "--gpus-per-socket", "--gpus-per-task",
};

unsigned vgpu_admit_max_shards(const vgpu_conf_t *conf,
			       const vgpu_gpu_type_t **type, vgpu_err_t *err)
{
	unsigned best = 0, n;
	size_t i;

	if (type)
		*type = NULL;
	if (!conf || conf->ntypes == 0) {
		vgpu_err_set(err, "vgpu.conf has no GpuType line");
		return 0;
	}
	for (i = 0; i < conf->ntypes && i < VGPU_CONF_TYPES_MAX; i++) {
		n = vgpu_account_gpu_shards(conf, &conf->types[i], err);
		if (n > best) {
			best = n;
			if (type)
				*type = &conf->types[i];
		}
	}
	return best;
}

static int is_none(const char *s)
{
	return !s || !*s || strcmp(s, "(null)") == 0 || strcmp(s, "N/A") == 0;
}

/* The GRES name of the item starting at s (up to the end of the item):
 * after an optional "gres:" or "gres/" prefix, up to ':', '=' or '('. */
static void item_name(const char *s, size_t len, char *name, size_t size)
{
	size_t i = 0, o = 0;

	if (len >= 5 && strncmp(s, "gres", 4) == 0 && (s[4] == ':' || s[4] == '/'))
		i = 5;
	for (; i < len && s[i] != ':' && s[i] != '=' && s[i] != '(' && o + 1 < size; i++)
		name[o++] = s[i];
	name[o] = '\0';
}

/* Scan one TRES string for the names that matter, items split at ',' or ';'
 * outside parentheses (bounded by the string's length). */
static void scan_names(const char *s, vgpu_admit_info_t *info)
{
	char name[NAME_MAX_LEN];
	size_t start = 0, i = 0;
	int depth = 0;

	for (;; i++) {
		char c = s[i];

		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		if (c != '\0' && !((c == ',' || c == ';') && depth == 0))
			continue;
		item_name(s + start, i - start, name, sizeof(name));
		if (strcmp(name, "shard") == 0)
			info->has_shard = 1;
		else if (strcmp(name, "gpu") == 0)
			info->has_gpu = 1;
		else if (strcmp(name, "vgpu") == 0)
			info->has_vgpu = 1;
		if (c == '\0')
			break;
		start = i + 1;
	}
}

/* Largest shard item of one field; -1 when it cannot be read. */
static int field_shards(const char *s, const char *option, uint64_t *most,
			char *item, size_t size, vgpu_err_t *err)
{
	vgpu_slurmgres_t g;
	vgpu_err_t perr;
	unsigned i;

	if (vgpu_slurmgres_parse(s, &g, &perr) != 0)
		return vgpu_err_set(err, "%s: cannot read the shard request: %s", option, perr.msg);
	for (i = 0; i < g.nitems; i++) {
		const vgpu_slurmgres_item_t *it = &g.items[i];

		if (strcmp(it->name, "shard") != 0 || it->count <= *most)
			continue;
		*most = it->count;
		if (it->type[0])
			snprintf(item, size, "shard:%s:%" PRIu64, it->type, it->count);
		else
			snprintf(item, size, "shard:%" PRIu64, it->count);
	}
	return 0;
}

int vgpu_admit_check(const vgpu_admit_job_t *job, unsigned max_shards,
		     const char *type_name, vgpu_admit_info_t *info,
		     vgpu_err_t *err)
{
	vgpu_admit_info_t found, f;
	char item[2 * VGPU_SLURMGRES_NAME_MAX + 32] = "";
	char q[96];
	int i, rc = -1;

	memset(&found, 0, sizeof(found));
	if (!job) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < VGPU_ADMIT_FIELDS; i++) {
		const char *s = job->tres[i];

		if (is_none(s))
			continue;
		if (strlen(s) >= VGPU_SLURMGRES_TEXT_MAX) {
			vgpu_err_set(err, "%s: %s is too long (%zu bytes, at most %d)", field_option[i],
				     vgpu_err_quote(q, sizeof(q), s, 40), strlen(s),
				     VGPU_SLURMGRES_TEXT_MAX - 1);
			goto out;
		}
		memset(&f, 0, sizeof(f));
		scan_names(s, &f);
		if (f.has_vgpu) {
			found.has_vgpu = 1;
			vgpu_err_set(err, "--gres=vgpu reached the controller untranslated: the client "
					  "did not run slurm-vgpu's cli_filter (CliFilterPlugins=vgpu). Submit "
					  "with the site's slurm.conf, or ask for --gres=shard:N");
			goto out;
		}
		if (f.has_shard &&
		    field_shards(s, field_option[i], &found.shards, item, sizeof(item), err) != 0)
			goto out;
		found.has_shard |= f.has_shard;
		found.has_gpu |= f.has_gpu;
	}
	if (found.has_shard && found.has_gpu) {
		vgpu_err_set(err, "a job cannot hold whole GPUs (gpu) and shares of a GPU (shard, "
			     "--gres=vgpu) together: ask for one or the other");
		goto out;
	}
	if (max_shards && found.shards > max_shards) {
		vgpu_err_set(err, "%s is more than one GPU offers (%u shards per %s%sGPU)", item,
			     max_shards, type_name ? type_name : "", type_name ? " " : "");
		goto out;
	}
	rc = 0;
out:
	if (info)
		*info = found;
	return rc;
}

int vgpu_admit_env_index(char *const *env, unsigned n, const char *name)
{
	size_t len;
	unsigned i;

	if (!env || !name)
		return -1;
	len = strlen(name);
	for (i = 0; i < n && i < (unsigned)INT_MAX; i++)
		if (env[i] && strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return (int)i;
	return -1;
}

const char *vgpu_admit_env(char *const *env, unsigned n, const char *name)
{
	int i = vgpu_admit_env_index(env, n, name);

	return i < 0 ? NULL : env[i] + strlen(name) + 1;
}

/* A character of a canonical request. */
static int req_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '=' || c == ':' || c == '.' || c == '_' || c == '-' || c == '%' || c == '/';
}

int vgpu_admit_comment_take(char *comment, char *req, size_t reqlen)
{
	size_t tag = strlen(VGPU_ADMIT_COMMENT_TAG), n = 0;
	const char *p;

	if (reqlen)
		req[0] = '\0';
	if (!comment || !req || strncmp(comment, VGPU_ADMIT_COMMENT_TAG, tag) != 0)
		return 0;
	for (p = comment + tag; *p && *p != ']'; p++, n++)
		if (!req_char(*p) || n + 1 >= reqlen)
			return 0;
	if (*p != ']' || n == 0)
		return 0;
	memcpy(req, comment + tag, n);
	req[n] = '\0';
	p++;
	memmove(comment, p, strlen(p) + 1);
	return 1;
}
