/*
 * replay_hold.c - the job of the replay benchmark (tools/vgpu-replay,
 * doc/replay.md): a program that holds GPU memory through the CUDA driver
 * for a while, as the trace's job would.
 *
 *   replay_hold SECONDS MIB
 *
 * dlopen("libcuda.so.1") (on the devcluster the simulated driver, in a
 * slice job with the vgpu shim in front of it), cuInit, and on every GPU it
 * sees: its primary context and one cuMemAlloc of MIB MiB; when that does
 * not fit (a slice's context costs memory too), what cuMemGetInfo calls
 * free less 2 MiB. Then it sleeps SECONDS (decimals allowed) and exits;
 * the driver frees the memory with the process. Prints one line:
 * "replay_hold: GPUS g HELD_MIB m" (m: the total held, MiB), or the failed
 * call and exits 1. It measures nothing: the records come from Slurm.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vgpu_cuda_abi.h"

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p)
		fprintf(stderr, "replay_hold: libcuda.so.1: no symbol %s\n", name);
	return p;
}

#define LOAD(name)                                             \
	vgpu_pfn_##name name = (vgpu_pfn_##name)sym(h, #name); \
	if (!name)                                             \
	return 1

int main(int argc, char **argv)
{
	char *end;
	double secs;
	unsigned long long mib;
	struct timespec ts;
	void *h;
	int n = 0;
	unsigned long long held = 0;
	vgpu_CUresult r;

	if (argc != 3) {
		fprintf(stderr, "usage: replay_hold SECONDS MIB\n");
		return 2;
	}
	errno = 0;
	secs = strtod(argv[1], &end);
	if (*end || errno || !(secs >= 0 && secs <= 86400 * 365.0)) {
		fprintf(stderr, "replay_hold: SECONDS '%s': expected 0 to a year\n", argv[1]);
		return 2;
	}
	mib = strtoull(argv[2], &end, 10);
	if (!argv[2][0] || argv[2][0] == '-' || *end || errno || mib > (1ull << 24)) {
		fprintf(stderr, "replay_hold: MIB '%s': expected 0 to 16777216\n", argv[2]);
		return 2;
	}
	if (!(h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL))) {
		fprintf(stderr, "replay_hold: dlopen libcuda.so.1: %s\n", dlerror());
		return 1;
	}
	{
		LOAD(cuInit);
		LOAD(cuDeviceGetCount);
		LOAD(cuDeviceGet);
		LOAD(cuDevicePrimaryCtxRetain);
		LOAD(cuCtxSetCurrent);
		LOAD(cuMemAlloc_v2);
		LOAD(cuMemGetInfo_v2);

		if ((r = cuInit(0)) != VGPU_CUDA_SUCCESS || (r = cuDeviceGetCount(&n)) != VGPU_CUDA_SUCCESS) {
			fprintf(stderr, "replay_hold: cuInit/cuDeviceGetCount: CUresult %d\n", (int)r);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			vgpu_CUdevice dev;
			vgpu_CUcontext ctx;
			vgpu_CUdeviceptr p;
			size_t want = (size_t)mib << 20, fr = 0, tot = 0;

			if ((r = cuDeviceGet(&dev, i)) != VGPU_CUDA_SUCCESS ||
			    (r = cuDevicePrimaryCtxRetain(&ctx, dev)) != VGPU_CUDA_SUCCESS ||
			    (r = cuCtxSetCurrent(ctx)) != VGPU_CUDA_SUCCESS) {
				fprintf(stderr, "replay_hold: GPU %d: context: CUresult %d\n", i, (int)r);
				return 1;
			}
			if (!want)
				continue;
			if ((r = cuMemAlloc_v2(&p, want)) == VGPU_CUDA_ERROR_OUT_OF_MEMORY) {
				if ((r = cuMemGetInfo_v2(&fr, &tot)) != VGPU_CUDA_SUCCESS) {
					fprintf(stderr, "replay_hold: GPU %d: cuMemGetInfo: CUresult %d\n", i,
						(int)r);
					return 1;
				}
				want = fr > (2u << 20) ? fr - (2u << 20) : 0;
				r = want ? cuMemAlloc_v2(&p, want) : VGPU_CUDA_SUCCESS;
			}
			if (r != VGPU_CUDA_SUCCESS) {
				fprintf(stderr, "replay_hold: GPU %d: cuMemAlloc of %zu bytes: CUresult %d\n",
					i, want, (int)r);
				return 1;
			}
			held += want >> 20;
		}
	}
	printf("replay_hold: GPUS %d HELD_MIB %llu\n", n, held);
	fflush(stdout);
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 0;
}
