/*
 * bench_shim.c - what the shim costs a CUDA program. bench/run.sh runs it
 * straight against a driver, through the shim, and through the shim with a
 * non-binding SM cap, and prints the results side by side; the driver is
 * the simulator, or for the shim's own cost per call bench/nulldrv.c (whose
 * entry points return at once).
 *
 *   bench_shim calls     ns per call (best of REPS runs) for
 *       pass    a pass-through entry point (cuCtxGetCurrent): the stub's jump;
 *       launch  cuLaunchKernel of one block on the default stream, never
 *               synchronised (run with VGPU_SIM_BLOCK_NS=0: kernels take no
 *               SM time, so the queue never fills);
 *       alloc   cuMemAlloc_v2 + cuMemFree_v2 of 2 MiB: the hooks, the ledger;
 *       info    cuMemGetInfo_v2: the slice's view;
 *   printed as "NAME NS" lines.
 *   bench_shim pair DRIVER ROUNDS   (under the shim, DRIVER the real
 *       driver's absolute path) the shim's own cost per call, timed in one
 *       process against the driver's entry points called directly: see pair().
 *   bench_shim launches N   set up, then N launches (for instruction counts:
 *       run.sh subtracts N = 0 from N = 1000000 under `perf stat`).
 *   bench_shim start N   N processes forked, released at once, each exec()ing
 *       this program; each measures from just before its exec() to the
 *       return of its first CUDA calls (cuInit, cuDeviceGet, primary context
 *       retain + set current, cuMemGetInfo_v2). Prints "start N P50 P99 MAX
 *       FAILED" (milliseconds).
 * Links nothing but libdl: the driver is dlopen("libcuda.so.1").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_cuda_abi.h"
#include "../tests/sim/simptx.h"

#define REPS 5
#define MAX_PROCS 1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}


/* What one child of "start" measured, in ns: wall from just before its
 * exec() (taken by the child itself) and its own CPU time
 * (CLOCK_PROCESS_CPUTIME_ID: user + system, this process only), at main()
 * and after each of its first CUDA calls. */
enum { PH_MAIN, PH_DLOPEN, PH_INIT, PH_DEVICE, PH_CTX, PH_INFO, NPH };
static const char *const ph_name[NPH] = { "exec->main", "dlopen", "cuInit", "cuDeviceGet", "context",
					  "cuMemGetInfo" };
struct sample {
	double wall[NPH]; /* cumulative, from exec() */
	double cpu[NPH];
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define LOAD(h, sym) vgpu_pfn_##sym sym = (vgpu_pfn_##sym)dlsym(h, #sym)

/* A child of "start": its first CUDA calls; writes its sample to fd (one
 * write, smaller than PIPE_BUF: atomic). t0/c0: wall and CPU before exec. */
static int one_process(double t0, double c0, int fd)
{
	struct sample s;
	vgpu_CUcontext c = NULL;
	vgpu_CUdevice d = -1;
	size_t fr = 0, tot = 0;
	void *h;
	int i = 0;

#define MARK()                            \
	do {                              \
		s.wall[i] = now() - t0;   \
		s.cpu[i] = cpu_now() - c0; \
		i++;                      \
	} while (0)
	MARK();
	h = dlopen("libcuda.so.1", RTLD_NOW);
	if (!h)
		return 1;
	MARK();
	LOAD(h, cuInit);
	LOAD(h, cuDeviceGet);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuMemGetInfo_v2);
	if (cuInit(0))
		return 1;
	MARK();
	if (cuDeviceGet(&d, 0))
		return 1;
	MARK();
	if (cuDevicePrimaryCtxRetain(&c, d) || cuCtxSetCurrent(c))
		return 1;
	MARK();
	if (cuMemGetInfo_v2(&fr, &tot))
		return 1;
	MARK();
#undef MARK
	return write(fd, &s, sizeof(s)) == (ssize_t)sizeof(s) ? 0 : 1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* p-th percentile (0..100) of v[0..n) (sorted in place), nearest rank. */
static double pct(double *v, int n, int p)
{
	int k = (n * p + 99) / 100;

	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[k > 0 ? k - 1 : 0];
}

/* "start N": N children released at once; prints (ms)
 *   start N FAILED MAKESPAN CPU_SUM
 *   total WALL_P50 WALL_P99 WALL_MAX CPU_P50 CPU_P99 CPU_MAX
 *   phase NAME WALL_P50 WALL_P99 CPU_P50 CPU_P99     (each phase alone)
 * MAKESPAN: release -> last child's result; CPU_SUM: user + system of all
 * children from fork to exit (wait4), exit included. */
static void start(int n)
{
	static struct sample t[MAX_PROCS];
	static double w[MAX_PROCS], c[MAX_PROCS];
	int go[2], res[2], bad = 0, got = 0;
	double t_go, t_end, cpu_sum = 0;

	if (n < 1 || n > MAX_PROCS || pipe(go) != 0 || pipe(res) != 0)
		exit(1);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			char a0[64], a1[64], a2[16], ch;
			char *argv[] = { "bench_shim", "one", a0, a1, a2, NULL };

			close(go[1]);
			close(res[0]);
			if (read(go[0], &ch, 1) < 0) /* released when the parent closes go[1] */
				_exit(1);
			snprintf(a2, sizeof(a2), "%d", res[1]);
			snprintf(a1, sizeof(a1), "%.0f", cpu_now());
			snprintf(a0, sizeof(a0), "%.0f", now());
			execv("/proc/self/exe", argv);
			_exit(127);
		}
	}
	close(go[0]);
	close(res[1]);
	t_go = now();
	close(go[1]); /* all at once */
	while (got < n && read(res[0], &t[got], sizeof(t[0])) == (ssize_t)sizeof(t[0]))
		got++;
	t_end = now();
	for (int i = 0; i < n; i++) {
		struct rusage ru;
		int status;

		if (wait4(-1, &status, 0, &ru) < 0)
			break;
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		cpu_sum += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
			   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
	}
	printf("start %d %d %.3f %.3f\n", n, bad, (t_end - t_go) / 1e6, cpu_sum / 1e6);
	if (got == 0)
		return;
	for (int i = 0; i < got; i++) {
		w[i] = t[i].wall[NPH - 1];
		c[i] = t[i].cpu[NPH - 1];
	}
	printf("total %.3f %.3f %.3f", pct(w, got, 50) / 1e6, pct(w, got, 99) / 1e6, pct(w, got, 100) / 1e6);
	printf(" %.3f %.3f %.3f\n", pct(c, got, 50) / 1e6, pct(c, got, 99) / 1e6, pct(c, got, 100) / 1e6);
	for (int p = 0; p < NPH; p++) {
		for (int i = 0; i < got; i++) {
			w[i] = t[i].wall[p] - (p ? t[i].wall[p - 1] : 0);
			c[i] = t[i].cpu[p] - (p ? t[i].cpu[p - 1] : 0);
		}
		printf("phase %s %.3f %.3f", ph_name[p], pct(w, got, 50) / 1e6, pct(w, got, 99) / 1e6);
		printf(" %.3f %.3f\n", pct(c, got, 50) / 1e6, pct(c, got, 99) / 1e6);
	}
}

#define BEST(name, per, body)                              \
	do {                                               \
		double best = 1e30;                        \
		for (int r = 0; r < REPS; r++) {           \
			double t0 = now();                 \
			for (long i = 0; i < (per); i++) { \
				body;                      \
			}                                  \
			double dt = (now() - t0) / (per);  \
			if (dt < best)                     \
				best = dt;                 \
		}                                          \
		printf("%s %.1f\n", name, best);           \
	} while (0)

/* A kernel to launch: SIM_PTX's "spin" loaded through h (the simulator
 * launches only functions of loaded modules, as a real driver); when h
 * cannot load modules (bench/nulldrv.c), any handle: that driver ignores it. */
static vgpu_CUfunction kernel_of(void *h, void *any)
{
	vgpu_pfn_cuModuleLoadData load = (vgpu_pfn_cuModuleLoadData)dlsym(h, "cuModuleLoadData");
	vgpu_pfn_cuModuleGetFunction get = (vgpu_pfn_cuModuleGetFunction)dlsym(h, "cuModuleGetFunction");
	vgpu_CUmodule m;
	vgpu_CUfunction f;

	if (load && get && load(&m, SIM_PTX) == VGPU_CUDA_SUCCESS &&
	    get(&f, m, SIM_PTX_KERNEL) == VGPU_CUDA_SUCCESS)
		return f;
	return (vgpu_CUfunction)any;
}

static int launches(long n)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	vgpu_CUcontext c = NULL;

	if (!h)
		return 1;
	LOAD(h, cuInit);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuLaunchKernel);
	if (cuInit(0) || cuDevicePrimaryCtxRetain(&c, 0) || cuCtxSetCurrent(c))
		return 1;
	vgpu_CUfunction f = kernel_of(h, &c);
	/* two launches first: the shim's calibration of this kernel */
	for (long i = 0; i < n + 2; i++)
		cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL);
	return 0;
}

static int calls(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	vgpu_CUcontext c = NULL;
	vgpu_CUdeviceptr p;
	vgpu_CUfunction f;
	size_t fr, tot;

	if (!h) {
		fprintf(stderr, "bench_shim: %s\n", dlerror());
		return 1;
	}
	LOAD(h, cuInit);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuCtxGetCurrent);
	LOAD(h, cuCtxSynchronize);
	LOAD(h, cuMemAlloc_v2);
	LOAD(h, cuMemFree_v2);
	LOAD(h, cuMemGetInfo_v2);
	LOAD(h, cuLaunchKernel);
	if (cuInit(0) || cuDevicePrimaryCtxRetain(&c, 0) || cuCtxSetCurrent(c)) {
		fprintf(stderr, "bench_shim: no device\n");
		return 1;
	}
	f = kernel_of(h, &c);
	BEST("pass", 2000000, cuCtxGetCurrent(&c));
	if (cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL) != VGPU_CUDA_SUCCESS) {
		fprintf(stderr, "bench_shim: cuLaunchKernel failed\n");
		return 1;
	}
	BEST("launch", 300000, cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
	cuCtxSynchronize();
	BEST("alloc", 50000, (cuMemAlloc_v2(&p, 2u << 20), cuMemFree_v2(p)));
	BEST("info", 50000, cuMemGetInfo_v2(&fr, &tot));
	return 0;
}

/* Nanoseconds per call of body over per calls (one timed block). */
#define BLOCK(per, body)                                   \
	__extension__({                                    \
		double t0_ = now();                        \
		for (long i_ = 0; i_ < (per); i_++) {      \
			body;                              \
		}                                          \
		(now() - t0_) / (double)(per);             \
	})

/* "pair PATH ROUNDS": in ONE process, the shim's entry points (this
 * program runs with the shim preloaded: dlopen("libcuda.so.1") is the shim)
 * and the real driver's behind it (dlopen of its absolute path: the same
 * object the shim loaded), timed in alternating blocks. Prints per round
 * "OP SHIM_MINUS_DRIVER_NS" for pass, launch, alloc and info: the shim's
 * own cost, measured on the same CPU, at the same time, with the same code
 * layout as the driver's. */
static int pair(const char *path, int rounds)
{
	void *hs = dlopen("libcuda.so.1", RTLD_NOW), *hd;
	vgpu_pfn_cuInit init = hs ? (vgpu_pfn_cuInit)dlsym(hs, "cuInit") : NULL;
	vgpu_CUcontext c = NULL;
	vgpu_CUdeviceptr p;
	size_t fr, tot;

	if (!init || init(0) != VGPU_CUDA_SUCCESS) { /* the shim loads the driver */
		fprintf(stderr, "bench_shim: pair: cuInit failed\n");
		return 1;
	}
	/* (a name starting with libcuda.so would be the shim's: see doc/shim.md) */
	hd = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (!hd || hd == hs) {
		fprintf(stderr, "bench_shim: pair: %s is not the driver behind the shim\n", path);
		return 1;
	}
#define BOTH(sym) vgpu_pfn_##sym sym##_s = (vgpu_pfn_##sym)dlsym(hs, #sym), sym##_d = (vgpu_pfn_##sym)dlsym(hd, #sym)
	BOTH(cuCtxGetCurrent);
	BOTH(cuLaunchKernel);
	BOTH(cuMemAlloc_v2);
	BOTH(cuMemFree_v2);
	BOTH(cuMemGetInfo_v2);
#undef BOTH
	LOAD(hs, cuDevicePrimaryCtxRetain);
	LOAD(hs, cuCtxSetCurrent);
	if (!cuCtxGetCurrent_d || !cuLaunchKernel_d || !cuMemAlloc_v2_d || !cuMemFree_v2_d || !cuMemGetInfo_v2_d ||
	    cuDevicePrimaryCtxRetain(&c, 0) || cuCtxSetCurrent(c)) {
		fprintf(stderr, "bench_shim: pair: no device\n");
		return 1;
	}
	vgpu_CUfunction f = kernel_of(hs, &c);
	for (int k = 0; k < 4; k++) /* the shim's calibration of this kernel, warm caches */
		cuLaunchKernel_s(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL);
	for (int r = 0; r < rounds; r++) {
		double a, b;

		/* alternate which goes first */
#define TWICE(name, per, body_s, body_d)                                                     \
	do {                                                                                 \
		if (r % 2) {                                                                 \
			a = BLOCK(per, body_s);                                              \
			b = BLOCK(per, body_d);                                              \
		} else {                                                                     \
			b = BLOCK(per, body_d);                                              \
			a = BLOCK(per, body_s);                                              \
		}                                                                            \
		printf("%s %.2f\n", name, a - b);                                            \
	} while (0)
		TWICE("pass", 200000, cuCtxGetCurrent_s(&c), cuCtxGetCurrent_d(&c));
		TWICE("launch", 200000, cuLaunchKernel_s(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL),
		      cuLaunchKernel_d(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
		TWICE("alloc", 20000, (cuMemAlloc_v2_s(&p, 2u << 20), cuMemFree_v2_s(p)),
		      (cuMemAlloc_v2_d(&p, 2u << 20), cuMemFree_v2_d(p)));
		TWICE("info", 20000, cuMemGetInfo_v2_s(&fr, &tot), cuMemGetInfo_v2_d(&fr, &tot));
#undef TWICE
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 4 && strcmp(argv[1], "one") == 0)
		return one_process(strtod(argv[2], NULL), strtod(argv[3], NULL), atoi(argv[4]));
	if (argc > 2 && strcmp(argv[1], "start") == 0) {
		start(atoi(argv[2]));
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "launches") == 0)
		return launches(atol(argv[2]));
	if (argc > 1 && strcmp(argv[1], "calls") == 0)
		return calls();
	if (argc > 3 && strcmp(argv[1], "pair") == 0)
		return pair(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: bench_shim calls | launches N | start N | pair DRIVER ROUNDS\n");
	return 2;
}
