/*
 * test_simexec - simulated SM time (doc/simulator.md, "SM time"): launches
 * queue work and return, events time it, synchronisation waits for it, a
 * stream's queue is bounded, the work is booked to the process in the shared
 * state and NVML sees the GPU busy. Assertions are on simulated quantities
 * (booked SM ns, event order), never on how long something took.
 */
#include "simtest.h"

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
	vgpu_CUfunction f = (vgpu_CUfunction)(void *)&state;
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
	    !CHECK_EQ_INT(cuCtxSetCurrent(c), 0, "current") || !CHECK_EQ_INT(cuStreamCreate(&s, 0), 0, "stream"))
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

int main(void)
{
	sim_setup();
	write_nodes();
	sim_run(exec_case, NULL, "exec");
	return sim_done();
}
