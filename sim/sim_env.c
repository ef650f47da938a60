/*
 * sim_env.c - find this process's simulated node; CUDA_VISIBLE_DEVICES.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_env.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int vgpu_sim_env_load(struct vgpu_sim_env *env, char *err, size_t errlen)
{
	const char *node = env_nonempty("VGPU_SIM_NODE");
	const char *dir = env_nonempty("VGPU_SIM_DIR");
	const char *name = env_nonempty("SLURMD_NODENAME");
	const char *state = env_nonempty("VGPU_SIM_STATE");
	int n;

	memset(env, 0, sizeof(*env));
	if (node)
		n = snprintf(env->node_path, sizeof(env->node_path), "%s", node);
	else if (dir && name)
		n = snprintf(env->node_path, sizeof(env->node_path), "%s/%s.json", dir, name);
	else
		return 1;
	if (n < 0 || (size_t)n >= sizeof(env->node_path)) {
		snprintf(err, errlen, "node file path too long");
		return -1;
	}
	if (vgpu_sim_node_load(env->node_path, &env->node, err, errlen) != 0)
		return -1;
	if (state) {
		n = snprintf(env->state_dir, sizeof(env->state_dir), "%s", state);
	} else {
		const char *slash = strrchr(env->node_path, '/');
		const char *base = ".";
		int dlen = 1;

		if (slash == env->node_path) { /* "/node.json" */
			base = "";
			dlen = 0;
		} else if (slash) {
			base = env->node_path;
			dlen = (int)(slash - env->node_path);
		}
		n = snprintf(env->state_dir, sizeof(env->state_dir), "%.*s/state-%s", dlen, base,
			     env->node.hostname);
	}
	if (n < 0 || (size_t)n >= sizeof(env->state_dir)) {
		snprintf(err, errlen, "state directory path too long");
		return -1;
	}
	return 0;
}

/* One CUDA_VISIBLE_DEVICES entry -> node GPU index, or -1. */
static int lookup(const char *tok, size_t len, const struct vgpu_sim_node *node)
{
	int found = -1;

	if (len == 0)
		return -1;
	if (isdigit((unsigned char)tok[0])) {
		long v = 0;

		for (size_t i = 0; i < len; i++) {
			if (!isdigit((unsigned char)tok[i]) || v > 1000)
				return -1;
			v = v * 10 + (tok[i] - '0');
		}
		return v < node->ngpus ? (int)v : -1;
	}
	if (len <= 4 || strncasecmp(tok, "GPU-", 4) != 0)
		return -1; /* MIG-... and anything else: no such device here */
	for (int i = 0; i < node->ngpus; i++) {
		if (len <= strlen(node->gpus[i].uuid) && strncasecmp(node->gpus[i].uuid, tok, len) == 0) {
			if (found >= 0)
				return -1; /* ambiguous prefix */
			found = i;
		}
	}
	return found;
}

int vgpu_sim_visible_devices(const char *value, const struct vgpu_sim_node *node, int *map, int max)
{
	const char *p = value;
	int n = 0;

	if (!value) {
		for (n = 0; n < node->ngpus && n < max; n++)
			map[n] = n;
		return n;
	}
	while (*p && n < max) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *tok = p;
		int idx, dup = 0;

		while (len && isspace((unsigned char)*tok)) {
			tok++;
			len--;
		}
		while (len && isspace((unsigned char)tok[len - 1]))
			len--;
		idx = lookup(tok, len, node);
		for (int k = 0; k < n; k++)
			dup |= map[k] == idx;
		if (idx < 0 || dup)
			break;
		map[n++] = idx;
		if (!end)
			break;
		p = end + 1;
	}
	return n;
}

void vgpu_sim_warn(const char *msg)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "vgpu-sim: %s\n", msg);

	if (n > 0) {
		ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		(void)w;
	}
}
