/*
 * test_metrics.c - the OpenMetrics / Prometheus text of `vgpu metrics`
 * (escaping, grouping, counters' names in both formats, samples from the
 * show and partition models) and the plugins' counter files (parse errors
 * with file:line, round trip, increments from concurrent processes).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgpu_file.h"
#include "vgpu_metrics.h"
#include "vgpu_test.h"

static char *render(const vgpu_metrics_t *m, vgpu_metrics_format_t fmt)
{
	char *t = vgpu_metrics_render(m, fmt, NULL);

	ck_assert_ptr_nonnull(t);
	return t;
}

static void add_ok(vgpu_metrics_t *m, vgpu_metric_t id, const char *const *l, double v)
{
	vgpu_err_t err = { "" };

	ck_assert_msg(vgpu_metrics_add(m, id, l, v, &err) == 0, "%s", err.msg);
}

START_TEST(escape_label_values)
{
	char buf[64];

	ck_assert_uint_eq(vgpu_metrics_escape("a\\b\"c\nd", buf, sizeof(buf)), 10);
	ck_assert_str_eq(buf, "a\\\\b\\\"c\\nd");
	ck_assert_uint_eq(vgpu_metrics_escape("plain", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "plain");
	/* cut like snprintf: the length needed is still returned */
	ck_assert_uint_eq(vgpu_metrics_escape("\"\"\"", buf, 4), 6);
	ck_assert_str_eq(buf, "\\\"\\");
	ck_assert_uint_eq(vgpu_metrics_escape("x\"", NULL, 0), 3);
}
END_TEST

START_TEST(openmetrics_text)
{
	vgpu_metrics_t *m = vgpu_metrics_new();
	const char *l1[] = { "node", "n1", "gpu", "0", "type", "h100", NULL };
	const char *l2[] = { "node", "n\"2", "gpu", "1", "type", "-", NULL };
	const char *c1[] = { "node", "n1", "reason", "whole_gpu_on_slices", NULL };
	char *t;

	/* added out of order: rendered grouped, families in table order */
	add_ok(m, VGPU_M_STEPS_REFUSED, c1, 3);
	add_ok(m, VGPU_M_GPU_MEMORY_FREE, l1, 21380202496.0);
	add_ok(m, VGPU_M_GPU_SHARDS, l1, 100);
	add_ok(m, VGPU_M_GPU_MEMORY_FREE, l2, 0);
	add_ok(m, VGPU_M_GPU_SM_FREE, l1, 0.25);
	t = render(m, VGPU_METRICS_OPENMETRICS);
	ck_assert_str_eq(t,
		"# HELP vgpu_gpu_shards Shards the GPU has (gres.conf Name=shard Count).\n"
		"# TYPE vgpu_gpu_shards gauge\n"
		"vgpu_gpu_shards{node=\"n1\",gpu=\"0\",type=\"h100\"} 100\n"
		"# HELP vgpu_gpu_memory_free_bytes Usable memory of the GPU no slice reserves.\n"
		"# TYPE vgpu_gpu_memory_free_bytes gauge\n"
		"# UNIT vgpu_gpu_memory_free_bytes bytes\n"
		"vgpu_gpu_memory_free_bytes{node=\"n1\",gpu=\"0\",type=\"h100\"} 21380202496\n"
		"vgpu_gpu_memory_free_bytes{node=\"n\\\"2\",gpu=\"1\",type=\"-\"} 0\n"
		"# HELP vgpu_gpu_sm_free_ratio SM share of the GPU no slice reserves.\n"
		"# TYPE vgpu_gpu_sm_free_ratio gauge\n"
		"# UNIT vgpu_gpu_sm_free_ratio ratio\n"
		"vgpu_gpu_sm_free_ratio{node=\"n1\",gpu=\"0\",type=\"h100\"} 0.25\n"
		"# HELP vgpu_steps_refused Steps the SPANK plugin did not let run on the node, by reason.\n"
		"# TYPE vgpu_steps_refused counter\n"
		"vgpu_steps_refused_total{node=\"n1\",reason=\"whole_gpu_on_slices\"} 3\n"
		"# EOF\n");
	free(t);
	/* 0.0.4 text: the counter family named with _total, no UNIT, no EOF */
	t = render(m, VGPU_METRICS_PROMETHEUS);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE vgpu_steps_refused_total counter\n"
					"vgpu_steps_refused_total{node=\"n1\",reason=\"whole_gpu_on_slices\"} 3\n"));
	ck_assert_ptr_null(strstr(t, "# UNIT"));
	ck_assert_ptr_null(strstr(t, "# EOF"));
	free(t);
	vgpu_metrics_free(m);
	/* nothing added: an empty exposition is still a valid one */
	m = vgpu_metrics_new();
	t = render(m, VGPU_METRICS_OPENMETRICS);
	ck_assert_str_eq(t, "# EOF\n");
	free(t);
	vgpu_metrics_free(m);
}
END_TEST

START_TEST(bad_samples_refused)
{
	vgpu_metrics_t *m = vgpu_metrics_new();
	const char *l[] = { "node", "n1", NULL };
	const char *bad[] = { "1node", "n1", NULL };
	const char *noval[] = { "node", NULL };
	vgpu_err_t err;

	add_ok(m, VGPU_M_PARTS_FREE, NULL, 2);
	ck_assert_int_eq(vgpu_metrics_add(m, VGPU_M_PARTS_FREE, NULL, 3, &err), -1);
	ck_assert_str_eq(err.msg, "metric vgpu_partitions_free: added twice");
	add_ok(m, VGPU_M_GPU_SHARDS, l, 1);
	ck_assert_int_eq(vgpu_metrics_add(m, VGPU_M_GPU_SHARDS, l, 2, &err), -1);
	ck_assert_int_eq(vgpu_metrics_add(m, VGPU_M_GPU_SHARDS, bad, 2, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "'1node'"));
	ck_assert_int_eq(vgpu_metrics_add(m, VGPU_M_GPU_SHARDS, noval, 2, &err), -1);
	ck_assert_int_eq(vgpu_metrics_add(m, VGPU_M_JOBS_WAITING, NULL, 0.0 / 0.0, &err), -1);
	ck_assert_str_eq(err.msg, "metric vgpu_jobs_waiting_gpus: value is not a finite number");
	ck_assert_int_eq(vgpu_metrics_add(m, VGPU_M_COUNT, NULL, 1, &err), -1);
	vgpu_metrics_free(m);
}
END_TEST

START_TEST(from_the_show_model)
{
	static vgpu_show_node_t node;
	vgpu_metrics_t *m = vgpu_metrics_new();
	vgpu_conf_t conf;
	vgpu_err_t err = { "" };
	const char *text = "ShardsPerGpu=100\nGpuType=h100 Memory=81559M SMs=132\n";
	char *t;

	ck_assert_msg(vgpu_conf_parse(text, strlen(text), "test.conf", &conf, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(vgpu_show_node_init(&node, "n1", "gpu:h100:3,shard:h100:300", &err), 0);
	ck_assert_int_eq(vgpu_show_node_add_job(&node, 7, "alice", "shard:25(IDX:0)", &err), 0);
	ck_assert_int_eq(vgpu_show_node_add_job(&node, 8, "bob", "gpu:h100:1(IDX:1)", &err), 0);
	vgpu_show_node_finish(&node, &conf);
	ck_assert_int_eq(vgpu_metrics_add_node(m, &node, &err), 0);
	t = render(m, VGPU_METRICS_OPENMETRICS);
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_shards_used{node=\"n1\",gpu=\"0\",type=\"h100\"} 25\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_shards_free{node=\"n1\",gpu=\"0\",type=\"h100\"} 75\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_shards_free{node=\"n1\",gpu=\"1\",type=\"h100\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_shards_free{node=\"n1\",gpu=\"2\",type=\"h100\"} 100\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_whole_held{node=\"n1\",gpu=\"1\",type=\"h100\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_whole_holder{node=\"n1\",gpu=\"1\",jobid=\"8\",user=\"bob\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_memory_usable_bytes{node=\"n1\",gpu=\"0\",type=\"h100\"} 85520809984\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_memory_reserved_bytes{node=\"n1\",gpu=\"0\",type=\"h100\"} 21380202496\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_memory_free_bytes{node=\"n1\",gpu=\"0\",type=\"h100\"} 64140607488\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_sm_reserved_ratio{node=\"n1\",gpu=\"0\",type=\"h100\"} 0.25\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_sm_free_ratio{node=\"n1\",gpu=\"0\",type=\"h100\"} 0.75\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_slice_shards{node=\"n1\",gpu=\"0\",jobid=\"7\",user=\"alice\"} 25\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_slice_memory_limit_bytes{node=\"n1\",gpu=\"0\",jobid=\"7\",user=\"alice\"} 21380202496\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_slice_sm_limit_ratio{node=\"n1\",gpu=\"0\",jobid=\"7\",user=\"alice\"} 0.25\n"));
	/* a whole-GPU holder is not a slice */
	ck_assert_ptr_null(strstr(t, "vgpu_slice_shards{node=\"n1\",gpu=\"1\""));
	free(t);
	vgpu_metrics_free(m);

	/* unknown limits: no memory or SM figures, limits_known 0 */
	m = vgpu_metrics_new();
	ck_assert_int_eq(vgpu_show_node_init(&node, "n2", "gpu:a100:1,shard:a100:100", &err), 0);
	vgpu_show_node_finish(&node, &conf);
	ck_assert_int_eq(vgpu_metrics_add_node(m, &node, &err), 0);
	t = render(m, VGPU_METRICS_OPENMETRICS);
	ck_assert_ptr_nonnull(strstr(t, "vgpu_gpu_limits_known{node=\"n2\",gpu=\"0\",type=\"a100\"} 0\n"));
	ck_assert_ptr_null(strstr(t, "_bytes{"));
	ck_assert_ptr_null(strstr(t, "_ratio{"));
	free(t);
	vgpu_metrics_free(m);
}
END_TEST

START_TEST(from_the_partition_view)
{
	static vgpu_cm_partition_t parts[2];
	static vgpu_cm_node_t pn[2][2];
	vgpu_cliquemap_t map = { 0 };
	vgpu_pv_node_t nodes[4];
	vgpu_pv_job_t waiting = { 0 };
	vgpu_partview_t pv;
	vgpu_metrics_t *m = vgpu_metrics_new();
	vgpu_err_t err = { "" };
	char *t;

	memset(nodes, 0, sizeof(nodes));
	for (int p = 0; p < 2; p++) {
		snprintf(parts[p].name, sizeof(parts[p].name), "nvl%c", 'a' + p);
		parts[p].cluster_uuid[0] = 1;
		parts[p].clique_id = (uint32_t)p + 1;
		parts[p].nnodes = 2;
		parts[p].nodes = pn[p];
		for (int k = 0; k < 2; k++)
			snprintf(pn[p][k].name, sizeof(pn[p][k].name), "n%d", p * 2 + k + 1);
	}
	map.major = VGPU_CLIQUEMAP_MAJOR;
	map.nparts = 2;
	map.parts = parts;
	for (int i = 0; i < 4; i++) {
		snprintf(nodes[i].name, sizeof(nodes[i].name), "n%d", i + 1);
		nodes[i].gpus = nodes[i].free = 4;
		nodes[i].up = 1;
	}
	nodes[0].free = 1; /* n1: 3 GPUs whole */
	nodes[0].whole = 3;
	waiting.id = 9;
	waiting.pending = 1;
	waiting.nnodes = 1;
	waiting.gpus_per_node = 2;
	ck_assert_msg(vgpu_partview_build(&map, nodes, 4, &waiting, 1, &pv, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(vgpu_metrics_add_parts(m, &pv, &err), 0);
	t = render(m, VGPU_METRICS_OPENMETRICS);
	ck_assert_ptr_nonnull(strstr(t, "vgpu_partition_gpus{partition=\"nvla\"} 8\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_partition_gpus_free{partition=\"nvla\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_partition_gpus_whole{partition=\"nvla\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_partition_nodes_free{partition=\"nvlb\"} 2\n"));
	/* the one free GPU of n1 cannot take a 2-GPU job */
	ck_assert_ptr_nonnull(strstr(t, "vgpu_partition_fragmentation_gpus{partition=\"nvla\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_partition_fragmentation_gpus{partition=\"nvlb\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(t, "# UNIT vgpu_partition_fragmentation_gpus gpus\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_partitions_free 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_jobs_waiting_gpus 1\n"));
	free(t);
	vgpu_metrics_free(m);
	vgpu_partview_free(&pv);
}
END_TEST

static int parse(const char *text, vgpu_counters_t *c, vgpu_err_t *err)
{
	return vgpu_metrics_counters_parse(text, strlen(text), "m.counters", c, err);
}

START_TEST(counter_files)
{
	static vgpu_counters_t c, again;
	char buf[4096];
	vgpu_err_t err;
	int n;

	ck_assert_int_eq(parse("# slurm-vgpu counters 1\nsteps_started - 4\n"
			       "steps_refused whole_gpu_on_slices 2\n\njobs_refused request 18446744073709551615\n",
			       &c, &err), 0);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_int_eq(c.v[1].counter, VGPU_C_STEPS_REFUSED);
	ck_assert_str_eq(c.v[1].reason, "whole_gpu_on_slices");
	ck_assert_uint_eq(c.v[2].value, UINT64_MAX);
	n = vgpu_metrics_counters_format(&c, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(vgpu_metrics_counters_parse(buf, (size_t)n, "again", &again, &err), 0);
	ck_assert_int_eq(memcmp(&c.v, &again.v, c.n * sizeof(c.v[0])), 0);
	ck_assert_int_eq(vgpu_metrics_counters_format(&c, buf, 10), -1);

	ck_assert_int_eq(parse("steps_started - 4\n", &c, &err), -1);
	ck_assert_str_eq(err.msg, "m.counters:1: not a counter file (first line is not '# slurm-vgpu counters 1')");
	ck_assert_int_eq(parse("", &c, &err), -1);
	ck_assert_int_eq(parse("# slurm-vgpu counters 1\nsteps_eaten - 1\n", &c, &err), -1);
	ck_assert_str_eq(err.msg, "m.counters:2: unknown counter 'steps_eaten'");
	ck_assert_int_eq(parse("# slurm-vgpu counters 1\nsteps_refused Bad 1\n", &c, &err), -1);
	ck_assert_str_eq(err.msg, "m.counters:2: reason 'Bad' is not [a-z0-9_]+ or '-'");
	ck_assert_int_eq(parse("# slurm-vgpu counters 1\nsteps_refused x -1\n", &c, &err), -1);
	ck_assert_str_eq(err.msg, "m.counters:2: value '-1' is not a count");
	ck_assert_int_eq(parse("# slurm-vgpu counters 1\nsteps_refused x 18446744073709551616\n", &c, &err), -1);
	ck_assert_int_eq(parse("# slurm-vgpu counters 1\nsteps_refused x 1 2\n", &c, &err), -1);
	ck_assert_str_eq(err.msg, "m.counters:2: expected 'COUNTER REASON VALUE'");
	ck_assert_int_eq(parse("# slurm-vgpu counters 1\nsteps_refused x 1\nsteps_refused x 2\n", &c, &err), -1);
	ck_assert_str_eq(err.msg, "m.counters:3: steps_refused x given twice");

	c.n = 0;
	ck_assert_int_eq(vgpu_metrics_counters_bump(&c, VGPU_C_JOBS_REFUSED, "request"), 0);
	ck_assert_int_eq(vgpu_metrics_counters_bump(&c, VGPU_C_JOBS_REFUSED, "request"), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(c.v[0].value, 2);
	ck_assert_int_eq(vgpu_metrics_counters_bump(&c, VGPU_C_JOBS_REFUSED, "no/slash"), -1);
	ck_assert_int_eq(vgpu_metrics_counters_bump(&c, VGPU_C_JOBS_REFUSED, ""), -1);
}
END_TEST

/* A scratch StateDir, removed by the caller's rm. */
static void scratch(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/vgpu-test-metrics.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(counting_from_many_processes)
{
	char dir[128], sd[160], path[256];
	vgpu_metrics_t *m = vgpu_metrics_new();
	vgpu_err_t err = { "" };
	unsigned bad = 9;
	pid_t kids[6];
	char *t;
	FILE *f;

	scratch(dir, sizeof(dir));
	snprintf(sd, sizeof(sd), "%s/state", dir); /* made by the first count */
	for (int k = 0; k < 6; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			for (int i = 0; i < 40; i++)
				if (vgpu_metrics_count(sd, k % 2 ? "n1" : "n2", VGPU_C_STEPS_REFUSED,
						       i % 2 ? "not_enforceable" : "whole_gpu_on_slices", NULL) != 0)
					_exit(1);
			_exit(0);
		}
	}
	for (int k = 0; k < 6; k++) {
		int st;

		ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d failed to count", k);
	}
	ck_assert_msg(vgpu_metrics_count(sd, NULL, VGPU_C_JOBS_REFUSED, "placement", &err) == 0, "%s", err.msg);
	/* a file that is no counter file is replaced, counting restarts */
	snprintf(path, sizeof(path), "%s/metrics.n3.counters", sd);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("garbage\n", f);
	fclose(f);
	ck_assert_int_eq(vgpu_metrics_count(sd, "n3", VGPU_C_STEPS_STARTED, "-", &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "metrics.n3.counters:1: not a counter file"));
	ck_assert_int_eq(vgpu_metrics_count(sd, "../x", VGPU_C_STEPS_STARTED, "-", &err), -1);
	ck_assert_int_eq(vgpu_metrics_count(sd, "n3", VGPU_C_STEPS_STARTED, "a b", &err), -1);
	/* a file no parser takes is skipped and counted as bad */
	snprintf(path, sizeof(path), "%s/metrics.n4.counters", sd);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("# slurm-vgpu counters 1\nsteps_started - x\n", f);
	fclose(f);

	ck_assert_int_eq(vgpu_metrics_add_counters(m, sd, &bad, &err), 0);
	ck_assert_uint_eq(bad, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "metrics.n4.counters:2: value 'x' is not a count"));
	t = render(m, VGPU_METRICS_OPENMETRICS);
	/* 3 processes per node x 20 of each reason: none lost */
	ck_assert_ptr_nonnull(strstr(t, "vgpu_steps_refused_total{node=\"n1\",reason=\"whole_gpu_on_slices\"} 60\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_steps_refused_total{node=\"n1\",reason=\"not_enforceable\"} 60\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_steps_refused_total{node=\"n2\",reason=\"not_enforceable\"} 60\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_steps_started_total{node=\"n3\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "vgpu_jobs_refused_total{node=\""));
	ck_assert_ptr_nonnull(strstr(t, "\",reason=\"placement\"} 1\n"));
	free(t);
	vgpu_metrics_free(m);
	/* no StateDir yet: nothing counted, no error */
	m = vgpu_metrics_new();
	snprintf(path, sizeof(path), "%s/none", dir);
	ck_assert_int_eq(vgpu_metrics_add_counters(m, path, &bad, &err), 0);
	ck_assert_uint_eq(bad, 0);
	vgpu_metrics_free(m);
	rm_rf(dir);
}
END_TEST

START_TEST(counter_directory)
{
	char buf[64];

	ck_assert_int_eq(vgpu_metrics_counter_dir("/run/slurm-vgpu", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/slurm-vgpu-metrics");
	ck_assert_int_eq(vgpu_metrics_counter_dir("/run/slurm-vgpu//", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/slurm-vgpu-metrics");
	ck_assert_int_eq(vgpu_metrics_counter_dir("/", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_metrics_counter_dir("", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_metrics_counter_dir("/a/very/long/state/dir", buf, 10), -1);
}
END_TEST

START_TEST(plugin_hooks)
{
	char dir[128], conf[200], text[400], path[300];
	vgpu_counters_t c;
	vgpu_err_t err;
	char *buf = NULL;
	size_t len;
	FILE *f;

	scratch(dir, sizeof(dir));
	snprintf(conf, sizeof(conf), "%s/vgpu.conf", dir);
	snprintf(text, sizeof(text), "StateDir=%s/st\nGpuType=h100 Memory=81559M SMs=132\n", dir);
	ck_assert_ptr_nonnull(f = fopen(conf, "w"));
	fputs(text, f);
	fclose(f);
	/* a step that is neither a slice nor refused touches nothing */
	ck_assert_int_eq(vgpu_metrics_note_step(conf, "n1", 0, 0, 0), -1);
	snprintf(path, sizeof(path), "%s/st-metrics", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(vgpu_metrics_note_step(conf, "n1", 1, 0, 0), 0);
	ck_assert_int_eq(vgpu_metrics_note_step(conf, "n1", 0, 1, 0), 0);
	ck_assert_int_eq(vgpu_metrics_note_step(conf, "n1", 0, 0, 1), 0);
	ck_assert_int_eq(vgpu_metrics_note_step(conf, "n1", 0, 0, 1), 0);
	ck_assert_int_eq(vgpu_metrics_note_step("/nonexistent/vgpu.conf", "n1", 1, 0, 0), -1);
	/* StateDir itself is left alone: the counters are beside it */
	snprintf(path, sizeof(path), "%s/st", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/st-metrics/metrics.n1.counters", dir);
	ck_assert_int_eq(vgpu_file_read(path, 4096, &buf, &len, &err), 0);
	ck_assert_int_eq(vgpu_metrics_counters_parse(buf, len, path, &c, &err), 0);
	ck_assert_str_eq(buf, "# slurm-vgpu counters 1\nsteps_started - 1\nsteps_refused not_enforceable 1\n"
			      "steps_refused whole_gpu_on_slices 2\n");
	free(buf);
	ck_assert_int_eq(vgpu_metrics_note_job(conf, "request"), 0);
	ck_assert_int_eq(vgpu_metrics_note_job(conf, "request"), 0);
	ck_assert_int_eq(vgpu_metrics_note_job(conf, "placement"), 0);
	ck_assert_int_eq(vgpu_metrics_note_job("/nonexistent/vgpu.conf", "request"), -1);
	ck_assert_int_eq(vgpu_metrics_note_job(conf, "Bad Reason"), -1);
	{
		vgpu_metrics_t *m = vgpu_metrics_new();
		unsigned bad = 0;
		char *t;

		snprintf(path, sizeof(path), "%s/st-metrics", dir);
		ck_assert_int_eq(vgpu_metrics_add_counters(m, path, &bad, &err), 0);
		ck_assert_uint_eq(bad, 0);
		t = vgpu_metrics_render(m, VGPU_METRICS_PROMETHEUS, NULL);
		ck_assert_ptr_nonnull(strstr(t, "\",reason=\"request\"} 2\n"));
		ck_assert_ptr_nonnull(strstr(t, "\",reason=\"placement\"} 1\n"));
		ck_assert_ptr_nonnull(strstr(t, "vgpu_steps_refused_total{node=\"n1\",reason=\"whole_gpu_on_slices\"} 2\n"));
		free(t);
		vgpu_metrics_free(m);
	}
	rm_rf(dir);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, escape_label_values);
	tcase_add_test(tc, openmetrics_text);
	tcase_add_test(tc, bad_samples_refused);
	tcase_add_test(tc, from_the_show_model);
	tcase_add_test(tc, from_the_partition_view);
	tcase_add_test(tc, counter_files);
	tcase_add_test(tc, counting_from_many_processes);
	tcase_add_test(tc, counter_directory);
	tcase_add_test(tc, plugin_hooks);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
