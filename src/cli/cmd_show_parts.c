/*
 * cmd_show_parts.c - `vgpu show partitions`: per NVLink partition of the
 * clique map, its nodes, GPUs (free, whole, in slices), the multi-node jobs
 * running inside it and the fragmentation of its free GPUs for the waiting
 * queue. Loads the controller's view through libslurm (cmd_show.c) and the
 * clique map; the model is src/lib/vgpu_partview.h.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <slurm/slurm.h>

#include "cli_util.h"
#include "cmd_show.h"
#include "vgpu_cliquemap.h"
#include "vgpu_cmd.h"
#include "vgpu_hostlist.h"
#include "vgpu_partview.h"
#include "vgpu_slurmgres.h"

typedef struct parts_opts {
	const char *conf_path;
	const char *map_path;
	int json;
} parts_opts_t;

static void parts_usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu show partitions [OPTIONS]\n\n"
		"Show, per NVLink partition of the clique map, its nodes, GPUs (free, held\n"
		"whole, holding slices), the multi-node jobs running inside it, and how many\n"
		"of its free GPUs the jobs waiting for GPUs could not use (fragmentation:\n"
		"the expected number over the waiting queue, after Weng et al., ATC'23).\n"
		"Jobs running across partitions are listed apart. Reads slurmctld\n"
		"(SLURM_CONF), vgpu.conf and the clique map (doc/cliquemap.md).\n\n"
		"  -c, --conf FILE       vgpu.conf to use (default %s)\n"
		"  -m, --cliquemap FILE  the clique map (default: vgpu.conf's CliqueMap=)\n"
		"      --json            print JSON\n"
		"  -h, --help            this text\n",
		VGPU_CONF_PATH);
}

static int parse_opts(int argc, char **argv, parts_opts_t *o)
{
	static const struct option longopts[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "cliquemap", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->conf_path = optarg; break;
		case 'm': o->map_path = optarg; break;
		case 'J': o->json = 1; break;
		case 'h': parts_usage(stdout); return 0;
		default:
			fprintf(stderr, "vgpu show partitions: unknown option or missing value: '%s'\n",
				argv[optind - 1]);
			parts_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vgpu show partitions: unexpected argument '%s'\n", argv[optind]);
		parts_usage(stderr);
		return 2;
	}
	return -1;
}

/* 1 when the node takes jobs: idle, mixed or allocated, and not drained,
 * failing or unresponsive. */
static int node_up(uint32_t state)
{
	uint32_t base = state & NODE_STATE_BASE;

	if (state & (NODE_STATE_DRAIN | NODE_STATE_FAIL | NODE_STATE_NO_RESPOND))
		return 0;
	return base == NODE_STATE_IDLE || base == NODE_STATE_MIXED || base == NODE_STATE_ALLOCATED;
}

static void node_from_model(vgpu_pv_node_t *nd, const vgpu_show_node_t *m, uint32_t state)
{
	unsigned g;

	memset(nd, 0, sizeof(*nd));
	snprintf(nd->name, sizeof(nd->name), "%s", m->name);
	nd->gpus = m->ngpus;
	nd->up = node_up(state);
	for (g = 0; g < m->ngpus; g++) {
		const vgpu_show_gpu_t *gpu = &m->gpus[g];

		nd->shards_total += gpu->shards_total;
		nd->shards_used += gpu->shards_used;
		if (gpu->whole)
			nd->whole++;
		else if (gpu->shards_used)
			nd->sliced++;
		else
			nd->free++;
		if (!gpu->whole && gpu->shards_used)
			nd->slices += gpu->nholders + gpu->nmore;
	}
}

/* Count of GRES `name` in a tres_per_* string, 0 when absent or unreadable. */
static uint64_t tres_count(const char *tres, const char *name)
{
	const vgpu_slurmgres_item_t *it;
	vgpu_slurmgres_t *g = malloc(sizeof(*g));
	uint64_t n = 0;

	if (g && tres && vgpu_slurmgres_parse(tres, g, NULL) == 0 && (it = vgpu_slurmgres_find(g, name, NULL)))
		n = it->count;
	free(g);
	return n;
}

/* What a waiting job asks for per node: --gres/--gpus-per-node
 * (tres_per_node), --gpus (tres_per_job, over its nodes), --gpus-per-task
 * (tres_per_task, times its tasks per node). */
static void job_ask(vgpu_pv_job_t *pj, const slurm_job_info_t *job)
{
	uint64_t nodes = job->num_nodes ? job->num_nodes : 1, tasks = job->num_tasks, v;

	pj->nnodes = (unsigned)nodes;
	if ((v = tres_count(job->tres_per_node, "gpu")))
		pj->gpus_per_node = (unsigned)(v > 1024 ? 1024 : v);
	else if ((v = tres_count(job->tres_per_job, "gpu")))
		pj->gpus_per_node = (unsigned)((v + nodes - 1) / nodes);
	else if ((v = tres_count(job->tres_per_task, "gpu")))
		pj->gpus_per_node = (unsigned)(v * (tasks > nodes ? (tasks + nodes - 1) / nodes : 1));
	if ((v = tres_count(job->tres_per_node, "shard")))
		pj->shards_per_node = (unsigned)(v > 1000000 ? 1000000 : v);
}

/* The hostlist of partition p's nodes: the map's for a map partition, the
 * controller's nodes of no partition for "none". Malloc'ed. */
static char *part_nodes(const vgpu_pv_part_t *pp, const vgpu_cliquemap_t *map,
			const vgpu_pv_node_t *nodes, size_t n)
{
	const char **names = calloc(n + 1 + (pp->part ? pp->part->nnodes : 0), sizeof(*names));
	size_t k, c = 0;
	char *s;

	if (!names)
		return NULL;
	if (pp->part) {
		for (k = 0; k < pp->part->nnodes; k++)
			names[c++] = pp->part->nodes[k].name;
	} else {
		for (k = 0; k < n; k++)
			if (!vgpu_cliquemap_find_node(map, nodes[k].name))
				names[c++] = nodes[k].name;
	}
	s = vgpu_hostlist_compress(names, c);
	free(names);
	return s;
}

static void ids_text(const uint32_t *ids, size_t n, char *buf, size_t len)
{
	size_t k, off = 0;

	buf[0] = '\0';
	for (k = 0; k < n && off + 16 < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRIu32, k ? "," : "", ids[k]);
	if (k < n)
		snprintf(buf + off, len - off, ",...");
	if (n == 0)
		snprintf(buf, len, "-");
}

static void print_text(const vgpu_partview_t *pv, const vgpu_cliquemap_t *map, const char *path,
		       const vgpu_pv_node_t *nodes, size_t n)
{
	char jobs[256];
	size_t p;

	printf("NVLink partitions of %s: %zu partition(s); %u wholly free; %u waiting GPU job(s)\n",
	       path, map->nparts, pv->parts_free, pv->waiting);
	printf("%-16s %-20s %7s %5s %5s %5s %6s %6s %11s %6s  %s\n", "PARTITION", "NODES", "UP/FREE",
	       "GPUS", "FREE", "WHOLE", "SLICED", "SLICES", "SHARDS", "FRAG", "MULTI-NODE JOBS");
	for (p = 0; p < pv->nparts; p++) {
		const vgpu_pv_part_t *pp = &pv->parts[p];
		char *hl = part_nodes(pp, map, nodes, n);
		char upfree[24], shards[32], frag[16];

		snprintf(upfree, sizeof(upfree), "%u/%u", pp->nodes_up, pp->nodes_free);
		snprintf(shards, sizeof(shards), "%u/%u", pp->shards_used, pp->shards_total);
		if (pp->frag_known)
			snprintf(frag, sizeof(frag), "%.1f", pp->frag);
		else
			snprintf(frag, sizeof(frag), "-");
		ids_text(pp->jobs, pp->njobs, jobs, sizeof(jobs));
		printf("%-16s %-20s %7s %5u %5u %5u %6u %6u %11s %6s  %s\n",
		       pp->part ? pp->part->name : "(none)", hl ? hl : "?", upfree, pp->gpus, pp->free,
		       pp->whole, pp->sliced, pp->slices, shards, frag, jobs);
		if (pp->nmissing)
			printf("  %u node(s) of the map unknown to slurmctld\n", pp->nmissing);
		free(hl);
	}
	if (pv->nspan) {
		ids_text(pv->span, pv->nspan, jobs, sizeof(jobs));
		printf("running across NVLink partitions: %s\n", jobs);
	}
	if (pv->total.frag_known)
		printf("fragmentation: %.1f of %u free GPUs are expected to be unusable by the waiting GPU jobs "
		       "(%.0f%%)\n", pv->total.frag, pv->total.free,
		       pv->total.free ? 100.0 * pv->total.frag / pv->total.free : 0.0);
	else
		printf("fragmentation: - (no job waits for GPUs)\n");
}

static json_object *ids_json(const uint32_t *ids, size_t n)
{
	json_object *a = json_object_new_array();
	size_t k;

	for (k = 0; k < n; k++)
		json_object_array_add(a, json_object_new_int64(ids[k]));
	return a;
}

static json_object *part_json(const vgpu_pv_part_t *pp, const vgpu_cliquemap_t *map,
			      const vgpu_pv_node_t *nodes, size_t n)
{
	json_object *o = json_object_new_object();
	char *hl = part_nodes(pp, map, nodes, n);
	char uuid[40];

	json_object_object_add(o, "name", pp->part ? json_object_new_string(pp->part->name) : NULL);
	if (pp->part) {
		vgpu_inventory_uuid_format(pp->part->cluster_uuid, uuid, sizeof(uuid));
		json_object_object_add(o, "cluster_uuid", json_object_new_string(uuid));
		json_object_object_add(o, "clique_id", json_object_new_int64(pp->part->clique_id));
		if (pp->part->imex_domain[0])
			json_object_object_add(o, "imex_domain", json_object_new_string(pp->part->imex_domain));
	}
	json_object_object_add(o, "nodes", json_object_new_string(hl ? hl : ""));
	free(hl);
	json_object_object_add(o, "nodes_known", json_object_new_int64(pp->nnodes));
	json_object_object_add(o, "nodes_missing", json_object_new_int64(pp->nmissing));
	json_object_object_add(o, "nodes_up", json_object_new_int64(pp->nodes_up));
	json_object_object_add(o, "nodes_free", json_object_new_int64(pp->nodes_free));
	json_object_object_add(o, "gpus", json_object_new_int64(pp->gpus));
	json_object_object_add(o, "gpus_free", json_object_new_int64(pp->free));
	json_object_object_add(o, "gpus_whole", json_object_new_int64(pp->whole));
	json_object_object_add(o, "gpus_sliced", json_object_new_int64(pp->sliced));
	json_object_object_add(o, "slices", json_object_new_int64(pp->slices));
	json_object_object_add(o, "shards_total", json_object_new_int64(pp->shards_total));
	json_object_object_add(o, "shards_used", json_object_new_int64(pp->shards_used));
	json_object_object_add(o, "jobs", ids_json(pp->jobs, pp->njobs));
	json_object_object_add(o, "fragmentation", pp->frag_known ? json_object_new_double(pp->frag) : NULL);
	return o;
}

static void print_json(const vgpu_partview_t *pv, const vgpu_cliquemap_t *map, const char *path,
		       const vgpu_pv_node_t *nodes, size_t n)
{
	json_object *root = json_object_new_object(), *parts = json_object_new_array();
	size_t p;

	json_object_object_add(root, "cliquemap", json_object_new_string(path));
	for (p = 0; p < pv->nparts; p++)
		json_object_array_add(parts, part_json(&pv->parts[p], map, nodes, n));
	json_object_object_add(root, "partitions", parts);
	json_object_object_add(root, "spanning", ids_json(pv->span, pv->nspan));
	json_object_object_add(root, "partitions_free", json_object_new_int64(pv->parts_free));
	json_object_object_add(root, "waiting_gpu_jobs", json_object_new_int64(pv->waiting));
	json_object_object_add(root, "gpus", json_object_new_int64(pv->total.gpus));
	json_object_object_add(root, "gpus_free", json_object_new_int64(pv->total.free));
	json_object_object_add(root, "fragmentation",
			       pv->total.frag_known ? json_object_new_double(pv->total.frag) : NULL);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

int vgpu_show_cli_partview_inputs(const node_info_msg_t *nodes, const job_info_msg_t *jobs,
				  const vgpu_conf_t *conf, vgpu_pv_node_t **pn, size_t *npn,
				  vgpu_pv_job_t **pj, size_t *npj)
{
	vgpu_show_node_t *model = malloc(sizeof(*model));
	uint32_t i;

	*pn = calloc(nodes->record_count + 1, sizeof(**pn));
	*pj = calloc(jobs->record_count + 1, sizeof(**pj));
	*npn = *npj = 0;
	if (!model || !*pn || !*pj) {
		free(model);
		fprintf(stderr, "vgpu show partitions: out of memory\n");
		return -1;
	}
	for (i = 0; i < nodes->record_count; i++) {
		if (!nodes->node_array[i].name)
			continue;
		if (vgpu_show_cli_node(model, nodes, i, jobs, conf) != 0) {
			free(model);
			return -1;
		}
		node_from_model(&(*pn)[(*npn)++], model, nodes->node_array[i].node_state);
	}
	free(model);
	for (i = 0; i < jobs->record_count; i++) {
		const slurm_job_info_t *job = &jobs->job_array[i];
		vgpu_pv_job_t *j = &(*pj)[*npj];

		if ((job->job_state & JOB_STATE_BASE) == JOB_PENDING) {
			j->pending = 1;
			job_ask(j, job);
		} else if (vgpu_show_cli_running(job) && job->nodes) {
			j->nodes = job->nodes;
		} else {
			continue;
		}
		j->id = job->job_id;
		vgpu_show_cli_user(job->user_id, j->user, sizeof(j->user));
		(*npj)++;
	}
	return 0;
}

int vgpu_cmd_show_partitions(int argc, char **argv)
{
	parts_opts_t o = { 0 };
	node_info_msg_t *nodes = NULL;
	job_info_msg_t *jobs = NULL;
	vgpu_cliquemap_t map = { 0 };
	vgpu_partview_t pv = { 0 };
	vgpu_pv_node_t *pn = NULL;
	vgpu_pv_job_t *pj = NULL;
	size_t npn = 0, npj = 0;
	const char *source;
	vgpu_conf_t conf;
	vgpu_err_t err;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) >= 0)
		return rc;
	rc = 1;
	if (vgpu_cli_load_conf("show partitions", o.conf_path, &conf, &source) != 0)
		return 1;
	if (!o.map_path && conf.cliquemap_path[0])
		o.map_path = conf.cliquemap_path;
	if (!o.map_path) {
		if (strcmp(source, "built-in defaults") == 0)
			fprintf(stderr, "vgpu show partitions: no clique map: no vgpu.conf found (VGPU_CONF unset, "
				"no %s) to name one with CliqueMap=; give --cliquemap FILE or --conf FILE\n",
				VGPU_CONF_PATH);
		else
			fprintf(stderr, "vgpu show partitions: no clique map: %s sets no CliqueMap=; give "
				"--cliquemap FILE\n", source);
		return 1;
	}
	if (vgpu_cliquemap_load(o.map_path, &map, &err) != 0) {
		fprintf(stderr, "vgpu show partitions: %s\n", err.msg);
		return 1;
	}
	if (vgpu_show_cli_load(&nodes, &jobs, NULL) != 0 ||
	    vgpu_show_cli_partview_inputs(nodes, jobs, &conf, &pn, &npn, &pj, &npj) != 0)
		goto out;
	if (vgpu_partview_build(&map, pn, npn, pj, npj, &pv, &err) != 0) {
		fprintf(stderr, "vgpu show partitions: %s\n", err.msg);
		goto out;
	}
	if (o.json)
		print_json(&pv, &map, o.map_path, pn, npn);
	else
		print_text(&pv, &map, o.map_path, pn, npn);
	rc = 0;
out:
	vgpu_partview_free(&pv);
	free(pn);
	free(pj);
	vgpu_cliquemap_free(&map);
	if (jobs)
		slurm_free_job_info_msg(jobs);
	if (nodes)
		slurm_free_node_info_msg(nodes);
	return rc;
}
