/*
 * cmd_show.c - `vgpu show`: who holds which GPU slice, read from slurmctld
 * through libslurm. The Slurm-free model is src/lib/vgpu_show.h; this file
 * only loads nodes and jobs, feeds their GRES strings to it and prints.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <json-c/json.h>
#include <slurm/slurm.h>

#include "vgpu_slurm_compat.h"
#include <slurm/slurm_errno.h>

#include "cli_util.h"
#include "cmd_show.h"
#include "cmd_show_links.h"
#include "vgpu_cmd.h"
#include "vgpu_show.h"
#include "vgpu_size.h"

typedef struct show_opts {
	const char *conf_path;
	const char *gres_conf;  /* NULL: gres.conf beside slurm.conf */
	const char *node;
	const char *user;
	uint32_t job;           /* 0: all */
	int json;
} show_opts_t;

/* What printing a GPU needs besides the GPU. */
typedef struct show_ctx {
	const vgpu_conf_t *conf;
	const show_opts_t *o;
	const job_step_info_response_msg_t *steps;     /* may be NULL */
	int ni;                 /* node table index of the node printed */
} show_ctx_t;

/* One line of the per-job table. */
typedef struct job_line {
	uint32_t job_id;
	char user[VGPU_SHOW_USER_MAX];
	char node[VGPU_SHOW_NODE_MAX];
	unsigned gpu;
	char type[VGPU_SLURMGRES_NAME_MAX];
	vgpu_show_holder_t h;
} job_line_t;

typedef struct job_lines {
	job_line_t *v;
	size_t n, cap;
} job_lines_t;

static void show_usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu show [OPTIONS]\n"
		"       vgpu show partitions [OPTIONS]   (NVLink partitions: vgpu show partitions --help)\n\n"
		"Show, per node and GPU, the shards, memory and SM share each running job\n"
		"holds and what is free, then one line per job and GPU. Reads slurmctld\n"
		"(SLURM_CONF) and vgpu.conf.\n\n"
		"  -c, --conf FILE   vgpu.conf to use (default %s)\n"
		"  -n, --node NAME   only this node\n"
		"  -j, --job ID      only GPUs this job holds, and its lines\n"
		"  -u, --user NAME   only GPUs this user's jobs hold, and their lines\n"
		"  -g, --gres-conf FILE  gres.conf whose Links= tell how a job's GPUs are\n"
		"                    NVLink-connected (default: gres.conf beside slurm.conf)\n"
		"      --json        print JSON\n"
		"  -h, --help        this text\n",
		VGPU_CONF_PATH);
}

void vgpu_show_cli_user(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "%" PRIu32, uid);
}

/* The gres_detail_str entry of `job` for node table index `ni`, or NULL. */
static const char *job_detail_for(const slurm_job_info_t *job, int ni)
{
	uint32_t k = 0;
	int p;

	if (!job->node_inx || !job->gres_detail_str)
		return NULL;
	for (p = 0; job->node_inx[p] >= 0 && job->node_inx[p + 1] >= 0; p += 2) {
		int a = job->node_inx[p], b = job->node_inx[p + 1];

		if (ni >= a && ni <= b) {
			k += (uint32_t)(ni - a);
			return k < job->gres_detail_cnt ? job->gres_detail_str[k] : NULL;
		}
		k += (uint32_t)(b - a + 1);
	}
	return NULL;
}

static int in_inx(const int32_t *inx, int ni)
{
	int p;

	for (p = 0; inx && inx[p] >= 0 && inx[p + 1] >= 0; p += 2)
		if (ni >= inx[p] && ni <= inx[p + 1])
			return 1;
	return 0;
}

/* The shards a step of job `job_id` on the context's node asked for with
 * --gres=shard:K (tres_per_node), as limits on `gpu`. Returns the next
 * matching step at or after *pos, or NULL. Steps without their own GRES
 * (they share the job's shards) are not listed: Slurm shows nothing. */
static const job_step_info_t *next_step(const show_ctx_t *ctx, uint32_t job_id, uint32_t *pos,
					unsigned *shards)
{
	for (; ctx->steps && *pos < ctx->steps->job_step_count; (*pos)++) {
		const job_step_info_t *st = &ctx->steps->job_steps[*pos];
		const vgpu_slurmgres_item_t *it;
		vgpu_slurmgres_t g;

		if (st->step_id.job_id != job_id || !in_inx(st->node_inx, ctx->ni))
			continue;
		if (vgpu_slurmgres_parse(st->tres_per_node, &g, NULL) != 0 ||
		    !(it = vgpu_slurmgres_find(&g, "shard", NULL)) || it->count == 0 ||
		    it->count > 1000000)
			continue;
		*shards = (unsigned)it->count;
		(*pos)++;
		return st;
	}
	return NULL;
}

static int step_limits(const show_ctx_t *ctx, const vgpu_show_gpu_t *gpu, unsigned shards,
		       vgpu_limits_t *lim)
{
	const vgpu_gpu_type_t *type = vgpu_conf_find_type(ctx->conf, gpu->type);

	return gpu->known && type &&
	       vgpu_account_limits(ctx->conf, type, shards, NULL, lim, NULL) == 0;
}

static void step_name(const job_step_info_t *st, char *buf, size_t len)
{
	if (st->step_id.step_het_comp != NO_VAL)
		snprintf(buf, len, "%" PRIu32 ".%" PRIu32 "+%" PRIu32, st->step_id.job_id,
			 st->step_id.step_id, st->step_id.step_het_comp);
	else
		snprintf(buf, len, "%" PRIu32 ".%" PRIu32, st->step_id.job_id, st->step_id.step_id);
}

int vgpu_show_cli_running(const slurm_job_info_t *job)
{
	uint32_t st = job->job_state & JOB_STATE_BASE;

	return st == JOB_RUNNING || st == JOB_SUSPENDED;
}

static int holder_matches(const show_opts_t *o, const vgpu_show_holder_t *h)
{
	return (!o->job || h->job_id == o->job) && (!o->user || strcmp(o->user, h->user) == 0);
}

static int gpu_matches(const show_opts_t *o, const vgpu_show_gpu_t *gpu)
{
	unsigned i;

	if (!o->job && !o->user)
		return 1;
	for (i = 0; i < gpu->nholders; i++)
		if (holder_matches(o, &gpu->holders[i]))
			return 1;
	return 0;
}

static void pct(unsigned bp, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%02u%%", bp / 100, bp % 100);
}

static void print_steps(const show_ctx_t *ctx, const vgpu_show_gpu_t *gpu,
			const vgpu_show_holder_t *h)
{
	const job_step_info_t *st;
	uint32_t pos = 0;
	unsigned k;

	while ((st = next_step(ctx, h->job_id, &pos, &k))) {
		vgpu_limits_t lim;
		char name[48], a[32], c[32];

		step_name(st, name, sizeof(name));
		printf("      step %-12s %3u shards", name, k);
		if (step_limits(ctx, gpu, k, &lim)) {
			vgpu_size_human(lim.mem_bytes, a, sizeof(a));
			pct(lim.sm_share, c, sizeof(c));
			printf("  memory %s  SM %s\n", a, c);
		} else {
			printf("  limits unknown\n");
		}
	}
}

static void print_gpu(const show_ctx_t *ctx, const vgpu_show_gpu_t *gpu)
{
	const vgpu_conf_t *conf = ctx->conf;
	const show_opts_t *o = ctx->o;
	char a[32], b[32], c[32], d[32];
	unsigned i;

	printf("  GPU %u  %s  shards %u/%u used", gpu->index, gpu->type[0] ? gpu->type : "-",
	       gpu->shards_used, gpu->shards_total);
	if (gpu->whole)
		printf(" (whole GPU held)");
	if (gpu->known) {
		vgpu_size_human(gpu->mem_reserved, a, sizeof(a));
		vgpu_size_human(vgpu_show_mem_free(gpu), b, sizeof(b));
		pct(gpu->sm_reserved, c, sizeof(c));
		pct(vgpu_show_sm_free(gpu), d, sizeof(d));
		if (conf->mode == VGPU_MODE_STRICT)
			printf("  memory %s reserved, %s free  SM %s reserved, %s free\n", a, b, c, d);
		else
			printf("  memory %s reserved, %s free  SM caps %s in all\n", a, b, c);
	} else {
		printf("  %s\n", gpu->note);
	}
	for (i = 0; i < gpu->nholders; i++) {
		const vgpu_show_holder_t *h = &gpu->holders[i];

		if (!holder_matches(o, h))
			continue;
		printf("    job %-8" PRIu32 " %-10s ", h->job_id, h->user);
		if (h->whole)
			printf("whole GPU ");
		else
			printf("%3u shards", h->shards);
		if (h->limits_known) {
			vgpu_size_human(h->limits.mem_bytes, a, sizeof(a));
			pct(h->limits.sm_share, c, sizeof(c));
			printf("  memory %s  SM %s\n", a, c);
		} else {
			printf("  limits unknown\n");
		}
		print_steps(ctx, gpu, h);
	}
	if (gpu->nmore)
		printf("    ... and %u more holders\n", gpu->nmore);
}

static json_object *steps_json(const show_ctx_t *ctx, const vgpu_show_gpu_t *gpu,
			       const vgpu_show_holder_t *h)
{
	json_object *arr = json_object_new_array();
	const job_step_info_t *st;
	uint32_t pos = 0;
	unsigned k;

	while ((st = next_step(ctx, h->job_id, &pos, &k))) {
		json_object *j = json_object_new_object();
		vgpu_limits_t lim;
		char name[48];

		step_name(st, name, sizeof(name));
		json_object_object_add(j, "step", json_object_new_string(name));
		json_object_object_add(j, "shards", json_object_new_int64(k));
		if (step_limits(ctx, gpu, k, &lim)) {
			json_object_object_add(j, "memory_limit", json_object_new_int64((int64_t)lim.mem_bytes));
			json_object_object_add(j, "sm_share", json_object_new_int64(lim.sm_share));
		}
		json_object_array_add(arr, j);
	}
	return arr;
}

static json_object *gpu_json(const show_ctx_t *ctx, const vgpu_show_gpu_t *gpu)
{
	const show_opts_t *o = ctx->o;
	json_object *g = json_object_new_object(), *hs = json_object_new_array();
	unsigned i;

	json_object_object_add(g, "index", json_object_new_int64(gpu->index));
	json_object_object_add(g, "type", json_object_new_string(gpu->type));
	json_object_object_add(g, "shards_total", json_object_new_int64(gpu->shards_total));
	json_object_object_add(g, "shards_used", json_object_new_int64(gpu->shards_used));
	json_object_object_add(g, "shards_free", json_object_new_int64(
		gpu->shards_used < gpu->shards_total ? gpu->shards_total - gpu->shards_used : 0));
	json_object_object_add(g, "whole_gpu_held", json_object_new_boolean(gpu->whole));
	json_object_object_add(g, "limits_known", json_object_new_boolean(gpu->known));
	if (gpu->known) {
		json_object_object_add(g, "memory_usable", json_object_new_int64((int64_t)gpu->mem_usable));
		json_object_object_add(g, "memory_reserved", json_object_new_int64((int64_t)gpu->mem_reserved));
		json_object_object_add(g, "memory_free", json_object_new_int64((int64_t)vgpu_show_mem_free(gpu)));
		json_object_object_add(g, "sm_share_reserved", json_object_new_int64(gpu->sm_reserved));
		json_object_object_add(g, "sm_share_free", json_object_new_int64(vgpu_show_sm_free(gpu)));
	} else {
		json_object_object_add(g, "note", json_object_new_string(gpu->note));
	}
	for (i = 0; i < gpu->nholders; i++) {
		const vgpu_show_holder_t *h = &gpu->holders[i];
		json_object *j;

		if (!holder_matches(o, h))
			continue;
		j = json_object_new_object();
		json_object_object_add(j, "job_id", json_object_new_int64(h->job_id));
		json_object_object_add(j, "user", json_object_new_string(h->user));
		json_object_object_add(j, "whole_gpu", json_object_new_boolean(h->whole));
		json_object_object_add(j, "shards", json_object_new_int64(h->shards));
		if (h->limits_known) {
			json_object_object_add(j, "memory_limit", json_object_new_int64((int64_t)h->limits.mem_bytes));
			json_object_object_add(j, "sm_share", json_object_new_int64(h->limits.sm_share));
		}
		json_object_object_add(j, "steps", steps_json(ctx, gpu, h));
		json_object_array_add(hs, j);
	}
	json_object_object_add(g, "holders", hs);
	json_object_object_add(g, "more_holders", json_object_new_int64(gpu->nmore));
	return g;
}

static int add_lines(job_lines_t *jl, const vgpu_show_node_t *node, const show_opts_t *o)
{
	unsigned g, i;

	for (g = 0; g < node->ngpus; g++) {
		for (i = 0; i < node->gpus[g].nholders; i++) {
			const vgpu_show_holder_t *h = &node->gpus[g].holders[i];
			job_line_t *l;

			if (!holder_matches(o, h))
				continue;
			if (jl->n == jl->cap) {
				size_t cap = jl->cap ? jl->cap * 2 : 64;
				job_line_t *v = realloc(jl->v, cap * sizeof(*v));

				if (!v)
					return -1;
				jl->v = v;
				jl->cap = cap;
			}
			l = &jl->v[jl->n++];
			l->job_id = h->job_id;
			snprintf(l->user, sizeof(l->user), "%s", h->user);
			snprintf(l->node, sizeof(l->node), "%s", node->name);
			l->gpu = node->gpus[g].index;
			snprintf(l->type, sizeof(l->type), "%s", node->gpus[g].type);
			l->h = *h;
		}
	}
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	const job_line_t *x = a, *y = b;
	int c;

	if (x->job_id != y->job_id)
		return x->job_id < y->job_id ? -1 : 1;
	if ((c = strcmp(x->node, y->node)) != 0)
		return c;
	return x->gpu < y->gpu ? -1 : x->gpu > y->gpu;
}

static void print_lines(const job_lines_t *jl, json_object *root)
{
	json_object *arr = root ? json_object_new_array() : NULL;
	char a[32], c[32];
	size_t i;

	if (!root && jl->n)
		printf("\n%-8s %-10s %-12s %-4s %-6s %-10s %s\n", "JOB", "USER", "NODE", "GPU",
		       "SHARDS", "MEMORY", "SM");
	for (i = 0; i < jl->n; i++) {
		const job_line_t *l = &jl->v[i];

		if (root) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "job_id", json_object_new_int64(l->job_id));
			json_object_object_add(j, "user", json_object_new_string(l->user));
			json_object_object_add(j, "node", json_object_new_string(l->node));
			json_object_object_add(j, "gpu", json_object_new_int64(l->gpu));
			json_object_object_add(j, "type", json_object_new_string(l->type));
			json_object_object_add(j, "whole_gpu", json_object_new_boolean(l->h.whole));
			json_object_object_add(j, "shards", json_object_new_int64(l->h.shards));
			if (l->h.limits_known) {
				json_object_object_add(j, "memory_limit", json_object_new_int64((int64_t)l->h.limits.mem_bytes));
				json_object_object_add(j, "sm_share", json_object_new_int64(l->h.limits.sm_share));
			}
			json_object_array_add(arr, j);
			continue;
		}
		snprintf(a, sizeof(a), "unknown");
		snprintf(c, sizeof(c), "unknown");
		if (l->h.limits_known) {
			vgpu_size_human(l->h.limits.mem_bytes, a, sizeof(a));
			pct(l->h.limits.sm_share, c, sizeof(c));
		}
		if (l->h.whole)
			printf("%-8" PRIu32 " %-10s %-12s %-4u %-6s %-10s %s\n", l->job_id, l->user,
			       l->node, l->gpu, "whole", a, c);
		else
			printf("%-8" PRIu32 " %-10s %-12s %-4u %-6u %-10s %s\n", l->job_id, l->user,
			       l->node, l->gpu, l->h.shards, a, c);
	}
	if (root)
		json_object_object_add(root, "jobs", arr);
}

static int parse_opts(int argc, char **argv, show_opts_t *o)
{
	static const struct option longopts[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "job", required_argument, NULL, 'j' },
		{ "user", required_argument, NULL, 'u' },
		{ "gres-conf", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:n:j:u:g:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->conf_path = optarg; break;
		case 'n': o->node = optarg; break;
		case 'u': o->user = optarg; break;
		case 'g': o->gres_conf = optarg; break;
		case 'J': o->json = 1; break;
		case 'j': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (!*optarg || *end || v == 0 || v > UINT32_MAX) {
				fprintf(stderr, "vgpu show: --job: '%s' is not a job id\n", optarg);
				return 2;
			}
			o->job = (uint32_t)v;
			break;
		}
		case 'h': show_usage(stdout); return 0;
		default:
			fprintf(stderr, "vgpu show: unknown option or missing value: '%s'\n",
				argv[optind - 1]);
			show_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vgpu show: unexpected argument '%s'\n", argv[optind]);
		show_usage(stderr);
		return 2;
	}
	return -1;
}

int vgpu_show_cli_load(node_info_msg_t **nodes, job_info_msg_t **jobs,
		      job_step_info_response_msg_t **steps)
{
	const char *sc = getenv("SLURM_CONF");

	/* libslurm retries a missing slurm.conf for 60 s, then exits: say it
	 * now. (Without SLURM_CONF, configless clusters may have no file.) */
	if (sc && access(sc, R_OK) != 0) {
		fprintf(stderr, "vgpu show: cannot read SLURM_CONF '%s': %s\n", sc,
			strerror(errno));
		return -1;
	}
	slurm_init(NULL);
	if (slurm_load_node((time_t)0, nodes, SHOW_ALL | SHOW_DETAIL) != 0) {
		fprintf(stderr, "vgpu show: cannot reach slurmctld: loading nodes: %s\n",
			slurm_strerror(vgpu_slurm_errno()));
		return -1;
	}
	if (slurm_load_jobs((time_t)0, jobs, SHOW_ALL | SHOW_DETAIL) != 0) {
		fprintf(stderr, "vgpu show: cannot reach slurmctld: loading jobs: %s\n",
			slurm_strerror(vgpu_slurm_errno()));
		return -1;
	}
	/* Steps only add detail: without them the view is still right. */
	if (steps && vgpu_slurm_load_all_steps(steps, SHOW_ALL) != 0)
		*steps = NULL;
	return 0;
}

int vgpu_show_cli_node(vgpu_show_node_t *model, const node_info_msg_t *nodes, uint32_t ni,
		      const job_info_msg_t *jobs, const vgpu_conf_t *conf)
{
	const node_info_t *n = &nodes->node_array[ni];
	vgpu_err_t err;
	uint32_t j;

	if (vgpu_show_node_init(model, n->name, n->gres, &err) != 0) {
		fprintf(stderr, "vgpu show: %s\n", err.msg);
		return -1;
	}
	for (j = 0; j < jobs->record_count; j++) {
		const slurm_job_info_t *job = &jobs->job_array[j];
		const char *detail;
		char user[VGPU_SHOW_USER_MAX];

		if (!vgpu_show_cli_running(job) || !(detail = job_detail_for(job, (int)ni)))
			continue;
		vgpu_show_cli_user(job->user_id, user, sizeof(user));
		if (vgpu_show_node_add_job(model, job->job_id, user, detail, &err) != 0) {
			fprintf(stderr, "vgpu show: %s\n", err.msg);
			return -1;
		}
	}
	vgpu_show_node_finish(model, conf);
	return 0;
}

/* The node as a JSON object with the GPUs the options select. */
static json_object *node_json(const show_ctx_t *ctx, const vgpu_show_node_t *model)
{
	json_object *jn = json_object_new_object(), *jg = json_object_new_array();
	unsigned g;

	json_object_object_add(jn, "name", json_object_new_string(model->name));
	for (g = 0; g < model->ngpus; g++)
		if (gpu_matches(ctx->o, &model->gpus[g]))
			json_object_array_add(jg, gpu_json(ctx, &model->gpus[g]));
	json_object_object_add(jn, "gpus", jg);
	json_object_object_add(jn, "unplaced", json_object_new_int64(model->unplaced));
	return jn;
}

/* The node as text: nothing when no GPU of it is selected. */
static void print_node(const show_ctx_t *ctx, const vgpu_show_node_t *model)
{
	const show_opts_t *o = ctx->o;
	unsigned g;

	if (!o->job && !o->user && model->ngpus == 0) {
		printf("%s  no GPUs\n", model->name);
		return;
	}
	for (g = 0; g < model->ngpus; g++)
		if (gpu_matches(o, &model->gpus[g]))
			break;
	if (g == model->ngpus)
		return;
	printf("%s\n", model->name);
	for (g = 0; g < model->ngpus; g++)
		if (gpu_matches(o, &model->gpus[g]))
			print_gpu(ctx, &model->gpus[g]);
	if (model->unplaced)
		printf("  %u job GRES entries without a GPU index\n", model->unplaced);
}

int vgpu_cmd_show(int argc, char **argv)
{
	show_opts_t o = { 0 };
	node_info_msg_t *nodes = NULL;
	job_info_msg_t *jobs = NULL;
	job_step_info_response_msg_t *steps = NULL;
	show_ctx_t ctx;
	vgpu_show_node_t *model = NULL;
	job_lines_t jl = { 0 };
	gpu_sets_t *gs = NULL;
	json_object *root = NULL, *jnodes = NULL;
	const char *source;
	vgpu_conf_t conf;
	uint32_t i;
	int rc = 1, shown = 0;

	if (argc > 1 && strcmp(argv[1], "partitions") == 0)
		return vgpu_cmd_show_partitions(argc - 1, argv + 1);
	if ((rc = parse_opts(argc, argv, &o)) >= 0)
		return rc;
	rc = 1;
	if (vgpu_cli_load_conf("show", o.conf_path, &conf, &source) != 0)
		return 1;
	if (vgpu_show_cli_load(&nodes, &jobs, &steps) != 0)
		goto out;
	ctx.conf = &conf;
	ctx.o = &o;
	ctx.steps = steps;
	model = malloc(sizeof(*model));
	gs = vgpu_show_sets_new();
	if (!model || !gs) {
		fprintf(stderr, "vgpu show: out of memory\n");
		goto out;
	}
	vgpu_show_sets_open(gs, o.gres_conf);
	if (o.json) {
		root = json_object_new_object();
		jnodes = json_object_new_array();
		json_object_object_add(root, "accounting", json_object_new_string(vgpu_conf_mode_name(conf.mode)));
		json_object_object_add(root, "conf", json_object_new_string(source));
	}
	for (i = 0; i < nodes->record_count; i++) {
		const node_info_t *n = &nodes->node_array[i];

		if (!n->name || (o.node && strcmp(o.node, n->name) != 0))
			continue;
		shown++;
		ctx.ni = (int)i;
		if (vgpu_show_cli_node(model, nodes, i, jobs, &conf) != 0)
			goto out;
		if (add_lines(&jl, model, &o) != 0 || vgpu_show_sets_add(gs, model, o.job, o.user) != 0) {
			fprintf(stderr, "vgpu show: out of memory\n");
			goto out;
		}
		if (o.json)
			json_object_array_add(jnodes, node_json(&ctx, model));
		else
			print_node(&ctx, model);
	}
	if (o.node && !shown) {
		fprintf(stderr, "vgpu show: --node: slurmctld knows no node '%s'\n", o.node);
		goto out;
	}
	if (jl.n)
		qsort(jl.v, jl.n, sizeof(*jl.v), cmp_line);
	if (o.json) {
		json_object_object_add(root, "nodes", jnodes);
		jnodes = NULL;
		print_lines(&jl, root);
		vgpu_show_sets_print(gs, root);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		print_lines(&jl, NULL);
		vgpu_show_sets_print(gs, NULL);
	}
	rc = 0;
out:
	if (jnodes)
		json_object_put(jnodes);
	if (root)
		json_object_put(root);
	free(jl.v);
	vgpu_show_sets_free(gs);
	free(model);
	if (steps)
		slurm_free_job_step_info_response_msg(steps);
	if (jobs)
		slurm_free_job_info_msg(jobs);
	if (nodes)
		slurm_free_node_info_msg(nodes);
	return rc;
}
