/*
 * shim_sm.c - the SM cap (`sm=` of the step description): every kernel
 * launch entry point (cuLaunchKernel, cuLaunchKernelEx, cuLaunchCooperativeKernel,
 * cuGraphLaunch and their _ptsz variants) is paced so that the step's
 * processes together queue at most cap x wall time of SM time on the GPU
 * (doc/shim.md, "SM cap").
 *
 *  - Cost: each launch is charged an estimate of its SM time: units (blocks
 *    of the grid; 1 for a graph) x the cost per unit learned for the kernel
 *    (or graph), kept in a small per-process table. The shim learns it from
 *    completed work: now and then (the second launch of a kernel, then one
 *    in SAMPLE_EVERY) it brackets a launch with two events of its own, and the
 *    elapsed time between them is the kernel's time; when the GPU was idle
 *    as the first event was recorded (it is complete as soon as recorded),
 *    the host time from that event to the launch's return is taken off (the
 *    GPU waited for the launch, it did not work). Samples inflated by other
 *    contexts' work are filtered: a lower sample moves
 *    the estimate by 1/4 of the distance, a higher one by 1/8.
 *  - Pacing: a GCRA token bucket of the step in the job's ledger (one word
 *    shared by all its processes on that GPU, vgpu_ledger_sm_pace), then the
 *    job's (when the job's SM cap is known): the launch waits
 *    until the step's schedule is within TAU_NS of now, then advances it by
 *    cost / cap. No syscall unless the launch has to wait.
 *  - A kernel without an estimate yet (new, or evicted from the table) is
 *    charged the cost per unit of the last sample of any kernel; its first
 *    launch is not measured (it may load the module), its second is. Only
 *    when the process has no sample at all does that second launch wait for
 *    its sample (a calibration, once per process), to be charged after it.
 * Without a cap (no GPU of the step below 10000) a launch costs one load and
 * a branch more than the pass-through stub. The launch is charged to the
 * current context's GPU (a stream of another context is not looked up).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"
#include "vgpu_ledger.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#define TAU_NS 2000000          /* how far the schedule may run ahead: 2 ms */
#define SAMPLE_EVERY 64         /* launches between samples (per thread) */
#define POLL_EVERY 8            /* launches between polls of a pending sample */
#define EST_SLOTS 256           /* kernels (graphs) whose cost is remembered */

struct est {
	uintptr_t key;          /* the CUfunction / CUgraphExec (atomic) */
	uint64_t ns;            /* SM time per unit in 1/1024 ns, 0 = unknown (atomic) */
};

struct sample {
	uintptr_t key;
	uint64_t units;
	vgpu_shim_event_t a, b;
	int64_t t_a;            /* host time just before a was recorded */
	int64_t gap;            /* host time from a to the launch's end, if the GPU was idle at a */
	int idle;               /* a was complete as soon as recorded */
};

/* What a launch hook carries from before the launch to after it. */
struct sm_launch {
	int g;                  /* step GPU, -1: not paced */
	int sampled;            /* this launch is the pending sample */
	int calibrate;          /* no estimate yet: wait for the sample, then pay */
	int ptsz;
	vgpu_CUstream stream;
};

static int sm_on;                       /* some GPU of the step is capped */
static struct est est_tab[EST_SLOTS];
static pthread_mutex_t sample_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sample smp;               /* guarded by sample_lock */
static int sample_pending;              /* atomic: smp holds a sample in flight */
static uint64_t fallback;               /* atomic: the last sample's cost per unit (any kernel) */

static __thread struct {
	uintptr_t ctx;          /* the context g was found for */
	int g;
	unsigned int n;         /* launches by this thread */
} tls = { 0, -1, 0 };

void vgpu_shim_sm_init(void)
{
	for (size_t i = 0; i < vgpu_shim.desc.ngpus; i++)
		if (vgpu_shim.desc.gpus[i].sm_bp < VGPU_STEPDESC_SM_FULL)
			sm_on = 1;
}

void vgpu_shim_sm_atfork_child(void)
{
	/* the parent's events are not the child's (CUDA is unusable there) */
	pthread_mutex_init(&sample_lock, NULL);
	__atomic_store_n(&sample_pending, 0, __ATOMIC_RELAXED);
	tls.ctx = 0;
	tls.g = -1;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static struct est *est_of(uintptr_t key)
{
	return &est_tab[((key >> 4) ^ (key >> 12)) % EST_SLOTS];
}

/* The capped step GPU the current context runs on, or -1. */
static int current_gpu(void)
{
	vgpu_CUcontext ctx = NULL;
	vgpu_CUdevice dev = -1;
	int g;

	if (CU_REAL(cuCtxGetCurrent)(&ctx) != VGPU_CUDA_SUCCESS || !ctx)
		return -1;
	if ((uintptr_t)ctx == tls.ctx)
		return tls.g;
	g = CU_REAL(cuCtxGetDevice)(&dev) == VGPU_CUDA_SUCCESS ? vgpu_shim_gpu_of_ordinal(dev) : -1;
	if (g >= 0 && (vgpu_shim.desc.gpus[g].sm_bp >= VGPU_STEPDESC_SM_FULL || !vgpu_shim_ledger(g)))
		g = -1;
	tls.ctx = (uintptr_t)ctx;
	tls.g = g;
	return g;
}

#define COST_MAX_NS (60LL * 1000000000LL)

/* a * b, or UINT64_MAX when that overflows (huge grids, odd estimates). */
static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Book cost ns on schedule `which` of ledger l, waiting as long as it
 * takes. The fast path reads the coarse clock (a few ns; it lags by at most
 * a tick): a launch admitted at the coarse time is admitted at the precise
 * one too. Only a launch that must wait reads the precise clock. */
static void book(struct vgpu_ledger *l, enum vgpu_ledger_bucket which, int64_t cost)
{
	int64_t wait;

	if (vgpu_ledger_sm_pace(l, which, clock_ns(CLOCK_MONOTONIC_COARSE), cost, TAU_NS) == 0)
		return;
	while ((wait = vgpu_ledger_sm_pace(l, which, mono_ns(), cost, TAU_NS)) > 0) {
		struct timespec ts = { (time_t)(wait / 1000000000), (long)(wait % 1000000000) };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

/* sm_ns of SM time as wall time at a cap of bp basis points. One launch
 * books at most COST_MAX_NS: an absurd estimate (a wrapped grid, a bad
 * sample) slows the step, it never stalls it for ever. */
static int64_t scaled_cost(uint64_t sm_ns, unsigned bp)
{
	uint64_t scaled = sat_mul(sm_ns, VGPU_STEPDESC_SM_FULL) / bp;

	return scaled > COST_MAX_NS ? COST_MAX_NS : (int64_t)scaled;
}

/* Wait until the step may queue sm_ns more SM time on GPU g, and book it:
 * in the step's schedule at the step's cap, then, when the job has an SM
 * cap (the batch step's, in the job's ledger), in the job's schedule at the
 * job's cap. Each schedule bounds what was launched through it, so the
 * step keeps to its cap and all steps of the job together to the job's. */
static void pay(int g, uint64_t sm_ns)
{
	struct vgpu_ledger *l = vgpu_shim_ledger(g);
	unsigned job_bp;

	if (!l || sm_ns == 0)
		return;
	book(l, VGPU_LEDGER_SM_STEP, scaled_cost(sm_ns, vgpu_shim.desc.gpus[g].sm_bp));
	job_bp = vgpu_ledger_job_sm(l);
	if (job_bp != 0 && job_bp < VGPU_STEPDESC_SM_FULL)
		book(l, VGPU_LEDGER_SM_JOB, scaled_cost(sm_ns, job_bp));
}

/* Fold a completed sample into the estimates; sample_lock is held. */
static void finish_sample(void)
{
	float ms = 0;
	struct est *e = est_of(smp.key);

	if (CU_REAL(cuEventElapsedTime)(&ms, smp.a, smp.b) == VGPU_CUDA_SUCCESS && ms >= 0 && smp.units) {
		double kernel = (double)ms * 1e6 - (double)smp.gap;
		uint64_t s = kernel > 0 ? (uint64_t)(kernel * 1024 / (double)smp.units) : 0, old;

		if (s == 0)
			s = 1;
		if (__atomic_load_n(&e->key, __ATOMIC_RELAXED) != smp.key) {
			__atomic_store_n(&e->ns, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&e->key, smp.key, __ATOMIC_RELAXED);
		}
		old = __atomic_load_n(&e->ns, __ATOMIC_RELAXED);
		__atomic_store_n(&e->ns, old == 0 ? s : s < old ? old - (old - s) / 4 : old + (s - old) / 8,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&fallback, s, __ATOMIC_RELAXED);
	}
	CU_REAL(cuEventDestroy_v2)(smp.a);
	CU_REAL(cuEventDestroy_v2)(smp.b);
	__atomic_store_n(&sample_pending, 0, __ATOMIC_RELEASE);
}

/* Poll the pending sample (without waiting for the lock). */
static void poll_sample(void)
{
	if (pthread_mutex_trylock(&sample_lock) != 0)
		return;
	if (__atomic_load_n(&sample_pending, __ATOMIC_ACQUIRE) == 2 &&
	    CU_REAL(cuEventQuery)(smp.b) == VGPU_CUDA_SUCCESS)
		finish_sample();
	pthread_mutex_unlock(&sample_lock);
}

static vgpu_CUresult record(vgpu_shim_event_t e, vgpu_CUstream s, int ptsz)
{
	return ptsz ? CU_REAL(cuEventRecord_ptsz)(e, s) : CU_REAL(cuEventRecord)(e, s);
}

/* Start a sample around this launch: 1 when this thread owns it. */
static int start_sample(uintptr_t key, uint64_t units, vgpu_CUstream s, int ptsz)
{
	int ok = 0;

	if (pthread_mutex_trylock(&sample_lock) != 0)
		return 0;
	if (__atomic_load_n(&sample_pending, __ATOMIC_ACQUIRE) == 0) {
		smp.key = key;
		smp.units = units;
		smp.a = smp.b = NULL;
		smp.gap = 0;
		if (CU_REAL(cuEventCreate)(&smp.a, 0) == VGPU_CUDA_SUCCESS &&
		    CU_REAL(cuEventCreate)(&smp.b, 0) == VGPU_CUDA_SUCCESS) {
			/* taken before both records: their latencies cancel */
			smp.t_a = mono_ns();
			ok = record(smp.a, s, ptsz) == VGPU_CUDA_SUCCESS;
			/* reached at once: the GPU is idle, the kernel will start
			 * when the launch queues it */
			smp.idle = ok && CU_REAL(cuEventQuery)(smp.a) == VGPU_CUDA_SUCCESS;
		}
		if (ok)
			__atomic_store_n(&sample_pending, 1, __ATOMIC_RELEASE);
		else {
			if (smp.a)
				CU_REAL(cuEventDestroy_v2)(smp.a);
			if (smp.b)
				CU_REAL(cuEventDestroy_v2)(smp.b);
		}
	}
	pthread_mutex_unlock(&sample_lock);
	return ok;
}

static void sm_before(struct sm_launch *L, uintptr_t key, uint64_t units, vgpu_CUstream s, int ptsz)
{
	struct est *e;
	uint64_t per, fb;
	unsigned int n;
	int first = 0;

	L->sampled = L->calibrate = 0;
	L->g = current_gpu();
	if (L->g < 0)
		return;
	L->ptsz = ptsz;
	L->stream = s;
	e = est_of(key);
	n = ++tls.n;
	if (n % POLL_EVERY == 0 && __atomic_load_n(&sample_pending, __ATOMIC_RELAXED) == 2)
		poll_sample();
	if (__atomic_load_n(&e->key, __ATOMIC_RELAXED) != key) {
		__atomic_store_n(&e->ns, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&e->key, key, __ATOMIC_RELAXED);
		first = 1;
	}
	per = __atomic_load_n(&e->ns, __ATOMIC_RELAXED);
	fb = __atomic_load_n(&fallback, __ATOMIC_RELAXED);
	/* paid before a sample starts: the wait is no kernel time */
	if (per || fb)
		pay(L->g, sat_mul(per ? per : fb, units) >> 10);
	if (first)
		return; /* it may load its module: slow, not representative */
	if ((per == 0 || n % SAMPLE_EVERY == 0) && __atomic_load_n(&sample_pending, __ATOMIC_RELAXED) == 0)
		L->sampled = start_sample(key, units, s, ptsz);
	L->calibrate = L->sampled && per == 0 && fb == 0;
}

static void sm_after(struct sm_launch *L, vgpu_CUresult rc, uintptr_t key, uint64_t units)
{
	int64_t t_launched;
	struct est *e;

	if (!L->sampled)
		return;
	t_launched = mono_ns();
	pthread_mutex_lock(&sample_lock);
	if (rc != VGPU_CUDA_SUCCESS || record(smp.b, L->stream, L->ptsz) != VGPU_CUDA_SUCCESS) {
		CU_REAL(cuEventDestroy_v2)(smp.a);
		CU_REAL(cuEventDestroy_v2)(smp.b);
		__atomic_store_n(&sample_pending, 0, __ATOMIC_RELEASE);
		L->calibrate = 0;
		goto out;
	}
	/* An idle GPU reached a at once: the time until the kernel was queued
	 * is host time between the events, not kernel time. t_launched is taken
	 * just before b's record, as t_a before a's. */
	if (smp.idle)
		smp.gap = t_launched - smp.t_a;
	if (L->calibrate) {
		CU_REAL(cuEventSynchronize)(smp.b);
		finish_sample();
	} else {
		__atomic_store_n(&sample_pending, 2, __ATOMIC_RELEASE); /* complete: poll it */
	}
out:
	pthread_mutex_unlock(&sample_lock);
	if (L->calibrate) {
		e = est_of(key);
		if (__atomic_load_n(&e->key, __ATOMIC_RELAXED) == key)
			pay(L->g, (__atomic_load_n(&e->ns, __ATOMIC_RELAXED) * units) >> 10);
	}
}

#define SM_ON() __builtin_expect(__atomic_load_n(&sm_on, __ATOMIC_RELAXED), 0)

/* The hooks: pass straight through without a cap; else pace around the call. */
#define LAUNCH_BODY(sym, key, units, stream, ptsz, args)                  \
	struct sm_launch L;                                              \
	vgpu_CUresult rc;                                                \
	if (!SM_ON())                                                    \
		return CU_REAL(sym) args;                                \
	sm_before(&L, (uintptr_t)(key), (units), (stream), (ptsz));      \
	rc = CU_REAL(sym) args;                                          \
	sm_after(&L, rc, (uintptr_t)(key), (units));                     \
	return rc

#define BLOCKS(x, y, z) ((uint64_t)(x) * (y) * (z))

VGPU_SHIM_HOOK(cuLaunchKernel);
vgpu_CUresult cuLaunchKernel(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
			     unsigned int by, unsigned int bz, unsigned int shmem, vgpu_CUstream s, void **params,
			     void **extra)
{
	LAUNCH_BODY(cuLaunchKernel, f, BLOCKS(gx, gy, gz), s, 0, (f, gx, gy, gz, bx, by, bz, shmem, s, params, extra));
}

VGPU_SHIM_HOOK(cuLaunchKernel_ptsz);
vgpu_CUresult cuLaunchKernel_ptsz(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
				  unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
				  vgpu_CUstream s, void **params, void **extra)
{
	LAUNCH_BODY(cuLaunchKernel_ptsz, f, BLOCKS(gx, gy, gz), s, 1,
		    (f, gx, gy, gz, bx, by, bz, shmem, s, params, extra));
}

VGPU_SHIM_HOOK(cuLaunchCooperativeKernel);
vgpu_CUresult cuLaunchCooperativeKernel(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
					unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
					vgpu_CUstream s, void **params)
{
	LAUNCH_BODY(cuLaunchCooperativeKernel, f, BLOCKS(gx, gy, gz), s, 0,
		    (f, gx, gy, gz, bx, by, bz, shmem, s, params));
}

VGPU_SHIM_HOOK(cuLaunchCooperativeKernel_ptsz);
vgpu_CUresult cuLaunchCooperativeKernel_ptsz(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
					     unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
					     vgpu_CUstream s, void **params)
{
	LAUNCH_BODY(cuLaunchCooperativeKernel_ptsz, f, BLOCKS(gx, gy, gz), s, 1,
		    (f, gx, gy, gz, bx, by, bz, shmem, s, params));
}

/* A NULL config is the driver's error to report: not paced. */
#define CFG_BLOCKS(c) ((c) ? BLOCKS((c)->gridDimX, (c)->gridDimY, (c)->gridDimZ) : 0)
#define CFG_STREAM(c) ((c) ? (c)->hStream : NULL)

VGPU_SHIM_HOOK(cuLaunchKernelEx);
vgpu_CUresult cuLaunchKernelEx(const struct vgpu_shim_launch_config *config, vgpu_CUfunction f,
			       void **kernelParams, void **extra)
{
	LAUNCH_BODY(cuLaunchKernelEx, f, CFG_BLOCKS(config), CFG_STREAM(config), 0, (config, f, kernelParams, extra));
}

VGPU_SHIM_HOOK(cuLaunchKernelEx_ptsz);
vgpu_CUresult cuLaunchKernelEx_ptsz(const struct vgpu_shim_launch_config *config, vgpu_CUfunction f,
				    void **kernelParams, void **extra)
{
	LAUNCH_BODY(cuLaunchKernelEx_ptsz, f, CFG_BLOCKS(config), CFG_STREAM(config), 1,
		    (config, f, kernelParams, extra));
}

/* A graph is one unit: its cost is learned per executable graph. */
VGPU_SHIM_HOOK(cuGraphLaunch);
vgpu_CUresult cuGraphLaunch(vgpu_CUgraphExec g, vgpu_CUstream s)
{
	LAUNCH_BODY(cuGraphLaunch, g, 1, s, 0, (g, s));
}

VGPU_SHIM_HOOK(cuGraphLaunch_ptsz);
vgpu_CUresult cuGraphLaunch_ptsz(vgpu_CUgraphExec g, vgpu_CUstream s)
{
	LAUNCH_BODY(cuGraphLaunch_ptsz, g, 1, s, 1, (g, s));
}
