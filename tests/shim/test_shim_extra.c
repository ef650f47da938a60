/*
 * test_shim_extra - device memory outside plain allocations: context limits
 * (cuCtxSetLimit: malloc heap, stack, printf FIFO), arrays (v1
 * cuArrayCreate, cuArray3DCreate v1/v2: 3D, layered, cubemap, sparse;
 * cuMipmappedArrayCreate) and what a memory pool keeps after
 * cuMemFreeAsync (until a synchronisation, above its release threshold,
 * or cuMemPoolTrimTo). Each scenario runs a script in a child process
 * (this program again, under LD_PRELOAD of the shim, against the simulated
 * node) and checks, at each checkpoint, the simulated GPU's PHYSICAL use by
 * that process (the simulator's NVML, read without the shim) and the
 * slice's view the shim gives (cuMemGetInfo). A control run of the same
 * script without the shim shows the memory the slice would have lost.
 *
 * Child script ops (argv): limit:L:V  arr1:W:H:F:C  arr3d:W:H:D:F:C:FL
 * arr3dv1:W:H:D:F:C:FL  mip:W:H:D:F:C:FL:LEVELS  free (the last array)
 * newctx  dropctx  async:MIB  alloc:MIB  dfree (the last of those two)
 * sync  thresh:BYTES  trim:BYTES (the default pool of device 0)
 * cp (print "cp RC FREE", wait for a byte on stdin).
 * Every op prints "op NAME RC".
 */
#include "shimtest.h"

#include <inttypes.h>

#include "vgpu_cuda_abi.h"
#include "childrun.h"

#define F_U8 0x01
#define F_FLOAT 0x20

/* ---- the child ------------------------------------------------------------ */

struct desc_v1 {
	unsigned int Width, Height;
	int Format;
	unsigned int NumChannels;
};
struct desc3d {
	size_t Width, Height, Depth;
	int Format;
	unsigned int NumChannels, Flags;
};
struct desc3d_v1 {
	unsigned int Width, Height, Depth;
	int Format;
	unsigned int NumChannels, Flags;
};

typedef int (*fn_set_limit)(int, size_t);
typedef int (*fn_arr1)(void **, const struct desc_v1 *);
typedef int (*fn_arr3d)(void **, const struct desc3d *);
typedef int (*fn_arr3d_v1)(void **, const struct desc3d_v1 *);
typedef int (*fn_mip)(void **, const struct desc3d *, unsigned int);
typedef int (*fn_destroy)(void *);
typedef int (*fn_pool_attr)(void *, int, void *);

static int child(int argc, char **argv)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	vgpu_CUcontext ctx = NULL, extra = NULL;
	void *arrays[64];
	int is_mip[64], n = 0;
	vgpu_CUdeviceptr ptrs[64];
	int is_async[64], np = 0;
	vgpu_CUmemoryPool pool = NULL;

	if (!h)
		return 10;
	vgpu_pfn_cuInit init = (vgpu_pfn_cuInit)dlsym(h, "cuInit");
	vgpu_pfn_cuDevicePrimaryCtxRetain retain = (vgpu_pfn_cuDevicePrimaryCtxRetain)dlsym(h, "cuDevicePrimaryCtxRetain");
	vgpu_pfn_cuCtxSetCurrent setcur = (vgpu_pfn_cuCtxSetCurrent)dlsym(h, "cuCtxSetCurrent");
	vgpu_pfn_cuCtxCreate_v2 create = (vgpu_pfn_cuCtxCreate_v2)dlsym(h, "cuCtxCreate_v2");
	vgpu_pfn_cuCtxDestroy_v2 destroy = (vgpu_pfn_cuCtxDestroy_v2)dlsym(h, "cuCtxDestroy_v2");
	vgpu_pfn_cuMemGetInfo_v2 info = (vgpu_pfn_cuMemGetInfo_v2)dlsym(h, "cuMemGetInfo_v2");
	fn_set_limit set_limit = (fn_set_limit)dlsym(h, "cuCtxSetLimit");
	fn_arr1 arr1 = (fn_arr1)dlsym(h, "cuArrayCreate");
	fn_arr3d arr3d = (fn_arr3d)dlsym(h, "cuArray3DCreate_v2");
	fn_arr3d_v1 arr3d_v1 = (fn_arr3d_v1)dlsym(h, "cuArray3DCreate");
	fn_mip mip = (fn_mip)dlsym(h, "cuMipmappedArrayCreate");
	fn_destroy arr_destroy = (fn_destroy)dlsym(h, "cuArrayDestroy");
	fn_destroy mip_destroy = (fn_destroy)dlsym(h, "cuMipmappedArrayDestroy");
	vgpu_pfn_cuMemAllocAsync alloc_async = (vgpu_pfn_cuMemAllocAsync)dlsym(h, "cuMemAllocAsync");
	vgpu_pfn_cuMemFreeAsync free_async = (vgpu_pfn_cuMemFreeAsync)dlsym(h, "cuMemFreeAsync");
	vgpu_pfn_cuMemAlloc_v2 alloc = (vgpu_pfn_cuMemAlloc_v2)dlsym(h, "cuMemAlloc_v2");
	vgpu_pfn_cuMemFree_v2 mfree = (vgpu_pfn_cuMemFree_v2)dlsym(h, "cuMemFree_v2");
	vgpu_pfn_cuCtxSynchronize sync = (vgpu_pfn_cuCtxSynchronize)dlsym(h, "cuCtxSynchronize");
	vgpu_pfn_cuDeviceGetDefaultMemPool defpool =
		(vgpu_pfn_cuDeviceGetDefaultMemPool)dlsym(h, "cuDeviceGetDefaultMemPool");
	vgpu_pfn_cuMemPoolTrimTo trim = (vgpu_pfn_cuMemPoolTrimTo)dlsym(h, "cuMemPoolTrimTo");
	fn_pool_attr set_attr = (fn_pool_attr)dlsym(h, "cuMemPoolSetAttribute");

	if (!init || !retain || !setcur || !create || !destroy || !info || !set_limit || !arr1 || !arr3d ||
	    !arr3d_v1 || !mip || !arr_destroy || !mip_destroy || !alloc_async || !free_async || !alloc || !mfree ||
	    !sync || !defpool || !trim || !set_attr)
		return 11;
	if (init(0) != 0 || retain(&ctx, 0) != 0 || setcur(ctx) != 0 || defpool(&pool, 0) != 0)
		return 12;
	for (int i = 0; i < argc; i++) {
		unsigned long long a[8] = { 0 };
		char name[16] = "";
		void *handle = NULL;
		int rc = -1;

		sscanf(argv[i], "%15[a-z0-9]:%llu:%llu:%llu:%llu:%llu:%llu:%llu", name, &a[0], &a[1], &a[2], &a[3], &a[4],
		       &a[5], &a[6]);
		if (strcmp(name, "cp") == 0) {
			size_t fr = 0, tot = 0;
			char c;
			int irc = info(&fr, &tot);

			printf("cp %d %llu\n", irc, (unsigned long long)fr);
			fflush(stdout);
			if (read(0, &c, 1) != 1)
				return 13;
			continue;
		} else if (strcmp(name, "limit") == 0) {
			rc = set_limit((int)a[0], (size_t)a[1]);
		} else if (strcmp(name, "arr1") == 0) {
			struct desc_v1 d = { (unsigned)a[0], (unsigned)a[1], (int)a[2], (unsigned)a[3] };

			rc = arr1(&handle, &d);
		} else if (strcmp(name, "arr3d") == 0) {
			struct desc3d d = { a[0], a[1], a[2], (int)a[3], (unsigned)a[4], (unsigned)a[5] };

			rc = arr3d(&handle, &d);
		} else if (strcmp(name, "arr3dv1") == 0) {
			struct desc3d_v1 d = { (unsigned)a[0], (unsigned)a[1], (unsigned)a[2],
					       (int)a[3], (unsigned)a[4], (unsigned)a[5] };

			rc = arr3d_v1(&handle, &d);
		} else if (strcmp(name, "mip") == 0) {
			struct desc3d d = { a[0], a[1], a[2], (int)a[3], (unsigned)a[4], (unsigned)a[5] };

			rc = mip(&handle, &d, (unsigned)a[6]);
		} else if (strcmp(name, "free") == 0 && n > 0) {
			n--;
			rc = is_mip[n] ? mip_destroy(arrays[n]) : arr_destroy(arrays[n]);
		} else if (strcmp(name, "async") == 0 || strcmp(name, "alloc") == 0) {
			vgpu_CUdeviceptr d = 0;
			int as = name[0] == 'a' && name[1] == 's';

			rc = as ? alloc_async(&d, (size_t)a[0] << 20, NULL) : alloc(&d, (size_t)a[0] << 20);
			if (rc == 0 && np < 64) {
				ptrs[np] = d;
				is_async[np++] = as;
			}
		} else if (strcmp(name, "dfree") == 0 && np > 0) {
			np--;
			rc = is_async[np] ? free_async(ptrs[np], NULL) : mfree(ptrs[np]);
		} else if (strcmp(name, "sync") == 0) {
			rc = sync();
		} else if (strcmp(name, "thresh") == 0) {
			uint64_t v = a[0];

			rc = set_attr(pool, 4 /* CU_MEMPOOL_ATTR_RELEASE_THRESHOLD */, &v);
		} else if (strcmp(name, "trim") == 0) {
			rc = trim(pool, (size_t)a[0]);
		} else if (strcmp(name, "newctx") == 0) {
			rc = create(&extra, 0, 0); /* current now */
		} else if (strcmp(name, "dropctx") == 0) {
			rc = destroy(extra);
			if (rc == 0)
				rc = setcur(ctx);
		}
		if (rc == 0 && handle && n < 64) {
			arrays[n] = handle;
			is_mip[n++] = strcmp(name, "mip") == 0;
		}
		printf("op %s %d\n", name, rc);
		fflush(stdout);
	}
	return 0;
}

/* ---- the scenarios ---------------------------------------------------------- */

/* What the child holds on GPU 0 physically (simulator's NVML, no shim). */
static uint64_t held(const struct scen *s, const struct run *r)
{
	struct phys p = phys_query(s, s->node.gpus[0].uuid, r->pid);

	return p.ok ? p.pid_bytes : UINT64_MAX;
}

/* One checkpoint: the ops' rcs, then the physical use and the view. */
struct expect {
	int rcs[8];
	int nops;
	uint64_t phys_extra; /* bytes above the context, physically */
	const char *what;
};

static void scenario(const char *name, uint64_t slice, const char *const *ops, const struct expect *cps, int ncps,
		     int control)
{
	struct scen s;
	struct run r;
	uint64_t ctx_phys = 0, free0 = 0;

	scen_init(&s, "sim/nodes/a100x2.json", name);
	scen_gpu(&s, 0, slice, gpu_ctx(&s, 0));
	scen_write(&s);
	run_start(&r, &s, !control, "test_shim_extra", ops);
	for (int i = 0; i < ncps; i++) {
		int rcs[8] = { 0 }, nops;
		uint64_t fr = 0, phys;
		char what[256];

		nops = run_to_cp(&r, rcs, 8, &fr);
		snprintf(what, sizeof(what), "%s%s: %s", name, control ? " (no shim)" : "", cps[i].what);
		if (!check(nops == cps[i].nops, "%s: %d ops ran (want %d)", what, nops, cps[i].nops))
			break;
		for (int k = 0; k < nops; k++)
			check(rcs[k] == cps[i].rcs[k], "%s: op %d returned %d (want %d)", what, k + 1, rcs[k],
			      cps[i].rcs[k]);
		phys = held(&s, &r);
		if (i == 0) {
			ctx_phys = phys;
			free0 = fr;
			CHECK_U64(phys, gpu_ctx(&s, 0), "context alone, physically");
		} else {
			char w2[400];

			snprintf(w2, sizeof(w2), "%s: bytes in use above the context, physically", what);
			CHECK_U64(phys - ctx_phys, cps[i].phys_extra, w2);
			if (!control) {
				snprintf(w2, sizeof(w2), "%s: the slice's free memory fell by as much", what);
				CHECK_U64(free0 - fr, cps[i].phys_extra, w2);
			}
		}
		run_go(&r);
	}
	check(run_end(&r) == 0, "%s: the child ran to the end", name);
	scen_free(&s);
}

static void limits(int control)
{
	static const char *const ops[] = {
		"cp",
		"limit:2:268435456", "cp",                 /* heap 256 MiB */
		"limit:2:67108864", "cp",                  /* heap 64 MiB: 192 MiB back */
		"limit:0:4096", "limit:1:34603008", "cp",  /* stack 4 KiB/thread, printf 33 MiB */
		"limit:2:8589934592", "cp",                /* heap 8 GiB: beyond the 4 GiB slice */
		"newctx", "limit:2:134217728", "cp",       /* a second context, its heap 128 MiB */
		"dropctx", "cp",                           /* gone with its context */
		NULL
	};
	const uint64_t stack = (uint64_t)(4096 - 1024) * 108 * 2048; /* A100: 108 SMs x 2048 threads */
	const uint64_t ctx = 314572800;
	const uint64_t base = 56 * MIB + stack + 32 * MIB;
	struct expect cps[] = {
		{ { 0 }, 0, 0, "start" },
		{ { 0 }, 1, 248 * MIB, "malloc heap 256 MiB charges 248 MiB over the default 8" },
		{ { 0 }, 1, 56 * MIB, "heap 64 MiB gives 192 MiB back" },
		{ { 0, 0 }, 2, base, "stack 4 KiB x 221184 threads (+648 MiB) and printf FIFO 33 MiB (+32 MiB)" },
		{ { 2 }, 1, base, "a heap of 8 GiB is refused: OUT_OF_MEMORY, nothing taken" },
		{ { 0, 0 }, 2, base + ctx + 120 * MIB, "a new context (its cost) and its 128 MiB heap" },
		{ { 0 }, 1, base, "destroying it gives both back" },
	};

	if (control) { /* without the shim the 8 GiB heap fits the physical GPU */
		cps[4].what = "without the shim a heap of 8 GiB is taken: twice the slice";
		cps[4].rcs[0] = 0;
		cps[4].phys_extra = 8 * GIB - 8 * MIB + stack + 32 * MIB;
		cps[5].phys_extra = cps[4].phys_extra + ctx + 120 * MIB;
		cps[6].phys_extra = cps[4].phys_extra;
	}
	scenario("limits", 4 * GIB, ops, cps, (int)(sizeof(cps) / sizeof(cps[0])), control);
}

static void arrays(int control)
{
	static const char *const ops[] = {
		"cp",
		"arr1:1024:1024:32:4", "cp",             /* v1 2D, float4: 16 MiB */
		"arr3d:256:256:256:1:1:0", "cp",         /* 3D uint8: 16 MiB */
		"arr3dv1:128:128:64:32:1:0", "cp",       /* v1 3D float: 4 MiB */
		"arr3d:512:512:10:32:1:1", "cp",         /* layered 2D, 10 layers: 10 MiB */
		"arr3d:256:256:6:32:4:4", "cp",          /* cubemap float4: 6 MiB */
		"mip:1024:1024:0:1:4:0:11", "cp",        /* 11 levels of 4 MiB, 1 MiB, ...: 6 MiB rounded */
		"arr3d:4096:4096:64:32:1:64", "cp",      /* sparse: no memory of its own */
		"arr3d:1024:1024:512:32:1:0", "cp",      /* 2 GiB: beyond the 1 GiB slice */
		"free", "free", "free", "free", "free", "free", "free", "cp",
		NULL
	};
	struct expect cps[] = {
		{ { 0 }, 0, 0, "start" },
		{ { 0 }, 1, 16 * MIB, "cuArrayCreate (v1)" },
		{ { 0 }, 1, 32 * MIB, "cuArray3DCreate_v2, 3D" },
		{ { 0 }, 1, 36 * MIB, "cuArray3DCreate (v1)" },
		{ { 0 }, 1, 46 * MIB, "layered" },
		{ { 0 }, 1, 52 * MIB, "cubemap" },
		{ { 0 }, 1, 58 * MIB, "cuMipmappedArrayCreate" },
		{ { 0 }, 1, 58 * MIB, "sparse arrays take nothing" },
		{ { 2 }, 1, 58 * MIB, "2 GiB refused: OUT_OF_MEMORY, nothing taken" },
		{ { 0, 0, 0, 0, 0, 0, 0 }, 7, 0, "all destroyed: all back" },
	};

	if (control) {
		cps[8].what = "without the shim 2 GiB are taken: twice the slice";
		cps[8].rcs[0] = 0;
		cps[8].phys_extra = 58 * MIB + 2 * GIB;
		cps[9].phys_extra = 16 * MIB; /* 7 frees of 8 arrays: the first (16 MiB) stays */
	}
	scenario("arrays", 1 * GIB, ops, cps, (int)(sizeof(cps) / sizeof(cps[0])), control);
}

static void pools(int control)
{
	static const char *const ops[] = {
		"cp",
		"async:600", "cp",                       /* from the default pool */
		"dfree", "cp",                           /* the pool keeps it */
		"async:400", "cp",                       /* reused from what it keeps */
		"sync", "cp",                            /* release threshold 0: the rest goes back */
		"thresh:1073741824", "dfree", "sync", "cp", /* threshold 1 GiB: it keeps 400 MiB */
		"alloc:1500", "cp",                      /* 300 (context) + 400 + 1500 > 2048 */
		"trim:0", "cp",                          /* the pool lets go */
		NULL
	};
	struct expect cps[] = {
		{ { 0 }, 0, 0, "start" },
		{ { 0 }, 1, 600 * MIB, "600 MiB stream-ordered" },
		{ { 0 }, 1, 600 * MIB, "freed: its pool keeps the memory until a synchronisation" },
		{ { 0 }, 1, 600 * MIB, "400 MiB more come from what the pool keeps" },
		{ { 0 }, 1, 400 * MIB, "a synchronisation releases the rest" },
		{ { 0, 0, 0 }, 3, 400 * MIB, "above a 1 GiB release threshold the pool keeps 400 MiB" },
		{ { 2 }, 1, 400 * MIB, "1500 MiB do not fit beside what the pool keeps: OUT_OF_MEMORY" },
		{ { 0 }, 1, 0, "cuMemPoolTrimTo(0): all back" },
	};

	if (control) { /* without the shim the pool's memory is not counted */
		cps[6].what = "without the shim 1500 MiB are taken beside the pool's 400: past the slice";
		cps[6].rcs[0] = 0;
		cps[6].phys_extra = 1900 * MIB;
		cps[7].phys_extra = 1500 * MIB;
	}
	scenario("pools", 2 * GIB, ops, cps, (int)(sizeof(cps) / sizeof(cps[0])), control);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child(argc - 2, argv + 2);
	limits(0);
	limits(1);
	arrays(0);
	arrays(1);
	pools(0);
	pools(1);
	return done();
}
