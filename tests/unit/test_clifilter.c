/*
 * test_clifilter.c - the clients' admission of --gres=vgpu:REQUEST
 * (src/lib/vgpu_clifilter.c, the rules of the C cli_filter): the --gres
 * split, every refusal with its exact message (the cases tests/e2e/0215
 * checks through srun, sbatch and salloc), the constraint merge,
 * and the new gres / constraint / comment / export of each client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_clifilter.h"
#include "vgpu_conf.h"
#include "vgpu_test.h"

/* 0210's devcluster: memory accounting, 1 GiB shards, one H100; mem=NG takes
 * N + 1 shards (its first context, the default ContextMemory of 512M, comes
 * on top). */
static const char memory_conf[] =
	"AccountingMode=memory\nShardMemory=1G\nGpuType=h100 Memory=81559M SMs=132\n";
/* 0205's three types, strict accounting: untyped requests get features. */
static const char three_conf[] =
	"AccountingMode=strict\nShardsPerGpu=100\nGpuType=H100 Memory=81559M SMs=132\n"
	"GpuType=a100 Memory=40G SMs=108\nGpuType=l40s Memory=46068M SMs=142\n";

static vgpu_conf_t conf;
static vgpu_clifilter_out_t out;        /* large: not on the stack */

static void load(const char *text)
{
	vgpu_err_t err;

	ck_assert_msg(vgpu_conf_parse(text, strlen(text), "t.conf", &conf, &err) == 0, "%s", err.msg);
}

static vgpu_clifilter_in_t input(vgpu_clifilter_client_t client, const char *gres)
{
	vgpu_clifilter_in_t in;

	memset(&in, 0, sizeof(in));
	in.client = client;
	in.gres = gres;
	return in;
}

/* Run in with the loaded conf; expect a refusal with exactly msg. */
static void refused(const vgpu_clifilter_in_t *in, const char *msg)
{
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_clifilter_run(in, &conf, &out, &err), VGPU_CLIFILTER_REFUSED);
	ck_assert_str_eq(err.msg, msg);
}

/* The same through srun --gres=GRES (as 22.05 hands it over: "gres:" items). */
static void srun_refused(const char *gres, const char *msg)
{
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SRUN, gres);

	refused(&in, msg);
}

static void changed(const vgpu_clifilter_in_t *in)
{
	vgpu_err_t err;
	int rc = vgpu_clifilter_run(in, &conf, &out, &err);

	ck_assert_msg(rc == VGPU_CLIFILTER_CHANGED, "rc %d: %s", rc, rc < 0 ? err.msg : "");
}

START_TEST(no_vgpu_item)
{
	const char *cases[] = { "gres:shard:10", "gres:gpu:1,gres:shard:2", "gres:vgpux:1",
				"gres:avgpu:1", "gres:gpu:vgpu:1", "," };
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SRUN, NULL);
	vgpu_err_t err;
	size_t i;

	load(memory_conf);
	ck_assert_int_eq(vgpu_clifilter_run(&in, &conf, &out, &err), VGPU_CLIFILTER_NONE);
	in.gres = "";
	ck_assert_int_eq(vgpu_clifilter_run(&in, NULL, &out, &err), VGPU_CLIFILTER_NONE);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in.gres = cases[i];
		in.gpus[0] = "2";       /* --gpus alone is not the filter's business */
		ck_assert_int_eq(vgpu_clifilter_run(&in, &conf, &out, &err), VGPU_CLIFILTER_NONE);
		ck_assert_str_eq(out.gres, "");
		ck_assert_int_eq(out.set_constraint + out.set_comment + out.set_export, 0);
	}
}
END_TEST

/* tests/e2e/0210's table: REQUEST|MESSAGE, each refused by every client. */
static const char *const parser_cases[][2] = {
	{ "", "--gres=vgpu: empty request (expected e.g. mem=10G or mem=10G,cores=25)" },
	{ "mem=", "--gres=vgpu: empty value in 'mem=' (e.g. mem=10G)" },
	{ "mem=10X",
	  "--gres=vgpu: mem: unknown unit 'X' in '10X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)" },
	{ "mem=1.5G",
	  "--gres=vgpu: mem: fraction in '1.5G' (use a whole number of a smaller unit, e.g. 1536M for 1.5G)" },
	{ "mem=-5G", "--gres=vgpu: mem: negative size '-5G'" },
	{ "mem=0G", "--gres=vgpu: mem: size '0G' is zero" },
	{ "mem=16384P",
	  "--gres=vgpu: mem: size '16384P' is too large (at most 18446744073709551615 bytes, 16 EiB)" },
	{ "mem=10G5", "--gres=vgpu: mem: unexpected '5' after '10G' in '10G5' (no spaces, one unit)" },
	{ "mem=+5G",
	  "--gres=vgpu: mem: '+5G' is not a size (expected a number with an optional unit, e.g. 10G)" },
	{ "memory=10G",
	  "--gres=vgpu: unknown key 'memory' in 'memory=10G' (expected mem, share, cores, ctx, type or gpus)" },
	{ "mem=1G:mem=2G", "--gres=vgpu: duplicate key 'mem' in 'mem=2G' (each key may appear once)" },
	{ "mem=10G::cores=25",
	  "--gres=vgpu: empty item in 'mem=10G::cores=25' (items are separated by one ',' or ':')" },
	{ "mem", "--gres=vgpu: item 'mem' has no '=' (expected key=value, e.g. mem=10G)" },
	{ "mem=1G:cores=101", "--gres=vgpu: cores: 'cores=101' is out of range (expected 1..100)" },
	{ "mem=1G:cores=0", "--gres=vgpu: cores: 'cores=0' is out of range (expected 1..100)" },
	{ "mem=1G:cores=abc",
	  "--gres=vgpu: cores: 'cores=abc' is not a whole percentage (expected 1..100, e.g. cores=25)" },
	{ "type=h100",
	  "--gres=vgpu: request 'type=h100' gives neither mem, share nor cores (e.g. mem=10G, share=1/3 or cores=25)" },
	{ "mem=1G:type=1abc", "--gres=vgpu: type: name '1abc' does not start with a letter" },
	{ "mem=1G:type=v100", "request 'mem=1G,type=v100': type 'v100' is not configured (configured: h100)" },
	{ "mem=1G:gpus=65", "--gres=vgpu: gpus: 'gpus=65' is out of range (expected 1..64)" },
	{ "mem=1G:gpus=2",
	  "gpus=2: a slice is one GPU's share; Slurm 22.05 places shards on one GPU per node (ask for gpus=1 or whole GPUs)" },
	{ "cores=25", "request 'cores=25': memory accounting needs mem= or share= (e.g. mem=10G)" },
	{ "mem=100G",
	  "request 'mem=100G' needs 100 GiB and 512 MiB for its first context, more than one h100 GPU offers (79.6 GiB usable)" },
	{ "mem=1G';touch /tmp/pwned;'",
	  "--gres=vgpu: mem: unexpected '';touch /tmp/pwned;'' after '1G' in '1G';touch /tmp/pwned;'' (no spaces, one unit)" },
};

START_TEST(parser_and_accounting_messages)
{
	const vgpu_clifilter_client_t clients[] = { VGPU_CLIFILTER_SRUN, VGPU_CLIFILTER_SBATCH,
						    VGPU_CLIFILTER_SALLOC, VGPU_CLIFILTER_OTHER };
	char gres[512];
	size_t i, c;

	load(memory_conf);
	for (i = 0; i < sizeof(parser_cases) / sizeof(parser_cases[0]); i++) {
		snprintf(gres, sizeof(gres), "gres:vgpu:%s", parser_cases[i][0]);
		for (c = 0; c < 4; c++) {
			vgpu_clifilter_in_t in = input(clients[c], gres);

			refused(&in, parser_cases[i][1]);
		}
	}
	/* "vgpu" alone and "vgpu:" are the empty request */
	srun_refused("gres:vgpu", parser_cases[0][1]);
	srun_refused("gres:vgpu:", parser_cases[0][1]);
	srun_refused("gres:vgpu=", parser_cases[0][1]);
}
END_TEST

START_TEST(mixing_refused)
{
	static const char gpus_msg[] = "--gres=vgpu cannot be combined with --%s (a slice is part of one GPU)";
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SALLOC, "gres:vgpu:mem=1G");
	char msg[200];
	int i;

	load(memory_conf);
	srun_refused("gres:vgpu:mem=1G,gres:gpu:1",
		     "--gres=vgpu cannot be combined with --gres=gpu (a slice is part of one GPU)");
	srun_refused("gres:shard:5,gres:vgpu:mem=1G",
		     "--gres=vgpu cannot be combined with --gres=shard (a slice is part of one GPU)");
	srun_refused("gres:mps:50,gres:vgpu:mem=1G",
		     "--gres=vgpu cannot be combined with --gres=mps (a slice is part of one GPU)");
	/* the last GPU item is named; a bad request is not looked at */
	srun_refused("gres:gpu:h100:1,gres:vgpu:mem=1X,gres:shard:2",
		     "--gres=vgpu cannot be combined with --gres=shard (a slice is part of one GPU)");
	srun_refused("gres:vgpu:mem=1G,gres:vgpu:mem=2G", "--gres: vgpu given twice");
	srun_refused("gres:gpu:1,gres:vgpu:mem=1G,gres:vgpu=mem=2G", "--gres: vgpu given twice");
	for (i = 0; i < VGPU_CLIFILTER_NGPUOPTS; i++) {
		memset(in.gpus, 0, sizeof(in.gpus));
		in.gpus[i] = "1";
		snprintf(msg, sizeof(msg), gpus_msg, vgpu_clifilter_gpu_options[i]);
		refused(&in, msg);
	}
	ck_assert_str_eq(vgpu_clifilter_gpu_options[0], "gpus");
	ck_assert_str_eq(vgpu_clifilter_gpu_options[3], "gpus-per-socket");
	/* the first one set is named; "" and "0" are not set */
	in.gpus[0] = "0";
	in.gpus[1] = "";
	in.gpus[2] = "h100:1";
	in.gpus[3] = "1";
	refused(&in, "--gres=vgpu cannot be combined with --gpus-per-task (a slice is part of one GPU)");
	in.gpus[2] = in.gpus[3] = "0";
	changed(&in);
	ck_assert_str_eq(out.gres, "shard:2");
}
END_TEST

START_TEST(srun_rewrite)
{
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SRUN, "gres:vgpu:mem=10G:cores=25");

	load(memory_conf);
	changed(&in);
	ck_assert_str_eq(out.gres, "shard:11");
	ck_assert_str_eq(out.req, "mem=10G:cores=25");
	ck_assert_str_eq(out.canon, "mem=10G:cores=25");
	ck_assert_uint_eq(out.shards, 11);
	ck_assert_int_eq(out.set_export, 1);
	ck_assert_str_eq(out.export_env, "VGPU_REQUEST=mem=10G:cores=25,ALL");
	ck_assert_int_eq(out.set_constraint, 0);
	ck_assert_int_eq(out.set_comment, 0);
	/* Slurm split it at ',': joined again, canonical with ':' */
	in.gres = "gres:vgpu:mem=10G,gres:cores=30";
	in.export_env = "";
	changed(&in);
	ck_assert_str_eq(out.req, "mem=10G,cores=30");
	ck_assert_str_eq(out.export_env, "VGPU_REQUEST=mem=10G:cores=30,ALL");
	/* the user's export list is kept; no "gres:" prefix; 23.11's "gres/" */
	in.gres = "vgpu:MEM=1536M";
	in.export_env = "NONE,HOME";
	changed(&in);
	ck_assert_str_eq(out.gres, "shard:2");
	/* first: srun ignores what follows NONE */
	ck_assert_str_eq(out.export_env, "VGPU_REQUEST=mem=1536M,NONE,HOME");
	/* a hetjob's second component inherits the first one's list: its item goes */
	in.export_env = "VGPU_REQUEST=mem=1G,ALL,FOO=1,VGPU_REQUEST,VGPU_REQUESTS=2";
	changed(&in);
	ck_assert_str_eq(out.export_env, "VGPU_REQUEST=mem=1536M,ALL,FOO=1,VGPU_REQUESTS=2");
	in.export_env = "VGPU_REQUEST=mem=1G";
	changed(&in);
	ck_assert_str_eq(out.export_env, "VGPU_REQUEST=mem=1536M,NONE");
	in.gres = "gres/vgpu:mem=2G,gres/cores=5";
	changed(&in);
	ck_assert_str_eq(out.gres, "shard:3");
	ck_assert_str_eq(out.canon, "mem=2G:cores=5");
	/* "vgpu=..." works as "vgpu:..." */
	in.gres = "gres:vgpu=mem=3G";
	changed(&in);
	ck_assert_str_eq(out.gres, "shard:4");
	/* scrontab and other clients: as srun, but the request last */
	in.client = VGPU_CLIFILTER_OTHER;
	in.export_env = NULL;
	changed(&in);
	ck_assert_str_eq(out.export_env, "ALL,VGPU_REQUEST=mem=3G");
	ck_assert_int_eq(out.set_comment, 0);
}
END_TEST

START_TEST(other_items_kept)
{
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SRUN, "gres:foo:2,gres:vgpu:mem=1G,gres:bar");

	load(memory_conf);
	changed(&in);
	ck_assert_str_eq(out.gres, "foo:2,bar,shard:2");
	/* a key=value item continues the request only right after it */
	in.gres = "gres:vgpu:mem=1G,gres:foo:2,gres:cores=3";
	changed(&in);
	ck_assert_str_eq(out.req, "mem=1G");
	ck_assert_str_eq(out.gres, "foo:2,cores=3,shard:2");
	in.gres = "gres:vgpu:mem=1G,gres:cores=3,gres:x=1";
	refused(&in, "--gres=vgpu: unknown key 'x' in 'x=1' (expected mem, share, cores, ctx, type or gpus)");
	in.gres = "gres:vgpu:mem=1G,gres:cores=3,gres:x1=1";
	changed(&in);
	ck_assert_str_eq(out.gres, "x1=1,shard:2");
	/* empty items between commas are skipped; an item "gres:" is an empty one, kept */
	in.gres = ",,gres:vgpu:mem=1G,,gres:foo,";
	changed(&in);
	ck_assert_str_eq(out.gres, "foo,shard:2");
	in.gres = "gres:,gres:vgpu:mem=1G";
	changed(&in);
	ck_assert_str_eq(out.gres, ",shard:2");
}
END_TEST

START_TEST(sbatch_comment)
{
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SBATCH, "gres:vgpu:mem=2G:cores=40");

	load(memory_conf);
	in.comment = "my run";
	in.export_env = "ALL,FOO=1";
	changed(&in);
	ck_assert_str_eq(out.gres, "shard:3");
	ck_assert_int_eq(out.set_comment, 1);
	ck_assert_str_eq(out.comment, "[vgpu-request:mem=2G:cores=40]my run");
	ck_assert_int_eq(out.set_export, 0);
	in.comment = NULL;
	in.gres = "gres:vgpu:mem=1G";
	changed(&in);
	ck_assert_str_eq(out.comment, "[vgpu-request:mem=1G]");
}
END_TEST

START_TEST(salloc_neither)
{
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SALLOC, "gres:vgpu:mem=4G");

	load(memory_conf);
	in.comment = "c";
	in.export_env = "ALL";
	changed(&in);
	ck_assert_str_eq(out.gres, "shard:5");
	ck_assert_int_eq(out.set_comment + out.set_export + out.set_constraint, 0);
}
END_TEST

START_TEST(constraint_merge)
{
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SRUN, "gres:vgpu:mem=42G");
	static const char msg[] =
		"--constraint '%s' cannot be combined with the GPU type constraint '%s' this slice "
		"needs (Slurm 22.05 cannot nest parentheses or combine brackets or counts with it): "
		"use a plain list of features joined by & or |";
	const char *bad[] = { "(a)", "a)", "[a|b]", "a*2", "!a", "a&b]" };
	char want[VGPU_ERR_MAX];
	size_t i;

	load(three_conf);
	changed(&in);
	ck_assert_uint_eq(out.shards, 95);
	ck_assert_int_eq(out.set_constraint, 1);
	ck_assert_str_eq(out.constraint, "vgpu_h100|vgpu_l40s");
	in.constraint = "";
	changed(&in);
	ck_assert_str_eq(out.constraint, "vgpu_h100|vgpu_l40s");
	in.constraint = "fast";
	changed(&in);
	ck_assert_str_eq(out.constraint, "fast&(vgpu_h100|vgpu_l40s)");
	in.constraint = "a|b";
	in.gres = "gres:vgpu:mem=1G:type=a100";
	changed(&in);
	ck_assert_str_eq(out.constraint, "(a|b)&vgpu_a100");
	ck_assert_str_eq(out.gres, "shard:4");
	in.constraint = "a&b";
	changed(&in);
	ck_assert_str_eq(out.constraint, "a&b&vgpu_a100");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.constraint = bad[i];
		snprintf(want, sizeof(want), msg, bad[i], "vgpu_a100");
		refused(&in, want);
	}
	in.gres = "gres:vgpu:mem=42G";
	in.constraint = "[a|b]";
	snprintf(want, sizeof(want), msg, "[a|b]", "vgpu_h100|vgpu_l40s");
	refused(&in, want);
	/* fits every type: no features, the user's constraint untouched */
	in.gres = "gres:vgpu:mem=10G";
	changed(&in);
	ck_assert_uint_eq(out.shards, 27); /* the a100's: ceil((10 GiB + 512 MiB) * 100 / 40 GiB) */
	ck_assert_int_eq(out.set_constraint, 0);
	ck_assert_str_eq(out.constraint, "");
}
END_TEST

START_TEST(conf_on_demand)
{
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SRUN, "gres:vgpu:mem=1G");
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_clifilter_run(&in, NULL, &out, &err), VGPU_CLIFILTER_NEED_CONF);
	in.gres = "gres:vgpu:mem=1X";
	ck_assert_int_eq(vgpu_clifilter_run(&in, NULL, &out, &err), VGPU_CLIFILTER_REFUSED);
	ck_assert_str_eq(err.msg, "--gres=vgpu: mem: unknown unit 'X' in '1X' (expected B, K, M, G, "
			 "T, P, KiB..PiB or KB..PB)");
	in.gres = "gres:shard:1";
	ck_assert_int_eq(vgpu_clifilter_run(&in, NULL, &out, &err), VGPU_CLIFILTER_NONE);
	in.gres = "gres:vgpu:mem=1G,gres:gpu:1";
	ck_assert_int_eq(vgpu_clifilter_run(&in, NULL, &out, &err), VGPU_CLIFILTER_REFUSED);
	/* err may be NULL */
	ck_assert_int_eq(vgpu_clifilter_run(&in, NULL, &out, NULL), VGPU_CLIFILTER_REFUSED);
}
END_TEST

START_TEST(too_long)
{
	static char big[VGPU_CLIFILTER_OPT_MAX + 64];
	vgpu_clifilter_in_t in = input(VGPU_CLIFILTER_SRUN, big);

	load(memory_conf);
	/* a long --gres without vgpu is none of the filter's business */
	memset(big, 'a', sizeof(big) - 1);
	ck_assert_int_eq(vgpu_clifilter_run(&in, &conf, &out, NULL), VGPU_CLIFILTER_NONE);
	memcpy(big, "gres:vgpu:mem=1G,", 17);
	refused(&in, "--gres: the value with the vgpu request would be longer than 16383 bytes");
	/* the others fill the buffer exactly: no room for ",shard:1" */
	memset(big, 0, sizeof(big));
	memcpy(big, "vgpu:mem=1G,", 12);
	memset(big + 12, 'a', VGPU_CLIFILTER_OPT_MAX - 1);
	refused(&in, "--gres: the value with the vgpu request would be longer than 16383 bytes");
	big[12 + VGPU_CLIFILTER_OPT_MAX - 1 - 8] = '\0';
	changed(&in);
	ck_assert_uint_eq(strlen(out.gres), VGPU_CLIFILTER_OPT_MAX - 1);
	in.gres = "vgpu:mem=1G";
	in.export_env = big + 12;
	refused(&in, "--export: the value with the vgpu request would be longer than 16383 bytes");
	in.client = VGPU_CLIFILTER_SBATCH;
	in.comment = big + 12;
	refused(&in, "--comment: the value with the vgpu request would be longer than 16383 bytes");
}
END_TEST

START_TEST(client_names)
{
	ck_assert_int_eq(vgpu_clifilter_client("srun"), VGPU_CLIFILTER_SRUN);
	ck_assert_int_eq(vgpu_clifilter_client("sbatch"), VGPU_CLIFILTER_SBATCH);
	ck_assert_int_eq(vgpu_clifilter_client("salloc"), VGPU_CLIFILTER_SALLOC);
	ck_assert_int_eq(vgpu_clifilter_client("scrontab"), VGPU_CLIFILTER_OTHER);
	ck_assert_int_eq(vgpu_clifilter_client("srun2"), VGPU_CLIFILTER_OTHER);
	ck_assert_int_eq(vgpu_clifilter_client(NULL), VGPU_CLIFILTER_OTHER);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("clifilter");
	TCase *tc = tcase_create("clifilter");

	tcase_add_test(tc, no_vgpu_item);
	tcase_add_test(tc, parser_and_accounting_messages);
	tcase_add_test(tc, mixing_refused);
	tcase_add_test(tc, srun_rewrite);
	tcase_add_test(tc, other_items_kept);
	tcase_add_test(tc, sbatch_comment);
	tcase_add_test(tc, salloc_neither);
	tcase_add_test(tc, constraint_merge);
	tcase_add_test(tc, conf_on_demand);
	tcase_add_test(tc, too_long);
	tcase_add_test(tc, client_names);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
