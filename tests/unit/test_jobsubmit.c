/*
 * test_jobsubmit.c - the controller's admission checks (src/lib/vgpu_admit.c,
 * the logic of job_submit/vgpu): shard sizes against vgpu.conf, vgpu items
 * that bypassed the cli_filter, gpu mixed with shard, odd input.
 */
#include <stdio.h>
#include <string.h>

#include "vgpu_admit.h"
#include "vgpu_conf.h"
#include "vgpu_test.h"

static const char h100_conf[] =
	"AccountingMode=strict\nShardsPerGpu=100\n"
	"GpuType=h100 Memory=81559M SMs=132\n";

static void load(const char *text, vgpu_conf_t *conf)
{
	vgpu_err_t err;

	ck_assert_msg(vgpu_conf_parse(text, strlen(text), "t.conf", conf, &err) == 0, "%s", err.msg);
}

/* Check one job with --gres=node (other fields NULL) on 100-shard h100s. */
static int check_node(const char *node, vgpu_admit_info_t *info, vgpu_err_t *err)
{
	vgpu_admit_job_t job = { { node, NULL, NULL, NULL } };

	return vgpu_admit_check(&job, 100, "h100", info, err);
}

START_TEST(max_shards_strict_and_memory)
{
	vgpu_conf_t conf;
	const vgpu_gpu_type_t *t;
	vgpu_err_t err;

	load(h100_conf, &conf);
	ck_assert_uint_eq(vgpu_admit_max_shards(&conf, &t, &err), 100);
	ck_assert_str_eq(t->name, "h100");
	/* memory mode: floor((mem - reserve) / ShardMemory) per type, max wins */
	load("AccountingMode=memory\nShardMemory=1G\nMemoryReserve=0\n"
	     "GpuType=l40s Memory=46068M SMs=142\nGpuType=h100 Memory=81559M SMs=132\n", &conf);
	ck_assert_uint_eq(vgpu_admit_max_shards(&conf, &t, &err), 79);
	ck_assert_str_eq(t->name, "h100");
	load("AccountingMode=strict\n", &conf);
	ck_assert_uint_eq(vgpu_admit_max_shards(&conf, &t, &err), 0);
	ck_assert_ptr_null(t);
	ck_assert_str_eq(err.msg, "vgpu.conf has no GpuType line");
	ck_assert_uint_eq(vgpu_admit_max_shards(NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(shard_too_large)
{
	vgpu_admit_info_t info;
	vgpu_err_t err;

	ck_assert_int_eq(check_node("gres:shard:150", &info, &err), -1);
	ck_assert_str_eq(err.msg, "shard:150 is more than one GPU offers (100 shards per h100 GPU)");
	ck_assert_uint_eq(info.shards, 150);
	/* 23.11 spelling, a typed item, a suffix, a huge count */
	ck_assert_int_eq(check_node("gres/shard:101", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "shard:101 is more than one GPU offers (100 shards per h100 GPU)");
	ck_assert_int_eq(check_node("gres:shard:h100:2k", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "shard:h100:2048 is more than one GPU offers (100 shards per h100 GPU)");
	ck_assert_int_eq(check_node("gres:shard:4294967296", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "shard:4294967296 is more than one GPU offers "
			 "(100 shards per h100 GPU)");
	/* beyond what the GRES parser reads: refused all the same */
	ck_assert_int_eq(check_node("gres:shard:18446744073709551615", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "--gres: cannot read the shard request: GRES "
			 "'gres:shard:18446744073709551615': count is not a number");
	/* no type name known */
	{
		vgpu_admit_job_t job = { { "gres:shard:150", NULL, NULL, NULL } };

		ck_assert_int_eq(vgpu_admit_check(&job, 100, NULL, NULL, &err), -1);
		ck_assert_str_eq(err.msg, "shard:150 is more than one GPU offers (100 shards per GPU)");
		/* max 0: sizes are not checked */
		ck_assert_int_eq(vgpu_admit_check(&job, 0, NULL, NULL, &err), 0);
	}
}
END_TEST

START_TEST(shard_fits)
{
	vgpu_admit_info_t info;
	vgpu_err_t err;

	ck_assert_int_eq(check_node("gres:shard:100", &info, &err), 0);
	ck_assert_int_eq(info.has_shard, 1);
	ck_assert_uint_eq(info.shards, 100);
	ck_assert_int_eq(check_node("gres:shard:25,gres:foo:3", &info, &err), 0);
	ck_assert_uint_eq(info.shards, 25);
	ck_assert_int_eq(check_node("gres:shard:h100:1", &info, &err), 0);
	ck_assert_uint_eq(info.shards, 1);
}
END_TEST

START_TEST(no_shards_untouched)
{
	vgpu_admit_info_t info;
	vgpu_admit_job_t job = { { NULL, NULL, NULL, NULL } };
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_admit_check(&job, 100, "h100", &info, &err), 0);
	ck_assert_int_eq(info.has_shard + info.has_gpu + info.has_vgpu, 0);
	ck_assert_int_eq(vgpu_admit_check(NULL, 100, "h100", &info, &err), 0);
	ck_assert_int_eq(check_node("", &info, &err), 0);
	ck_assert_int_eq(check_node("(null)", &info, &err), 0);
	ck_assert_int_eq(check_node("gres:gpu:h100:2", &info, &err), 0);
	ck_assert_int_eq(info.has_gpu, 1);
	ck_assert_int_eq(info.has_shard, 0);
	/* a string the GRES parser cannot read, without shard: Slurm decides */
	ck_assert_int_eq(check_node("gres:gpu:x:y:z:w", &info, &err), 0);
	ck_assert_int_eq(check_node("gres:shardx:500", &info, &err), 0);
	ck_assert_int_eq(info.has_shard, 0);
}
END_TEST

START_TEST(vgpu_bypassed_cli_filter)
{
	vgpu_admit_info_t info;
	vgpu_err_t err;
	vgpu_admit_job_t job = { { NULL, NULL, NULL, "gres/vgpu:mem=1G" } };

	ck_assert_int_eq(check_node("gres:vgpu:mem=10G:cores=25", &info, &err), -1);
	ck_assert_int_eq(info.has_vgpu, 1);
	ck_assert_str_eq(err.msg, "--gres=vgpu reached the controller untranslated: the client did not "
				  "run slurm-vgpu's cli_filter (CliFilterPlugins=vgpu). Submit with the "
				  "site's slurm.conf, or ask for --gres=shard:N");
	ck_assert_int_eq(check_node("gres:shard:5,gres:vgpu", NULL, &err), -1);
	ck_assert_int_eq(check_node("vgpu=2", NULL, &err), -1);
	ck_assert_int_eq(vgpu_admit_check(&job, 100, "h100", NULL, &err), -1);
	ck_assert_int_eq(check_node("gres:vgpux:1", NULL, &err), 0);
}
END_TEST

START_TEST(gpu_with_shard)
{
	vgpu_err_t err;
	vgpu_admit_job_t job = { { "gres:shard:10", "gres:gpu:1", NULL, NULL } };
	static const char msg[] = "a job cannot hold whole GPUs (gpu) and shares of a GPU (shard, "
				  "--gres=vgpu) together: ask for one or the other";

	ck_assert_int_eq(check_node("gres:gpu:1,gres:shard:10", NULL, &err), -1);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_int_eq(vgpu_admit_check(&job, 100, "h100", NULL, &err), -1);
	ck_assert_str_eq(err.msg, msg);
	job.tres[VGPU_ADMIT_PER_JOB] = NULL;
	job.tres[VGPU_ADMIT_PER_TASK] = "gres:gpu:1";
	ck_assert_int_eq(vgpu_admit_check(&job, 100, "h100", NULL, &err), -1);
}
END_TEST

START_TEST(odd_input)
{
	char big[8192];
	vgpu_err_t err;

	/* names shard but cannot be read: refused with the parser's words */
	ck_assert_int_eq(check_node("gres:shard:h100:x", NULL, &err), -1);
	ck_assert_msg(strncmp(err.msg, "--gres: cannot read the shard request: ", 39) == 0, "%s",
		      err.msg);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(check_node(big, NULL, &err), -1);
	ck_assert_msg(strstr(err.msg, "is too long (8191 bytes, at most 4095)") != NULL, "%s", err.msg);
	ck_assert_int_eq(check_node(",,;;((", NULL, &err), 0);
	ck_assert_int_eq(check_node("gres:", NULL, &err), 0);
	ck_assert_int_eq(check_node(":", NULL, &err), 0);
	ck_assert_int_eq(check_node("gres:shard:5(IDX:0),gres:shard:7", NULL, &err), 0);
}
END_TEST

START_TEST(env_lookup)
{
	char *env[] = { "A=1", NULL, "VGPU_REQUEST=mem=10G:type=h100", "VGPU_REQUESTX=no" };

	ck_assert_str_eq(vgpu_admit_env(env, 4, "VGPU_REQUEST"), "mem=10G:type=h100");
	ck_assert_str_eq(vgpu_admit_env(env, 4, "A"), "1");
	ck_assert_ptr_null(vgpu_admit_env(env, 1, "VGPU_REQUEST"));
	ck_assert_ptr_null(vgpu_admit_env(NULL, 4, "A"));
	ck_assert_ptr_null(vgpu_admit_env(env, 4, "VGPU"));
	ck_assert_int_eq(vgpu_admit_env_index(env, 4, "VGPU_REQUEST"), 2);
	ck_assert_int_eq(vgpu_admit_env_index(env, 4, "A"), 0);
	ck_assert_int_eq(vgpu_admit_env_index(env, 2, "VGPU_REQUEST"), -1);
	ck_assert_int_eq(vgpu_admit_env_index(NULL, 4, "A"), -1);
}
END_TEST

/* take(COMMENT, REQLEN): the result, the request and the comment left. */
static int take(const char *comment, size_t reqlen, char *req, char *left, size_t leftlen)
{
	snprintf(left, leftlen, "%s", comment);
	return vgpu_admit_comment_take(left, req, reqlen);
}

START_TEST(comment_marker)
{
	char req[64], left[128];

	/* the cli_filter's marker, with and without the user's comment */
	ck_assert_int_eq(take("[vgpu-request:mem=8G:type=h100]my run", 64, req, left, sizeof(left)), 1);
	ck_assert_str_eq(req, "mem=8G:type=h100");
	ck_assert_str_eq(left, "my run");
	ck_assert_int_eq(take("[vgpu-request:mem=1536M:cores=25]", 64, req, left, sizeof(left)), 1);
	ck_assert_str_eq(req, "mem=1536M:cores=25");
	ck_assert_str_eq(left, "");
	/* only one marker is taken; a second one stays the user's text */
	ck_assert_int_eq(take("[vgpu-request:mem=1G][vgpu-request:mem=2G]", 64, req, left, sizeof(left)), 1);
	ck_assert_str_eq(req, "mem=1G");
	ck_assert_str_eq(left, "[vgpu-request:mem=2G]");
	/* anything else: untouched, req empty */
	ck_assert_int_eq(take("my run [vgpu-request:mem=1G]", 64, req, left, sizeof(left)), 0);
	ck_assert_str_eq(left, "my run [vgpu-request:mem=1G]");
	ck_assert_str_eq(req, "");
	ck_assert_int_eq(take("[vgpu-request:mem=1G", 64, req, left, sizeof(left)), 0);
	ck_assert_str_eq(left, "[vgpu-request:mem=1G");
	ck_assert_int_eq(take("[vgpu-request:]x", 64, req, left, sizeof(left)), 0);
	ck_assert_int_eq(take("[vgpu-request:mem=1G x]", 64, req, left, sizeof(left)), 0);
	ck_assert_int_eq(take("[vgpu-request:mem=1G;X=1]", 64, req, left, sizeof(left)), 0);
	ck_assert_int_eq(take("[vgpu-request:mem=1G\nX=1]", 64, req, left, sizeof(left)), 0);
	ck_assert_int_eq(take("[VGPU-request:mem=1G]", 64, req, left, sizeof(left)), 0);
	/* the request must fit with its NUL: 6 characters need 7 bytes */
	ck_assert_int_eq(take("[vgpu-request:mem=1G]", 6, req, left, sizeof(left)), 0);
	ck_assert_str_eq(req, "");
	ck_assert_int_eq(take("[vgpu-request:mem=1G]", 7, req, left, sizeof(left)), 1);
	ck_assert_str_eq(req, "mem=1G");
	ck_assert_int_eq(vgpu_admit_comment_take(NULL, req, sizeof(req)), 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("jobsubmit");
	TCase *tc = tcase_create("admit");

	tcase_add_test(tc, max_shards_strict_and_memory);
	tcase_add_test(tc, shard_too_large);
	tcase_add_test(tc, shard_fits);
	tcase_add_test(tc, no_shards_untouched);
	tcase_add_test(tc, vgpu_bypassed_cli_filter);
	tcase_add_test(tc, gpu_with_shard);
	tcase_add_test(tc, odd_input);
	tcase_add_test(tc, env_lookup);
	tcase_add_test(tc, comment_marker);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
