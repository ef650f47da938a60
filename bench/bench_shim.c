/*
 * bench_shim.c - what the shim costs a CUDA program, against the simulated
 * driver: run once under the shim (LD_PRELOAD) and once straight against the
 * simulator (bench/run.sh does both), it prints ns per call for
 *   pass    a pass-through entry point (cuCtxGetCurrent): the stub's jump;
 *   alloc   cuMemAlloc_v2 + cuMemFree_v2 of 2 MiB: the hooks, the ledger;
 *   info    cuMemGetInfo_v2: the slice's view (reclaims dead slots: reads
 *           /proc once per process holding memory on the GPU);
 * and, with "start N", the wall time for N processes to start, cuInit,
 * allocate once and exit, all at once.
 * Links nothing but libdl: the driver is dlopen("libcuda.so.1").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_cuda_abi.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define LOAD(h, sym) vgpu_pfn_##sym sym = (vgpu_pfn_##sym)dlsym(h, #sym)

static int one_process(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	vgpu_CUcontext c = NULL;
	vgpu_CUdeviceptr p = 0;

	if (!h)
		return 1;
	LOAD(h, cuInit);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuMemAlloc_v2);
	if (cuInit(0) || cuDevicePrimaryCtxRetain(&c, 0) || cuCtxSetCurrent(c) || cuMemAlloc_v2(&p, 2u << 20))
		return 1;
	return 0;
}

static void start(int n)
{
	double t0 = now();
	int bad = 0;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			/* a fresh process image, as a task of a step is */
			char *argv[] = { "bench_shim", "one", NULL };

			execv("/proc/self/exe", argv);
			_exit(127);
		}
	}
	for (int i = 0; i < n; i++) {
		int status;

		wait(&status);
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	printf("start %d processes: %.1f ms (%d failed)\n", n, (now() - t0) / 1e6, bad);
}

int main(int argc, char **argv)
{
	void *h;
	vgpu_CUcontext c = NULL;
	vgpu_CUdeviceptr p;
	size_t fr, tot;
	double t;
	long n;

	if (argc > 1 && strcmp(argv[1], "one") == 0)
		return one_process();
	if (argc > 2 && strcmp(argv[1], "start") == 0) {
		start(atoi(argv[2]));
		return 0;
	}
	h = dlopen("libcuda.so.1", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "bench_shim: %s\n", dlerror());
		return 1;
	}
	LOAD(h, cuInit);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuCtxGetCurrent);
	LOAD(h, cuMemAlloc_v2);
	LOAD(h, cuMemFree_v2);
	LOAD(h, cuMemGetInfo_v2);
	if (cuInit(0) || cuDevicePrimaryCtxRetain(&c, 0) || cuCtxSetCurrent(c)) {
		fprintf(stderr, "bench_shim: no device\n");
		return 1;
	}
	n = 10000000;
	t = now();
	for (long i = 0; i < n; i++)
		cuCtxGetCurrent(&c);
	printf("pass  cuCtxGetCurrent          %8.1f ns/call\n", (now() - t) / (double)n);
	n = 100000;
	t = now();
	for (long i = 0; i < n; i++) {
		cuMemAlloc_v2(&p, 2u << 20);
		cuMemFree_v2(p);
	}
	printf("alloc cuMemAlloc_v2+cuMemFree_v2 %6.1f ns/pair\n", (now() - t) / (double)n);
	n = 100000;
	t = now();
	for (long i = 0; i < n; i++)
		cuMemGetInfo_v2(&fr, &tot);
	printf("info  cuMemGetInfo_v2          %8.1f ns/call\n", (now() - t) / (double)n);
	return 0;
}
