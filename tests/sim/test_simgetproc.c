/*
 * test_simgetproc - cuGetProcAddress_v2 of the simulated libcuda.so.1
 * replays what the CUDA 13.0 runtime asks a driver for
 * ($VGPU_SHARED/fixtures/cudart-13.0-getproc.txt; skipped when absent).
 *
 * The simulator exports every entry point a real 13.0 driver does (those it
 * does not implement return CUDA_ERROR_NOT_SUPPORTED), so it answers every
 * query but the empty name. For the queries in the table below (written by
 * hand from cudaTypedefs.h's PFN_<base>_v<version> names: the versioned
 * export whose ABI that version selects) the answer must be that symbol; for
 * the others, the symbol src/include/vgpu_cuda_exports.def selects (the list
 * tools/gen-cuda-exports.sh derives from the same typedefs and checks against
 * NVIDIA's stub library). Further direct cases follow.
 */
#include "simtest.h"

struct expect {
	const char *base;
	int version;
	int flags;
	const char *symbol;
};

static const struct expect expected[] = {
	{ "cuInit", 2000, 0, "cuInit" },
	{ "cuGetProcAddress", 11030, 0, "cuGetProcAddress" },
	{ "cuGetProcAddress", 12000, 0, "cuGetProcAddress_v2" },
	{ "cuDeviceGet", 2000, 0, "cuDeviceGet" },
	{ "cuDeviceGetCount", 2000, 0, "cuDeviceGetCount" },
	{ "cuDeviceGetName", 2000, 0, "cuDeviceGetName" },
	{ "cuDeviceTotalMem", 3020, 0, "cuDeviceTotalMem_v2" },
	{ "cuDeviceGetAttribute", 2000, 0, "cuDeviceGetAttribute" },
	{ "cuDriverGetVersion", 2020, 0, "cuDriverGetVersion" },
	{ "cuDeviceGetByPCIBusId", 4010, 0, "cuDeviceGetByPCIBusId" },
	{ "cuDeviceGetPCIBusId", 4010, 0, "cuDeviceGetPCIBusId" },
	{ "cuDeviceGetUuid", 9020, 0, "cuDeviceGetUuid" },
	{ "cuDeviceGetDefaultMemPool", 11020, 0, "cuDeviceGetDefaultMemPool" },
	{ "cuDevicePrimaryCtxRetain", 7000, 0, "cuDevicePrimaryCtxRetain" },
	{ "cuDevicePrimaryCtxRelease", 7000, 0, "cuDevicePrimaryCtxRelease" },
	{ "cuDevicePrimaryCtxSetFlags", 11000, 0, "cuDevicePrimaryCtxSetFlags_v2" },
	{ "cuDevicePrimaryCtxGetState", 7000, 0, "cuDevicePrimaryCtxGetState" },
	{ "cuDevicePrimaryCtxReset", 7000, 0, "cuDevicePrimaryCtxReset" },
	{ "cuCtxCreate", 3020, 0, "cuCtxCreate_v2" },
	{ "cuCtxSetCurrent", 4000, 0, "cuCtxSetCurrent" },
	{ "cuCtxGetCurrent", 4000, 0, "cuCtxGetCurrent" },
	{ "cuCtxGetDevice", 2000, 0, "cuCtxGetDevice" },
	{ "cuCtxGetDevice", 13000, 0, "cuCtxGetDevice_v2" },
	{ "cuCtxSynchronize", 2000, 0, "cuCtxSynchronize" },
	{ "cuCtxSynchronize", 13000, 0, "cuCtxSynchronize_v2" },
	{ "cuCtxPopCurrent", 4000, 0, "cuCtxPopCurrent_v2" },
	{ "cuCtxPushCurrent", 4000, 0, "cuCtxPushCurrent_v2" },
	{ "cuMemGetInfo", 3020, 0, "cuMemGetInfo_v2" },
	{ "cuMemAllocManaged", 6000, 0, "cuMemAllocManaged" },
	{ "cuMemAlloc", 3020, 0, "cuMemAlloc_v2" },
	{ "cuMemAllocPitch", 3020, 0, "cuMemAllocPitch_v2" },
	{ "cuMemFree", 3020, 0, "cuMemFree_v2" },
	{ "cuMemGetAddressRange", 3020, 0, "cuMemGetAddressRange_v2" },
	{ "cuMemFreeHost", 2000, 0, "cuMemFreeHost" },
	{ "cuMemHostAlloc", 2020, 0, "cuMemHostAlloc" },
	{ "cuMemHostRegister", 6050, 0, "cuMemHostRegister_v2" },
	{ "cuMemHostUnregister", 4000, 0, "cuMemHostUnregister" },
	{ "cuMemAllocAsync", 11020, 0, "cuMemAllocAsync" },
	{ "cuMemAllocAsync", 11020, 2, "cuMemAllocAsync_ptsz" },
	{ "cuMemAllocFromPoolAsync", 11020, 0, "cuMemAllocFromPoolAsync" },
	{ "cuMemAllocFromPoolAsync", 11020, 2, "cuMemAllocFromPoolAsync_ptsz" },
	{ "cuMemFreeAsync", 11020, 0, "cuMemFreeAsync" },
	{ "cuMemFreeAsync", 11020, 2, "cuMemFreeAsync_ptsz" },
	{ "cuMemPoolTrimTo", 11020, 0, "cuMemPoolTrimTo" },
	{ "cuMemPoolCreate", 11020, 0, "cuMemPoolCreate" },
	{ "cuMemPoolDestroy", 11020, 0, "cuMemPoolDestroy" },
	{ "cuMemcpyHtoD", 3020, 0, "cuMemcpyHtoD_v2" },
	{ "cuMemcpyHtoD", 7000, 2, "cuMemcpyHtoD_v2_ptds" },
	{ "cuMemcpyDtoH", 3020, 0, "cuMemcpyDtoH_v2" },
	{ "cuMemcpyDtoH", 7000, 2, "cuMemcpyDtoH_v2_ptds" },
	{ "cuMemcpyDtoD", 3020, 0, "cuMemcpyDtoD_v2" },
	{ "cuMemcpyDtoD", 7000, 2, "cuMemcpyDtoD_v2_ptds" },
	{ "cuMemsetD8", 3020, 0, "cuMemsetD8_v2" },
	{ "cuMemsetD8", 7000, 2, "cuMemsetD8_v2_ptds" },
	{ "cuArrayCreate", 3020, 0, "cuArrayCreate_v2" },
	{ "cuArrayDestroy", 2000, 0, "cuArrayDestroy" },
	{ "cuLaunchKernel", 4000, 0, "cuLaunchKernel" },
	{ "cuLaunchKernel", 7000, 2, "cuLaunchKernel_ptsz" },
	{ "cuStreamCreate", 2000, 0, "cuStreamCreate" },
	{ "cuStreamDestroy", 4000, 0, "cuStreamDestroy_v2" },
	{ "cuStreamSynchronize", 2000, 0, "cuStreamSynchronize" },
	{ "cuStreamSynchronize", 7000, 2, "cuStreamSynchronize_ptsz" },
	{ "cuDeviceCanAccessPeer", 4000, 0, "cuDeviceCanAccessPeer" },
	{ "cuGetExportTable", 3000, 0, "cuGetExportTable" },
	{ "cuGetErrorString", 6000, 0, "cuGetErrorString" },
	{ "cuGetErrorName", 6000, 0, "cuGetErrorName" },
};

static const struct expect *find_expect(const char *base, int version, int flags)
{
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (strcmp(expected[i].base, base) == 0 && expected[i].version == version && expected[i].flags == flags)
			return &expected[i];
	return NULL;
}

/* The symbol the export list selects for (base, version, flags), or NULL. */
struct listed {
	const char *symbol, *base;
	int version, per_thread;
};
#define X(sym, base, ver, pt) { #sym, #base, ver, sizeof(#pt) > 1 },
static const struct listed exports[] = {
#include "vgpu_cuda_exports.def"
};
#undef X

static const char *list_symbol(const char *base, int version, int flags)
{
	const struct listed *best = NULL, *best_pt = NULL;

	for (size_t i = 0; i < sizeof(exports) / sizeof(exports[0]); i++) {
		const struct listed *e = &exports[i];

		if (strcmp(e->base, base) != 0 || e->version > version)
			continue;
		if (e->per_thread && (!best_pt || e->version > best_pt->version))
			best_pt = e;
		if (!e->per_thread && (!best || e->version > best->version))
			best = e;
	}
	if (best_pt && (flags & 2))
		best = best_pt;
	return best ? best->symbol : NULL;
}

static void replay(void *arg)
{
	const char *fixture = arg;
	char line[256], missing[8192] = "";
	int lines = 0, found = 0, listed = 0, not_found = 0, too_old = 0;
	FILE *f = fopen(fixture, "r");
	void *h;

	use_node("simtest-a");
	h = sim_open("libcuda.so.1");
	LOAD(h, cuGetProcAddress_v2);
	if (!f) {
		check(0, "open %s: %s", fixture, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char sym[128];
		int ver, flags;
		const struct expect *e;
		vgpu_CUdriverProcAddressQueryResult st = (vgpu_CUdriverProcAddressQueryResult)99;
		void *pfn = (void *)&lines;
		vgpu_CUresult rc;

		if (line[0] == '#' || sscanf(line, "%127s %d %d", sym, &ver, &flags) != 3)
			continue;
		if (strcmp(sym, "<empty>") == 0)
			sym[0] = '\0';
		lines++;
		rc = cuGetProcAddress_v2(sym, &pfn, ver, (vgpu_cuuint64_t)flags, &st);
		e = find_expect(sym, ver, flags);
		if (e) {
			void *want = dlsym(h, e->symbol);

			found++;
			check(rc == VGPU_CUDA_SUCCESS && st == VGPU_CU_GET_PROC_ADDRESS_SUCCESS && pfn && pfn == want,
			      "%s %d flags %d -> %s (rc %d, status %d)", sym, ver, flags, e->symbol, (int)rc, (int)st);
		} else if (rc == VGPU_CUDA_SUCCESS || pfn) {
			const char *want = list_symbol(sym, ver, flags);

			listed++;
			if (!want || pfn != dlsym(h, want) || st != VGPU_CU_GET_PROC_ADDRESS_SUCCESS)
				check(0, "%s %d flags %d: rc %d status %d, want %s from the export list", sym, ver, flags,
				      (int)rc, (int)st, want ? want : "no symbol");
		} else if (rc != VGPU_CUDA_ERROR_NOT_FOUND ||
			   (st != VGPU_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND &&
			    st != VGPU_CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT)) {
			check(0, "%s %d flags %d: rc %d status %d, want CUDA_ERROR_NOT_FOUND and a not-found status",
			      sym, ver, flags, (int)rc, (int)st);
		} else {
			if (st == VGPU_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND)
				not_found++;
			else
				too_old++;
			if (strlen(missing) + strlen(sym) + 3 < sizeof(missing))
				snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
					 missing[0] ? " " : "", sym[0] ? sym : "<empty>");
		}
	}
	fclose(f);
	CHECK_EQ_INT(lines, 440, "queries in the fixture");
	CHECK_EQ_INT(found, (int)(sizeof(expected) / sizeof(expected[0])), "queries of the hand-written table");
	CHECK_EQ_INT(found + listed, 439, "queries answered: all but the empty name");
	check(listed > 0, "%d other queries answered as the export list says", listed);
	CHECK_EQ_INT(too_old, 0, "no query is for a version older than the simulator's entry point");
	diag("%d of %d queries name no entry point (SYMBOL_NOT_FOUND):", not_found, lines);
	for (const char *p = missing; *p;) {
		char chunk[300];
		int n = 0;

		for (int words = 0; p[n] && words < 8; n++)
			if (p[n] == ' ' && ++words == 8)
				break;
		snprintf(chunk, sizeof(chunk), "  %.*s", n, p);
		diag("%s", chunk);
		p += n;
		while (*p == ' ')
			p++;
	}
}

/* Cases the fixture does not cover. */
static void direct(void *arg)
{
	vgpu_CUdriverProcAddressQueryResult st;
	void *pfn, *h;

	(void)arg;
	use_node("simtest-a");
	h = sim_open("libcuda.so.1");
	LOAD(h, cuGetProcAddress_v2);
	LOAD(h, cuGetProcAddress);
	CHECK_EQ_INT(cuGetProcAddress_v2("cuMemAlloc", &pfn, 2000, 0, &st), 0, "cuMemAlloc at 2000");
	check(pfn == dlsym(h, "cuMemAlloc"), "cuMemAlloc at 2000 is the 32-bit cuMemAlloc");
	CHECK_EQ_INT(cuGetProcAddress_v2("cuMemAlloc", &pfn, 13000, 0, &st), 0, "cuMemAlloc at 13000");
	check(pfn == dlsym(h, "cuMemAlloc_v2"), "cuMemAlloc at 13000 is cuMemAlloc_v2");
	CHECK_EQ_INT(cuGetProcAddress_v2("cuMemAlloc", &pfn, 1000, 0, &st), VGPU_CUDA_ERROR_NOT_FOUND,
		     "cuMemAlloc at 1000");
	check(pfn == NULL && st == VGPU_CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT, "version not sufficient");
	CHECK_EQ_INT(cuGetProcAddress_v2("cuNoSuchThing", &pfn, 13000, 0, &st), VGPU_CUDA_ERROR_NOT_FOUND,
		     "an unknown symbol");
	check(pfn == NULL && st == VGPU_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND, "symbol not found");
	CHECK_EQ_INT(cuGetProcAddress_v2("cuMemcpyHtoD", &pfn, 13000, 2, &st), 0, "per-thread at 13000");
	check(pfn == dlsym(h, "cuMemcpyHtoD_v2_ptds"), "cuMemcpyHtoD_v2_ptds");
	CHECK_EQ_INT(cuGetProcAddress_v2("cuMemcpyHtoD", &pfn, 13000, 1, &st), 0, "legacy stream at 13000");
	check(pfn == dlsym(h, "cuMemcpyHtoD_v2"), "cuMemcpyHtoD_v2");
	CHECK_EQ_INT(cuGetProcAddress_v2("cuMemAlloc", &pfn, 13000, 2, &st), 0, "per-thread without a variant");
	check(pfn == dlsym(h, "cuMemAlloc_v2"), "falls back to cuMemAlloc_v2");
	CHECK_EQ_INT(cuGetProcAddress_v2("cuMemAlloc", &pfn, 13010, 0, &st), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "a version above the driver's (13000)");
	CHECK_EQ_INT(cuGetProcAddress_v2("cuMemAlloc", &pfn, 13000, 4, &st), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "unknown flags");
	CHECK_EQ_INT(cuGetProcAddress_v2(NULL, &pfn, 13000, 0, &st), VGPU_CUDA_ERROR_INVALID_VALUE, "NULL symbol");
	CHECK_EQ_INT(cuGetProcAddress("cuCtxCreate", &pfn, 12050, 0), 0, "cuGetProcAddress (v1)");
	check(pfn == dlsym(h, "cuCtxCreate_v4"), "cuCtxCreate at 12050 is cuCtxCreate_v4");
	/* an entry point the simulator does not implement: exported, resolved,
	 * and says so when called */
	CHECK_EQ_INT(cuGetProcAddress_v2("cuGraphUpload", &pfn, 13000, 2, &st), 0, "cuGraphUpload");
	check(pfn && pfn == dlsym(h, "cuGraphUpload_ptsz"), "cuGraphUpload per-thread is cuGraphUpload_ptsz");
	CHECK_EQ_INT(((vgpu_CUresult(*)(void))pfn)(), VGPU_CUDA_ERROR_NOT_SUPPORTED, "an unimplemented entry point");
}

int main(void)
{
	const char *shared = getenv("VGPU_SHARED");
	char fixture[1024];
	FILE *f;

	snprintf(fixture, sizeof(fixture), "%s/fixtures/cudart-13.0-getproc.txt", shared ? shared : "../shared");
	sim_setup();
	write_nodes();
	f = fopen(fixture, "r");
	if (f) {
		fclose(f);
		sim_run(replay, fixture, "replay");
	} else {
		printf("# %s is absent: the replay is skipped\n", fixture);
	}
	sim_run(direct, NULL, "direct");
	return sim_done();
}
