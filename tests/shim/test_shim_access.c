/*
 * test_shim_access - how programs reach the driver through the shim, and
 * which GPU they reach:
 *  - the CUDA 13.0 runtime's cuGetProcAddress_v2 sequence
 *    ($VGPU_SHARED/fixtures/cudart-13.0-getproc.txt, skipped when absent),
 *    replayed through the shim and straight against the simulated driver:
 *    same answers (result, symbolStatus, symbol), and every pointer handed
 *    back is the shim's export of that symbol; cuGetProcAddress asked for
 *    itself gives the shim's; per-thread variants are kept;
 *  - dlopen of libcuda.so / libcuda.so.1 / the real driver by path /
 *    libnvidia-ml.so.1 gives the shim;
 *  - CUDA_VISIBLE_DEVICES as UUIDs, UUID prefixes or reordered indices
 *    charges the right GPU (checked on the simulated GPUs themselves); a GPU
 *    outside the step gets no context;
 *  - without a usable step description the shim fails closed, and it never
 *    writes to the program's stdout.
 */
#include "shimtest.h"
#include <limits.h>

#include "vgpu_cuda_abi.h"

/* The ABI header's entry points (what the shim hooks and the simulator
 * implements, with prototypes) must agree with the export list (what both
 * export) on base name, version and per-thread suffix. */
struct entry {
	const char *symbol, *base, *pt;
	int version;
};
#define X(sym, base, ver, pt) { #sym, #base, #pt, ver },
static const struct entry listed[] = {
#include "vgpu_cuda_exports.def"
};
#undef X
#define ABI_ROW(sym, base, ver, pt, params) { #sym, #base, #pt, ver },
static const struct entry abi[] = { VGPU_CUDA_ENTRY_POINTS(ABI_ROW) };
#undef ABI_ROW

static void lists_agree(void)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(abi) / sizeof(abi[0]); i++) {
		const struct entry *e = NULL;

		for (size_t j = 0; j < sizeof(listed) / sizeof(listed[0]) && !e; j++)
			if (strcmp(listed[j].symbol, abi[i].symbol) == 0)
				e = &listed[j];
		if (!e || strcmp(e->base, abi[i].base) != 0 || e->version != abi[i].version || strcmp(e->pt, abi[i].pt) != 0) {
			diag("%s: ABI header says %s %d '%s', export list %s", abi[i].symbol, abi[i].base, abi[i].version,
			     abi[i].pt, e ? e->base : "(absent)");
			bad++;
		}
	}
	check(bad == 0, "all %zu entry points of the ABI header agree with the export list", sizeof(abi) / sizeof(abi[0]));
}

/* Names of entry points that handle memory, report on it, or launch work. */
static int memory_info_launch(const char *sym)
{
	static const char *const prefixes[] = { "cuMem", "cuArray", "cuMipmappedArray", "cuLaunch", "cuGraphLaunch",
						"cuDeviceTotalMem", "cuDeviceGetDefaultMemPool", "cuDeviceGetMemPool",
						"cuDeviceSetMemPool", "cuExternalMemory", "cuImportExternalMemory",
						"cuIpc", "cuGetProcAddress" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(sym, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static void replay(const char *fixture)
{
	const char *with[] = { "getproc", "init", "getproc", fixture, NULL };
	char *shim_out, *sim_out, shim_lib[PATH_MAX];
	int lines = 0, same = 0, ours = 0, mil = 0, mil_ours = 0, pt = 0;
	struct scen s;

	scen_init(&s, "sim/nodes/a100x2.json", "getproc");
	scen_gpu(&s, 0, 4 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	if (!realpath(build_path("src/shim/.libs/libcuda.so.1"), shim_lib))
		snprintf(shim_lib, sizeof(shim_lib), "?");
	probe_run(&s, 1, NULL, with, &shim_out, NULL);
	probe_run(&s, 0, NULL, with, &sim_out, NULL); /* the simulated driver alone */
	for (int i = 0;; i++) {
		char a[4096], b[4096], sym[256], fa[1024], fb[1024], na[256], nb[256], rfa[PATH_MAX];
		int ver, ra, rb, sa, sb;
		unsigned long long flags;

		snprintf(a, sizeof(a), "%s", line_of(shim_out, "getproc ", i));
		snprintf(b, sizeof(b), "%s", line_of(sim_out, "getproc ", i));
		if (!a[0] || !b[0])
			break;
		lines++;
		if (sscanf(a, "%255s %d %llu: %d %d %1023s %255s", sym, &ver, &flags, &ra, &sa, fa, na) != 7 ||
		    sscanf(b, "%*s %*d %*u: %d %d %1023s %255s", &rb, &sb, fb, nb) != 4) {
			check(0, "fixture line %d parses: '%s' / '%s'", i, a, b);
			continue;
		}
		if (ra != rb || sa != sb || strcmp(na, nb) != 0) {
			check(0, "%s %d %llu: shim says %d/%d %s, the driver %d/%d %s", sym, ver, flags, ra, sa, na, rb, sb, nb);
			continue;
		}
		same++;
		if (ra != 0)
			continue;
		if (!realpath(fa, rfa))
			rfa[0] = '\0';
		ours += strcmp(rfa, shim_lib) == 0;
		if (strcmp(rfa, shim_lib) != 0)
			check(0, "%s %d %llu: handed out %s from %s, not the shim's", sym, ver, flags, na, fa);
		if (memory_info_launch(sym)) {
			mil++;
			mil_ours += strcmp(rfa, shim_lib) == 0;
		}
		if (flags == 2 && (strstr(na, "_ptsz") || strstr(na, "_ptds")))
			pt++;
	}
	CHECK_U64(lines, 440, "the fixture's queries were replayed");
	CHECK_U64(same, lines, "the shim answers as the driver does (result, symbolStatus, symbol)");
	CHECK_U64(ours, lines - 1, "every pointer handed out is the shim's (all but the empty name resolve)");
	check(mil > 100 && mil_ours == mil, "all %d memory, info and launch entry points are the shim's", mil);
	check(pt > 50, "%d per-thread-stream queries got their _ptsz/_ptds variant", pt);
	check(strstr(shim_out, "getproc cuGetProcAddress 11030 0: 0 0 ") &&
		      strstr(line_of(shim_out, "getproc cuGetProcAddress 11030 0: ", 0), " cuGetProcAddress") &&
		      strstr(line_of(shim_out, "getproc cuGetProcAddress 12000 0: ", 0), " cuGetProcAddress_v2"),
	      "asked for itself, cuGetProcAddress gives the shim's wrapper");
	free(shim_out);
	free(sim_out);
	scen_free(&s);
}

static void redirect(void)
{
	char real[1200], nvml[1200];
	const char *argv[] = { "direct", "init", "dlopen", "libcuda.so", "dlopen", "libcuda.so.1", "dlopen", real,
			       "dlopen", "libnvidia-ml.so.1", "dlopen", nvml, "dlopen", "libm.so.6", NULL };
	char *out;
	struct scen s;

	scen_init(&s, "sim/nodes/a100x2.json", "dlopen");
	scen_gpu(&s, 0, 4 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	snprintf(real, sizeof(real), "%s", build_path("sim/.libs/libcuda.so.1"));
	snprintf(nvml, sizeof(nvml), "%s", build_path("sim/.libs/libnvidia-ml.so.1"));
	probe_run(&s, 1, NULL, argv, &out, NULL);
	check(strstr(out, "dlopen libcuda.so: shim\n") != NULL, "dlopen(\"libcuda.so\") is the shim");
	check(strstr(out, "dlopen libcuda.so.1: shim\n") != NULL, "dlopen(\"libcuda.so.1\") is the shim");
	check(strstr(line_of(out, "dlopen /", 0), ": shim") != NULL, "dlopen of the real driver by path is the shim");
	check(strstr(out, "dlopen libnvidia-ml.so.1: shim\n") != NULL, "dlopen(\"libnvidia-ml.so.1\") is the shim");
	check(strstr(line_of(out, "dlopen /", 1), ": shim") != NULL, "dlopen of the real NVML by path is the shim");
	check(strstr(out, "dlopen libm.so.6: other\n") != NULL, "other libraries are left alone");
	free(out);
	scen_free(&s);
}

/* Run "init alloc mem 100M hold" with CUDA_VISIBLE_DEVICES=cvd and return
 * what the process holds on each node GPU (simulated GPU) and what its
 * cuMemGetInfo total was. */
static void visible(struct scen *s, const char *cvd, uint64_t held[2], uint64_t *total, char *init_rc, size_t len)
{
	char env[256], line[512], *out;
	const char *extra[] = { env, NULL };
	const char *argv[] = { "dlopen", "init", "info", "alloc", "mem", "104857600", "hold", NULL };
	int fd;
	pid_t pid;

	snprintf(env, sizeof(env), "CUDA_VISIBLE_DEVICES=%s", cvd);
	pid = probe_start(s, 1, extra, argv, &fd, NULL);
	out = calloc(1, OUT_MAX);
	for (size_t n = 0; read_line(fd, line, sizeof(line)) == 0 && n + strlen(line) + 2 < OUT_MAX;) {
		n += (size_t)sprintf(out + n, "%s\n", line);
		if (strcmp(line, "hold: ready") == 0)
			break;
	}
	snprintf(init_rc, len, "%s", line_of(out, "ctx 0: ", 0));
	*total = 0;
	info_free(out, 0, total);
	for (int i = 0; i < 2; i++)
		held[i] = phys_query(s, s->node.gpus[i].uuid, pid).pid_bytes;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	free(out);
}

static void visible_devices(void)
{
	struct scen s;
	uint64_t held[2], total, ctx;
	char cvd[128], rc[64];

	scen_init(&s, "sim/nodes/a100x2.json", "cvd");
	ctx = gpu_ctx(&s, 1);
	scen_gpu(&s, 0, 2 * GIB, gpu_ctx(&s, 0));
	scen_gpu(&s, 1, 3 * GIB, ctx);
	scen_write(&s);
	visible(&s, "1,0", held, &total, rc, sizeof(rc));
	CHECK_U64(total, 3 * GIB, "CUDA_VISIBLE_DEVICES=1,0: device 0 shows GPU 1's slice");
	CHECK_U64(held[1], ctx + 100 * MIB, "CUDA_VISIBLE_DEVICES=1,0: the allocation is on GPU 1");
	CHECK_U64(held[0], 0, "CUDA_VISIBLE_DEVICES=1,0: nothing on GPU 0");
	visible(&s, s.node.gpus[1].uuid, held, &total, rc, sizeof(rc));
	CHECK_U64(total, 3 * GIB, "CUDA_VISIBLE_DEVICES=<GPU 1's UUID>: GPU 1's slice");
	CHECK_U64(held[1], ctx + 100 * MIB, "CUDA_VISIBLE_DEVICES=<UUID>: the allocation is on GPU 1");
	snprintf(cvd, sizeof(cvd), "%.12s,0", s.node.gpus[1].uuid);
	visible(&s, cvd, held, &total, rc, sizeof(rc));
	CHECK_U64(total, 3 * GIB, "CUDA_VISIBLE_DEVICES=<UUID prefix>,0: GPU 1's slice");
	CHECK_U64(held[1], ctx + 100 * MIB, "CUDA_VISIBLE_DEVICES=<UUID prefix>: the allocation is on GPU 1");
	CHECK_U64(held[0], 0, "CUDA_VISIBLE_DEVICES=<UUID prefix>,0: nothing on GPU 0");
	scen_free(&s);
	/* a step with GPU 0 only, shown GPU 1 */
	scen_init(&s, "sim/nodes/a100x2.json", "cvd1");
	scen_gpu(&s, 0, 2 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	visible(&s, "1", held, &total, rc, sizeof(rc));
	check(strcmp(rc, "101") == 0, "a GPU outside the step gets no context: CUDA_ERROR_INVALID_DEVICE (got %s)", rc);
	CHECK_U64(held[0] + held[1], 0, "and nothing on any GPU");
	scen_free(&s);
}

static void fails_closed(void)
{
	const char *argv[] = { "dlopen", "init", NULL };
	const char *unset[] = { "VGPU_STEP_DESC=", NULL };
	char *out, *err, log[480];
	struct scen s;
	FILE *f;

	scen_init(&s, "sim/nodes/a100x2.json", "closed");
	scen_gpu(&s, 0, 2 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	probe_run(&s, 1, unset, argv, &out, &err);
	check(strcmp(out, "init: 3\n") == 0, "no step description: cuInit fails (CUDA_ERROR_NOT_INITIALIZED), stdout clean");
	check(strstr(err, "VGPU_STEP_DESC is not set") != NULL, "and says why on stderr (%s)", err);
	free(out);
	free(err);
	f = fopen(s.desc_path, "a");
	fputs("color=blue\n", f);
	fclose(f);
	probe_run(&s, 1, NULL, argv, &out, &err);
	check(strcmp(out, "init: 3\n") == 0, "a bad step description: cuInit fails");
	check(strstr(err, "step.desc:9: unknown key 'color'") != NULL, "naming the file and line (%s)", err);
	free(out);
	free(err);
	/* log to a file: nothing on stdout or stderr */
	s.desc.log_level = VGPU_LOG_DEBUG;
	snprintf(log, sizeof(log), "%s/shim.log", s.dir);
	snprintf(s.desc.log_file, sizeof(s.desc.log_file), "%s", log);
	snprintf(s.desc.cuda_path, sizeof(s.desc.cuda_path), "%s/no-such-libcuda.so.1", s.dir);
	scen_write(&s);
	probe_run(&s, 1, NULL, argv, &out, &err);
	check(strcmp(out, "init: 3\n") == 0, "a missing real driver: cuInit fails");
	check(err[0] == '\0', "logging to a file writes nothing to stderr ('%s')", err);
	free(out);
	free(err);
	out = calloc(1, 4096);
	f = fopen(log, "r");
	if (f) {
		out[fread(out, 1, 4095, f)] = '\0';
		fclose(f);
	}
	check(strstr(out, "cannot load the CUDA driver") != NULL, "the log file says why ('%s')", out);
	free(out);
	scen_free(&s);
}

int main(void)
{
	const char *shared = getenv("VGPU_SHARED");
	char fixture[1024];

	snprintf(fixture, sizeof(fixture), "%s/fixtures/cudart-13.0-getproc.txt", shared ? shared : "../shared");
	lists_agree();
	if (access(fixture, R_OK) == 0)
		replay(fixture);
	else
		diag("%s is absent: the replay is skipped", fixture);
	redirect();
	visible_devices();
	fails_closed();
	return done();
}
