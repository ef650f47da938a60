/*
 * test_simexec - simulated SM time (doc/simulator.md, "SM time"): launches
 * queue work and return, events time it, synchronisation waits for it, a
 * stream's queue is bounded, the work is booked to the process in the shared
 * state and NVML sees the GPU busy; graphs (kernel and empty nodes) run
 * their kernels' SM time and give the driver's errors for bad handles and
 * parameters. Assertions are on simulated quantities
 * (booked SM ns, event order), never on how long something took.
 */
#include "simtest.h"
#include "simptx.h"

#include <time.h>

#include "sim_state.h"

typedef void *event_t;
typedef vgpu_CUresult (*event_create_fn)(event_t *e, unsigned int flags);
typedef vgpu_CUresult (*event_record_fn)(event_t e, vgpu_CUstream s);
typedef vgpu_CUresult (*event_one_fn)(event_t e);
typedef vgpu_CUresult (*event_elapsed_fn)(float *ms, event_t a, event_t b);
typedef vgpu_CUresult (*stream_query_fn)(vgpu_CUstream s);
typedef vgpu_CUresult (*coop_fn)(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
				 unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
				 vgpu_CUstream s, void **params);

/* SM ns booked to this process on node GPU 0 of simtest-a. */
static uint64_t booked(void)
{
	struct vgpu_sim_node node;
	struct vgpu_sim_state *st = NULL;
	struct vgpu_sim_proc_info procs[16];
	char err[512];
	uint64_t used, sm = 0;
	int n = 0;

	if (vgpu_sim_node_load(getenv("VGPU_SIM_NODE"), &node, err, sizeof(err)) != 0 ||
	    vgpu_sim_state_open(getenv("VGPU_SIM_STATE"), &node.gpus[0], &st, err, sizeof(err)) != 0 ||
	    vgpu_sim_state_query(st, &used, procs, 16, &n) != 0)
		return 0;
	for (int i = 0; i < n && i < 16; i++)
		if (procs[i].pid == getpid())
			sm = procs[i].sm_ns;
	vgpu_sim_state_close(st);
	return sm;
}

static void exec_case(void *arg)
{
	char state[600];
	void *h, *n;
	vgpu_CUcontext c = NULL;
	vgpu_CUstream s = NULL;
	vgpu_CUfunction f = NULL;
	vgpu_CUmodule mod = NULL;
	event_t e0 = NULL, e1 = NULL, e2 = NULL;
	vgpu_nvmlDevice_t dev;
	vgpu_nvmlUtilization_t u = { 7, 7 };
	float ms = -1;

	(void)arg;
	use_node("simtest-a");
	snprintf(state, sizeof(state), "%s/state-exec", sim_dir);
	setenv("VGPU_SIM_STATE", state, 1);
	setenv("VGPU_SIM_BLOCK_NS", "1000", 1); /* 1 us per block */
	h = sim_open("libcuda.so.1");
	n = sim_open("libnvidia-ml.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuCtxSynchronize);
	LOAD(h, cuStreamCreate);
	LOAD(h, cuStreamSynchronize);
	LOAD(h, cuLaunchKernel);
	LOAD(h, cuModuleLoadData);
	LOAD(h, cuModuleGetFunction);
	LOAD(n, nvmlInit_v2);
	LOAD(n, nvmlDeviceGetHandleByIndex_v2);
	LOAD(n, nvmlDeviceGetUtilizationRates);
	event_create_fn ev_create = (event_create_fn)sim_sym(h, "cuEventCreate");
	event_record_fn ev_record = (event_record_fn)sim_sym(h, "cuEventRecord");
	event_one_fn ev_query = (event_one_fn)sim_sym(h, "cuEventQuery");
	event_one_fn ev_sync = (event_one_fn)sim_sym(h, "cuEventSynchronize");
	event_elapsed_fn ev_elapsed = (event_elapsed_fn)sim_sym(h, "cuEventElapsedTime");
	stream_query_fn st_query = (stream_query_fn)sim_sym(h, "cuStreamQuery");
	coop_fn coop = (coop_fn)sim_sym(h, "cuLaunchCooperativeKernel");

	if (!CHECK_EQ_INT(cuInit(0), 0, "cuInit") || !CHECK_EQ_INT(cuDevicePrimaryCtxRetain(&c, 0), 0, "retain") ||
	    !CHECK_EQ_INT(cuCtxSetCurrent(c), 0, "current") || !CHECK_EQ_INT(cuStreamCreate(&s, 0), 0, "stream") ||
	    !CHECK_EQ_INT(cuModuleLoadData(&mod, SIM_PTX), 0, "load a module") ||
	    !CHECK_EQ_INT(cuModuleGetFunction(&f, mod, SIM_PTX_KERNEL), 0, "its kernel"))
		return;
	CHECK_EQ_INT(ev_create(&e0, 0), 0, "cuEventCreate");
	CHECK_EQ_INT(ev_create(&e1, 0), 0, "cuEventCreate");
	CHECK_EQ_INT(ev_create(&e2, 0), 0, "cuEventCreate");
	CHECK_EQ_INT(ev_query(e0), 0, "an event never recorded is complete");
	CHECK_EQ_INT(ev_elapsed(&ms, e0, e1), VGPU_CUDA_ERROR_INVALID_HANDLE, "elapsed time of unrecorded events");

	/* a 200 ms kernel (200000 blocks x 1 us): the launch returns at once */
	CHECK_EQ_INT(ev_record(e0, s), 0, "record before");
	CHECK_EQ_INT(cuLaunchKernel(f, 200000, 1, 1, 128, 1, 1, 0, s, NULL, NULL), 0, "launch 200 ms of SM time");
	CHECK_EQ_INT(ev_record(e1, s), 0, "record after");
	CHECK_EQ_INT(st_query(s), VGPU_CUDA_ERROR_NOT_READY, "the stream is busy");
	CHECK_EQ_INT(ev_query(e1), VGPU_CUDA_ERROR_NOT_READY, "the event after it is not reached");
	CHECK_EQ_INT(ev_elapsed(&ms, e0, e1), VGPU_CUDA_ERROR_NOT_READY, "elapsed time before completion");
	CHECK_EQ_INT(nvmlInit_v2(), 0, "nvmlInit");
	CHECK_EQ_INT(nvmlDeviceGetHandleByIndex_v2(0, &dev), 0, "NVML handle");
	CHECK_EQ_INT(nvmlDeviceGetUtilizationRates(dev, &u), 0, "utilisation");
	check(u.gpu == 100 && u.memory == 0, "NVML: the GPU is 100%% busy while work is queued (%u, %u)", u.gpu,
	      u.memory);
	CHECK_EQ_INT(cuStreamSynchronize(s), 0, "cuStreamSynchronize");
	CHECK_EQ_INT(st_query(s), 0, "the stream is idle after synchronising");
	CHECK_EQ_INT(ev_query(e1), 0, "the event after the kernel is reached");
	CHECK_EQ_INT(ev_elapsed(&ms, e0, e1), 0, "cuEventElapsedTime");
	check(ms >= 199.99f && ms <= 200.5f, "the kernel took 200 ms of GPU time, plus the launch (%.4f ms)", (double)ms);
	check(booked() == 200000000ull, "200 ms of SM time booked to the process (%llu ns)",
	      (unsigned long long)booked());

	/* cooperative launches: every block resident (132 SMs x 32) */
	CHECK_EQ_INT(coop(f, 132 * 32 + 1, 1, 1, 128, 1, 1, 0, s, NULL), VGPU_CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE,
		     "a cooperative grid larger than the GPU holds");
	CHECK_EQ_INT(coop(f, 100, 1, 1, 128, 1, 1, 0, s, NULL), 0, "a cooperative launch");

	/* the queue holds 1024 launches: the 1025th waits for the first */
	CHECK_EQ_INT(cuCtxSynchronize(), 0, "cuCtxSynchronize");
	CHECK_EQ_INT(cuLaunchKernel(f, 100000, 1, 1, 128, 1, 1, 0, s, NULL, NULL), 0, "a 100 ms kernel");
	CHECK_EQ_INT(ev_record(e2, s), 0, "record after it");
	for (int i = 0; i < 1022; i++)
		cuLaunchKernel(f, 1, 1, 1, 128, 1, 1, 0, s, NULL, NULL);
	CHECK_EQ_INT(cuLaunchKernel(f, 1, 1, 1, 128, 1, 1, 0, s, NULL, NULL), 0, "the 1024th launch");
	CHECK_EQ_INT(cuLaunchKernel(f, 1, 1, 1, 128, 1, 1, 0, s, NULL, NULL), 0, "the 1025th launch");
	CHECK_EQ_INT(ev_query(e2), 0, "the 1025th launch returned only once the first kernel was done");
	CHECK_EQ_INT(ev_sync(e2), 0, "cuEventSynchronize");
	CHECK_EQ_INT(cuCtxSynchronize(), 0, "cuCtxSynchronize");
	check(booked() == 200000000ull + 100000ull + 100000000ull + 1024000ull,
	      "every kernel's SM time is booked (%llu ns)", (unsigned long long)booked());
}

static void graph_case(void *arg)
{
	char state[600];
	void *h;
	vgpu_CUcontext c = NULL, c2 = NULL;
	vgpu_CUstream s = NULL;
	vgpu_CUfunction f = NULL;
	vgpu_CUmodule mod = NULL;
	vgpu_CUgraph g = NULL, g2 = NULL;
	vgpu_CUgraphNode a = NULL, b = NULL, e = NULL, x = NULL, deps[2];
	vgpu_CUgraphExec ge = NULL, ge2 = NULL, ge3 = NULL, x3 = NULL;
	vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS ip = { 0 };
	vgpu_CUDA_KERNEL_NODE_PARAMS_v2 kp;
	vgpu_CUDA_KERNEL_NODE_PARAMS_v1 kp1;
	uint64_t before;

	(void)arg;
	use_node("simtest-a");
	snprintf(state, sizeof(state), "%s/state-graph", sim_dir);
	setenv("VGPU_SIM_STATE", state, 1);
	setenv("VGPU_SIM_BLOCK_NS", "1000", 1); /* 1 us per block */
	h = sim_open("libcuda.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuCtxCreate_v2);
	LOAD(h, cuCtxSynchronize);
	LOAD(h, cuStreamCreate);
	stream_query_fn cuStreamQuery = (stream_query_fn)sim_sym(h, "cuStreamQuery");
	LOAD(h, cuGraphCreate);
	LOAD(h, cuGraphDestroy);
	LOAD(h, cuGraphAddEmptyNode);
	LOAD(h, cuGraphAddKernelNode);
	LOAD(h, cuGraphAddKernelNode_v2);
	LOAD(h, cuGraphInstantiate_v2);
	LOAD(h, cuGraphInstantiateWithFlags);
	LOAD(h, cuGraphInstantiateWithParams);
	LOAD(h, cuGraphLaunch);
	LOAD(h, cuGraphLaunch_ptsz);
	LOAD(h, cuGraphExecDestroy);
	LOAD(h, cuModuleLoadData);
	LOAD(h, cuModuleGetFunction);

	CHECK_EQ_INT(cuGraphCreate(&g, 0), VGPU_CUDA_ERROR_NOT_INITIALIZED, "cuGraphCreate before cuInit");
	if (!CHECK_EQ_INT(cuInit(0), 0, "cuInit") || !CHECK_EQ_INT(cuDevicePrimaryCtxRetain(&c, 0), 0, "retain") ||
	    !CHECK_EQ_INT(cuCtxSetCurrent(c), 0, "current") || !CHECK_EQ_INT(cuStreamCreate(&s, 0), 0, "stream") ||
	    !CHECK_EQ_INT(cuModuleLoadData(&mod, SIM_PTX), 0, "load a module") ||
	    !CHECK_EQ_INT(cuModuleGetFunction(&f, mod, SIM_PTX_KERNEL), 0, "its kernel"))
		return;
	CHECK_EQ_INT(cuGraphCreate(NULL, 0), VGPU_CUDA_ERROR_INVALID_VALUE, "cuGraphCreate(NULL)");
	CHECK_EQ_INT(cuGraphCreate(&g, 1), VGPU_CUDA_ERROR_INVALID_VALUE, "cuGraphCreate with flags");
	CHECK_EQ_INT(cuGraphCreate(&g, 0), 0, "cuGraphCreate");
	CHECK_EQ_INT(cuGraphCreate(&g2, 0), 0, "a second graph");

	/* a -> (b, e) : a 30 ms kernel, then a 20 ms kernel and an empty node */
	memset(&kp, 0, sizeof(kp));
	kp.func = f;
	kp.gridDimX = 30000;
	kp.gridDimY = kp.gridDimZ = kp.blockDimY = kp.blockDimZ = 1;
	kp.blockDimX = 128;
	CHECK_EQ_INT(cuGraphAddKernelNode_v2(&a, g, NULL, 0, &kp), 0, "kernel node a (v2)");
	memcpy(&kp1, &kp, sizeof(kp1));
	kp1.gridDimX = 20000;
	CHECK_EQ_INT(cuGraphAddKernelNode(&b, g, &a, 1, &kp1), 0, "kernel node b after a (v1 parameters)");
	CHECK_EQ_INT(cuGraphAddEmptyNode(&e, g, &a, 1), 0, "empty node after a");
	CHECK_EQ_INT(cuGraphAddEmptyNode(&x, g, NULL, 1), VGPU_CUDA_ERROR_INVALID_VALUE, "dependencies NULL, count 1");
	CHECK_EQ_INT(cuGraphAddEmptyNode(&x, g2, &a, 1), VGPU_CUDA_ERROR_INVALID_VALUE, "a dependency of another graph");
	deps[0] = deps[1] = b;
	CHECK_EQ_INT(cuGraphAddEmptyNode(&x, g, deps, 2), VGPU_CUDA_ERROR_INVALID_VALUE, "a dependency listed twice");
	CHECK_EQ_INT(cuGraphAddEmptyNode(&x, (vgpu_CUgraph)(void *)&kp, NULL, 0), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "a node in something that is no graph");
	kp.gridDimX = 0;
	CHECK_EQ_INT(cuGraphAddKernelNode_v2(&x, g, NULL, 0, &kp), VGPU_CUDA_ERROR_INVALID_VALUE, "a 0-block grid");
	kp.gridDimX = 1;
	kp.blockDimX = 2048;
	CHECK_EQ_INT(cuGraphAddKernelNode_v2(&x, g, NULL, 0, &kp), VGPU_CUDA_ERROR_INVALID_VALUE, "2048 threads a block");
	kp.blockDimX = 128;
	kp.func = NULL;
	CHECK_EQ_INT(cuGraphAddKernelNode_v2(&x, g, NULL, 0, &kp), VGPU_CUDA_ERROR_INVALID_VALUE, "no function nor kernel");
	CHECK_EQ_INT(cuGraphAddKernelNode_v2(&x, g, NULL, 0, NULL), VGPU_CUDA_ERROR_INVALID_VALUE, "no parameters");

	CHECK_EQ_INT(cuGraphInstantiateWithFlags(&ge, g, 0x100), VGPU_CUDA_ERROR_INVALID_VALUE, "unknown flags");
	CHECK_EQ_INT(cuGraphInstantiateWithFlags(NULL, g, 0), VGPU_CUDA_ERROR_INVALID_VALUE, "instantiate into NULL");
	CHECK_EQ_INT(cuGraphInstantiateWithFlags(&ge, g, 0), 0, "cuGraphInstantiateWithFlags");
	CHECK_EQ_INT(cuGraphInstantiate_v2(&ge2, g2, NULL, NULL, 0), 0, "an empty graph (cuGraphInstantiate_v2)");
	ip.flags = VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD;
	ip.hUploadStream = s;
	ip.result_out = VGPU_CUDA_GRAPH_INSTANTIATE_ERROR;
	CHECK_EQ_INT(cuGraphInstantiateWithParams(&ge3, g, &ip), 0, "cuGraphInstantiateWithParams, uploaded on s");
	CHECK_EQ_INT(ip.result_out, VGPU_CUDA_GRAPH_INSTANTIATE_SUCCESS, "its result_out");
	CHECK_EQ_INT(cuGraphInstantiateWithFlags(&x3, g, VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD),
		     VGPU_CUDA_ERROR_INVALID_VALUE, "the upload flag without parameters");
	CHECK_EQ_INT(cuGraphInstantiateWithParams(&x3, g, NULL), VGPU_CUDA_ERROR_INVALID_VALUE, "no parameters");
	CHECK_EQ_INT(cuGraphExecDestroy(ge3), 0, "cuGraphExecDestroy");
	/* the executable graph is a snapshot: a node added later is not in it */
	kp.func = f;
	kp.gridDimX = 1000000;
	CHECK_EQ_INT(cuGraphAddKernelNode_v2(&x, g, &b, 1, &kp), 0, "a 1 s node added after instantiation");

	before = booked();
	CHECK_EQ_INT(cuGraphLaunch(ge, s), 0, "cuGraphLaunch");
	CHECK_EQ_INT(cuStreamQuery(s), VGPU_CUDA_ERROR_NOT_READY, "the launch returned at once; the stream is busy");
	CHECK_EQ_INT(cuGraphLaunch_ptsz(ge, NULL), 0, "cuGraphLaunch_ptsz on the default stream");
	CHECK_EQ_INT(cuGraphLaunch(ge2, s), 0, "an empty graph launches");
	CHECK_EQ_INT(cuCtxSynchronize(), 0, "cuCtxSynchronize");
	check(booked() - before == 100000000ull, "two launches of a 30 + 20 ms graph booked 100 ms of SM time (%llu ns)",
	      (unsigned long long)(booked() - before));

	CHECK_EQ_INT(cuGraphDestroy(g), 0, "cuGraphDestroy");
	CHECK_EQ_INT(cuGraphDestroy(g), VGPU_CUDA_ERROR_INVALID_VALUE, "cuGraphDestroy twice");
	CHECK_EQ_INT(cuGraphAddEmptyNode(&x, g, NULL, 0), VGPU_CUDA_ERROR_INVALID_VALUE, "a node in a destroyed graph");
	before = booked();
	CHECK_EQ_INT(cuGraphLaunch(ge, s), 0, "an executable graph outlives its graph");
	CHECK_EQ_INT(cuCtxSynchronize(), 0, "cuCtxSynchronize");
	check(booked() - before == 50000000ull, "50 ms more (%llu ns)", (unsigned long long)(booked() - before));

	CHECK_EQ_INT(cuCtxCreate_v2(&c2, 0, 0), 0, "a second context, current");
	CHECK_EQ_INT(cuGraphLaunch(ge, NULL), VGPU_CUDA_ERROR_INVALID_CONTEXT,
		     "a launch on a stream of another context than the graph's");
	CHECK_EQ_INT(cuCtxSetCurrent(c), 0, "back to the primary context");
	CHECK_EQ_INT(cuGraphExecDestroy(ge), 0, "cuGraphExecDestroy");
	CHECK_EQ_INT(cuGraphExecDestroy(ge), VGPU_CUDA_ERROR_INVALID_VALUE, "cuGraphExecDestroy twice");
	CHECK_EQ_INT(cuGraphLaunch(ge, s), VGPU_CUDA_ERROR_INVALID_VALUE, "a launch of a destroyed executable graph");
	CHECK_EQ_INT(cuGraphLaunch(NULL, s), VGPU_CUDA_ERROR_INVALID_VALUE, "a launch of NULL");
	CHECK_EQ_INT(cuGraphExecDestroy(ge2), 0, "cuGraphExecDestroy");
	CHECK_EQ_INT(cuGraphDestroy(g2), 0, "cuGraphDestroy");
}

/* Graph memory: mapped at launch from the device's graph pool, kept by the
 * pool after a free node until cuDeviceGraphMemTrim; the pool's growth is
 * charged to the GPU. */
static void graph_mem_case(void *arg)
{
	char state[600];
	void *h;
	vgpu_CUcontext c = NULL;
	vgpu_CUgraph g = NULL, g2 = NULL;
	vgpu_CUgraphNode a = NULL, fr = NULL, x = NULL;
	vgpu_CUgraphExec ge = NULL, ge2 = NULL, ge3 = NULL;
	vgpu_CUDA_MEM_ALLOC_NODE_PARAMS mp;
	vgpu_CUdeviceptr p1, p2;
	size_t free0 = 0, free1 = 0, tot = 0;
	uint64_t v = 0;

	(void)arg;
	use_node("simtest-a");
	snprintf(state, sizeof(state), "%s/state-graph-mem", sim_dir);
	setenv("VGPU_SIM_STATE", state, 1);
	h = sim_open("libcuda.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuMemGetInfo_v2);
	LOAD(h, cuGraphCreate);
	LOAD(h, cuGraphAddMemAllocNode);
	LOAD(h, cuGraphAddMemFreeNode);
	LOAD(h, cuGraphInstantiateWithFlags);
	LOAD(h, cuGraphLaunch);
	LOAD(h, cuGraphExecDestroy);
	LOAD(h, cuDeviceGraphMemTrim);
	LOAD(h, cuDeviceGetGraphMemAttribute);
#define ATTR(which) (cuDeviceGetGraphMemAttribute(0, VGPU_CU_GRAPH_MEM_ATTR_##which, &v) == 0 ? v >> 20 : 9999999)

	if (!CHECK_EQ_INT(cuInit(0), 0, "cuInit") || !CHECK_EQ_INT(cuDevicePrimaryCtxRetain(&c, 0), 0, "retain") ||
	    !CHECK_EQ_INT(cuCtxSetCurrent(c), 0, "current"))
		return;
	cuMemGetInfo_v2(&free0, &tot);
	memset(&mp, 0, sizeof(mp));
	mp.poolProps.allocType = VGPU_CU_MEM_ALLOCATION_TYPE_PINNED;
	mp.poolProps.location.type = VGPU_CU_MEM_LOCATION_TYPE_DEVICE;
	mp.bytesize = 100 << 20;
	CHECK_EQ_INT(cuGraphCreate(&g, 0), 0, "cuGraphCreate");
	CHECK_EQ_INT(cuGraphCreate(&g2, 0), 0, "cuGraphCreate");
	CHECK_EQ_INT(cuGraphAddMemAllocNode(&a, g, NULL, 0, &mp), 0, "a 100 MiB allocation node");
	p1 = mp.dptr;
	check(p1 != 0, "its address is known when the node is made");
	CHECK_EQ_INT(cuGraphAddMemFreeNode(&fr, g, &a, 1, p1 + 4096), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "a free node of an address inside the allocation");
	CHECK_EQ_INT(cuGraphAddMemFreeNode(&fr, g, &a, 1, p1), 0, "its free node");
	CHECK_EQ_INT(cuGraphAddMemFreeNode(&x, g, &fr, 1, p1), VGPU_CUDA_ERROR_INVALID_VALUE, "a second free node");
	mp.bytesize = 300 << 20;
	CHECK_EQ_INT(cuGraphAddMemAllocNode(&x, g2, NULL, 0, &mp), 0, "a 300 MiB allocation, never freed, in graph 2");
	p2 = mp.dptr;
	check(p2 != p1, "another address");
	mp.poolProps.location.id = 7;
	CHECK_EQ_INT(cuGraphAddMemAllocNode(&x, g2, NULL, 0, &mp), VGPU_CUDA_ERROR_INVALID_VALUE, "on device 7");
	mp.poolProps.location.id = 0;
	mp.poolProps.handleTypes = VGPU_CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR;
	CHECK_EQ_INT(cuGraphAddMemAllocNode(&x, g2, NULL, 0, &mp), VGPU_CUDA_ERROR_INVALID_VALUE, "exportable");
	mp.poolProps.handleTypes = VGPU_CU_MEM_HANDLE_TYPE_NONE;
	mp.bytesize = 0;
	CHECK_EQ_INT(cuGraphAddMemAllocNode(&x, g2, NULL, 0, &mp), VGPU_CUDA_ERROR_INVALID_VALUE, "0 bytes");

	CHECK_EQ_INT(cuGraphInstantiateWithFlags(&ge, g, 0), 0, "instantiate graph 1");
	CHECK_EQ_INT(cuGraphInstantiateWithFlags(&ge2, g2, 0), 0, "instantiate graph 2");
	CHECK_EQ_INT(cuGraphInstantiateWithFlags(&ge3, g2, VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH), 0,
		     "instantiate graph 2 with auto free on launch");
	cuMemGetInfo_v2(&free1, &tot);
	CHECK_EQ_INT(free0 - free1, 0, "no memory taken before a launch");
	CHECK_EQ_INT(cuGraphLaunch(ge, NULL), 0, "launch graph 1 (allocates, frees)");
	CHECK_EQ_INT(ATTR(USED_MEM_CURRENT), 0, "graph memory in use after it (MiB)");
	CHECK_EQ_INT(ATTR(RESERVED_MEM_CURRENT), 100, "graph memory the pool keeps (MiB)");
	CHECK_EQ_INT(ATTR(USED_MEM_HIGH), 100, "graph memory in use at most (MiB)");
	cuMemGetInfo_v2(&free1, &tot);
	CHECK_EQ_INT((free0 - free1) >> 20, 100, "the pool's memory is taken from the GPU (MiB)");
	CHECK_EQ_INT(cuGraphLaunch(ge2, NULL), 0, "launch graph 2 (allocates 300 MiB, keeps them)");
	CHECK_EQ_INT(ATTR(USED_MEM_CURRENT), 300, "graph memory in use (MiB)");
	CHECK_EQ_INT(ATTR(RESERVED_MEM_CURRENT), 300, "the pool grew to 300 MiB, reusing the 100 MiB");
	CHECK_EQ_INT(cuGraphLaunch(ge2, NULL), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "relaunching graph 2 while its allocation is live");
	CHECK_EQ_INT(cuGraphLaunch(ge3, NULL), 0, "the auto-free instance launches");
	CHECK_EQ_INT(ATTR(RESERVED_MEM_CURRENT), 600, "both 300 MiB allocations live: the pool holds 600 MiB");
	CHECK_EQ_INT(cuGraphLaunch(ge3, NULL), 0, "and relaunches (its allocation freed first)");
	CHECK_EQ_INT(ATTR(USED_MEM_CURRENT), 600, "600 MiB in use");
	cuMemGetInfo_v2(&free1, &tot);
	CHECK_EQ_INT((free0 - free1) >> 20, 600, "taken from the GPU (MiB)");
	CHECK_EQ_INT(cuDeviceGraphMemTrim(0), 0, "cuDeviceGraphMemTrim");
	CHECK_EQ_INT(ATTR(RESERVED_MEM_CURRENT), 600, "live allocations are not trimmed");
	CHECK_EQ_INT(cuGraphExecDestroy(ge2), 0, "destroy graph 2's first instance");
	CHECK_EQ_INT(ATTR(USED_MEM_CURRENT), 300, "its allocation is back in the pool");
	CHECK_EQ_INT(cuDeviceGraphMemTrim(0), 0, "cuDeviceGraphMemTrim");
	CHECK_EQ_INT(ATTR(RESERVED_MEM_CURRENT), 300, "the pool gave back what no allocation uses");
	cuMemGetInfo_v2(&free1, &tot);
	CHECK_EQ_INT((free0 - free1) >> 20, 300, "the GPU has it back (MiB)");
	CHECK_EQ_INT(cuGraphExecDestroy(ge3), 0, "destroy the other");
	CHECK_EQ_INT(cuGraphExecDestroy(ge), 0, "destroy graph 1's instance");
	CHECK_EQ_INT(cuDeviceGraphMemTrim(0), 0, "cuDeviceGraphMemTrim");
	cuMemGetInfo_v2(&free1, &tot);
	CHECK_EQ_INT(free0 - free1, 0, "all of it back");
	CHECK_EQ_INT(ATTR(RESERVED_MEM_HIGH), 600, "the pool held 600 MiB at most");
	CHECK_EQ_INT(cuDeviceGraphMemTrim(9), VGPU_CUDA_ERROR_INVALID_DEVICE, "trim of device 9");
#undef ATTR
}

int main(void)
{
	sim_setup();
	write_nodes();
	sim_run(exec_case, NULL, "exec");
	sim_run(graph_case, NULL, "graph");
	sim_run(graph_mem_case, NULL, "graph memory");
	return sim_done();
}
