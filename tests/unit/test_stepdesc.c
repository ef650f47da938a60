/* Unit tests for vgpu_stepdesc (the per-step description the shim reads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgpu_stepdesc.h"
#include "vgpu_test.h"

#define U0 "GPU-8c3e2a51-0f4b-4c1e-9a7d-2b6f1e0c9d11"
#define U1 "GPU-00000000-1111-2222-3333-444444444444"

static const char good[] = "# written by the launcher\n"
			   "vgpu-step 2\n"
			   "step=4242.0\n"
			   "acct=/run/slurm-vgpu/4242.0\n"
			   "cuda=/usr/lib/x86_64-linux-gnu/libcuda.so.1\n"
			   "nvml=/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n"
			   "log=info\n"
			   "logfile=/run/slurm-vgpu/4242.0/shim.log\n"
			   "\n"
			   "gpu uuid=" U0 " mem=10737418240 sm=5000 ctx=314572800\n"
			   "gpu uuid=" U1 " mem=1048576\n";

static int parse(const char *text, vgpu_stepdesc_t *d, vgpu_err_t *err)
{
	return vgpu_stepdesc_parse(text, strlen(text), "t.desc", d, err);
}

/* Parse the minimal valid header followed by tail; expect failure with msg. */
static void expect_error(const char *tail, const char *msg)
{
	char text[2048];
	vgpu_stepdesc_t d;
	vgpu_err_t err;

	snprintf(text, sizeof(text), "vgpu-step 2\nacct=/a\ncuda=/c\nnvml=/n\n%s", tail);
	ck_assert_int_eq(parse(text, &d, &err), -1);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_uint_eq(d.ngpus, 0);
	ck_assert_str_eq(d.acct_dir, "");
}

START_TEST(parses_everything)
{
	vgpu_stepdesc_t d;
	vgpu_err_t err;

	ck_assert_int_eq(parse(good, &d, &err), 0);
	ck_assert_uint_eq(d.version, 2);
	ck_assert_str_eq(d.step, "4242.0");
	ck_assert_str_eq(d.acct_dir, "/run/slurm-vgpu/4242.0");
	ck_assert_str_eq(d.cuda_path, "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
	ck_assert_str_eq(d.nvml_path, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1");
	ck_assert_int_eq(d.log_level, VGPU_LOG_INFO);
	ck_assert_str_eq(d.log_file, "/run/slurm-vgpu/4242.0/shim.log");
	ck_assert_uint_eq(d.ngpus, 2);
	ck_assert_str_eq(d.gpus[0].uuid, U0);
	ck_assert_uint_eq(d.gpus[0].mem_bytes, 10737418240ull);
	ck_assert_uint_eq(d.gpus[0].sm_bp, 5000);
	ck_assert_uint_eq(d.gpus[0].ctx_bytes, 314572800ull);
	ck_assert_uint_eq(d.gpus[1].mem_bytes, 1048576);
	ck_assert_uint_eq(d.gpus[1].sm_bp, 10000); /* defaults */
	ck_assert_uint_eq(d.gpus[1].ctx_bytes, 0);
}
END_TEST

START_TEST(defaults_and_crlf)
{
	vgpu_stepdesc_t d;
	vgpu_err_t err;

	ck_assert_int_eq(parse("vgpu-step 2\r\nacct=/a  \r\ncuda=/c\r\nnvml=/n\r\n  gpu  uuid=" U1 "   mem=5\r\n",
			       &d, &err),
			 0);
	ck_assert_str_eq(d.acct_dir, "/a");
	ck_assert_str_eq(d.step, "");
	ck_assert_int_eq(d.log_level, VGPU_LOG_WARN);
	ck_assert_str_eq(d.log_file, "");
	ck_assert_uint_eq(d.gpus[0].mem_bytes, 5);
	ck_assert_int_eq(parse("vgpu-step 2\nacct=/a\ncuda=/c\nnvml=/n\nlogfile=stderr\nlog=off\ngpu uuid=" U1
			       " mem=5",
			       &d, &err),
			 0);
	ck_assert_str_eq(d.log_file, "");
	ck_assert_int_eq(d.log_level, VGPU_LOG_OFF);
}
END_TEST

/* The job's cap (version 2): parsed, checked, written back only when set. */
START_TEST(job_cap_fields)
{
	vgpu_stepdesc_t d;
	vgpu_err_t err;
	char buf[4096];

	ck_assert_int_eq(parse("vgpu-step 2\nstep=7.batch\nacct=/a\ncuda=/c\nnvml=/n\ngpu uuid=" U0
			       " mem=100 sm=2500\ngpu uuid=" U1 " mem=5\njob uuid=" U0 " mem=100 sm=2500\n"
			       "job uuid=GPU-00000000-1111-2222-3333-444444444444 mem=7\n",
			       &d, &err),
			 0);
	ck_assert_uint_eq(d.gpus[0].job_mem_bytes, 100);
	ck_assert_uint_eq(d.gpus[0].job_sm_bp, 2500);
	ck_assert_uint_eq(d.gpus[1].job_mem_bytes, 7);
	ck_assert_uint_eq(d.gpus[1].job_sm_bp, 0);
	ck_assert_int_gt(vgpu_stepdesc_format(&d, buf, sizeof(buf), &err), 0);
	ck_assert_ptr_nonnull(strstr(buf, "gpu uuid=" U0 " mem=100 sm=2500 ctx=0\njob uuid=" U0 " mem=100 sm=2500\n"));
	ck_assert_ptr_nonnull(strstr(buf, "gpu uuid=" U1 " mem=5 sm=10000 ctx=0\njob uuid=" U1 " mem=7\n"));
	d.gpus[1].job_mem_bytes = 0;
	ck_assert_int_gt(vgpu_stepdesc_format(&d, buf, sizeof(buf), &err), 0);
	ck_assert_ptr_nonnull(strstr(buf, "gpu uuid=" U1 " mem=5 sm=10000 ctx=0\n"));
	ck_assert_ptr_null(strstr(buf, "job uuid=" U1));
	d.gpus[1].job_mem_bytes = 4;
	ck_assert_int_eq(vgpu_stepdesc_check(&d, &err), -1);
	ck_assert_str_eq(err.msg, "gpu " U1 ": job cap below the step's limits, out of range or sm without mem");
	d.gpus[1].job_mem_bytes = 0;
	d.gpus[1].job_sm_bp = 10000;
	ck_assert_int_eq(vgpu_stepdesc_check(&d, &err), -1);
	d.gpus[1].job_sm_bp = 0;
	d.gpus[1].mem_bytes = (UINT64_C(1) << 50) + 1;
	ck_assert_int_eq(vgpu_stepdesc_check(&d, &err), -1);
	ck_assert_str_eq(err.msg, "gpu " U1 ": mem/sm/ctx out of range");
}
END_TEST

START_TEST(version_line)
{
	vgpu_stepdesc_t d;
	vgpu_err_t err;

	ck_assert_int_eq(parse("vgpu-step 3\nacct=/a\n", &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:1: vgpu-step: unsupported version 3 (this reader knows 2)");
	ck_assert_int_eq(parse("vgpu-step 1\nacct=/a\n", &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:1: vgpu-step: unsupported version 1 (this reader knows 2)");
	ck_assert_int_eq(parse("# c\n\nacct=/a\n", &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:3: expected 'vgpu-step 2' as the first line, got 'acct=/a'");
	ck_assert_int_eq(parse("vgpu-step 01\n", &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:1: vgpu-step: bad version '01'");
	ck_assert_int_eq(parse("", &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:0: empty description (expected 'vgpu-step 2')");
}
END_TEST

START_TEST(errors_name_the_line)
{
	expect_error("foo=1\n", "t.desc:5: unknown key 'foo' (known: step, acct, cuda, nvml, log, logfile, gpu, job)");
	expect_error("acct=/b\n", "t.desc:5: acct given twice");
	expect_error("Log=warn\n", "t.desc:5: unknown key 'Log' (keys are lower-case words, no spaces around '=')");
	expect_error("log =warn\n", "t.desc:5: unknown key 'log ' (keys are lower-case words, no spaces around '=')");
	expect_error("log=loud\n", "t.desc:5: log: unknown level 'loud' (off, error, warn, info, debug)");
	expect_error("logfile=shim.log\n", "t.desc:5: logfile: 'shim.log' is not an absolute path");
	expect_error("step=a b\n", "t.desc:5: step: 'a b' may hold only letters, digits, '.', '_' and '-'");
	expect_error("step=\n", "t.desc:5: step: empty value");
	expect_error("just words\n", "t.desc:5: 'just words' is not key=value");
	expect_error("log=warn\tx\n", "t.desc:5: log: tab in the value");
	expect_error("acct=/a\x7f\n", "t.desc:5: control character at column 8");
	expect_error("log=w\x01\n", "t.desc:5: control character at column 6");
	expect_error("", "t.desc:4: no gpu line");
}
END_TEST

START_TEST(gpu_line_errors)
{
	expect_error("gpu uuid=" U0 "\n", "t.desc:5: gpu: mem= is missing");
	expect_error("gpu mem=5\n", "t.desc:5: gpu: uuid= is missing");
	expect_error("gpu\n", "t.desc:5: gpu: uuid= is missing");
	expect_error("gpu uuid=GPU-123 mem=5\n",
		     "t.desc:5: gpu: uuid: 'GPU-123' is not a GPU UUID (GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
	expect_error("gpu uuid=" U0 " mem=0\n", "t.desc:5: gpu: mem: must be at least 1 byte");
	expect_error("gpu uuid=" U0 " mem=5G\n", "t.desc:5: gpu: mem: '5G' is not a decimal number");
	expect_error("gpu uuid=" U0 " mem=18446744073709551616\n",
		     "t.desc:5: gpu: mem: '18446744073709551616' is not a decimal number");
	expect_error("gpu uuid=" U0 " mem=5 sm=0\n", "t.desc:5: gpu: sm: 0 is out of range (1..10000 basis points)");
	expect_error("gpu uuid=" U0 " mem=5 sm=10001\n",
		     "t.desc:5: gpu: sm: 10001 is out of range (1..10000 basis points)");
	expect_error("gpu uuid=" U0 " mem=5 ctx=5\n", "t.desc:5: gpu: ctx: 5 is not smaller than mem 5");
	expect_error("gpu uuid=" U0 " mem=5 mem=6\n", "t.desc:5: gpu: mem given twice");
	expect_error("gpu uuid=" U0 " mem=5 color=red\n",
		     "t.desc:5: gpu: unknown field 'color' (known: uuid, mem, sm, ctx)");
	expect_error("gpu uuid=" U0 " mem=1125899906842625\n", "t.desc:5: gpu: mem: 1125899906842625 is above 1125899906842624");
	/* the job line */
	expect_error("job uuid=" U0 " mem=5\ngpu uuid=" U0 " mem=5\n",
		     "t.desc:5: job: " U0 " is not a GPU of an earlier gpu line");
	expect_error("gpu uuid=" U0 " mem=5\njob uuid=" U0 " mem=4\n", "t.desc:6: job: mem: 4 is smaller than the step's 5");
	expect_error("gpu uuid=" U0 " mem=5 sm=500\njob uuid=" U0 " mem=5 sm=499\n",
		     "t.desc:6: job: sm: 499 is smaller than the step's 500");
	expect_error("gpu uuid=" U0 " mem=5\njob uuid=" U0 " mem=5 sm=10001\n",
		     "t.desc:6: job: sm: 10001 is out of range (1..10000 basis points)");
	expect_error("gpu uuid=" U0 " mem=5\njob uuid=" U0 " mem=5 ctx=1\n",
		     "t.desc:6: job: unknown field 'ctx' (known: uuid, mem, sm)");
	expect_error("gpu uuid=" U0 " mem=5\njob uuid=" U0 " sm=1\n", "t.desc:6: job: mem= is missing");
	expect_error("gpu uuid=" U0 " mem=5\njob uuid=" U0 " mem=5 mem=5\n", "t.desc:6: job: mem given twice");
	expect_error("gpu uuid=" U0 " mem=5\njob uuid=" U0 " mem=5\njob uuid=" U0 " mem=6\n",
		     "t.desc:7: job: " U0 " given twice");
	expect_error("gpu uuid=" U0 " mem=5\njob uuid=" U0 " mem=1125899906842625\n",
		     "t.desc:6: job: mem: 1125899906842625 is above 1125899906842624");
	expect_error("gpu uuid=" U0 " mem=5\njob\n", "t.desc:6: job: uuid= is missing");
	expect_error("gpu uuid=" U0 " mem=5 sm\n", "t.desc:5: gpu: 'sm' is not field=value");
	expect_error("gpu uuid=" U0 " mem=5\ngpu uuid=GPU-8C3E2A51-0F4B-4C1E-9A7D-2B6F1E0C9D11 mem=5\n",
		     "t.desc:6: gpu: GPU-8C3E2A51-0F4B-4C1E-9A7D-2B6F1E0C9D11 is listed twice");
}
END_TEST

START_TEST(limits)
{
	char text[4096], line[1100];
	vgpu_stepdesc_t d;
	vgpu_err_t err;
	size_t o;

	o = (size_t)snprintf(text, sizeof(text), "vgpu-step 2\nacct=/a\ncuda=/c\nnvml=/n\n");
	for (int i = 0; i < 17; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "gpu uuid=GPU-00000000-0000-0000-0000-0000000000%02d mem=1\n",
				      i);
	ck_assert_int_eq(parse(text, &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:21: gpu: more than 16 GPUs");
	memset(line, 'a', sizeof(line));
	line[sizeof(line) - 1] = '\0';
	snprintf(text, sizeof(text), "vgpu-step 2\nacct=/%s\n", line);
	ck_assert_int_eq(parse(text, &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:2: line is too long (1105 bytes, at most 1023)");
	memset(line, 'a', 600);
	line[600] = '\0';
	snprintf(text, sizeof(text), "vgpu-step 2\nacct=/%s\n", line);
	ck_assert_int_eq(parse(text, &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:2: acct: value is too long (601 bytes, at most 511)");
	ck_assert_int_eq(vgpu_stepdesc_parse("vgpu-step 2\n\0x", 14, "t.desc", &d, &err), -1);
	ck_assert_str_eq(err.msg, "t.desc:2: NUL byte (a text file was expected)");
}
END_TEST

START_TEST(format_round_trips)
{
	vgpu_stepdesc_t d, back;
	char buf[4096], small[64];
	vgpu_err_t err;
	int n;

	ck_assert_int_eq(parse(good, &d, &err), 0);
	n = vgpu_stepdesc_format(&d, buf, sizeof(buf), &err);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	ck_assert_int_eq(parse(buf, &back, &err), 0);
	ck_assert_int_eq(memcmp(&d, &back, sizeof(d)), 0);
	ck_assert_int_eq(vgpu_stepdesc_format(&d, small, sizeof(small), &err), -1);
	ck_assert_str_eq(err.msg, "step description does not fit in 64 bytes");
}
END_TEST

START_TEST(check_refuses_what_parse_would)
{
	vgpu_stepdesc_t d;
	char buf[4096];
	vgpu_err_t err;

	ck_assert_int_eq(parse(good, &d, &err), 0);
	snprintf(d.cuda_path, sizeof(d.cuda_path), "/x\ny");
	ck_assert_int_eq(vgpu_stepdesc_format(&d, buf, sizeof(buf), &err), -1);
	ck_assert_str_eq(err.msg, "cuda: control character in the value");
	ck_assert_int_eq(parse(good, &d, &err), 0);
	d.gpus[1] = d.gpus[0];
	ck_assert_int_eq(vgpu_stepdesc_check(&d, &err), -1);
	ck_assert_str_eq(err.msg, "gpu " U0 ": listed twice");
	ck_assert_int_eq(parse(good, &d, &err), 0);
	d.nvml_path[0] = '\0';
	ck_assert_int_eq(vgpu_stepdesc_check(&d, &err), -1);
	ck_assert_str_eq(err.msg, "nvml= is missing");
	ck_assert_int_eq(parse(good, &d, &err), 0);
	snprintf(d.acct_dir, sizeof(d.acct_dir), "rel");
	ck_assert_int_eq(vgpu_stepdesc_check(&d, &err), -1);
	ck_assert_str_eq(err.msg, "acct: not an absolute path");
}
END_TEST

START_TEST(write_then_load)
{
	char dir[] = "/tmp/vgpu-stepdesc-XXXXXX", path[256];
	vgpu_stepdesc_t d, back;
	vgpu_err_t err;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/step.desc", dir);
	ck_assert_int_eq(parse(good, &d, &err), 0);
	ck_assert_int_eq(vgpu_stepdesc_write(path, &d, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(vgpu_stepdesc_load(path, &back, &err), 0);
	ck_assert_int_eq(memcmp(&d, &back, sizeof(d)), 0);
	unlink(path);
	ck_assert_int_eq(vgpu_stepdesc_load(path, &back, &err), -1);
	ck_assert_str_eq(strstr(err.msg, "step.desc: cannot open"), "step.desc: cannot open: No such file or directory");
	rmdir(dir);
}
END_TEST

START_TEST(find_gpu_and_helpers)
{
	vgpu_stepdesc_t d;
	vgpu_log_level_t l;
	vgpu_err_t err;

	ck_assert_int_eq(parse(good, &d, &err), 0);
	ck_assert_ptr_eq(vgpu_stepdesc_find_gpu(&d, "gpu-8C3E2A51-0f4b-4c1e-9a7d-2b6f1e0c9d11"), NULL);
	ck_assert_ptr_eq(vgpu_stepdesc_find_gpu(&d, "GPU-8C3E2A51-0F4B-4C1E-9A7D-2B6F1E0C9D11"), &d.gpus[0]);
	ck_assert_ptr_eq(vgpu_stepdesc_find_gpu(&d, U1), &d.gpus[1]);
	ck_assert_ptr_eq(vgpu_stepdesc_find_gpu(&d, NULL), NULL);
	ck_assert(vgpu_stepdesc_uuid_valid("MIG-8c3e2a51-0f4b-4c1e-9a7d-2b6f1e0c9d11"));
	ck_assert(!vgpu_stepdesc_uuid_valid("GPU-8c3e2a51-0f4b-4c1e-9a7d-2b6f1e0c9d1"));
	ck_assert(!vgpu_stepdesc_uuid_valid("GPU-8c3e2a51-0f4b-4c1e-9a7d-2b6f1e0c9d111"));
	ck_assert(!vgpu_stepdesc_uuid_valid("GPU-8c3e2a51x0f4b-4c1e-9a7d-2b6f1e0c9d11"));
	ck_assert_str_eq(vgpu_stepdesc_level_name(VGPU_LOG_DEBUG), "debug");
	ck_assert_str_eq(vgpu_stepdesc_level_name((vgpu_log_level_t)9), "?");
	ck_assert_int_eq(vgpu_stepdesc_level_parse("error", &l), 0);
	ck_assert_int_eq(l, VGPU_LOG_ERROR);
	ck_assert_int_eq(vgpu_stepdesc_level_parse("ERROR", &l), -1);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("stepdesc");
	TCase *tc = tcase_create("stepdesc");

	tcase_add_test(tc, parses_everything);
	tcase_add_test(tc, defaults_and_crlf);
	tcase_add_test(tc, version_line);
	tcase_add_test(tc, job_cap_fields);
	tcase_add_test(tc, errors_name_the_line);
	tcase_add_test(tc, gpu_line_errors);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, format_round_trips);
	tcase_add_test(tc, check_refuses_what_parse_would);
	tcase_add_test(tc, write_then_load);
	tcase_add_test(tc, find_gpu_and_helpers);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
