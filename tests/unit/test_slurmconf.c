/* Unit tests for the Slurm configuration generator (vgpu_slurmconf). */
#include <stdlib.h>
#include <string.h>

#include "vgpu_conf.h"
#include "vgpu_slurmconf.h"
#include "vgpu_test.h"

#define GIB (1024ull * 1024 * 1024)
#define MIB (1024ull * 1024)

static vgpu_inventory_t *invs;

static void add_gpu(vgpu_inventory_t *inv, unsigned minor, const char *type, uint64_t mem,
		    unsigned sms, const char *cores)
{
	vgpu_gpu_t *g = &inv->gpus[inv->ngpus];

	g->index = (unsigned)inv->ngpus;
	g->minor = minor;
	snprintf(g->type, sizeof(g->type), "%s", type);
	snprintf(g->model, sizeof(g->model), "NVIDIA %s", type);
	snprintf(g->bus_id, sizeof(g->bus_id), "0000:%02x:00.0", 0x10 + minor);
	g->mem_bytes = mem;
	g->sms = sms;
	g->numa_node = -1;
	snprintf(g->cores, sizeof(g->cores), "%s", cores);
	inv->ngpus++;
}

static void setup(void)
{
	invs = calloc(3, sizeof(*invs));
	ck_assert_ptr_nonnull(invs);
	/* Deliberately out of order: output is sorted by host and minor. */
	snprintf(invs[0].hostname, sizeof(invs[0].hostname), "node2");
	add_gpu(&invs[0], 1, "h100", 81559 * MIB, 132, "8-15");
	add_gpu(&invs[0], 0, "h100", 81559 * MIB, 132, "0-7");
	snprintf(invs[1].hostname, sizeof(invs[1].hostname), "node1");
	add_gpu(&invs[1], 0, "a100", 80 * GIB, 108, "");
	add_gpu(&invs[1], 1, "l40s", 46068 * MIB, 142, "");
}

static void teardown(void)
{
	free(invs);
}

/* Run the generator into a string (caller frees); NULL on failure with err. */
static char *gen(const vgpu_conf_t *conf, size_t n, const vgpu_slurmconf_opts_t *opts,
		 vgpu_err_t *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	ck_assert_ptr_nonnull(f);
	rc = vgpu_slurmconf_write(f, conf, invs, n, opts, err);
	fclose(f);
	if (rc != 0) {
		ck_assert_uint_eq(len, 0); /* nothing half-written */
		free(text);
		return NULL;
	}
	return text;
}

static void parse_conf(vgpu_conf_t *conf, const char *text)
{
	vgpu_err_t err;

	ck_assert_msg(vgpu_conf_parse(text, strlen(text), "test.conf", conf, &err) == 0, "%s",
		      err.msg);
}

START_TEST(strict_gres_and_nodes)
{
	vgpu_slurmconf_opts_t opts = { .what = VGPU_SLURMCONF_GRES | VGPU_SLURMCONF_NODES };
	vgpu_conf_t conf;
	vgpu_err_t err;
	char *out;

	parse_conf(&conf, "AccountingMode=strict\nShardsPerGpu=100\n");
	out = gen(&conf, 2, &opts, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out,
			 "GresTypes=gpu,shard\n"
			 "# NodeName=node1: GPUs of 2 types; a type= slice may be placed on a GPU of "
			 "the other type (doc/slurm-integration.md)\n"
			 "NodeName=node1 Gres=gpu:a100:1,gpu:l40s:1,shard:200 "
			 "Features=vgpu_a100,vgpu_l40s\n"
			 "NodeName=node2 Gres=gpu:h100:2,shard:200 Features=vgpu_h100\n"
			 "AutoDetect=off\n"
			 "NodeName=node1 Name=gpu Type=a100 File=/dev/nvidia0\n"
			 "NodeName=node1 Name=gpu Type=l40s File=/dev/nvidia1\n"
			 "NodeName=node1 Name=shard Count=100 File=/dev/nvidia0\n"
			 "NodeName=node1 Name=shard Count=100 File=/dev/nvidia1\n"
			 "NodeName=node2 Name=gpu Type=h100 File=/dev/nvidia0 Cores=0-7\n"
			 "NodeName=node2 Name=gpu Type=h100 File=/dev/nvidia1 Cores=8-15\n"
			 "NodeName=node2 Name=shard Count=100 File=/dev/nvidia0\n"
			 "NodeName=node2 Name=shard Count=100 File=/dev/nvidia1\n");
	free(out);
}
END_TEST

START_TEST(memory_mode_counts_shards_per_gpu)
{
	vgpu_slurmconf_opts_t opts = { .what = VGPU_SLURMCONF_GRES, .dev_dir = "/x/%n",
				       .omit_cores = 1 };
	vgpu_conf_t conf;
	vgpu_err_t err;
	char *out;

	/* usable h100 = 81559M - 1G = 80535M -> 78 shards of 1G */
	parse_conf(&conf, "AccountingMode=memory\nShardMemory=1G\nMemoryReserve=1G\n");
	out = gen(&conf, 1, &opts, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out,
			 "AutoDetect=off\n"
			 "NodeName=node2 Name=gpu Type=h100 File=/x/node2/nvidia0\n"
			 "NodeName=node2 Name=gpu Type=h100 File=/x/node2/nvidia1\n"
			 "NodeName=node2 Name=shard Count=78 File=/x/node2/nvidia0\n"
			 "NodeName=node2 Name=shard Count=78 File=/x/node2/nvidia1\n");
	free(out);
}
END_TEST

START_TEST(types_take_the_weakest_gpu)
{
	vgpu_slurmconf_opts_t opts = { .what = VGPU_SLURMCONF_TYPES };
	vgpu_conf_t conf;
	vgpu_err_t err;
	char *out;

	snprintf(invs[2].hostname, sizeof(invs[2].hostname), "node3");
	add_gpu(&invs[2], 0, "h100", 81000 * MIB, 130, "");
	vgpu_conf_init(&conf);
	out = gen(&conf, 3, &opts, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out,
			 "GpuType=a100 Memory=80G SMs=108 Model=\"NVIDIA a100\"   # 1 GPU\n"
			 "GpuType=l40s Memory=46068M SMs=142 Model=\"NVIDIA l40s\"   # 1 GPU\n"
			 "GpuType=h100 Memory=81000M SMs=130 Model=\"NVIDIA h100\"   # 3 GPUs\n");
	free(out);
}
END_TEST

START_TEST(mig_gpus_are_not_sliced)
{
	vgpu_slurmconf_opts_t opts = { .what = VGPU_SLURMCONF_ALL };
	vgpu_conf_t conf;
	vgpu_err_t err;
	char *out;

	invs[0].gpus[0].mig_enabled = 1;
	vgpu_conf_init(&conf);
	out = gen(&conf, 1, &opts, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(out, "NodeName=node2 Gres=gpu:h100:2,shard:120 Features=vgpu_h100\n"));
	ck_assert_ptr_nonnull(strstr(out, "# NodeName=node2 /dev/nvidia1: MIG enabled, not sliced\n"));
	ck_assert_ptr_null(strstr(out, "Count=100 File=/dev/nvidia1"));
	ck_assert_ptr_nonnull(strstr(out, "# 1 GPU\n"));
	free(out);
}
END_TEST

/* A node whose GPUs of one type are all MIG-enabled offers no slices of
 * that type: no feature for it. */
START_TEST(features_only_for_sliced_types)
{
	vgpu_slurmconf_opts_t opts = { .what = VGPU_SLURMCONF_NODES };
	vgpu_conf_t conf;
	vgpu_err_t err;
	char *out;

	invs[1].gpus[1].mig_enabled = 1; /* node1's l40s */
	vgpu_conf_init(&conf);
	out = gen(&conf, 2, &opts, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_str_eq(out, "GresTypes=gpu,shard\n"
			      "NodeName=node1 Gres=gpu:a100:1,gpu:l40s:1,shard:120 Features=vgpu_a100\n"
			      "NodeName=node2 Gres=gpu:h100:2,shard:240 Features=vgpu_h100\n");
	free(out);
}
END_TEST

START_TEST(feature_names)
{
	char buf[16];

	ck_assert_int_eq(vgpu_slurmconf_feature("H100", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "vgpu_h100");
	ck_assert_int_eq(vgpu_slurmconf_feature("RTX-6000.a", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "vgpu_rtx-6000.a");       /* 15 characters and the NUL */
	ck_assert_int_eq(vgpu_slurmconf_feature("RTX-6000.ad", buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(vgpu_slurmconf_feature("", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_slurmconf_feature("a", buf, 0), -1);
}
END_TEST

/* req_line(CONF, REQUEST): vgpu_slurmconf_admit's answer as "ok SHARDS
 * CANONICAL FEATURES" ('-' for no features), or "ERR: msg" (the answer then
 * all zero). */
static const char *req_line(const char *conftext, const char *text)
{
	static char line[sizeof(vgpu_slurmconf_admit_t) + VGPU_ERR_MAX + 32];
	vgpu_slurmconf_admit_t ans, zero;
	vgpu_conf_t conf;
	vgpu_request_t req;
	vgpu_err_t err;

	parse_conf(&conf, conftext);
	ck_assert_msg(vgpu_request_parse(text, NULL, &req, &err) == 0, "%s", err.msg);
	memset(&ans, 0x55, sizeof(ans));
	memset(&zero, 0, sizeof(zero));
	if (vgpu_slurmconf_admit(&conf, &req, &ans, &err) != 0) {
		ck_assert_msg(memcmp(&ans, &zero, sizeof(ans)) == 0, "a refusal leaves an answer");
		snprintf(line, sizeof(line), "ERR: %s", err.msg);
	} else {
		snprintf(line, sizeof(line), "ok %u %s %s", ans.shards, ans.canon,
			 ans.features[0] ? ans.features : "-");
	}
	return line;
}

START_TEST(request_line_for_the_cli_filter)
{
	const char *three = "AccountingMode=strict\nShardsPerGpu=100\n"
			    "GpuType=H100 Memory=81559M SMs=132\nGpuType=a100 Memory=40G SMs=108\n"
			    "GpuType=l40s Memory=46068M SMs=142\n";
	const char *strict = "AccountingMode=strict\nShardsPerGpu=100\n"
			     "GpuType=h100 Memory=81559M SMs=132\nGpuType=a100 Memory=40G SMs=108\n";
	const char *memory = "AccountingMode=memory\nShardMemory=1G\nGpuType=h100 Memory=81559M SMs=132\n";

	ck_assert_str_eq(req_line(three, "mem=1G"), "ok 4 mem=1G -");
	ck_assert_str_eq(req_line(three, "mem=42G"), "ok 95 mem=42G vgpu_h100|vgpu_l40s");
	ck_assert_str_eq(req_line(three, "mem=50G,cores=10"), "ok 64 mem=50G:cores=10 vgpu_h100");
	ck_assert_str_eq(req_line(three, "mem=10G,type=A100"), "ok 27 mem=10G:type=a100 vgpu_a100");
	ck_assert_str_eq(req_line(three, "mem=1G,gpus=2"),
			 "ERR: gpus=2: a slice is one GPU's share; Slurm 22.05 places shards on one "
			 "GPU per node (ask for gpus=1 or whole GPUs)");
	ck_assert_str_eq(req_line(three, "mem=1G,type=v100"),
			 "ERR: request 'mem=1G,type=v100': type 'v100' is not configured "
			 "(configured: h100, a100, l40s)");
	/* memory accounting: the same count on every type it fits */
	ck_assert_str_eq(req_line("AccountingMode=memory\nShardMemory=1G\n"
				  "GpuType=h100 Memory=81559M SMs=132\nGpuType=l40s Memory=46068M SMs=142\n",
				  "mem=50G"),
			 "ok 51 mem=50G vgpu_h100");
	/* strict: the largest count over the types it fits (a100: 10G and a
	 * context, the default 512M, of 40G); every mem= here has one on top */
	ck_assert_str_eq(req_line(strict, "mem=10G"), "ok 27 mem=10G -");
	ck_assert_str_eq(req_line(strict, "mem=10G,type=h100"), "ok 14 mem=10G:type=h100 vgpu_h100");
	ck_assert_str_eq(req_line(strict, "cores=50:MEM=1g"), "ok 50 mem=1G:cores=50 -");
	ck_assert_str_eq(req_line(strict, "mem=50G"), "ok 64 mem=50G vgpu_h100");
	ck_assert_str_eq(req_line(strict, "mem=100G"),
			 "ERR: request 'mem=100G' fits no configured GPU type (h100: 79.6 GiB usable, "
			 "a100: 40 GiB usable)");
	/* memory: shards of ShardMemory, rounded up; mem= needed */
	ck_assert_str_eq(req_line(memory, "mem=10G:cores=25"), "ok 11 mem=10G:cores=25 -");
	ck_assert_str_eq(req_line(memory, "mem=1536M"), "ok 2 mem=1536M -");
	ck_assert_str_eq(req_line(memory, "cores=25"),
			 "ERR: request 'cores=25': memory accounting needs mem= or share= (e.g. mem=10G)");
	ck_assert_str_eq(req_line(three, "mem=1G:type=h100"), "ok 2 mem=1G:type=h100 vgpu_h100");
}
END_TEST

START_TEST(refuses_gpu_weaker_than_conf_type)
{
	vgpu_slurmconf_opts_t opts = { .what = VGPU_SLURMCONF_ALL };
	vgpu_conf_t conf;
	vgpu_err_t err;

	parse_conf(&conf, "GpuType=h100 Memory=80G SMs=132\n");
	ck_assert_ptr_null(gen(&conf, 1, &opts, &err));
	ck_assert_str_eq(err.msg, "node node2 gpu 0 (h100) has 79.6 GiB of memory, less than vgpu.conf "
				  "GpuType=h100 Memory= (80 GiB): slices would overlap; lower Memory= for that type");
	parse_conf(&conf, "GpuType=h100 Memory=81559M SMs=140\n");
	ck_assert_ptr_null(gen(&conf, 1, &opts, &err));
	ck_assert_str_eq(err.msg, "node node2 gpu 0 (h100) has 132 SMs, fewer than vgpu.conf "
				  "GpuType=h100 SMs=140: lower SMs= for that type");
}
END_TEST

START_TEST(refuses_bad_inventories)
{
	vgpu_slurmconf_opts_t opts = { .what = VGPU_SLURMCONF_ALL };
	vgpu_conf_t conf;
	vgpu_err_t err;

	vgpu_conf_init(&conf);
	ck_assert_ptr_null(gen(&conf, 0, &opts, &err));
	ck_assert_str_eq(err.msg, "no inventory given");

	snprintf(invs[1].hostname, sizeof(invs[1].hostname), "node2");
	ck_assert_ptr_null(gen(&conf, 2, &opts, &err));
	ck_assert_str_eq(err.msg, "node node2 appears in two inventories (1 and 2)");

	invs[0].gpus[1].minor = 1;
	invs[0].gpus[0].minor = 1;
	ck_assert_ptr_null(gen(&conf, 1, &opts, &err));
	ck_assert_str_eq(err.msg, "node node2: gpus 0 and 1 share /dev/nvidia1");

	invs[0].gpus[0].minor = 0;
	invs[0].gpus[1].sms = 0;
	ck_assert_ptr_null(gen(&conf, 1, &opts, &err));
	ck_assert_str_eq(err.msg, "node node2 gpu 1 (h100): memory or SM count unknown; run vgpu "
				  "discover where the driver is loaded, without CUDA_VISIBLE_DEVICES");
}
END_TEST

START_TEST(refuses_gpu_too_small_for_a_shard)
{
	vgpu_slurmconf_opts_t opts = { .what = VGPU_SLURMCONF_ALL };
	vgpu_conf_t conf;
	vgpu_err_t err;

	parse_conf(&conf, "AccountingMode=memory\nShardMemory=100G\n");
	ck_assert_ptr_null(gen(&conf, 1, &opts, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "node node2 gpu 0 (h100): "));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("slurmconf");
	TCase *tc = tcase_create("slurmconf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, strict_gres_and_nodes);
	tcase_add_test(tc, memory_mode_counts_shards_per_gpu);
	tcase_add_test(tc, types_take_the_weakest_gpu);
	tcase_add_test(tc, mig_gpus_are_not_sliced);
	tcase_add_test(tc, features_only_for_sliced_types);
	tcase_add_test(tc, feature_names);
	tcase_add_test(tc, request_line_for_the_cli_filter);
	tcase_add_test(tc, refuses_gpu_weaker_than_conf_type);
	tcase_add_test(tc, refuses_bad_inventories);
	tcase_add_test(tc, refuses_gpu_too_small_for_a_shard);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
