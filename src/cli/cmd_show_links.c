/*
 * cmd_show_links.c - see cmd_show_links.h. How a job's GPUs are linked is
 * decided in the core (vgpu_show_gpuset_describe); this file finds the
 * file, the jobs, and prints.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_show_links.h"
#include "vgpu_gresconf.h"

typedef struct set_line {
	uint32_t job_id;
	char node[VGPU_SHOW_NODE_MAX];
	vgpu_show_gpuset_t set;
} set_line_t;

struct gpu_sets {
	char path[4096];
	char *text;             /* the file; NULL when it cannot be read */
	size_t len;
	char why[VGPU_GRESCONF_NOTE_MAX];       /* why text is NULL */
	vgpu_gresconf_links_t links;            /* of the node being added */
	set_line_t *v;
	size_t n, cap;
};

gpu_sets_t *vgpu_show_sets_new(void)
{
	return calloc(1, sizeof(gpu_sets_t));
}

void vgpu_show_sets_free(gpu_sets_t *gs)
{
	if (!gs)
		return;
	free(gs->text);
	free(gs->v);
	free(gs);
}

void vgpu_show_sets_open(gpu_sets_t *gs, const char *path)
{
	const char *sc = getenv("SLURM_CONF");
	FILE *f;
	char *buf = NULL;
	size_t cap = 0;

	if (path) {
		snprintf(gs->path, sizeof(gs->path), "%s", path);
	} else {
		const char *slash;

		if (!sc || !*sc)
			sc = "/etc/slurm/slurm.conf";
		slash = strrchr(sc, '/');
		snprintf(gs->path, sizeof(gs->path), "%.*sgres.conf",
			 slash ? (int)(slash - sc + 1) : 0, sc);
	}
	if (!(f = fopen(gs->path, "r"))) {
		snprintf(gs->why, sizeof(gs->why), "cannot read %.300s: %s", gs->path, strerror(errno));
		return;
	}
	for (;;) {
		size_t got;

		if (gs->len == cap) {
			char *nb = cap < (64u << 20) ? realloc(buf, cap ? cap * 2 : 65536) : NULL;

			if (!nb) {
				snprintf(gs->why, sizeof(gs->why), "%.300s: too large or out of memory",
					 gs->path);
				free(buf);
				fclose(f);
				gs->len = 0;
				return;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + gs->len, 1, cap - gs->len, f);
		gs->len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(gs->why, sizeof(gs->why), "%.300s: read error", gs->path);
		free(buf);
		gs->len = 0;
	} else {
		gs->text = buf;
	}
	fclose(f);
}

int vgpu_show_sets_add(gpu_sets_t *gs, const vgpu_show_node_t *node, uint32_t job_id,
		       const char *user)
{
	unsigned gpus[VGPU_SHOW_GPUS_MAX], g, i, n;
	const vgpu_gresconf_links_t *links = NULL;
	char why[VGPU_GRESCONF_NOTE_MAX];
	int read = 0;

	snprintf(why, sizeof(why), "%s", gs->why);

	for (g = 0; g < node->ngpus; g++) {
		for (i = 0; i < node->gpus[g].nholders; i++) {
			const vgpu_show_holder_t *h = &node->gpus[g].holders[i];
			set_line_t *l;
			size_t k;

			if (!h->whole || (job_id && h->job_id != job_id) ||
			    (user && strcmp(user, h->user) != 0))
				continue;
			n = vgpu_show_node_job_gpus(node, h->job_id, gpus);
			if (n < 2 || gpus[0] != node->gpus[g].index)
				continue;       /* one GPU, or listed at its first GPU */
			if (!read && gs->text) {
				vgpu_err_t err;

				read = 1;
				if (vgpu_gresconf_node_links(gs->text, gs->len, gs->path, node->name,
							     &gs->links, &err) == 0)
					links = &gs->links;
				else
					snprintf(why, sizeof(why), "%s", err.msg);
			}
			if (gs->n == gs->cap) {
				size_t cap = gs->cap ? gs->cap * 2 : 16;
				set_line_t *v = realloc(gs->v, cap * sizeof(*v));

				if (!v)
					return -1;
				gs->v = v;
				gs->cap = cap;
			}
			l = &gs->v[gs->n++];
			l->job_id = h->job_id;
			snprintf(l->node, sizeof(l->node), "%s", node->name);
			vgpu_show_gpuset_describe(links, why, node->ngpus, gpus, n, &l->set);
			for (k = 0; k + 1 < gs->n; k++)         /* keep job order */
				if (gs->v[k].job_id > l->job_id) {
					set_line_t t = *l;

					memmove(&gs->v[k + 1], &gs->v[k], (gs->n - 1 - k) * sizeof(*l));
					gs->v[k] = t;
					break;
				}
		}
	}
	return 0;
}

static const char *nvlink_name(vgpu_show_nvlink_t v)
{
	switch (v) {
	case VGPU_SHOW_NVLINK_ALL: return "all";
	case VGPU_SHOW_NVLINK_PART: return "part";
	case VGPU_SHOW_NVLINK_NONE: return "none";
	case VGPU_SHOW_NVLINK_UNKNOWN: break;
	}
	return "unknown";
}

void vgpu_show_sets_print(const gpu_sets_t *gs, json_object *root)
{
	json_object *arr = root ? json_object_new_array() : NULL;
	size_t i;
	unsigned k;

	if (!root && gs->n)
		printf("\nGPU SETS (whole GPUs of one node held by one job; links: %s)\n", gs->path);
	for (i = 0; i < gs->n; i++) {
		const set_line_t *l = &gs->v[i];
		json_object *j, *g;

		if (!root) {
			printf("%-8" PRIu32 " %-12s %s\n", l->job_id, l->node, l->set.text);
			continue;
		}
		j = json_object_new_object();
		g = json_object_new_array();
		json_object_object_add(j, "job_id", json_object_new_int64(l->job_id));
		json_object_object_add(j, "node", json_object_new_string(l->node));
		for (k = 0; k < l->set.n; k++)
			json_object_array_add(g, json_object_new_int64(l->set.gpus[k]));
		json_object_object_add(j, "gpus", g);
		json_object_object_add(j, "nvlink", json_object_new_string(nvlink_name(l->set.nvlink)));
		if (l->set.nvlink != VGPU_SHOW_NVLINK_UNKNOWN) {
			json_object_object_add(j, "pairs", json_object_new_int64(l->set.pairs));
			json_object_object_add(j, "nvlink_pairs", json_object_new_int64(l->set.linked));
			json_object_object_add(j, "min_links", json_object_new_int64(l->set.min_links));
			json_object_object_add(j, "max_links", json_object_new_int64(l->set.max_links));
			json_object_object_add(j, "groups", json_object_new_int64(l->set.groups));
		}
		json_object_object_add(j, "text", json_object_new_string(l->set.text));
		json_object_array_add(arr, j);
	}
	if (root) {
		json_object_object_add(root, "links_source", json_object_new_string(gs->path));
		json_object_object_add(root, "gpu_sets", arr);
	}
}

