/*
 * test_shim_graph - the SM cap for CUDA graph launches (cuGraphLaunch and
 * cuGraphLaunch_ptsz), against the simulated GPU's SM time:
 *  - one step capped at 25% alone, launching an executable graph of 4
 *    kernel nodes (100 us of SM time per launch) in a saturating loop that
 *    never synchronises, the graph launch entry points found with dlsym or
 *    with cuGetProcAddress_v2: its SM time over its wall time lands within
 *    20-30% (the bounds test_shim_sm sets for kernels); the same program
 *    without the shim takes over 90% (the control);
 *  - a 30%/70% pair on one GPU where one step launches graphs and the other
 *    kernels, both ways round: the 30% step's share of the pair's SM time
 *    is within 25-35%;
 *  - graph launches of a step without a cap pass through: over 90% of the
 *    GPU, every launch succeeding;
 *  - graph memory nodes in a 1 GiB slice: a graph allocating 600 MiB is
 *    charged at instantiation, a second one refused while the first lives
 *    (the control without the shim runs both: 1200 MiB of the GPU), the
 *    memory the driver's graph pool keeps after the graph is gone stays
 *    charged and is reused, cuDeviceGraphMemTrim gives it back, and the
 *    simulated GPU holds nothing more at the end.
 * The program is its own worker: run with "worker ..." (under the shim, by
 * the test) it reaches the driver through dlopen("libcuda.so.1"), which
 * under LD_PRELOAD is the shim. Printed lines "# sm ..." are the measured
 * precision (doc/shim.md). Its kernels are those of a module of the test
 * PTX (tests/sim/simptx.h) it loads after its context.
 */
#include "shimtest.h"

#include <signal.h>
#include <time.h>

#include "schedstat.h"

#include "vgpu_cuda_abi.h"
#include "sim_state.h"
#include "smtest.h"
#include "../sim/simptx.h"

#define SPIN_MS 700
#define BLOCKS 1000 /* x VGPU_SIM_BLOCK_NS 100 = 100 us of SM time per graph or kernel */
#define NODES 4     /* kernel nodes per graph, BLOCKS / NODES blocks each */

static const char *const env[] = { "VGPU_SIM_BLOCK_NS=100", NULL };

/* ---- the worker (runs under the shim) ------------------------------------ */

static void wdie(const char *what, int rc)
{
	printf("worker: %s failed (%d)\n", what, rc);
	fflush(stdout);
	exit(2);
}

static void *wsym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p)
		wdie(name, -1);
	return p;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define WLOAD(h, name) vgpu_pfn_##name name = (vgpu_pfn_##name)wsym(h, #name)

/* worker KIND: graph (dlsym), getproc (cuGetProcAddress_v2) or kernel. */
static int worker(const char *kind)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	vgpu_CUcontext c = NULL;
	vgpu_CUgraph g = NULL;
	vgpu_CUgraphNode prev = NULL, n = NULL;
	vgpu_CUgraphExec ge = NULL;
	vgpu_CUfunction f = NULL;
	vgpu_CUmodule mod = NULL;
	vgpu_CUDA_KERNEL_NODE_PARAMS_v2 kp;
	vgpu_pfn_cuGraphLaunch launch[2];
	vgpu_CUresult rc;
	double t0, end, d0;
	long i = 0;

	if (!h)
		wdie("dlopen", -1);
	WLOAD(h, cuInit);
	WLOAD(h, cuDevicePrimaryCtxRetain);
	WLOAD(h, cuCtxSetCurrent);
	WLOAD(h, cuCtxSynchronize);
	WLOAD(h, cuLaunchKernel);
	WLOAD(h, cuGraphCreate);
	WLOAD(h, cuGraphAddKernelNode_v2);
	WLOAD(h, cuGraphInstantiateWithFlags);
	WLOAD(h, cuGetProcAddress_v2);
	WLOAD(h, cuModuleLoadData);
	WLOAD(h, cuModuleGetFunction);
	if ((rc = cuInit(0)) != 0 || (rc = cuDevicePrimaryCtxRetain(&c, 0)) != 0 || (rc = cuCtxSetCurrent(c)) != 0)
		wdie("init", rc);
	if ((rc = cuModuleLoadData(&mod, SIM_PTX)) != 0 || (rc = cuModuleGetFunction(&f, mod, SIM_PTX_KERNEL)) != 0)
		wdie("module", rc);
	launch[0] = (vgpu_pfn_cuGraphLaunch)wsym(h, "cuGraphLaunch");
	launch[1] = (vgpu_pfn_cuGraphLaunch)wsym(h, "cuGraphLaunch_ptsz");
	if (strcmp(kind, "getproc") == 0) {
		vgpu_CUdriverProcAddressQueryResult st;
		void *p = NULL, *q = NULL;

		if ((rc = cuGetProcAddress_v2("cuGraphLaunch", &p, 12000, VGPU_CU_GET_PROC_ADDRESS_DEFAULT, &st)) != 0 ||
		    (rc = cuGetProcAddress_v2("cuGraphLaunch", &q, 12000,
					      VGPU_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st)) != 0 ||
		    !p || !q)
			wdie("cuGetProcAddress_v2(cuGraphLaunch)", rc);
		printf("getproc: %s %s\n", p == (void *)launch[0] ? "same" : "other",
		       q == (void *)launch[1] ? "same" : "other");
		launch[0] = (vgpu_pfn_cuGraphLaunch)p;
		launch[1] = (vgpu_pfn_cuGraphLaunch)q;
	}
	memset(&kp, 0, sizeof(kp));
	kp.func = f;
	kp.gridDimX = BLOCKS / NODES;
	kp.gridDimY = kp.gridDimZ = kp.blockDimY = kp.blockDimZ = 1;
	kp.blockDimX = 128;
	if ((rc = cuGraphCreate(&g, 0)) != 0)
		wdie("cuGraphCreate", rc);
	for (int k = 0; k < NODES; k++, prev = n)
		if ((rc = cuGraphAddKernelNode_v2(&n, g, prev ? &prev : NULL, prev ? 1 : 0, &kp)) != 0)
			wdie("cuGraphAddKernelNode_v2", rc);
	if ((rc = cuGraphInstantiateWithFlags(&ge, g, 0)) != 0)
		wdie("cuGraphInstantiateWithFlags", rc);
	d0 = schedstat_run_delay();
	t0 = mono();
	end = t0 + SPIN_MS * 1e6;
	for (rc = VGPU_CUDA_SUCCESS; rc == VGPU_CUDA_SUCCESS && mono() < end && i < 100000000; i++)
		rc = strcmp(kind, "kernel") == 0 ? cuLaunchKernel(f, BLOCKS, 1, 1, 128, 1, 1, 0, NULL, NULL, NULL)
						 : launch[i % 2](ge, NULL);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = cuCtxSynchronize();
	printf("spin: %d %ld %.0f %.0f\n", rc, i, mono() - t0, d0 >= 0 ? schedstat_run_delay() - d0 : 0);
	signal(SIGUSR1, SIG_DFL);
	printf("hold: ready\n");
	fflush(stdout);
	pause();
	return 0;
}

/* worker mem: graph memory nodes; prints "mem STEP: RC USED_MIB", USED_MIB
 * the slice's use (cuMemGetInfo_v2: total - free). */
static int worker_mem(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	vgpu_CUcontext c = NULL;
	vgpu_CUgraph g1 = NULL, g2 = NULL;
	vgpu_CUgraphNode a = NULL, k = NULL, fr = NULL;
	vgpu_CUgraphExec e1 = NULL, e2 = NULL, e3 = NULL;
	vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS ip = { 0 };
	vgpu_CUDA_MEM_ALLOC_NODE_PARAMS mp;
	vgpu_CUDA_KERNEL_NODE_PARAMS_v2 kp;
	vgpu_CUmodule mod = NULL;
	vgpu_CUfunction f = NULL;
	vgpu_CUresult rc;
	size_t fr_b = 0, tot = 0;

	if (!h)
		wdie("dlopen", -1);
	WLOAD(h, cuInit);
	WLOAD(h, cuDevicePrimaryCtxRetain);
	WLOAD(h, cuCtxSetCurrent);
	WLOAD(h, cuCtxSynchronize);
	WLOAD(h, cuMemGetInfo_v2);
	WLOAD(h, cuGraphCreate);
	WLOAD(h, cuGraphAddKernelNode_v2);
	WLOAD(h, cuGraphAddMemAllocNode);
	WLOAD(h, cuGraphAddMemFreeNode);
	WLOAD(h, cuGraphInstantiateWithFlags);
	WLOAD(h, cuGraphInstantiateWithParams);
	WLOAD(h, cuGraphLaunch);
	WLOAD(h, cuGraphExecDestroy);
	WLOAD(h, cuDeviceGraphMemTrim);
	WLOAD(h, cuModuleLoadData);
	WLOAD(h, cuModuleGetFunction);
	WLOAD(h, cuModuleUnload);
#define SAY(step, expr)                                                                             \
	do {                                                                                        \
		rc = (expr);                                                                        \
		cuMemGetInfo_v2(&fr_b, &tot);                                                       \
		printf("mem %s: %d %llu\n", step, rc, (unsigned long long)((tot - fr_b) >> 20));    \
	} while (0)
	if ((rc = cuInit(0)) != 0 || (rc = cuDevicePrimaryCtxRetain(&c, 0)) != 0 || (rc = cuCtxSetCurrent(c)) != 0)
		wdie("init", rc);
	/* the kernel's module: SIM_PTX_MODULE_BYTES, counted apart by the test */
	if ((rc = cuModuleLoadData(&mod, SIM_PTX)) != 0 || (rc = cuModuleGetFunction(&f, mod, SIM_PTX_KERNEL)) != 0)
		wdie("module", rc);
	memset(&mp, 0, sizeof(mp));
	mp.poolProps.allocType = VGPU_CU_MEM_ALLOCATION_TYPE_PINNED;
	mp.poolProps.location.type = VGPU_CU_MEM_LOCATION_TYPE_DEVICE;
	mp.bytesize = 600 << 20;
	memset(&kp, 0, sizeof(kp));
	kp.func = f;
	kp.gridDimX = kp.gridDimY = kp.gridDimZ = kp.blockDimY = kp.blockDimZ = 1;
	kp.blockDimX = 128;
	/* graph 1 and graph 2: each allocates 600 MiB, runs a kernel, keeps the memory */
	if ((rc = cuGraphCreate(&g1, 0)) != 0 || (rc = cuGraphAddMemAllocNode(&a, g1, NULL, 0, &mp)) != 0 ||
	    (rc = cuGraphAddKernelNode_v2(&k, g1, &a, 1, &kp)) != 0 || (rc = cuGraphCreate(&g2, 0)) != 0 ||
	    (rc = cuGraphAddMemAllocNode(&a, g2, NULL, 0, &mp)) != 0 ||
	    (rc = cuGraphAddMemFreeNode(&fr, g2, &a, 1, mp.dptr + 4096)) != VGPU_CUDA_ERROR_INVALID_VALUE)
		wdie("graphs", rc);
	SAY("start", 0);
	SAY("instantiate1", cuGraphInstantiateWithFlags(&e1, g1, 0));
	SAY("launch1", (cuGraphLaunch(e1, NULL), cuCtxSynchronize()));
	SAY("instantiate2", cuGraphInstantiateWithFlags(&e2, g2, 0));
	SAY("launch2", e2 ? (cuGraphLaunch(e2, NULL), cuCtxSynchronize()) : (vgpu_CUresult)-1);
	SAY("destroy1", cuGraphExecDestroy(e1));
	SAY("instantiate2again", cuGraphInstantiateWithParams(&e3, g2, &ip)); /* (the other hook) */
	SAY("launch2again", (cuGraphLaunch(e3, NULL), cuCtxSynchronize()));
	SAY("trim", cuDeviceGraphMemTrim(0));
	SAY("destroy2", cuGraphExecDestroy(e3));
	SAY("trim2", cuDeviceGraphMemTrim(0));
#undef SAY
	if ((rc = cuModuleUnload(mod)) != 0) /* the GPU then holds the context only */
		wdie("cuModuleUnload", rc);
	printf("hold: ready\n");
	fflush(stdout);
	pause();
	return 0;
}

/* ---- the test ------------------------------------------------------------- */

static void worker_start(struct worker *w, const struct scen *s, int shim, const char *kind)
{
	int o[2];

	memset(w, 0, sizeof(*w));
	if (pipe(o) != 0)
		exit(99);
	fflush(stdout);
	w->pid = fork();
	if (w->pid == 0) {
		close(o[0]);
		dup2(o[1], 1);
		probe_env(s, shim, env);
		execl("/proc/self/exe", "test_shim_graph", "worker", kind, (char *)NULL);
		_exit(127);
	}
	close(o[1]);
	w->fd = o[0];
}

static void worker_wait(struct worker *w)
{
	char line[256];
	int rc;

	while (read_line(w->fd, line, sizeof(line)) == 0) {
		if (sscanf(line, "spin: %d %ld %lf %lf", &rc, &w->launches, &w->wall_ns, &w->wait_ns) >= 3)
			w->ok = rc == 0;
		if (strcmp(line, "getproc: same same") == 0)
			w->getproc_same = 1;
		if (strncmp(line, "worker:", 7) == 0)
			diag("%s", line);
		if (strncmp(line, "hold: ready", 11) == 0)
			break;
	}
}

/* One step alone: its share of the GPU (smtest.h: raw, ran). */
static struct share alone(unsigned sm_bp, int shim, const char *kind, int *getproc_same)
{
	struct scen s;
	struct worker w;
	struct share pct = { -1, -1 };

	step_init(&s, "graph-alone", sm_bp);
	worker_start(&w, &s, shim, kind);
	worker_wait(&w);
	sm_times(&s, &w, 1);
	worker_end(&w);
	if (w.ok && w.wall_ns > 0) {
		pct.raw = 100.0 * (double)w.sm_ns / w.wall_ns;
		pct.ran = 100.0 * (double)w.sm_ns / worker_ran_ns(&w);
	}
	if (getproc_same)
		*getproc_same = w.getproc_same;
	diag("sm graph alone cap %u.%02u%% shim %d %s: %ld launches, %.1f ms SM in %.1f ms (%.1f ms waiting for a "
	     "CPU): %.1f%% (%.1f%% of the time it ran)", sm_bp / 100, sm_bp % 100, shim, kind, w.launches,
	     (double)w.sm_ns / 1e6, w.wall_ns / 1e6, w.wait_ns / 1e6, pct.raw, pct.ran);
	scen_free(&s);
	return pct;
}

/* Two steps on one GPU, both saturating: the first one's share in percent. */
static double pair(unsigned a_bp, const char *a_kind, unsigned b_bp, const char *b_kind)
{
	struct scen a, b;
	struct worker w[2];
	double share = -1;

	step_init(&a, "graph-a", a_bp);
	step_init(&b, "graph-b", b_bp);
	snprintf(b.state, sizeof(b.state), "%s", a.state); /* one simulated GPU */
	worker_start(&w[0], &a, 1, a_kind);
	worker_start(&w[1], &b, 1, b_kind);
	worker_wait(&w[0]);
	worker_wait(&w[1]);
	sm_times(&a, w, 2);
	worker_end(&w[0]);
	worker_end(&w[1]);
	if (w[0].ok && w[1].ok && w[0].sm_ns + w[1].sm_ns > 0)
		share = 100.0 * pair_share(w);
	diag("sm pair %u (%s) / %u (%s): %.1f ms / %.1f ms SM (%.0f / %.0f ms wall, %.0f / %.0f waiting for a CPU): "
	     "share %.2f%% (ratio 1:%.2f)", a_bp / 100, a_kind, b_bp / 100, b_kind, (double)w[0].sm_ns / 1e6,
	     (double)w[1].sm_ns / 1e6, w[0].wall_ns / 1e6, w[1].wall_ns / 1e6, w[0].wait_ns / 1e6,
	     w[1].wait_ns / 1e6, share,
	     w[0].sm_ns ? (double)w[1].sm_ns / (double)w[0].sm_ns : 0);
	scen_free(&a);
	scen_free(&b);
	return share;
}

/* Graph memory in a 1 GiB slice (with the shim) or without the shim: the
 * worker's steps, then the simulated GPU's use by the worker at the end. */
static void graph_memory(int shim)
{
	static const struct {
		const char *step;
		int rc;
		unsigned used; /* MiB of the slice's view above the context's and the kernel's module's */
	} want[] = {
		{ "start", 0, 0 },
		{ "instantiate1", 0, 600 },      /* charged before any launch */
		{ "launch1", 0, 600 },           /* mapped by the launch, kept live */
		{ "instantiate2", 2, 600 },      /* 600 more do not fit: refused */
		{ "launch2", -1, 600 },          /* (not instantiated) */
		{ "destroy1", 0, 600 },          /* graph 1's memory is back in the pool, which keeps it */
		{ "instantiate2again", 0, 600 }, /* fits in what the pool holds */
		{ "launch2again", 0, 600 },      /* reuses the pool's memory */
		{ "trim", 0, 600 },              /* in use: nothing to trim */
		{ "destroy2", 0, 600 },          /* (the simulator frees a destroyed graph's allocations) */
		{ "trim2", 0, 0 },               /* all back */
	};
	struct scen s;
	struct worker w;
	struct vgpu_sim_state *st = NULL;
	struct vgpu_sim_proc_info procs[16];
	char line[256], err[512], step[64];
	int rc, np = 0, i = 0;
	unsigned long long used, ctx_mib;
	uint64_t total = 0, held = UINT64_MAX;

	step_init(&s, shim ? "graph-mem" : "graph-mem-control", 10000);
	s.desc.gpus[0].mem_bytes = GIB + gpu_ctx(&s, 0) + SIM_PTX_MODULE_BYTES;
	scen_write(&s);
	ctx_mib = (gpu_ctx(&s, 0) + SIM_PTX_MODULE_BYTES) >> 20; /* the context and the kernel's module */
	worker_start(&w, &s, shim, "mem");
	while (read_line(w.fd, line, sizeof(line)) == 0 && strncmp(line, "hold: ready", 11) != 0) {
		if (sscanf(line, "mem %63[^:]: %d %llu", step, &rc, &used) != 3) {
			diag("%s", line);
			continue;
		}
		used -= used >= ctx_mib ? ctx_mib : used;
		if (shim && i < (int)(sizeof(want) / sizeof(want[0])))
			check(strcmp(step, want[i].step) == 0 && rc == want[i].rc && used == want[i].used,
			      "graph memory, %s: rc %d, the slice holds %llu MiB besides the context (want %d, %u)",
			      step, rc, used, want[i].rc, want[i].used);
		else if (!shim && strcmp(step, "launch2") == 0)
			check(rc == 0 && used == 1200,
			      "control: without the shim both graphs run and hold %llu MiB of the GPU in a 1 GiB slice "
			      "(rc %d, want 1200)", used, rc);
		i++;
	}
	if (vgpu_sim_state_open(s.state, &s.node.gpus[0], &st, err, sizeof(err)) == 0 &&
	    vgpu_sim_state_query(st, &total, procs, 16, &np) == 0) {
		for (int j = 0; j < np && j < 16; j++)
			if (procs[j].pid == w.pid)
				held = procs[j].bytes;
		vgpu_sim_state_close(st);
	}
	worker_end(&w);
	if (shim)
		check(i == (int)(sizeof(want) / sizeof(want[0])) && held == gpu_ctx(&s, 0),
		      "graph memory: %d steps; at the end the GPU holds the context only (%llu MiB)", i,
		      (unsigned long long)(held >> 20));
	scen_free(&s);
}

/* As test_shim_sm: under ThreadSanitizer only the caps (upper bounds) are
 * checked, not the pairs' lower bounds. */
#if defined(__SANITIZE_THREAD__)
#define PAIR_LOW_SLACK 0.0
/* A graph step alone reached 32.0% of a 25% cap once under TSan on a busy
 * 2-CPU CI machine (27.7% on a quiet one; 24.3-25.5% in plain builds):
 * the TSan suite is for races, its cap bound for graphs has 5 points more.
 * Open: why graphs overshoot more than kernels when the shim is slow. */
#define ALONE_HIGH 35.0
#else
#define PAIR_LOW_SLACK 1.0
#define ALONE_HIGH 30.0
#endif

int main(int argc, char **argv)
{
	struct share a;
	double p;
	int same = 0;

	if (argc == 3 && strcmp(argv[1], "worker") == 0)
		return strcmp(argv[2], "mem") == 0 ? worker_mem() : worker(argv[2]);
	MEASURE_SHARE(a, alone(2500, 0, "graph", NULL), 90, 1000);
	check(a.ran > 90, "control: without the shim graph launches take %.1f%% of the GPU while they run (> 90%%)",
	      a.ran);
	MEASURE_SHARE(a, alone(2500, 1, "graph", NULL), 20, ALONE_HIGH);
	check(a.ran >= 20 && a.raw <= ALONE_HIGH, "25%% cap alone, cuGraphLaunch + _ptsz by dlsym: %.1f%% (<= %.0f%%), "
	      "%.1f%% while it runs (>= 20%%)", a.raw, ALONE_HIGH, a.ran);
	MEASURE_SHARE(a, alone(2500, 1, "getproc", &same), 20, ALONE_HIGH);
	check(a.ran >= 20 && a.raw <= ALONE_HIGH, "25%% cap alone, cuGraphLaunch + _ptsz by cuGetProcAddress_v2: "
	      "%.1f%% (<= %.0f%%), %.1f%% while it runs (>= 20%%)", a.raw, ALONE_HIGH, a.ran);
	check(same, "cuGetProcAddress_v2 hands out the shim's cuGraphLaunch and cuGraphLaunch_ptsz");
	MEASURE(p, pair(3000, "graph", 7000, "kernel"), 25 * PAIR_LOW_SLACK, 35);
	check(p >= 25 * PAIR_LOW_SLACK && p <= 35, "30%% graphs / 70%% kernels: the 30%% step has %.1f%% (%.1f-35%%)", p,
	      25 * PAIR_LOW_SLACK);
	MEASURE(p, pair(3000, "kernel", 7000, "graph"), 25 * PAIR_LOW_SLACK, 35);
	check(p >= 25 * PAIR_LOW_SLACK && p <= 35, "30%% kernels / 70%% graphs: the 30%% step has %.1f%% (%.1f-35%%)", p,
	      25 * PAIR_LOW_SLACK);
	MEASURE_SHARE(a, alone(10000, 1, "graph", NULL), 90, 1000);
	check(a.ran > 90, "no cap: graph launches pass through the shim: %.1f%% of the GPU while they run (> 90%%)",
	      a.ran);
	graph_memory(1);
	graph_memory(0);
	return done();
}
