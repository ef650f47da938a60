/*
 * test_shim_module - modules and libraries take device memory, and the
 * shim charges it to the slice (src/shim/shim_module.c, doc/shim.md).
 * A script runs in a child process (this program again, under LD_PRELOAD
 * of the shim, against the simulated node); at each checkpoint the test
 * reads the simulated GPU's PHYSICAL use by that process (the simulator's
 * NVML, without the shim) and the slice's view (cuMemGetInfo):
 *  - modules that fit the slice load (cuModuleLoadData, cuModuleLoadDataEx,
 *    cuModuleLoadFatBinary, cuModuleLoad, cuLibraryLoadData,
 *    cuLibraryLoadFromFile), each charged its code (2 MiB) and its globals;
 *  - one that would exceed the slice is refused with CUDA_ERROR_OUT_OF_MEMORY
 *    and the physical use does not move;
 *  - unloads (cuModuleUnload, cuLibraryUnload) and a destroyed context give
 *    the memory back, physically and in the slice;
 *  - the control run of the same script without the shim loads the module
 *    the slice has no room for: the overrun the shim prevents.
 *
 * Child script ops (argv): mod  modex  fat  modbig:MIB (a module with a
 * MIB-MiB global)  modfile:PATH  lib  libfile:PATH  unload (the last
 * module)  libunload (the last library)  launch (kernel "spin" of the last
 * module)  newctx  dropctx  cp (print "cp RC FREE", wait for a byte on
 * stdin). Every op prints "op NAME RC".
 */
#include "shimtest.h"

#include "vgpu_cuda_abi.h"
#include "../sim/simptx.h"
#include "childrun.h"

/* ---- the child ------------------------------------------------------------ */

#define CSYM(h, name) vgpu_pfn_##name name = (vgpu_pfn_##name)dlsym(h, #name)

static int child(int argc, char **argv)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	vgpu_CUcontext ctx = NULL, extra = NULL;
	vgpu_CUmodule mods[64];
	vgpu_CUlibrary libs[64];
	int nmods = 0, nlibs = 0;
	char big[512], c;

	if (!h)
		return 90;
	CSYM(h, cuInit);
	CSYM(h, cuDevicePrimaryCtxRetain);
	CSYM(h, cuCtxSetCurrent);
	CSYM(h, cuCtxCreate_v2);
	CSYM(h, cuCtxDestroy_v2);
	CSYM(h, cuMemGetInfo_v2);
	CSYM(h, cuModuleLoadData);
	CSYM(h, cuModuleLoadDataEx);
	CSYM(h, cuModuleLoadFatBinary);
	CSYM(h, cuModuleLoad);
	CSYM(h, cuModuleUnload);
	CSYM(h, cuModuleGetFunction);
	CSYM(h, cuLibraryLoadData);
	CSYM(h, cuLibraryLoadFromFile);
	CSYM(h, cuLibraryUnload);
	CSYM(h, cuLaunchKernel);
	if (!cuInit || !cuLaunchKernel || !cuLibraryUnload || cuInit(0) != 0 || cuDevicePrimaryCtxRetain(&ctx, 0) != 0 ||
	    cuCtxSetCurrent(ctx) != 0)
		return 91;
	for (int i = 0; i < argc; i++) {
		const char *op = argv[i];
		int rc = -1;

		if (strcmp(op, "cp") == 0) {
			size_t fr = 0, tot = 0;

			rc = cuMemGetInfo_v2(&fr, &tot);
			printf("cp %d %zu\n", rc, fr);
			fflush(stdout);
			if (read(0, &c, 1) != 1)
				return 92;
			continue;
		}
		if (nmods >= 64 || nlibs >= 64)
			return 93;
		if (strcmp(op, "mod") == 0) {
			rc = cuModuleLoadData(&mods[nmods], SIM_PTX);
		} else if (strcmp(op, "modex") == 0) {
			rc = cuModuleLoadDataEx(&mods[nmods], SIM_PTX, 0, NULL, NULL);
		} else if (strcmp(op, "fat") == 0) {
			rc = cuModuleLoadFatBinary(&mods[nmods], SIM_PTX);
		} else if (strncmp(op, "modbig:", 7) == 0) {
			snprintf(big, sizeof(big), ".version 8.0\n.target sm_80\n.global .b8 big[%llu];\n.entry spin() { ret; }\n",
				 strtoull(op + 7, NULL, 10) << 20);
			rc = cuModuleLoadData(&mods[nmods], big);
		} else if (strncmp(op, "modfile:", 8) == 0) {
			rc = cuModuleLoad(&mods[nmods], op + 8);
		} else if (strcmp(op, "lib") == 0) {
			rc = cuLibraryLoadData(&libs[nlibs], SIM_PTX, NULL, NULL, 0, NULL, NULL, 0);
		} else if (strncmp(op, "libfile:", 8) == 0) {
			rc = cuLibraryLoadFromFile(&libs[nlibs], op + 8, NULL, NULL, 0, NULL, NULL, 0);
		} else if (strcmp(op, "unload") == 0) {
			rc = nmods ? (int)cuModuleUnload(mods[--nmods]) : -2;
		} else if (strcmp(op, "libunload") == 0) {
			rc = nlibs ? (int)cuLibraryUnload(libs[--nlibs]) : -2;
		} else if (strcmp(op, "launch") == 0) {
			vgpu_CUfunction f = NULL;

			rc = nmods ? (int)cuModuleGetFunction(&f, mods[nmods - 1], SIM_PTX_KERNEL) : -2;
			if (rc == 0)
				rc = cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL);
		} else if (strcmp(op, "newctx") == 0) {
			rc = cuCtxCreate_v2(&extra, 0, 0);
		} else if (strcmp(op, "dropctx") == 0) {
			rc = cuCtxDestroy_v2(extra);
			cuCtxSetCurrent(ctx);
		} else {
			return 94;
		}
		if (rc == 0 && (strncmp(op, "mod", 3) == 0 || strcmp(op, "fat") == 0))
			nmods++;
		if (rc == 0 && strncmp(op, "lib", 3) == 0 && strcmp(op, "libunload") != 0)
			nlibs++;
		printf("op %s %d\n", op, rc);
		fflush(stdout);
	}
	return 0;
}

/* ---- the scenarios ---------------------------------------------------------- */

/* One checkpoint: the ops' results, then the physical use above the
 * context (MiB) with the shim and without it (the control). */
struct expect {
	int rcs[6];
	int nops;
	uint64_t mib, control_mib;
	int control_rcs_differ; /* the control's results are not rcs (the refused load) */
	const char *what;
};

static void scenario(const char *name, uint64_t slice_extra, const char *const *ops, const struct expect *cps,
		     int ncps, int control)
{
	struct scen s;
	struct run r;
	uint64_t ctx_phys = 0, free0 = 0;

	scen_init(&s, "sim/nodes/a100x2.json", name);
	scen_gpu(&s, 0, gpu_ctx(&s, 0) + slice_extra, gpu_ctx(&s, 0));
	scen_write(&s);
	run_start(&r, &s, !control, "test_shim_module", ops);
	for (int i = 0; i < ncps; i++) {
		int rcs[6] = { 0 }, nops;
		uint64_t fr = 0, want = (control ? cps[i].control_mib : cps[i].mib) * MIB;
		struct phys p;
		char what[256], w2[400];

		nops = run_to_cp(&r, rcs, 6, &fr);
		snprintf(what, sizeof(what), "%s%s: %s", name, control ? " (no shim)" : "", cps[i].what);
		if (!check(nops == cps[i].nops, "%s: %d ops ran (want %d)", what, nops, cps[i].nops))
			break;
		for (int k = 0; k < nops && !(control && cps[i].control_rcs_differ); k++)
			check(rcs[k] == cps[i].rcs[k], "%s: op %d returned %d (want %d)", what, k + 1, rcs[k],
			      cps[i].rcs[k]);
		p = phys_query(&s, s.node.gpus[0].uuid, r.pid);
		if (i == 0) {
			ctx_phys = p.pid_bytes;
			free0 = fr;
			CHECK_U64(p.pid_bytes, gpu_ctx(&s, 0), "context alone, physically");
		} else {
			snprintf(w2, sizeof(w2), "%s: MiB in use above the context, physically", what);
			CHECK_U64((p.pid_bytes - ctx_phys) / MIB, want / MIB, w2);
			if (!control) {
				snprintf(w2, sizeof(w2), "%s: the slice's free memory fell by as much (MiB)", what);
				CHECK_U64((free0 - fr) / MIB, want / MIB, w2);
			}
		}
		run_go(&r);
	}
	check(run_end(&r) == 0, "%s: the child ran to the end", name);
	scen_free(&s);
}

/* A 16 MiB slice (beyond the context): modules load, one that does not fit
 * is refused and physically nothing moves, unloads give memory back. */
static void slice16(int control)
{
	char modfile[700], libfile[700];
	const char *ops[] = {
		"cp",
		"mod", "cp",                     /* 4 MiB: 2 code + 2 globals */
		"modbig:6", "cp",                /* 2 code + 6 globals: 12 in all */
		"modbig:6", "launch", "cp",      /* 8 more do not fit 16 */
		"unload", "cp",                  /* the 6 MiB one: 4 */
		"lib", "cp",                     /* 8 */
		"libunload", "cp",               /* 4 */
		modfile, "fat", "modex", "cp",   /* 16: full */
		"lib", "cp",                     /* no room */
		"unload", "unload", "unload", "unload", "cp",
		libfile, "launch", "cp",         /* (launch: no module left) */
		"libunload", "cp",
		NULL,
	};
	static const struct expect cps[] = {
		{ { 0 }, 0, 0, 0, 0, "start" },
		{ { 0 }, 1, 4, 4, 0, "a module" },
		{ { 0 }, 1, 12, 12, 0, "a module with a 6 MiB global" },
		{ { 2, 0 }, 2, 12, 20, 1, "one more does not fit: refused, nothing loaded" },
		{ { 0 }, 1, 4, 12, 0, "unload" },
		{ { 0 }, 1, 8, 16, 0, "cuLibraryLoadData" },
		{ { 0 }, 1, 4, 12, 0, "cuLibraryUnload" },
		{ { 0, 0, 0 }, 3, 16, 24, 0, "cuModuleLoad, cuModuleLoadFatBinary, cuModuleLoadDataEx" },
		{ { 2 }, 1, 16, 28, 1, "a library that does not fit" },
		{ { 0, 0, 0, 0 }, 4, 0, 8, 1, "unload all four" },
		{ { 0, -2 }, 2, 4, 12, 1, "cuLibraryLoadFromFile" },
		{ { 0 }, 1, 0, 8, 1, "cuLibraryUnload" },
	};
	char *path = modfile + 8;

	snprintf(modfile, sizeof(modfile), "modfile:%s/simmod-%d.ptx", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (int)getpid());
	snprintf(libfile, sizeof(libfile), "libfile:%s", path);
	{
		FILE *f = fopen(path, "w");

		if (!f || fputs(SIM_PTX, f) < 0 || fclose(f) != 0)
			exit(99);
	}
	scenario(control ? "module-control" : "module", 16 * MIB, ops, cps, (int)(sizeof(cps) / sizeof(cps[0])),
		 control);
	unlink(path);
}

/* A module dies with its context: its charge goes back with it. */
static void with_context(int control)
{
	const char *ops[] = {
		"cp",
		"newctx", "mod", "cp",
		"dropctx", "cp",
		"mod", "cp",
		NULL,
	};
	struct scen probe_s;
	uint64_t ctx_mib;
	struct expect cps[4];

	scen_init(&probe_s, "sim/nodes/a100x2.json", "module-ctx-size");
	ctx_mib = gpu_ctx(&probe_s, 0) / MIB;
	scen_free(&probe_s);
	memset(cps, 0, sizeof(cps));
	cps[0] = (struct expect){ { 0 }, 0, 0, 0, 0, "start" };
	cps[1] = (struct expect){ { 0, 0 }, 2, ctx_mib + 4, ctx_mib + 4, 0, "a module in a second context" };
	cps[2] = (struct expect){ { 0 }, 1, 0, 0, 0, "the context destroyed: its module is gone" };
	cps[3] = (struct expect){ { 0 }, 1, 4, 4, 0, "the slice has room for a module again" };
	scenario(control ? "module-ctx-control" : "module-ctx", ctx_mib * MIB + 4 * MIB, ops, cps, 4, control);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child(argc - 2, argv + 2);
	slice16(0);
	slice16(1);
	with_context(0);
	with_context(1);
	return done();
}
