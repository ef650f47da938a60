/*
 * bench_shim.c - what the shim costs a CUDA program, against the simulated
 * driver. bench/run.sh runs it straight against the simulator, through the
 * shim, and through the shim with a non-binding SM cap, and prints the
 * results side by side.
 *
 *   bench_shim calls     ns per call (best of REPS runs) for
 *       pass    a pass-through entry point (cuCtxGetCurrent): the stub's jump;
 *       launch  cuLaunchKernel of one block on the default stream, never
 *               synchronised (run with VGPU_SIM_BLOCK_NS=0: kernels take no
 *               SM time, so the queue never fills);
 *       alloc   cuMemAlloc_v2 + cuMemFree_v2 of 2 MiB: the hooks, the ledger;
 *       info    cuMemGetInfo_v2: the slice's view;
 *   printed as "NAME NS" lines.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_cuda_abi.h"

#define REPS 5
#define MAX_PROCS 1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define LOAD(h, sym) vgpu_pfn_##sym sym = (vgpu_pfn_##sym)dlsym(h, #sym)

/* A child of "start": its first CUDA calls; writes its start-up ns to fd. */
static int one_process(double t0, int fd)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	vgpu_CUcontext c = NULL;
	vgpu_CUdevice d = -1;
	size_t fr = 0, tot = 0;
	double dt;

	if (!h)
		return 1;
	LOAD(h, cuInit);
	LOAD(h, cuDeviceGet);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuMemGetInfo_v2);
	if (cuInit(0) || cuDeviceGet(&d, 0) || cuDevicePrimaryCtxRetain(&c, d) || cuCtxSetCurrent(c) ||
	    cuMemGetInfo_v2(&fr, &tot))
		return 1;
	dt = now() - t0;
	return write(fd, &dt, sizeof(dt)) == (ssize_t)sizeof(dt) ? 0 : 1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void start(int n)
{
	static double t[MAX_PROCS];
	int go[2], res[2], bad = 0, got = 0;

	if (n < 1 || n > MAX_PROCS || pipe(go) != 0 || pipe(res) != 0)
		exit(1);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			char a0[64], a1[16], c;
			char *argv[] = { "bench_shim", "one", a0, a1, NULL };

			close(go[1]);
			close(res[0]);
			if (read(go[0], &c, 1) < 0) /* released when the parent closes go[1] */
				_exit(1);
			snprintf(a0, sizeof(a0), "%.0f", now());
			snprintf(a1, sizeof(a1), "%d", res[1]);
			execv("/proc/self/exe", argv);
			_exit(127);
		}
	}
	close(go[0]);
	close(res[1]);
	close(go[1]); /* all at once */
	while (got < n && read(res[0], &t[got], sizeof(t[0])) == (ssize_t)sizeof(t[0]))
		got++;
	for (int i = 0; i < n; i++) {
		int status;

		wait(&status);
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	qsort(t, (size_t)got, sizeof(t[0]), cmp);
	if (got == 0)
		printf("start %d 0 0 0 %d\n", n, bad);
	else
		printf("start %d %.3f %.3f %.3f %d\n", n, t[(got - 1) / 2] / 1e6, t[(got * 99 + 99) / 100 - 1] / 1e6,
		       t[got - 1] / 1e6, bad);
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
	/* two launches first: the shim's calibration of this kernel */
	for (long i = 0; i < n + 2; i++)
		cuLaunchKernel((vgpu_CUfunction)(void *)&c, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL);
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
	f = (vgpu_CUfunction)(void *)&c;
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

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], "one") == 0)
		return one_process(strtod(argv[2], NULL), atoi(argv[3]));
	if (argc > 2 && strcmp(argv[1], "start") == 0) {
		start(atoi(argv[2]));
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "launches") == 0)
		return launches(atol(argv[2]));
	if (argc > 1 && strcmp(argv[1], "calls") == 0)
		return calls();
	fprintf(stderr, "usage: bench_shim calls | launches N | start N\n");
	return 2;
}
