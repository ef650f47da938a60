/*
 * gpuspin.c - a real kernel for tests/gpu (real GPU nodes only): loads a
 * PTX busy-wait kernel through the driver API (dlopen("libcuda.so.1"), so
 * the shim sees it as any program's), launches it without synchronising for
 * a while, then synchronises and prints
 *
 *   spin: RC LAUNCHES NS
 *
 * (RC the first failing CUresult or 0, NS the wall time from the first
 * launch to the end of the synchronisation). No CUDA headers or toolkit are
 * needed: the PTX text is JIT-compiled by the driver.
 *
 *   gpuspin MS BLOCKS CYCLES
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef int CUresult;
typedef void *handle_t;

/* Each block's thread 0 spins for `cycles` GPU clock ticks. sm_75 and newer
 * (the PTX is JIT-compiled for the device it runs on). */
static const char spin_ptx[] =
	".version 7.0\n"
	".target sm_75\n"
	".address_size 64\n"
	".visible .entry spin(.param .u64 cycles)\n"
	"{\n"
	"  .reg .pred %p;\n"
	"  .reg .b64 %rd<4>;\n"
	"  ld.param.u64 %rd1, [cycles];\n"
	"  mov.u64 %rd2, %clock64;\n"
	"LOOP:\n"
	"  mov.u64 %rd3, %clock64;\n"
	"  sub.s64 %rd3, %rd3, %rd2;\n"
	"  setp.lt.u64 %p, %rd3, %rd1;\n"
	"  @%p bra LOOP;\n"
	"  ret;\n"
	"}\n";

static struct {
	CUresult (*init)(unsigned);
	CUresult (*device_get)(int *, int);
	CUresult (*retain)(handle_t *, int);
	CUresult (*set_current)(handle_t);
	CUresult (*load)(handle_t *, const void *);
	CUresult (*get_function)(handle_t *, handle_t, const char *);
	CUresult (*launch)(handle_t, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
			   unsigned, handle_t, void **, void **);
	CUresult (*sync)(void);
} cu;

static int resolve(void *lib)
{
	/* The versioned names the driver exports (cuda.h maps the plain ones). */
	*(void **)&cu.init = dlsym(lib, "cuInit");
	*(void **)&cu.device_get = dlsym(lib, "cuDeviceGet");
	*(void **)&cu.retain = dlsym(lib, "cuDevicePrimaryCtxRetain");
	*(void **)&cu.set_current = dlsym(lib, "cuCtxSetCurrent");
	*(void **)&cu.load = dlsym(lib, "cuModuleLoadData");
	*(void **)&cu.get_function = dlsym(lib, "cuModuleGetFunction");
	*(void **)&cu.launch = dlsym(lib, "cuLaunchKernel");
	*(void **)&cu.sync = dlsym(lib, "cuCtxSynchronize");
	return cu.init && cu.device_get && cu.retain && cu.set_current && cu.load &&
	       cu.get_function && cu.launch && cu.sync ? 0 : -1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	void *lib;
	handle_t ctx = NULL, mod = NULL, fn = NULL;
	unsigned long long cycles;
	long ms, blocks, launches = 0;
	int dev = 0;
	int64_t start, end;
	void *params[1];
	CUresult rc;

	if (argc != 4 || (ms = atol(argv[1])) <= 0 || (blocks = atol(argv[2])) <= 0 ||
	    (cycles = strtoull(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: gpuspin MS BLOCKS CYCLES\n");
		return 2;
	}
	lib = dlopen("libcuda.so.1", RTLD_NOW);
	if (!lib || resolve(lib) != 0) {
		printf("spin: dlopen %s\n", lib ? "symbols missing" : dlerror());
		return 1;
	}
	params[0] = &cycles;
	if ((rc = cu.init(0)) || (rc = cu.device_get(&dev, 0)) || (rc = cu.retain(&ctx, dev)) ||
	    (rc = cu.set_current(ctx)) || (rc = cu.load(&mod, spin_ptx)) ||
	    (rc = cu.get_function(&fn, mod, "spin"))) {
		printf("spin: %d 0 0\n", rc);
		return 1;
	}
	start = now_ns();
	while (now_ns() - start < ms * 1000000) {
		rc = cu.launch(fn, (unsigned)blocks, 1, 1, 1, 1, 1, 0, NULL, params, NULL);
		if (rc)
			break;
		launches++;
	}
	if (!rc)
		rc = cu.sync();
	end = now_ns();
	printf("spin: %d %ld %lld\n", rc, launches, (long long)(end - start));
	return rc ? 1 : 0;
}
