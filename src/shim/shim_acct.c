/*
 * shim_acct.c - which step GPU a CUDA device or NVML handle is (by UUID,
 * whatever CUDA_VISIBLE_DEVICES says), and the process's side of the shared
 * ledgers: opened on first use, one slot claimed per GPU, charges and
 * releases, and the slice's view for the memory queries.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"
#include "vgpu_ledger.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct gpu_state {
	struct vgpu_ledger *ledger; /* read with __atomic; set once */
	int failed;                 /* the ledger cannot be opened (logged) */
	int slot;                   /* this process's slot, -1 before the first charge */
};

/* Slots holding bytes a memory query checks for dead owners: one fcntl each
 * (vgpu_ledger_reclaim_some); a failing reservation checks them all. */
#define QUERY_RECLAIM 32

static pthread_mutex_t acct_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gpu_state gpus[VGPU_STEPDESC_MAX_GPUS] = { [0 ... VGPU_STEPDESC_MAX_GPUS - 1] = { NULL, 0, -1 } };
static uint64_t self_ident;
/* CUDA ordinal -> 0 not known yet, g + 1 step GPU g, -1 not in the step */
static int ord_map[VGPU_SHIM_MAX_ORDINALS];

uint64_t vgpu_shim_round(uint64_t bytes)
{
	if (bytes > UINT64_MAX - VGPU_SHIM_GRANULE)
		return UINT64_MAX;
	return (bytes + VGPU_SHIM_GRANULE - 1) / VGPU_SHIM_GRANULE * VGPU_SHIM_GRANULE;
}

/* The step GPU whose UUID is uuid (prefix "GPU-"/"MIG-" ignored, hex in any
 * case), or -1. */
static int find_gpu(const char *uuid)
{
	if (strlen(uuid) != VGPU_STEPDESC_UUID_LEN)
		return -1;
	for (size_t i = 0; i < vgpu_shim.desc.ngpus; i++)
		if (strcasecmp(vgpu_shim.desc.gpus[i].uuid + 4, uuid + 4) == 0)
			return (int)i;
	return -1;
}

int vgpu_shim_gpu_of_ordinal(int ord)
{
	static const char shape[] = "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	char text[sizeof(shape)];
	vgpu_CUuuid u;
	int v, g, b = 0;

	if (!vgpu_shim.ok || ord < 0 || ord >= VGPU_SHIM_MAX_ORDINALS)
		return -1;
	v = __atomic_load_n(&ord_map[ord], __ATOMIC_ACQUIRE);
	if (v != 0)
		return v > 0 ? v - 1 : -1;
	if (CU_REAL(cuDeviceGetUuid_v2)(&u, ord) != VGPU_CUDA_SUCCESS &&
	    CU_REAL(cuDeviceGetUuid)(&u, ord) != VGPU_CUDA_SUCCESS)
		return -1; /* not initialised or no such device: ask again later */
	for (size_t i = 0; i < sizeof(shape); i++) {
		unsigned byte;

		if (shape[i] != 'x') {
			text[i] = shape[i];
			continue;
		}
		byte = (unsigned char)u.bytes[b / 2];
		text[i] = "0123456789abcdef"[b % 2 ? byte & 0xf : byte >> 4];
		b++;
	}
	g = find_gpu(text);
	if (g >= 0)
		SHIM_INFO("CUDA device %d is %s, step GPU %d", ord, text, g);
	else
		SHIM_WARN("CUDA device %d (%s) is not a GPU of this step: no memory on it", ord, text);
	__atomic_store_n(&ord_map[ord], g >= 0 ? g + 1 : -1, __ATOMIC_RELEASE);
	return g;
}

int vgpu_shim_gpu_of_nvml(vgpu_nvmlDevice_t dev)
{
	char uuid[VGPU_NVML_DEVICE_UUID_V2_BUFFER_SIZE];

	if (!vgpu_shim.ok || NV_REAL(nvmlDeviceGetUUID)(dev, uuid, sizeof(uuid)) != VGPU_NVML_SUCCESS)
		return -1;
	uuid[sizeof(uuid) - 1] = '\0';
	return find_gpu(uuid);
}

/* The ledger of step GPU g, opened on first use; NULL when unusable. */
struct vgpu_ledger *vgpu_shim_ledger(int g)
{
	struct vgpu_ledger *l;
	char err[512];

	if (g < 0 || (size_t)g >= vgpu_shim.desc.ngpus)
		return NULL;
	l = __atomic_load_n(&gpus[g].ledger, __ATOMIC_ACQUIRE);
	if (l)
		return l;
	pthread_mutex_lock(&acct_lock);
	l = gpus[g].ledger;
	if (!l && !gpus[g].failed) {
		const vgpu_stepdesc_gpu_t *d = &vgpu_shim.desc.gpus[g];
		struct vgpu_ledger_step st = { vgpu_shim.desc.step, d->mem_bytes, d->job_mem_bytes, d->job_sm_bp };

		if (vgpu_ledger_open(vgpu_shim.desc.acct_dir, d->uuid, &st, &l, err, sizeof(err)) == 0) {
			__atomic_store_n(&gpus[g].ledger, l, __ATOMIC_RELEASE);
		} else {
			gpus[g].failed = 1;
			SHIM_ERROR("%s: no memory can be allocated on this GPU", err);
		}
	}
	pthread_mutex_unlock(&acct_lock);
	return l;
}

/* This process's identity as NVML lists it (its pid in its own pid
 * namespace), read once (again after fork); never used for liveness. */
static uint64_t self(void)
{
	uint64_t me = __atomic_load_n(&self_ident, __ATOMIC_ACQUIRE);

	if (!me) {
		me = vgpu_ledger_self();
		__atomic_store_n(&self_ident, me, __ATOMIC_RELEASE);
	}
	return me;
}

/* This process's slot in ledger l of GPU g, claimed on first use; -1 when
 * none can be had (logged). */
static int slot_of(int g, struct vgpu_ledger *l)
{
	int s = __atomic_load_n(&gpus[g].slot, __ATOMIC_ACQUIRE);

	if (s >= 0)
		return s;
	pthread_mutex_lock(&acct_lock);
	s = gpus[g].slot;
	if (s < 0) {
		s = vgpu_ledger_claim(l, self());
		if (s < 0) {
			int e = errno;

			SHIM_ERROR("GPU %s: %s%s", vgpu_shim.desc.gpus[g].uuid,
				   e == ENOSPC ? "every ledger slot is held by a live process"
				   : vgpu_ledger_fault(l) ? "" : "cannot reopen or lock the ledger: ",
				   e == ENOSPC ? "" : vgpu_ledger_fault(l) ? vgpu_ledger_fault(l) : strerror(e));
		}
		__atomic_store_n(&gpus[g].slot, s, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&acct_lock);
	return s;
}

vgpu_CUresult vgpu_shim_charge(int g, uint64_t bytes, const char *what)
{
	struct vgpu_ledger *l = vgpu_shim_ledger(g);
	int s, r;

	if (!l)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	s = slot_of(g, l);
	if (s < 0)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	if (bytes == 0 || (r = vgpu_ledger_reserve(l, s, bytes)) == 0)
		return VGPU_CUDA_SUCCESS;
	if (r == 2) { /* tampered with: closed for the job (vgpu_ledger.h "Integrity") */
		SHIM_ERROR("%s: %s", what, vgpu_ledger_fault(l));
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	}
	SHIM_INFO("%s: %llu more bytes would exceed the slice of %s (step: %llu of %llu bytes in use; "
		  "job: %llu of %llu)", what, (unsigned long long)bytes, vgpu_shim.desc.gpus[g].uuid,
		  (unsigned long long)vgpu_ledger_used(l), (unsigned long long)vgpu_ledger_limit(l),
		  (unsigned long long)vgpu_ledger_job_used(l), (unsigned long long)vgpu_ledger_job_cap(l));
	return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
}

void vgpu_shim_uncharge(int g, uint64_t bytes)
{
	struct vgpu_ledger *l;

	if (g < 0 || (size_t)g >= vgpu_shim.desc.ngpus || bytes == 0)
		return;
	l = __atomic_load_n(&gpus[g].ledger, __ATOMIC_ACQUIRE);
	if (l)
		vgpu_ledger_release(l, __atomic_load_n(&gpus[g].slot, __ATOMIC_ACQUIRE), bytes);
}

int vgpu_shim_view(int g, uint64_t *limit, uint64_t *used)
{
	struct vgpu_ledger *l = vgpu_shim_ledger(g);
	uint64_t lim, cap, room;

	if (!l)
		return -1;
	vgpu_ledger_reclaim_some(l, QUERY_RECLAIM);
	/* The step's slice (or the job's cap when lower), and as used what
	 * leaves exactly the room the step has: min(its own, the job's). */
	lim = vgpu_ledger_limit(l);
	cap = vgpu_ledger_job_cap(l);
	if (cap && cap < lim)
		lim = cap;
	room = vgpu_ledger_room(l);
	*limit = lim;
	*used = room < lim ? lim - room : 0;
	return 0;
}

int vgpu_shim_procs(int g, struct vgpu_ledger_proc *out, int max)
{
	struct vgpu_ledger *l = vgpu_shim_ledger(g);

	if (!l)
		return -1;
	vgpu_ledger_reclaim_some(l, QUERY_RECLAIM);
	return vgpu_ledger_procs(l, out, max);
}

/* The child shares its parent's open file descriptions of the ledgers, and
 * so the locks that keep the parent's slots alive: it closes its copies
 * (the parent's locks stay) and will open its own and claim its own slots
 * on first use. Only close(): fine in a child of a threaded process. */
void vgpu_shim_acct_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	acct_lock = fresh;
	self_ident = 0;
	for (size_t g = 0; g < VGPU_STEPDESC_MAX_GPUS; g++) {
		vgpu_ledger_atfork_child(gpus[g].ledger);
		gpus[g].slot = -1;
	}
}
