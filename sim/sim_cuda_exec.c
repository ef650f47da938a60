/*
 * sim_cuda_exec.c - simulated SM time: kernels take time, and the processes
 * and contexts on a GPU share it (doc/simulator.md, "SM time").
 *
 * A launch queues work on its stream and returns at once: units (blocks; a
 * cooperative or Ex launch counts the same) x VGPU_SIM_BLOCK_NS nanoseconds
 * of full-GPU SM time. The GPU runs the work of every process in the order
 * it was queued (sim_state.c keeps one timeline per GPU in the shared state
 * file): time-slicing at kernel granularity, as a GPU without MPS
 * time-slices between contexts. A stream holds at most SIMCU_QUEUE_DEPTH
 * launches in flight; one more blocks until the oldest completes, as a real
 * driver's full push buffer does. Synchronisation sleeps until the work's
 * completion time (CLOCK_MONOTONIC, shared by all processes). Events
 * complete when the GPU reaches them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define EVENT_MAGIC 0x54564e45u    /* "ENVT" */
#define DEFAULT_BLOCK_NS 100        /* full-GPU SM ns per block */
#define COOP_BLOCKS_PER_SM 32       /* co-resident blocks per SM at most */

struct sim_event {
	uint32_t magic;
	int recorded;
	struct sim_ctx *ctx;
	uint64_t t; /* when the GPU reaches it */
	struct sim_event *next; /* all events ever made (destroyed ones are reused) */
};

static pthread_mutex_t exec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sim_event *events; /* guarded by exec_lock */
static pthread_once_t knob_once = PTHREAD_ONCE_INIT;
static uint64_t block_ns = DEFAULT_BLOCK_NS;

static void read_knob(void)
{
	const char *v = getenv("VGPU_SIM_BLOCK_NS");
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > 1000000000ull)
		vgpu_sim_warn("VGPU_SIM_BLOCK_NS: expected nanoseconds from 0 to 1000000000; using 100");
	else
		block_ns = n;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vgpu_simcu_wait_until(uint64_t end)
{
	struct timespec ts = { (time_t)(end / 1000000000ull), (long)(end % 1000000000ull) };

	if (end == 0)
		return;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The shared state of the context's GPU, or NULL (state file unusable:
 * the context could not have been charged either). */
static struct vgpu_sim_state *state_of(struct sim_ctx *c)
{
	struct sim_dev *d = vgpu_simcu_dev(c->ordinal);

	return d ? __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) : NULL;
}

static void raise_to(uint64_t *p, uint64_t v)
{
	uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (old < v && !__atomic_compare_exchange_n(p, &old, v, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

vgpu_CUresult vgpu_simcu_enqueue(vgpu_CUstream s, uint64_t units)
{
	struct sim_ctx *c = NULL;
	struct simcu_queue *q = NULL;
	struct vgpu_sim_state *st;
	vgpu_CUresult rc = vgpu_simcu_stream_queue(s, &c, &q);
	uint64_t now, end, wait;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_once(&knob_once, read_knob);
	st = state_of(c);
	if (!st)
		return VGPU_CUDA_ERROR_UNKNOWN;
	for (;;) {
		pthread_mutex_lock(&exec_lock);
		now = mono_ns();
		while (q->count && q->end[q->head] <= now) { /* retire what is done */
			q->head = (q->head + 1) % SIMCU_QUEUE_DEPTH;
			q->count--;
		}
		if (q->count < SIMCU_QUEUE_DEPTH)
			break;
		wait = q->end[q->head];
		pthread_mutex_unlock(&exec_lock);
		vgpu_simcu_wait_until(wait); /* the queue is full: as a real driver, block */
	}
	if (vgpu_sim_state_run(st, now, units * block_ns, &end) != 0) {
		pthread_mutex_unlock(&exec_lock);
		return VGPU_CUDA_ERROR_UNKNOWN;
	}
	q->end[(q->head + q->count) % SIMCU_QUEUE_DEPTH] = end;
	q->count++;
	__atomic_store_n(&q->last, end, __ATOMIC_RELEASE);
	raise_to(&c->last_end, end);
	pthread_mutex_unlock(&exec_lock);
	return VGPU_CUDA_SUCCESS;
}

/* ---- launches ---------------------------------------------------------- */

vgpu_CUresult cuLaunchKernelEx(const vgpu_CUlaunchConfig *config, vgpu_CUfunction f,
			       void **kernelParams, void **extra)
{
	if (!config)
		return vgpu_simcu_ready() == VGPU_CUDA_SUCCESS ? VGPU_CUDA_ERROR_INVALID_VALUE : vgpu_simcu_ready();
	return cuLaunchKernel(f, config->gridDimX, config->gridDimY, config->gridDimZ, config->blockDimX,
			      config->blockDimY, config->blockDimZ, config->sharedMemBytes, config->hStream,
			      kernelParams, extra);
}

vgpu_CUresult cuLaunchKernelEx_ptsz(const vgpu_CUlaunchConfig *config, vgpu_CUfunction f,
				    void **kernelParams, void **extra)
{
	return cuLaunchKernelEx(config, f, kernelParams, extra);
}

vgpu_CUresult cuLaunchCooperativeKernel(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
					unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
					vgpu_CUstream s, void **params)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_stream_ctx(s, &c);
	const struct vgpu_sim_gpu *g;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	rc = f ? vgpu_simcu_func_resolve(f, c) : VGPU_CUDA_ERROR_INVALID_HANDLE;
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	g = vgpu_simcu_gpu(vgpu_simcu_dev(c->ordinal));
	/* every block must be resident at once */
	if ((uint64_t)gx * gy * gz > (uint64_t)g->sms * COOP_BLOCKS_PER_SM)
		return VGPU_CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE;
	return cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shmem, s, params, NULL);
}

vgpu_CUresult cuLaunchCooperativeKernel_ptsz(vgpu_CUfunction f, unsigned int gx, unsigned int gy,
					     unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz,
					     unsigned int shmem, vgpu_CUstream s, void **params)
{
	return cuLaunchCooperativeKernel(f, gx, gy, gz, bx, by, bz, shmem, s, params);
}

vgpu_CUresult cuStreamQuery(vgpu_CUstream s)
{
	struct sim_ctx *c = NULL;
	struct simcu_queue *q = NULL;
	vgpu_CUresult rc = vgpu_simcu_stream_queue(s, &c, &q);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return __atomic_load_n(&q->last, __ATOMIC_ACQUIRE) <= mono_ns() ? VGPU_CUDA_SUCCESS
									 : VGPU_CUDA_ERROR_NOT_READY;
}

vgpu_CUresult cuStreamQuery_ptsz(vgpu_CUstream s)
{
	return cuStreamQuery(s);
}

/* ---- events ------------------------------------------------------------ */

static struct sim_event *event_check(vgpu_simcu_event_t e, vgpu_CUresult *rc)
{
	struct sim_event *ev = e;

	*rc = vgpu_simcu_ready();
	if (*rc != VGPU_CUDA_SUCCESS)
		return NULL;
	if (!ev || __atomic_load_n(&ev->magic, __ATOMIC_ACQUIRE) != EVENT_MAGIC) {
		*rc = VGPU_CUDA_ERROR_INVALID_HANDLE;
		return NULL;
	}
	return ev;
}

vgpu_CUresult cuEventCreate(vgpu_simcu_event_t *e, unsigned int flags)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	struct sim_event *ev;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!e || flags > 0xf)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&exec_lock);
	for (ev = events; ev && __atomic_load_n(&ev->magic, __ATOMIC_ACQUIRE) == EVENT_MAGIC; ev = ev->next)
		;
	if (!ev) {
		ev = calloc(1, sizeof(*ev));
		if (ev) {
			ev->next = events;
			events = ev;
		}
	}
	if (ev) {
		ev->ctx = c;
		__atomic_store_n(&ev->recorded, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&ev->t, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&ev->magic, EVENT_MAGIC, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&exec_lock);
	if (!ev)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	*e = ev;
	return VGPU_CUDA_SUCCESS;
}

/* Destroyed events are not freed but kept for reuse by cuEventCreate: a
 * stale handle is an error (or, once reused, another live event, as a
 * real driver's may be), never freed memory. */
vgpu_CUresult cuEventDestroy_v2(vgpu_simcu_event_t e)
{
	vgpu_CUresult rc;
	struct sim_event *ev = event_check(e, &rc);

	if (ev)
		__atomic_store_n(&ev->magic, 0, __ATOMIC_RELEASE);
	return rc;
}

vgpu_CUresult cuEventDestroy(vgpu_simcu_event_t e)
{
	return cuEventDestroy_v2(e);
}

vgpu_CUresult cuEventRecord(vgpu_simcu_event_t e, vgpu_CUstream s)
{
	vgpu_CUresult rc;
	struct sim_event *ev = event_check(e, &rc);
	struct sim_ctx *c = NULL;
	struct simcu_queue *q = NULL;
	uint64_t t;

	if (!ev)
		return rc;
	rc = vgpu_simcu_stream_queue(s, &c, &q);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (c != ev->ctx || !state_of(c))
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&exec_lock);
	/* reached once the GPU has run everything queued before it */
	if (vgpu_sim_state_run(state_of(c), mono_ns(), 0, &t) == 0) {
		if (t < q->last)
			t = q->last;
		__atomic_store_n(&ev->t, t, __ATOMIC_RELAXED);
		__atomic_store_n(&ev->recorded, 1, __ATOMIC_RELEASE);
	} else
		rc = VGPU_CUDA_ERROR_UNKNOWN;
	pthread_mutex_unlock(&exec_lock);
	return rc;
}

vgpu_CUresult cuEventRecord_ptsz(vgpu_simcu_event_t e, vgpu_CUstream s)
{
	return cuEventRecord(e, s);
}

vgpu_CUresult cuEventRecordWithFlags(vgpu_simcu_event_t e, vgpu_CUstream s, unsigned int flags)
{
	if (flags > 1)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	return cuEventRecord(e, s);
}

vgpu_CUresult cuEventRecordWithFlags_ptsz(vgpu_simcu_event_t e, vgpu_CUstream s, unsigned int flags)
{
	return cuEventRecordWithFlags(e, s, flags);
}

/* When the event is reached; 0 when it was never recorded. */
static uint64_t event_time(struct sim_event *ev)
{
	if (!__atomic_load_n(&ev->recorded, __ATOMIC_ACQUIRE))
		return 0;
	return __atomic_load_n(&ev->t, __ATOMIC_RELAXED);
}

vgpu_CUresult cuEventQuery(vgpu_simcu_event_t e)
{
	vgpu_CUresult rc;
	struct sim_event *ev = event_check(e, &rc);

	if (!ev)
		return rc;
	return event_time(ev) <= mono_ns() ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_NOT_READY;
}

vgpu_CUresult cuEventSynchronize(vgpu_simcu_event_t e)
{
	vgpu_CUresult rc;
	struct sim_event *ev = event_check(e, &rc);

	if (ev) {
		vgpu_simcu_wait_until(event_time(ev));
		vgpu_simcu_pools_sync();
	}
	return rc;
}

vgpu_CUresult cuEventElapsedTime_v2(float *ms, vgpu_simcu_event_t start, vgpu_simcu_event_t end)
{
	vgpu_CUresult rc;
	struct sim_event *a = event_check(start, &rc), *b = a ? event_check(end, &rc) : NULL;
	uint64_t ta, tb, now = mono_ns();

	if (!b)
		return rc;
	if (!ms)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	ta = event_time(a);
	tb = event_time(b);
	if (!ta || !tb)
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	if (ta > now || tb > now)
		return VGPU_CUDA_ERROR_NOT_READY;
	*ms = (float)((double)((int64_t)(tb - ta)) / 1e6);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuEventElapsedTime(float *ms, vgpu_simcu_event_t start, vgpu_simcu_event_t end)
{
	return cuEventElapsedTime_v2(ms, start, end);
}
