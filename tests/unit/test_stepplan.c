/* Unit tests for vgpu_stepplan: the StateDir file formats (owner, gpu,
 * cap: exact texts, every refusal, round trips), entry names, and the
 * step's plan or refusal from Slurm's values and a StateDir view: the
 * whole-GPU guard (refused beside slices, and when StateDir could not be
 * listed), a slice beside whole GPUs, limits and the job's cap. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vgpu_stepplan.h"
#include "vgpu_test.h"

#define UUID0 "GPU-12345678-1234-1234-1234-123456789abc"
#define UUID1 "GPU-87654321-1234-1234-1234-123456789abc"

START_TEST(owner_format_parse)
{
	char buf[64];
	long pid = 0;
	unsigned long long st = 0;
	static const char *const bad[] = { "", "0 5", "5 0", "-1 5", "5", "5 ", " 5 6", "5  6", "5 6 7",
					   "5 6\n\n", "99999999999 6", "5 99999999999999999999999", "5\t6" };

	ck_assert_int_eq(vgpu_stepplan_owner_format(4242, 123456, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "4242 123456\n");
	ck_assert_int_eq(vgpu_stepplan_owner_parse(buf, strlen(buf), &pid, &st), 0);
	ck_assert_int_eq(pid, 4242);
	ck_assert_uint_eq(st, 123456);
	ck_assert_int_eq(vgpu_stepplan_owner_parse("7 8", 3, &pid, &st), 0);
	ck_assert_int_eq(vgpu_stepplan_owner_format(4242, 123456, buf, 5), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(vgpu_stepplan_owner_parse(bad[i], strlen(bad[i]), &pid, &st) == -1, "'%s'", bad[i]);
}
END_TEST

START_TEST(gpus_format_parse)
{
	vgpu_stepplan_gpus_t g, h;
	vgpu_err_t err;
	char buf[512];
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "", "gpu: empty" },
		{ "x n1\n", "gpu:1: not \"IDX HOST\" or \"IDX HOST whole\" (IDX 0-1023)" },
		{ "1024 n1\n", "gpu:1: not \"IDX HOST\" or \"IDX HOST whole\" (IDX 0-1023)" },
		{ "0 n1 part\n", "gpu:1: the third field must be \"whole\"" },
		{ "0 n1 whole x\n", "gpu:1: more than three fields" },
		{ "0 n1\n1 n1\n", "gpu:2: a slice step has one GPU line" },
		{ "0 n1 whole\n1 n1\n", "gpu:2: a slice step has one GPU line" },
		{ "0 n1 whole\n1 n2 whole\n", "gpu:2: host 'n2' is not line 1's 'n1'" },
		{ "0 \n", "gpu:1: not \"IDX HOST\" or \"IDX HOST whole\" (IDX 0-1023)" },
	};

	ck_assert_int_eq(vgpu_stepplan_gpus_parse("3 n1\n", 5, "gpu", &g, &err), 0);
	ck_assert_str_eq(g.host, "n1");
	ck_assert_int_eq(g.whole, 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.index[0], 3);
	ck_assert_int_eq(vgpu_stepplan_gpus_format(&g, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "3 n1\n");
	ck_assert_int_eq(vgpu_stepplan_gpus_parse("0 n1 whole\n2 n1 whole\n", 22, "gpu", &g, &err), 0);
	ck_assert_int_eq(g.whole, 1);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.index[1], 2);
	ck_assert_int_eq(vgpu_stepplan_gpus_format(&g, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0 n1 whole\n2 n1 whole\n");
	ck_assert_int_eq(vgpu_stepplan_gpus_parse(buf, strlen(buf), "gpu", &h, &err), 0);
	ck_assert_int_eq(memcmp(&g, &h, sizeof(g)), 0);
	ck_assert_int_eq(vgpu_stepplan_gpus_format(&g, buf, 12), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(vgpu_stepplan_gpus_parse(bad[i].text, strlen(bad[i].text), "gpu", &g, &err) == -1, "%s",
			      bad[i].text);
		ck_assert_str_eq(err.msg, bad[i].msg);
	}
	/* a slice step has one line; a bad host is not written */
	memset(&g, 0, sizeof(g));
	g.n = 2;
	snprintf(g.host, sizeof(g.host), "n1");
	ck_assert_int_eq(vgpu_stepplan_gpus_format(&g, buf, sizeof(buf)), -1);
	g.n = 1;
	snprintf(g.host, sizeof(g.host), "n 1");
	ck_assert_int_eq(vgpu_stepplan_gpus_format(&g, buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(cap_format_parse)
{
	char buf[160], u[64];
	uint64_t mem = 0;
	unsigned sm = 0;
	vgpu_err_t err;
	static const char *const bad[] = { "", UUID0, UUID0 " 0 100", UUID0 " 10 10001", "GPU-x 10 100",
					   UUID0 " 10 100 1", UUID0 "  10 100", UUID0 " 1125899906842625 100" };

	ck_assert_int_eq(vgpu_stepplan_cap_format(UUID0, 10737418240ull, 2500, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, UUID0 " 10737418240 2500\n");
	ck_assert_int_eq(vgpu_stepplan_cap_parse(buf, strlen(buf), "cap", u, sizeof(u), &mem, &sm, &err), 0);
	ck_assert_str_eq(u, UUID0);
	ck_assert_uint_eq(mem, 10737418240ull);
	ck_assert_uint_eq(sm, 2500);
	ck_assert_int_eq(vgpu_stepplan_cap_format("GPU-x", 1, 1, buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_stepplan_cap_format(UUID0, 0, 1, buf, sizeof(buf)), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(vgpu_stepplan_cap_parse(bad[i], strlen(bad[i]), "J/cap", u, sizeof(u), &mem, &sm, &err) ==
				      -1,
			      "'%s'", bad[i]);
		ck_assert_str_eq(err.msg, "J/cap: not \"UUID MEM SM\" (MEM 1-1125899906842624 bytes, SM 0-10000)");
	}
}
END_TEST

START_TEST(entry_names)
{
	unsigned long j = 0, n = 0;

	ck_assert_int_eq(vgpu_stepplan_name("42.0.1", &j, &n), 1);
	ck_assert_uint_eq(j, 42);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(vgpu_stepplan_name("42.batch.0", &j, &n), 1);
	ck_assert_int_eq(vgpu_stepplan_name("42.batch.0.new", &j, &n), 11);
	ck_assert_int_eq(vgpu_stepplan_name("job.43.2", &j, &n), 2);
	ck_assert_uint_eq(j, 43);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(vgpu_stepplan_name("job.43.2.new", &j, &n), 12);
	ck_assert_int_eq(vgpu_stepplan_name("job.43", &j, &n), 0);
	ck_assert_int_eq(vgpu_stepplan_name("42.0", &j, &n), 0);
	ck_assert_int_eq(vgpu_stepplan_name("42.x.0", &j, &n), 0);
	ck_assert_int_eq(vgpu_stepplan_name("42.0.1.old", &j, &n), 0);
	ck_assert_int_eq(vgpu_stepplan_name(".", &j, &n), 0);
	ck_assert_int_eq(vgpu_stepplan_name("4294967296.0.0", &j, &n), 0);
}
END_TEST

static vgpu_stepplan_in_t in_slice(const char *shards, const char *gpus)
{
	vgpu_stepplan_in_t in;

	memset(&in, 0, sizeof(in));
	in.job = 7;
	in.host = "n1";
	in.shards_on_node = shards;
	in.step_gpus = gpus;
	in.guard = 1;
	return in;
}

static void add(vgpu_stepplan_view_t *v, const char *name, int alive, const char *gpus)
{
	vgpu_stepplan_entry_t e;
	vgpu_err_t err;

	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.kind = vgpu_stepplan_name(name, &e.job, &e.node) == 2 ? VGPU_STEPPLAN_JOBDIR : VGPU_STEPPLAN_STEPDIR;
	e.alive = alive;
	if (gpus)
		e.gpus_ok = vgpu_stepplan_gpus_parse(gpus, strlen(gpus), name, &e.gpus, &err) == 0;
	else
		snprintf(e.gpus_why, sizeof(e.gpus_why), "StateDir /s/%s/gpu: Permission denied", name);
	ck_assert_int_eq(vgpu_stepplan_view_add(v, &e), 0);
}

START_TEST(begin_kinds)
{
	vgpu_stepplan_in_t in = in_slice("25", "1");
	vgpu_stepplan_t p;

	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_SLICE);
	ck_assert_uint_eq(p.shards, 25);
	ck_assert_uint_eq(p.index, 1);
	in.extern_step = 1;
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_NONE);
	in = in_slice("0", "1");
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_str_eq(p.why, "vgpu: SLURM_SHARDS_ON_NODE='0' is not a shard count");
	in = in_slice("25", "0,1");
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_msg(strstr(p.why, "SLURM_STEP_GPUS='0,1': this step's shards are on 2 GPUs") != NULL, "%s", p.why);
	in = in_slice("25", "1");
	in.config_invalid = "/etc/plugstack.conf:3: argument 2 'ctx=x': not a size";
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_str_eq(p.why, "vgpu: /etc/plugstack.conf:3: argument 2 'ctx=x': not a size");
	/* no shards: whole GPUs (guarded or not), or nothing */
	in = in_slice(NULL, "0,2");
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_WHOLE);
	ck_assert_uint_eq(p.whole.n, 2);
	ck_assert_uint_eq(p.whole.index[1], 2);
	in.guard = 0;
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_WHOLE_PLAIN);
	in = in_slice(NULL, NULL);
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_NONE);
	in = in_slice(NULL, "0,x");
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_msg(strstr(p.why, "SLURM_STEP_GPUS='0,x' is not a list") != NULL, "%s", p.why);
	/* the guard needs the plugin's arguments; a bad shim= alone does not stop it */
	in = in_slice(NULL, "0");
	in.config_invalid = "/etc/plugstack.conf:3: argument 1 'cnf=/x': unknown";
	in.config_args_bad = 1;
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_REFUSED);
	in.config_args_bad = 0;
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_WHOLE);
}
END_TEST

START_TEST(whole_guard)
{
	vgpu_stepplan_in_t in = in_slice(NULL, "0,1");
	vgpu_stepplan_view_t v;
	vgpu_stepplan_t p;

	vgpu_stepplan_view_init(&v, "/s");
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_WHOLE);
	ck_assert_int_eq(vgpu_stepplan_whole_check(&v, "n1", 7, &p), VGPU_STEPPLAN_WHOLE);
	add(&v, "9.0.0", 0, "1 n1\n");          /* dead */
	add(&v, "8.0.0", 1, "1 n2\n");          /* another node's */
	add(&v, "7.1.0", 1, "1 n1\n");          /* this job's */
	add(&v, "6.0.0", 1, "2 n1\n");          /* another GPU */
	add(&v, "5.0.0", 1, "0 n1 whole\n");    /* a whole-GPU step */
	add(&v, "job.6.0", 1, NULL);
	ck_assert_int_eq(vgpu_stepplan_whole_check(&v, "n1", 7, &p), VGPU_STEPPLAN_WHOLE);
	add(&v, "4.batch.0", 1, "1 n1\n");
	add(&v, "3.0.0", 1, "1 n1\n");
	add(&v, "4.0.0", 1, "1 n1\n");
	ck_assert_int_eq(vgpu_stepplan_whole_check(&v, "n1", 7, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_str_eq(p.why, "vgpu: GPU 1 holds slices of job(s) 4,3; Slurm allocated it whole to this job "
				"(Slurm 22.05 shard bug, see slurm-vgpu doc/slurm-integration.md); not running");
	vgpu_stepplan_view_free(&v);

	/* a live step whose gpu file cannot be read: not let through */
	vgpu_stepplan_view_init(&v, "/s");
	add(&v, "3.0.0", 1, NULL);
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_WHOLE);
	ck_assert_int_eq(vgpu_stepplan_whole_check(&v, "n1", 7, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_str_eq(p.why, "vgpu: StateDir /s/3.0.0/gpu: Permission denied; a whole-GPU step is not run "
				"without the check against slices on its GPUs (Slurm 22.05 shard bug)");
	vgpu_stepplan_view_free(&v);

	/* StateDir could not be listed: refused */
	vgpu_stepplan_view_init(&v, "/s");
	vgpu_stepplan_view_fail(&v, "StateDir %s cannot be listed: %s", "/s", "Permission denied");
	vgpu_stepplan_view_fail(&v, "a second reason is not kept");
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_WHOLE);
	ck_assert_int_eq(vgpu_stepplan_whole_check(&v, "n1", 7, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_str_eq(p.why, "vgpu: StateDir /s cannot be listed: Permission denied; a whole-GPU step is not run "
				"without the check against slices on its GPUs (Slurm 22.05 shard bug)");
	vgpu_stepplan_view_free(&v);
}
END_TEST

START_TEST(slice_guard)
{
	vgpu_stepplan_in_t in = in_slice("10", "0");
	vgpu_stepplan_view_t v;
	vgpu_stepplan_t p;

	vgpu_stepplan_view_init(&v, "/s");
	add(&v, "5.0.0", 1, "1 n1 whole\n");
	add(&v, "6.0.0", 0, "0 n1 whole\n");
	add(&v, "7.0.0", 1, "0 n1 whole\n"); /* this job's own */
	add(&v, "7.1.0", 1, "0 n1\n");
	add(&v, "7.2.0", 0, "0 n1\n");
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_SLICE);
	ck_assert_int_eq(vgpu_stepplan_slice_check(&v, "n1", 7, 1, &p), VGPU_STEPPLAN_SLICE);
	ck_assert_int_eq(vgpu_stepplan_job_steps(&v, 7, 0, NULL), 2);
	ck_assert_int_eq(vgpu_stepplan_job_steps(&v, 7, 0, "7.1.0"), 1);
	ck_assert_int_eq(vgpu_stepplan_job_steps(&v, 7, 1, NULL), 0);
	add(&v, "4.0.0", 1, "2 n1 whole\n0 n1 whole\n");
	ck_assert_int_eq(vgpu_stepplan_slice_check(&v, "n1", 7, 0, &p), VGPU_STEPPLAN_SLICE);
	ck_assert_int_eq(vgpu_stepplan_slice_check(&v, "n1", 7, 1, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_str_eq(p.why, "vgpu: GPU 0 is held whole by job(s) 4 (Slurm 22.05 shard bug, see slurm-vgpu "
				"doc/slurm-integration.md)");
	vgpu_stepplan_view_fail(&v, "StateDir /s cannot be listed: Input/output error");
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_SLICE);
	ck_assert_int_eq(vgpu_stepplan_slice_check(&v, "n1", 7, 0, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_str_eq(p.why, "vgpu: StateDir /s cannot be listed: Input/output error; a slice is not set up "
				"without knowing what else is on its GPU");
	vgpu_stepplan_view_free(&v);
}
END_TEST

START_TEST(slice_limits_and_cap)
{
	static const char text[] = "GpuType=h100 Memory=81559M SMs=132\n";
	vgpu_stepplan_in_t in = in_slice("25", "0");
	const vgpu_gpu_type_t *t;
	vgpu_conf_t conf;
	vgpu_err_t err;
	vgpu_stepplan_t p;
	char cap[160];

	ck_assert_msg(vgpu_conf_parse(text, sizeof(text) - 1, "vgpu.conf", &conf, &err) == 0, "%s", err.msg);
	t = vgpu_conf_find_type(&conf, "h100");
	ck_assert_ptr_nonnull(t);
	/* a batch step: its own limits are the job's cap */
	vgpu_stepplan_begin(&in, &p);
	ck_assert_int_eq(vgpu_stepplan_slice(&conf, t, UUID0, NULL, 0, 1, NULL, 0, &p), VGPU_STEPPLAN_SLICE);
	ck_assert_uint_gt(p.gpu.mem_bytes, 0);
	ck_assert_uint_eq(p.gpu.job_mem_bytes, p.gpu.mem_bytes);
	ck_assert_uint_eq(p.gpu.job_sm_bp, p.lim.sm_share);
	ck_assert_uint_eq(p.gpu.sm_bp, p.lim.sm_share);
	ck_assert_int_eq(p.need_job_cap, 0);
	ck_assert_str_eq(p.gpu.uuid, UUID0);
	/* another step: the recorded cap of this GPU, not below its limits */
	ck_assert_int_eq(vgpu_stepplan_cap_format(UUID0, 4 * p.gpu.mem_bytes, 10000, cap, sizeof(cap)), 0);
	vgpu_stepplan_begin(&in, &p);
	ck_assert_int_eq(vgpu_stepplan_slice(&conf, t, UUID0, NULL, 0, 0, cap, strlen(cap), &p), VGPU_STEPPLAN_SLICE);
	ck_assert_uint_eq(p.gpu.job_mem_bytes, 4 * p.gpu.mem_bytes);
	ck_assert_int_eq(p.need_job_cap, 0);
	vgpu_stepplan_begin(&in, &p);
	ck_assert_int_eq(vgpu_stepplan_slice(&conf, t, UUID1, NULL, 0, 0, cap, strlen(cap), &p), VGPU_STEPPLAN_SLICE);
	ck_assert_uint_eq(p.gpu.job_mem_bytes, 0);
	ck_assert_int_eq(p.need_job_cap, 1);
	ck_assert_int_eq(vgpu_stepplan_cap_format(UUID0, 1000, 10000, cap, sizeof(cap)), 0);
	vgpu_stepplan_begin(&in, &p);
	ck_assert_int_eq(vgpu_stepplan_slice(&conf, t, UUID0, NULL, 0, 0, cap, strlen(cap), &p), VGPU_STEPPLAN_SLICE);
	ck_assert_int_eq(p.need_job_cap, 1);
	/* slurmctld's count for the job: a cap when it covers the step */
	ck_assert_int_eq(vgpu_stepplan_job_cap(&conf, t, NULL, 50, &p, &err), 0);
	ck_assert_uint_ge(p.gpu.job_sm_bp, 2 * p.gpu.sm_bp - 1);
	ck_assert_uint_gt(p.gpu.job_mem_bytes, p.gpu.mem_bytes);
	vgpu_stepplan_begin(&in, &p);
	vgpu_stepplan_slice(&conf, t, UUID0, NULL, 0, 0, NULL, 0, &p);
	ck_assert_int_eq(vgpu_stepplan_job_cap(&conf, t, NULL, 10, &p, &err), 0);
	ck_assert_uint_eq(p.gpu.job_mem_bytes, 0);
	/* ctx= not below the slice: refused, naming it */
	vgpu_stepplan_begin(&in, &p);
	ck_assert_int_eq(vgpu_stepplan_slice(&conf, t, UUID0, NULL, UINT64_C(1) << 40, 1, NULL, 0, &p),
			 VGPU_STEPPLAN_REFUSED);
	ck_assert_msg(strncmp(p.why, "vgpu: plugstack.conf ctx=1099511627776 is not less than the slice", 65) == 0,
		      "%s", p.why);
	/* a refused plan stays refused */
	ck_assert_int_eq(vgpu_stepplan_slice(&conf, t, UUID0, NULL, 0, 1, NULL, 0, &p), VGPU_STEPPLAN_REFUSED);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("stepplan");
	TCase *tc = tcase_create("stepplan");

	tcase_add_test(tc, owner_format_parse);
	tcase_add_test(tc, gpus_format_parse);
	tcase_add_test(tc, cap_format_parse);
	tcase_add_test(tc, entry_names);
	tcase_add_test(tc, begin_kinds);
	tcase_add_test(tc, whole_guard);
	tcase_add_test(tc, slice_guard);
	tcase_add_test(tc, slice_limits_and_cap);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
