/*
 * test_slurmcheck.c - checks of the Slurm slurm-vgpu runs under
 * (src/lib/vgpu_slurmcheck.c): releases and the plugins' release message,
 * MULTIPLE_SHARING_GRES_PJ in a SelectTypeParameters value, in slurm.conf
 * text and in a slice step's GPU variables, slices in GRES strings.
 *
 * The last case loads the built plugins (cli_filter_vgpu.so,
 * job_submit_vgpu.so) into this program, which stands in for a Slurm of
 * another release (slurm_api_version, print_slurm_version): their
 * constructors must print the release message on stderr, once even when
 * the plugin is opened again (Slurm's plugin_peek does).
 */
#include "config.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgpu_slurmcheck.h"
#include "vgpu_test.h"

START_TEST(release_parse_and_text)
{
	unsigned v = 0;
	char buf[32];
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_slurmcheck_release_parse("22.05.8", &v, &err), 0);
	ck_assert_uint_eq(v, 0x160508);
	ck_assert_int_eq(vgpu_slurmcheck_release_parse("slurm 24.11.5\n", &v, &err), 0);
	ck_assert_uint_eq(v, 0x180b05);
	ck_assert_int_eq(vgpu_slurmcheck_release_parse("  slurm-wlm 26.05.5-1", &v, &err), 0);
	ck_assert_uint_eq(v, 0x1a0505);
	ck_assert_int_eq(vgpu_slurmcheck_release_parse("25.05.0-0rc1", &v, &err), 0);
	ck_assert_uint_eq(v, VGPU_SLURMCHECK_NUM(25, 5, 0));
	ck_assert_str_eq(vgpu_slurmcheck_release_text(0x160508, buf, sizeof(buf)), "22.05.8");
	ck_assert_str_eq(vgpu_slurmcheck_release_text(0x1a0505, buf, sizeof(buf)), "26.05.5");
	ck_assert_str_eq(vgpu_slurmcheck_release_text(VGPU_SLURMCHECK_NUM(23, 11, 10), buf, sizeof(buf)),
			 "23.11.10");
	ck_assert_int_eq(vgpu_slurmcheck_release_parse("slurm", &v, &err), -1);
	ck_assert_str_eq(err.msg, "Slurm release 'slurm': expected MAJOR.MINOR.MICRO such as 22.05.8");
	ck_assert_int_eq(vgpu_slurmcheck_release_parse("22.05", &v, &err), -1);
	ck_assert_int_eq(vgpu_slurmcheck_release_parse("22.256.1", &v, &err), -1);
	ck_assert_int_eq(vgpu_slurmcheck_release_parse("1234.5.6", &v, &err), -1);
	ck_assert_int_eq(vgpu_slurmcheck_release_parse("", &v, &err), -1);
	ck_assert_int_eq(vgpu_slurmcheck_release_parse(NULL, &v, &err), -1);
}
END_TEST

START_TEST(release_match_messages)
{
	vgpu_slurmcheck_slurm_t b2205 = { 0x160508, 0x260000 }, r2411 = { 0x180b05, 0x2a0000 };
	vgpu_slurmcheck_slurm_t r22059 = { 0x160509, 0x260000 }, api_only = { 0, 0x2a0000 };
	char msg[VGPU_SLURMCHECK_MSG_MAX];

	ck_assert_int_eq(vgpu_slurmcheck_release_match("cli_filter/vgpu", &b2205, &b2205,
							VGPU_SLURMCHECK_EXACT, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "");
	ck_assert_int_eq(vgpu_slurmcheck_release_match("cli_filter/vgpu", &b2205, &r2411,
							VGPU_SLURMCHECK_EXACT, msg, sizeof(msg)), 1);
	ck_assert_str_eq(msg, "cli_filter/vgpu: built for Slurm 22.05.8 but loaded into Slurm 24.11.5: "
		"Slurm refuses cli_filter and job_submit plugins built for another release, to the "
		"micro version; rebuild slurm-vgpu against this Slurm's headers (its libslurm-dev: "
		"configure && make && make install) and install the new plugins");
	/* a micro release: job_submit refused, SPANK taken */
	ck_assert_int_eq(vgpu_slurmcheck_release_match("job_submit/vgpu", &b2205, &r22059,
							VGPU_SLURMCHECK_EXACT, msg, sizeof(msg)), 1);
	ck_assert(strstr(msg, "built for Slurm 22.05.8 but loaded into Slurm 22.05.9") != NULL);
	ck_assert_int_eq(vgpu_slurmcheck_release_match("vgpu_spank", &b2205, &r22059,
							VGPU_SLURMCHECK_MAJOR_MINOR, msg, sizeof(msg)), 0);
	ck_assert_int_eq(vgpu_slurmcheck_release_match("vgpu_spank", &b2205, &r2411,
							VGPU_SLURMCHECK_MAJOR_MINOR, msg, sizeof(msg)), 1);
	ck_assert(strstr(msg, "vgpu_spank: built for Slurm 22.05.8 but loaded into Slurm 24.11.5: Slurm "
			      "refuses SPANK plugins built for another major release (this one needs "
			      "Slurm 22.05.x); rebuild") == msg);
	/* no release text: the API's current tells major releases apart */
	ck_assert_int_eq(vgpu_slurmcheck_release_match("cli_filter/vgpu", &b2205, &api_only,
							VGPU_SLURMCHECK_EXACT, msg, sizeof(msg)), 1);
	ck_assert(strstr(msg, "cli_filter/vgpu: built for Slurm 22.05.8 (API 38) but loaded into a Slurm "
			      "of API 42, another release: ") == msg);
	api_only.api = 0x260000;
	ck_assert_int_eq(vgpu_slurmcheck_release_match("cli_filter/vgpu", &b2205, &api_only,
							VGPU_SLURMCHECK_EXACT, msg, sizeof(msg)), 0);
	api_only.api = 0;
	ck_assert_int_eq(vgpu_slurmcheck_release_match("cli_filter/vgpu", &b2205, &api_only,
							VGPU_SLURMCHECK_EXACT, msg, sizeof(msg)), 0);
	ck_assert_int_eq(vgpu_slurmcheck_release_match("x", NULL, &r2411, VGPU_SLURMCHECK_EXACT, NULL, 0),
			 0);
	/* bounded */
	ck_assert_int_eq(vgpu_slurmcheck_release_match("cli_filter/vgpu", &b2205, &r2411,
							VGPU_SLURMCHECK_EXACT, msg, 20), 1);
	ck_assert_str_eq(msg, "cli_filter/vgpu: bu");
}
END_TEST

START_TEST(daemons)
{
	ck_assert_int_eq(vgpu_slurmcheck_is_daemon("slurmctld"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_is_daemon("slurmd"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_is_daemon("slurmstepd"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_is_daemon("srun"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_is_daemon("sbatch"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_is_daemon("slurm"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_is_daemon(NULL), 0);
}
END_TEST

START_TEST(multi_sharing_value)
{
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing("CR_Core,MULTIPLE_SHARING_GRES_PJ"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing("MULTIPLE_SHARING_GRES_PJ"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing("cr_core, multiple_sharing_gres_pj ,CR_ONE_TASK_PER_CORE"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing("CR_Core"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing("CR_Core,MULTIPLE_SHARING_GRES_PJX"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing("CR_Core,LL_SHARED_GRES"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing("XMULTIPLE_SHARING_GRES_PJ"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing(",,"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing(""), 0);
	ck_assert_int_eq(vgpu_slurmcheck_multi_sharing(NULL), 0);
	/* the refusal names the setting and says what to do */
	ck_assert(strstr(VGPU_SLURMCHECK_MULTI_SHARING_WHY, "MULTIPLE_SHARING_GRES_PJ") != NULL);
	ck_assert(strstr(VGPU_SLURMCHECK_MULTI_SHARING_WHY, "removes MULTIPLE_SHARING_GRES_PJ from "
							    "SelectTypeParameters") != NULL);
}
END_TEST

START_TEST(gres_slices)
{
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("shard:10"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("shard"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("gres:shard:10"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("gres/shard:h100:10"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("vgpu:mem=10G"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("gpu:1,shard:10"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("gres/gpu:1;gres/shard:5"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("vgpu:mem=10G,cores=25"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("gpu:1"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("gres:gpu:h100:2,gres:mps:50"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("shards:10"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("myvgpu:1"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("gpu:shard"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice("(null)"), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice(""), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gres_slice(NULL), 0);
}
END_TEST

START_TEST(gpu_lists)
{
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("0"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("3"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("0,1"), 2);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("0-3"), 4);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("0,2-3"), 3);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("GPU-0d2b6a2e-4f3c-11ee-be56-0242ac120002"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("GPU-a,GPU-b"), 2);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("MIG-a"), 1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count(""), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count(NULL), 0);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("0,"), -1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count(",0"), -1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("0,,1"), -1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("3-1"), -1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("1-"), -1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("1x"), -1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("99999999"), -1);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("0-65535"), 65536);
	ck_assert_int_eq(vgpu_slurmcheck_gpu_count("0-65536"), -1);
}
END_TEST

START_TEST(slice_step_gpu)
{
	vgpu_slurmcheck_step_env_t env = { "1", NULL, "1" };
	unsigned idx = 99;
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), 0);
	ck_assert_uint_eq(idx, 1);
	env = (vgpu_slurmcheck_step_env_t){ NULL, "0", NULL };        /* batch step */
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), 0);
	ck_assert_uint_eq(idx, 0);
	env = (vgpu_slurmcheck_step_env_t){ "", "1", "" };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), 0);
	ck_assert_uint_eq(idx, 1);
	/* MULTIPLE_SHARING_GRES_PJ spread the shards: any variable tells */
	env = (vgpu_slurmcheck_step_env_t){ "0,1", NULL, "0,1" };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), -1);
	ck_assert_str_eq(err.msg, "SLURM_STEP_GPUS='0,1': this step's shards are on 2 GPUs: "
		VGPU_SLURMCHECK_MULTI_SHARING_WHY);
	env = (vgpu_slurmcheck_step_env_t){ NULL, "0-2", NULL };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), -1);
	ck_assert(strstr(err.msg, "SLURM_JOB_GPUS='0-2': this step's shards are on 3 GPUs: ") == err.msg);
	env = (vgpu_slurmcheck_step_env_t){ "0", NULL, "GPU-a,GPU-b" };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), -1);
	ck_assert(strstr(err.msg, "CUDA_VISIBLE_DEVICES='GPU-a,GPU-b': this step's shards are on 2 GPUs") ==
		  err.msg);
	ck_assert(strstr(err.msg, "MULTIPLE_SHARING_GRES_PJ") != NULL);
	/* an unreadable CUDA_VISIBLE_DEVICES (the user's) does not decide */
	env = (vgpu_slurmcheck_step_env_t){ "0", NULL, "0,," };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), 0);
	env = (vgpu_slurmcheck_step_env_t){ NULL, NULL, "0" };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), -1);
	ck_assert_str_eq(err.msg, "the step holds shards but neither SLURM_STEP_GPUS nor SLURM_JOB_GPUS is set");
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(NULL, &idx, &err), -1);
	env = (vgpu_slurmcheck_step_env_t){ "x", NULL, NULL };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), -1);
	ck_assert_str_eq(err.msg, "SLURM_STEP_GPUS='x': expected one GPU index (shards of one GPU)");
	env = (vgpu_slurmcheck_step_env_t){ "1024", NULL, NULL };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), -1);
	env = (vgpu_slurmcheck_step_env_t){ "-1", NULL, NULL };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), -1);
	env = (vgpu_slurmcheck_step_env_t){ " 1", NULL, NULL };
	ck_assert_int_eq(vgpu_slurmcheck_slice_gpu(&env, &idx, &err), -1);
}
END_TEST

static void scan(const char *text, vgpu_slurmcheck_conf_t *rep)
{
	vgpu_slurmcheck_conf_scan(text, strlen(text), "/etc/slurm/slurm.conf", rep);
}

START_TEST(conf_scan)
{
	static vgpu_slurmcheck_conf_t rep;

	scan("ClusterName=c\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n", &rep);
	ck_assert_int_eq(rep.multi_sharing, 0);
	ck_assert_uint_eq(rep.select_lines, 1);
	ck_assert_uint_eq(rep.nfind, 0);
	scan("# SelectTypeParameters=CR_Core,MULTIPLE_SHARING_GRES_PJ\nClusterName=c\n"
	     "SelectType=select/cons_tres selecttypeparameters=CR_Core,MULTIPLE_SHARING_GRES_PJ # on\n",
	     &rep);
	ck_assert_int_eq(rep.multi_sharing, 1);
	ck_assert_uint_eq(rep.select_lines, 1);
	ck_assert_uint_eq(rep.nwarn, 1);
	ck_assert_uint_eq(rep.nfind, 1);
	ck_assert_str_eq(rep.findings[0], "/etc/slurm/slurm.conf:3: SelectTypeParameters=CR_Core,"
		"MULTIPLE_SHARING_GRES_PJ: " VGPU_SLURMCHECK_MULTI_SHARING_WHY);
	/* a continued line is numbered by its first line; quotes; CRLF */
	scan("A=1\r\nSelectTypeParameters=\"CR_Core,\\\nMULTIPLE_SHARING_GRES_PJ\"\r\nInclude /etc/slurm/more.conf\n"
	     "include \"/etc/slurm/x y.conf\"\nIncludeX=1\n", &rep);
	ck_assert_int_eq(rep.multi_sharing, 1);
	ck_assert_uint_eq(rep.nwarn, 1);
	ck_assert_uint_eq(rep.nfind, 3);
	ck_assert(strstr(rep.findings[0], "/etc/slurm/slurm.conf:2: SelectTypeParameters=CR_Core,"
					  "MULTIPLE_SHARING_GRES_PJ: ") == rep.findings[0]);
	ck_assert_str_eq(rep.findings[1], "/etc/slurm/slurm.conf:4: Include /etc/slurm/more.conf is not "
		"followed by this check: look for SelectTypeParameters in that file too");
	ck_assert(strstr(rep.findings[2], "slurm.conf:5: Include /etc/slurm/x y.conf is not") != NULL);
	/* '#' escaped or quoted is no comment; a warning comes before notes */
	scan("Include a.conf\nX=\\#y SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ\n", &rep);
	ck_assert_uint_eq(rep.nwarn, 1);
	ck_assert_uint_eq(rep.nfind, 2);
	ck_assert(strstr(rep.findings[0], "slurm.conf:2: SelectTypeParameters=") != NULL);
	ck_assert(strstr(rep.findings[1], "slurm.conf:1: Include a.conf") != NULL);
	scan("SelectTypeParameters=CR_Core,MULTIPLE_SHARING_GRES_PJX\nSelectTypeParameters=\n", &rep);
	ck_assert_int_eq(rep.multi_sharing, 0);
	ck_assert_uint_eq(rep.select_lines, 2);
	scan("", &rep);
	ck_assert_uint_eq(rep.nfind, 0);
	/* more findings than kept: counted */
	{
		char text[64 * 20] = "";

		for (int i = 0; i < 20; i++)
			strcat(text, "SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ\n");
		scan(text, &rep);
		ck_assert_uint_eq(rep.nfind, VGPU_SLURMCHECK_FINDINGS);
		ck_assert_uint_eq(rep.dropped, 20 - VGPU_SLURMCHECK_FINDINGS);
		ck_assert_uint_eq(rep.select_lines, 20);
	}
	/* NUL bytes do not end the text; bad bytes are quoted in the name */
	vgpu_slurmcheck_conf_scan("A=1\0\nSelectTypeParameters=MULTIPLE_SHARING_GRES_PJ\n", 51, "s\n.conf",
				  &rep);
	ck_assert_int_eq(rep.multi_sharing, 1);
	ck_assert(strstr(rep.findings[0], "s\\x0a.conf:2: ") == rep.findings[0]);
}
END_TEST

/* --- The plugins' constructors, loaded into a stand-in for another Slurm. */

static long fake_api = 0x2a0000;
static const char *fake_release = "slurm 24.11.5\n";

long slurm_api_version(void);
void print_slurm_version(void);

/* What Slurm's libslurmfull exports (this program is linked -rdynamic). */
long slurm_api_version(void)
{
	return fake_api;
}

void print_slurm_version(void)
{
	printf("%s", fake_release);
}

/* job_submit_vgpu.so is linked -z now: its Slurm imports must resolve. */
char *slurm_xstrdup(const char *s);
void *slurm_xrecalloc(void **item, size_t count, size_t size, bool clear, bool try_, const char *file,
		      int line, const char *func);
void slurm_xfree(void **item);
void slurm_info(const char *fmt, ...);
void slurm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void slurm_debug(const char *fmt, ...);
char *slurm_xstrdup(const char *s) { return s ? strdup(s) : NULL; }
void *slurm_xrecalloc(void **item, size_t count, size_t size, bool clear, bool try_, const char *file,
		      int line, const char *func)
{
	(void)clear, (void)try_, (void)file, (void)line, (void)func;
	return *item = realloc(*item, count * size);
}
void slurm_xfree(void **item) { free(*item); *item = NULL; }
void slurm_info(const char *fmt, ...) { (void)fmt; }
void slurm_debug(const char *fmt, ...) { (void)fmt; }
/* slurm_error: the constructors find it with dlsym; "E:" marks its lines */
void slurm_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "E:");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* dlopen `path` twice (Slurm does: plugin_load_from_file, plugin_peek) with
 * stderr into a file; its text in out. */
static void load_twice(const char *path, char *out, size_t len)
{
	char tmp[] = "/tmp/test_slurmcheck.XXXXXX";
	int fd = mkstemp(tmp), saved = dup(2);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	dup2(fd, 2);
	for (int i = 0; i < 2; i++) {
		void *h = dlopen(path, RTLD_LAZY);

		ck_assert_msg(h != NULL, "dlopen %s: %s", path, dlerror());
		dlclose(h);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(tmp);
}

static int plugin_path(const char *rel, char *buf, size_t len)
{
	const char *b = getenv("VGPU_BUILDDIR");

	snprintf(buf, len, "%s/%s", b ? b : ".", rel);
	return access(buf, R_OK) == 0;
}

START_TEST(running_slurm)
{
	vgpu_slurmcheck_slurm_t r;

	fake_release = "slurm 24.11.5\n";
	fake_api = 0x2a0000;
	printf("# before\n");
	vgpu_slurmcheck_running(&r);
	printf("# after: stdout is the program's again\n");
	ck_assert_uint_eq(r.release, 0x180b05);
	ck_assert_int_eq(r.api, 0x2a0000);
	fake_release = "garbage\n";
	vgpu_slurmcheck_running(&r);
	ck_assert_uint_eq(r.release, 0);
	ck_assert_int_eq(r.api, 0x2a0000);
}
END_TEST

START_TEST(plugin_constructors)
{
	static const char *const plugins[][2] = {
		{ "plugins/cli_filter/.libs/cli_filter_vgpu.so", "cli_filter/vgpu" },
		{ "plugins/job_submit/.libs/job_submit_vgpu.so", "job_submit/vgpu" },
	};
	char path[4096], out[4096], want[VGPU_SLURMCHECK_MSG_MAX + 64], built[32];
	vgpu_slurmcheck_slurm_t b = { VGPU_SLURM_VERSION_NUMBER, VGPU_SLURM_API_VERSION };
	vgpu_slurmcheck_slurm_t r = { 0x180b05, 0x2a0000 };
	int tested = 0;

	vgpu_slurmcheck_release_text(VGPU_SLURM_VERSION_NUMBER, built, sizeof(built));
	ck_assert_str_eq(built, VGPU_SLURM_VERSION);
	if (VGPU_SLURM_VERSION_NUMBER == 0x180b05) {  /* this program pretends to be 24.11.5 */
		fake_release = "slurm 22.05.8\n";
		fake_api = 0x260000;
		r = (vgpu_slurmcheck_slurm_t){ 0x160508, 0x260000 };
	}
	for (size_t i = 0; i < sizeof(plugins) / sizeof(plugins[0]); i++) {
		if (!plugin_path(plugins[i][0], path, sizeof(path)))
			continue;       /* not built (no libslurm-dev) */
		tested++;
		ck_assert_int_eq(vgpu_slurmcheck_release_match(plugins[i][1], &b, &r, VGPU_SLURMCHECK_EXACT,
								want + 2, sizeof(want) - 2), 1);
		/* a Slurm process: slurm_error's line, and stderr's in a daemon only */
		memcpy(want, "E:", 2);
		strcat(want, "\n");
		load_twice(path, out, sizeof(out));
		ck_assert_str_eq(out, want);
	}
	if (!tested)
		fprintf(stderr, "# the plugins are not built: constructors not tested\n");
}
END_TEST

START_TEST(plugin_constructor_same_release)
{
	char path[4096], out[4096], rel[64];

	snprintf(rel, sizeof(rel), "slurm %s\n", VGPU_SLURM_VERSION);
	fake_release = rel;
	fake_api = VGPU_SLURM_API_VERSION;
	if (!plugin_path("plugins/cli_filter/.libs/cli_filter_vgpu.so", path, sizeof(path)))
		return;
	load_twice(path, out, sizeof(out));
	ck_assert_str_eq(out, "");
	/* stdout is the program's again: the release was read off a copy */
	ck_assert(stdout != NULL && fileno(stdout) == 1);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("slurmcheck");
	TCase *tc = tcase_create("slurmcheck");

	tcase_add_test(tc, release_parse_and_text);
	tcase_add_test(tc, release_match_messages);
	tcase_add_test(tc, daemons);
	tcase_add_test(tc, multi_sharing_value);
	tcase_add_test(tc, gres_slices);
	tcase_add_test(tc, gpu_lists);
	tcase_add_test(tc, slice_step_gpu);
	tcase_add_test(tc, conf_scan);
	tcase_add_test(tc, running_slurm);
	tcase_add_test(tc, plugin_constructors);
	tcase_add_test(tc, plugin_constructor_same_release);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
