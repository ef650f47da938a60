/*
 * cmd_weights.c - `vgpu weights`: the controller-side agent that keeps node
 * weights current so that single-node and fractional GPU jobs go into
 * NVLink partitions already partly used (the rule: src/lib/vgpu_weights.h;
 * doc/nvlink.md, "Small jobs into partly used partitions"). Reads the
 * clique map and slurmctld's nodes and jobs through libslurm, and sets only
 * the weights that differ, one slurm_update_node per weight. One pass
 * (--once, for PrologSlurmctld/EpilogSlurmctld) or a loop (--interval, for
 * a service: etc/vgpu-weights.service.example). A failing pass in the loop
 * is reported and the next one tried; `scontrol reconfigure` puts
 * slurm.conf's weights back and the next pass rewrites them.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "cli_util.h"
#include "cmd_show.h"
#include "vgpu_cliquemap.h"
#include "vgpu_cmd.h"
#include "vgpu_hostlist.h"
#include "vgpu_slurm_compat.h"
#include "vgpu_weights.h"

#define WEIGHTS_INTERVAL_MAX 86400u

typedef struct weights_opts {
	const char *conf_path;
	const char *map_path;
	int once;
	unsigned interval;      /* seconds; 0: one pass */
	int dry_run;
	int quiet;
} weights_opts_t;

static volatile sig_atomic_t stop_loop;

static void on_signal(int sig)
{
	(void)sig;
	stop_loop = 1;
}

static void weights_usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu weights (--once | --interval SECONDS) [OPTIONS]\n\n"
		"Keep slurmctld's node weights so that single-node and fractional GPU jobs\n"
		"go into NVLink partitions already partly used (the fullest first) and\n"
		"wholly free partitions stay free for multi-node jobs. Nodes outside every\n"
		"partition of the clique map are left alone. Sets only the weights that\n"
		"differ (needs SlurmUser or root; --dry-run does not).\n\n"
		"  --once                one pass (PrologSlurmctld/EpilogSlurmctld hooks, cron)\n"
		"  --interval SECONDS    a pass every SECONDS (1 to %u) until SIGTERM/SIGINT;\n"
		"                        a failed pass is reported and the next one tried\n"
		"  -n, --dry-run         print the partitions' counts and what would be set\n"
		"  -q, --quiet           print nothing when nothing fails\n"
		"  -c, --conf FILE       vgpu.conf to use (default %s)\n"
		"  -m, --cliquemap FILE  the clique map (default: vgpu.conf's CliqueMap=)\n"
		"  -h, --help            this text\n",
		WEIGHTS_INTERVAL_MAX, VGPU_CONF_PATH);
}

static int parse_interval(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 || v > WEIGHTS_INTERVAL_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_opts(int argc, char **argv, weights_opts_t *o)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'O' },
		{ "interval", required_argument, NULL, 'i' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "conf", required_argument, NULL, 'c' },
		{ "cliquemap", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:m:nqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'O': o->once = 1; break;
		case 'i':
			if (parse_interval(optarg, &o->interval) != 0) {
				fprintf(stderr, "vgpu weights: --interval '%s': expected seconds from 1 to %u\n",
					optarg, WEIGHTS_INTERVAL_MAX);
				return 2;
			}
			break;
		case 'n': o->dry_run = 1; break;
		case 'q': o->quiet = 1; break;
		case 'c': o->conf_path = optarg; break;
		case 'm': o->map_path = optarg; break;
		case 'h': weights_usage(stdout); return 0;
		default:
			fprintf(stderr, "vgpu weights: unknown option or missing value: '%s'\n", argv[optind - 1]);
			weights_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vgpu weights: unexpected argument '%s'\n", argv[optind]);
		weights_usage(stderr);
		return 2;
	}
	if (o->once && o->interval) {
		fprintf(stderr, "vgpu weights: --once and --interval exclude each other\n");
		return 2;
	}
	if (!o->once && !o->interval && !o->dry_run) {
		fprintf(stderr, "vgpu weights: say --once or --interval SECONDS (or --dry-run)\n");
		weights_usage(stderr);
		return 2;
	}
	return -1;
}

/* 1 when the node takes jobs: idle, mixed or allocated, and not drained,
 * failing or unresponsive. */
static int node_usable(uint32_t state)
{
	uint32_t base = state & NODE_STATE_BASE;

	if (state & (NODE_STATE_DRAIN | NODE_STATE_FAIL | NODE_STATE_NO_RESPOND))
		return 0;
	return base == NODE_STATE_IDLE || base == NODE_STATE_MIXED || base == NODE_STATE_ALLOCATED;
}

/* The controller's nodes as the planner wants them: busy when any GPU is
 * held whole or any shard of it. 0, or -1 after printing why. */
static int gather(const node_info_msg_t *nodes, const job_info_msg_t *jobs, const vgpu_conf_t *conf,
		  vgpu_weights_node_t *wn, size_t *n)
{
	vgpu_show_node_t *model = malloc(sizeof(*model));
	uint32_t i;

	*n = 0;
	if (!model) {
		fprintf(stderr, "vgpu weights: out of memory\n");
		return -1;
	}
	for (i = 0; i < nodes->record_count; i++) {
		const node_info_t *ni = &nodes->node_array[i];
		vgpu_weights_node_t *w = &wn[*n];
		unsigned g;

		if (!ni->name)
			continue;
		if (vgpu_show_cli_node(model, nodes, i, jobs, conf) != 0) {
			free(model);
			return -1;
		}
		w->name = ni->name;
		w->usable = node_usable(ni->node_state);
		w->weight = ni->weight;
		w->busy = 0;
		for (g = 0; g < model->ngpus; g++)
			if (model->gpus[g].whole || model->gpus[g].shards_used)
				w->busy = 1;
		(*n)++;
	}
	free(model);
	return 0;
}

/* Set weight on the nodes of plan with that wanted weight and a change.
 * Returns the number of nodes set, or -1 after printing why. */
static long apply_weight(const vgpu_weights_node_t *wn, const vgpu_weights_plan_node_t *plan, size_t n,
			 uint32_t weight, const weights_opts_t *o)
{
	const char **names = calloc(n + 1, sizeof(*names));
	update_node_msg_t msg;
	size_t i, c = 0;
	char *hl;
	long rc = -1;

	if (!names) {
		fprintf(stderr, "vgpu weights: out of memory\n");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (plan[i].change && plan[i].want == weight)
			names[c++] = wn[i].name;
	hl = vgpu_hostlist_compress(names, c);
	if (!hl) {
		fprintf(stderr, "vgpu weights: out of memory\n");
		goto out;
	}
	if (o->dry_run) {
		printf("would set Weight=%" PRIu32 " on %s\n", weight, hl);
		rc = (long)c;
		goto out;
	}
	slurm_init_update_node_msg(&msg);
	msg.node_names = hl;
	msg.weight = weight;
	if (slurm_update_node(&msg) != 0) {
		fprintf(stderr, "vgpu weights: setting Weight=%" PRIu32 " on %s: %s\n", weight, hl,
			slurm_strerror(vgpu_slurm_errno()));
		goto out;
	}
	if (!o->quiet)
		printf("set Weight=%" PRIu32 " on %s\n", weight, hl);
	rc = (long)c;
out:
	free(hl);
	free(names);
	return rc;
}

static void print_parts(const vgpu_cliquemap_t *map, const vgpu_weights_plan_part_t *pp)
{
	size_t p;

	printf("%-16s %6s %6s %6s %8s\n", "PARTITION", "NODES", "KNOWN", "BUSY", "WEIGHT");
	for (p = 0; p < map->nparts; p++)
		printf("%-16s %6zu %6u %6u %8" PRIu32 "\n", map->parts[p].name, map->parts[p].nnodes,
		       pp[p].known, pp[p].busy, 2 * pp[p].weight);
}

/* One pass: load, plan, apply. 0, or 1 after printing why. */
/* 1 when slurmctld runs topology/tree (0 when it cannot tell). */
static int topology_tree(void)
{
	slurm_conf_t *ctl = NULL;
	int tree = 0;

	if (slurm_load_ctl_conf((time_t)0, &ctl) == 0 && ctl) {
		tree = ctl->topology_plugin && strcmp(ctl->topology_plugin, "topology/tree") == 0;
		vgpu_slurm_free_ctl_conf(ctl);
	}
	return tree;
}

/* Waiting jobs that ask for more than one node. */
static unsigned waiting_multinode(const job_info_msg_t *jobs)
{
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i < jobs->record_count; i++)
		if ((jobs->job_array[i].job_state & JOB_STATE_BASE) == JOB_PENDING &&
		    jobs->job_array[i].num_nodes > 1)
			n++;
	return n;
}

static int one_pass(const weights_opts_t *o, const vgpu_conf_t *conf, const vgpu_cliquemap_t *map)
{
	node_info_msg_t *nodes = NULL;
	job_info_msg_t *jobs = NULL;
	vgpu_weights_node_t *wn = NULL;
	vgpu_weights_plan_node_t *plan = NULL;
	vgpu_weights_plan_part_t *pp = NULL;
	size_t n = 0, i, changes;
	int rc = 1;

	if (slurm_load_node((time_t)0, &nodes, SHOW_ALL | SHOW_DETAIL) != 0) {
		fprintf(stderr, "vgpu weights: cannot reach slurmctld: loading nodes: %s\n",
			slurm_strerror(vgpu_slurm_errno()));
		goto out;
	}
	if (slurm_load_jobs((time_t)0, &jobs, SHOW_ALL | SHOW_DETAIL) != 0) {
		fprintf(stderr, "vgpu weights: cannot reach slurmctld: loading jobs: %s\n",
			slurm_strerror(vgpu_slurm_errno()));
		goto out;
	}
	wn = calloc(nodes->record_count + 1, sizeof(*wn));
	plan = calloc(nodes->record_count + 1, sizeof(*plan));
	pp = calloc(map->nparts + 1, sizeof(*pp));
	if (!wn || !plan || !pp) {
		fprintf(stderr, "vgpu weights: out of memory\n");
		goto out;
	}
	if (gather(nodes, jobs, conf, wn, &n) != 0)
		goto out;
	if (vgpu_weights_must_hold(topology_tree(), waiting_multinode(jobs))) {
		changes = vgpu_weights_plan_flat(map, wn, n, plan);
		if (o->dry_run || changes)
			printf("vgpu weights: a job on several nodes waits under topology/tree: every "
			       "partition's nodes back to weight 1 until it starts (doc/nvlink.md)\n");
	} else {
		changes = vgpu_weights_plan(map, wn, n, plan, pp);
		if (o->dry_run)
			print_parts(map, pp);
	}
	/* One update per distinct weight, in the order the nodes come. */
	for (i = 0; i < n && changes; i++) {
		size_t k;
		long set;

		if (!plan[i].change)
			continue;
		for (k = 0; k < i; k++)
			if (plan[k].change && plan[k].want == plan[i].want)
				break;
		if (k < i)
			continue;
		if ((set = apply_weight(wn, plan, n, plan[i].want, o)) < 0)
			goto out;
	}
	if (o->dry_run && !changes)
		printf("nothing to change\n");
	rc = 0;
out:
	free(pp);
	free(plan);
	free(wn);
	if (jobs)
		slurm_free_job_info_msg(jobs);
	if (nodes)
		slurm_free_node_info_msg(nodes);
	return rc;
}

/* Sleep s seconds unless a signal asks to stop. */
static void nap(unsigned s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = 0 };

	while (!stop_loop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int vgpu_cmd_weights(int argc, char **argv)
{
	weights_opts_t o = { 0 };
	vgpu_cliquemap_t map = { 0 }, next = { 0 };
	const char *source, *sc = getenv("SLURM_CONF");
	struct sigaction sa;
	vgpu_conf_t conf;
	vgpu_err_t err;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) >= 0)
		return rc;
	if (vgpu_cli_load_conf("weights", o.conf_path, &conf, &source) != 0)
		return 1;
	if (!o.map_path && conf.cliquemap_path[0])
		o.map_path = conf.cliquemap_path;
	if (!o.map_path) {
		fprintf(stderr, "vgpu weights: no clique map: %s sets no CliqueMap=; give --cliquemap FILE\n", source);
		return 1;
	}
	if (vgpu_cliquemap_load(o.map_path, &map, &err) != 0) {
		fprintf(stderr, "vgpu weights: %s\n", err.msg);
		return 1;
	}
	/* libslurm retries a missing slurm.conf for 60 s, then exits: say it now. */
	if (sc && access(sc, R_OK) != 0) {
		fprintf(stderr, "vgpu weights: cannot read SLURM_CONF '%s': %s\n", sc, strerror(errno));
		vgpu_cliquemap_free(&map);
		return 1;
	}
	slurm_init(NULL);
	if (!o.interval) {
		rc = one_pass(&o, &conf, &map);
		vgpu_cliquemap_free(&map);
		return rc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!o.quiet)
		printf("vgpu weights: every %u s, clique map %s (%zu partitions)\n", o.interval, o.map_path,
		       map.nparts);
	fflush(stdout);
	while (!stop_loop) {
		/* The map is read again each pass: a changed one is used from
		 * the next pass, a broken one is reported and the last good one
		 * kept. */
		if (vgpu_cliquemap_load(o.map_path, &next, &err) == 0) {
			vgpu_cliquemap_free(&map);
			map = next;
			memset(&next, 0, sizeof(next));
		} else {
			fprintf(stderr, "vgpu weights: %s (keeping the clique map read before)\n", err.msg);
		}
		if (one_pass(&o, &conf, &map) != 0)
			fprintf(stderr, "vgpu weights: pass failed; next try in %u s\n", o.interval);
		fflush(stdout);
		fflush(stderr);
		nap(o.interval);
	}
	vgpu_cliquemap_free(&map);
	return 0;
}
