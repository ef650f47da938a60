/*
 * vgpu_ledger.h - the shared device-memory account of one JOB's slice of one
 * GPU on one node, kept by every process of every step of the job that uses
 * the GPU; each step keeps within its own sub-limit inside it.
 *
 * A fixed-size file, <acct dir>/<GPU uuid>.ledger (the acct dir is the job's:
 * StateDir/job.JOB.NODE/acct under Slurm), mmap'ed MAP_SHARED by each
 * process. It holds a table of slots that never move. A process claims one
 * slot per GPU (its identity: pid and start time, from /proc; its step: a
 * 64-bit key of the step's label) and every byte it holds or is about to
 * allocate is in that slot's `charged` word. The step's use is the SUM of the
 * slots of its step, the job's use the sum of all slots. There is no separate
 * total and no lock:
 *
 *  - reserve: add to my slot, then sum the slots (sequentially consistent
 *    atomics, so of two racing reservations at least one sees the other);
 *    the step's sum over the step's limit (the caller's, from its step
 *    description) or the job's sum over the job's cap -> take it back and
 *    fail. A per-slot `inflight` count (raised before the add, lowered after
 *    the decision) tells a failing reservation whether a racing one may have
 *    pushed it over, in which case it retries instead of failing spuriously.
 *  - the job's cap is a word of the file (0: none), lowered (never raised) by
 *    every process whose description carries one: under Slurm the batch
 *    step's (it holds the job's whole allocation). Without it the steps'
 *    own limits suffice: Slurm allocates concurrent steps' shards out of
 *    the job's, so their sum fits.
 *  - a SIGKILL at any instruction leaves every byte in exactly one slot, the
 *    dead process's own; nothing is half-moved between two counters.
 *  - dead slots (pid gone, a zombie with no thread left, or the pid now
 *    belongs to a process with another start time) are reclaimed by whoever
 *    finds them: CAS the owner word from the dead identity to "being
 *    reclaimed by me", zero the slot, free it. A reclaimer that dies half-way
 *    is itself dead, so the next one takes over. Reclaiming happens when a
 *    reservation would fail, and on every memory query (vgpu_ledger_reclaim).
 *
 * Identities are 64-bit words: pid in the low 32 bits, the low 31 bits of the
 * start time (clock ticks since boot) above; bit 63 marks "being reclaimed".
 * Liveness checks read /proc/PID/stat (and /proc/PID/status for a `Z`: a
 * process whose main thread called pthread_exit shows `Z` while its other
 * threads run): processes of one job must share a pid namespace (they do
 * under Slurm).
 */
#ifndef VGPU_LEDGER_H
#define VGPU_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VGPU_LEDGER_SLOTS 1024
#define VGPU_LEDGER_VERSION 2
#define VGPU_LEDGER_STEP_BUCKETS 256 /* SM schedules of steps (recycled when idle) */
#define VGPU_LEDGER_MAX_LIMIT (UINT64_C(1) << 50) /* 1 PiB: sums cannot overflow */
#define VGPU_LEDGER_SUFFIX ".ledger"

struct vgpu_ledger;

/* One process holding memory, as vgpu_ledger_procs lists them. */
struct vgpu_ledger_proc {
	pid_t pid;
	uint64_t bytes;
};

/* What the opening process's step is on this GPU. */
struct vgpu_ledger_step {
	const char *label;   /* the step's label ("4242.0"; "" is a label too) */
	uint64_t limit;      /* the step's memory limit, > 0 */
	uint64_t job_cap;    /* the job's cap on this GPU, 0 = unknown (lowers the file's) */
	unsigned job_sm_bp;  /* the job's SM cap in basis points, 0 = unknown (likewise) */
};

/* Open (creating when missing, atomically) the job ledger of uuid in dir for
 * a process of step *step. An existing file must have the same layout and
 * uuid. A nonzero job_cap / job_sm_bp lowers the file's job cap to it.
 * Returns 0 with *out, or -1 with a sentence in err. */
int vgpu_ledger_open(const char *dir, const char *uuid, const struct vgpu_ledger_step *step,
		     struct vgpu_ledger **out, char *err, size_t errlen);

/* Unmap and free (NULL is fine). The process's slot stays charged until it
 * is released or the process is gone. */
void vgpu_ledger_close(struct vgpu_ledger *l);

/* The step's limit (as opened). */
uint64_t vgpu_ledger_limit(const struct vgpu_ledger *l);

/* The job's cap in the file (0: none known). */
uint64_t vgpu_ledger_job_cap(const struct vgpu_ledger *l);

/* The job's SM cap in the file, basis points (0: none known). */
unsigned vgpu_ledger_job_sm(const struct vgpu_ledger *l);

/* Bytes the step may still reserve: min(step limit - step's use, job cap -
 * job's use), never negative. */
uint64_t vgpu_ledger_room(const struct vgpu_ledger *l);

/* The calling process's identity (pid + start time), 0 when /proc cannot
 * tell. Not cached: call it again after fork. */
uint64_t vgpu_ledger_self(void);

/* Is the process of this identity still running (same start time; a `Z`
 * counts as dead only when /proc/PID/status says one thread is left, or is
 * unreadable)? An unreadable /proc entry (other than "no such process") counts as
 * alive. */
int vgpu_ledger_alive(uint64_t ident);

/* Claim a slot for identity me (tagged with the opening step): the slot that already holds me (left by this
 * very process before an exec(), whose memory the driver freed: it is
 * zeroed), else a free one; when none is free, reclaim dead slots and try
 * again. Returns the slot index, or -1 when the table is full. */
int vgpu_ledger_claim(struct vgpu_ledger *l, uint64_t me);

/* Reserve bytes in slot (owned by the caller) if the step stays within its
 * limit and the job within its cap. Returns 0 (charged), or 1 (over a limit
 * after reclaiming dead slots; nothing charged). */
int vgpu_ledger_reserve(struct vgpu_ledger *l, int slot, uint64_t bytes);

/* Give back bytes from slot (clamped at what the slot holds). */
void vgpu_ledger_release(struct vgpu_ledger *l, int slot, uint64_t bytes);

/* Bytes charged to the step (its slots, in-flight reservations included). */
uint64_t vgpu_ledger_used(const struct vgpu_ledger *l);

/* Bytes charged to the job (all slots). */
uint64_t vgpu_ledger_job_used(const struct vgpu_ledger *l);

/* Bytes charged to one slot. */
uint64_t vgpu_ledger_slot_bytes(const struct vgpu_ledger *l, int slot);

/* Reclaim the slots of dead processes, as the process of identity me (its
 * own slot is never looked at; 0: read it from /proc). Returns how many
 * were freed. */
int vgpu_ledger_reclaim(struct vgpu_ledger *l, uint64_t me);

/* The cheap reclaim of the memory queries: look at no more than max slots
 * that hold bytes (dead slots holding nothing change no view), going on
 * round-robin from where the last call of this process stopped. Returns how
 * many were freed. A failing reservation still reclaims every slot, so a
 * dead process's memory is always back before another process needs it;
 * a view may show it for longer when more than max slots hold bytes. */
int vgpu_ledger_reclaim_some(struct vgpu_ledger *l, uint64_t me, int max);

/* List up to max live processes of the job that hold memory; returns how
 * many there are in all (may exceed max). */
int vgpu_ledger_procs(const struct vgpu_ledger *l, struct vgpu_ledger_proc *procs, int max);

/* Which SM schedule vgpu_ledger_sm_pace books in. */
enum vgpu_ledger_bucket {
	VGPU_LEDGER_SM_STEP = 0, /* the opening step's (a table entry keyed by its label) */
	VGPU_LEDGER_SM_JOB = 1,  /* the job's (one word) */
};

/* SM pacing on this GPU (a shared GCRA token bucket): a schedule is one
 * word, the time by which the work admitted so far has been paid for at its
 * cap. At time now (CLOCK_MONOTONIC ns), a launch costing cost ns of wall
 * time (its SM time / cap) is admitted when the schedule is at most tau ahead
 * of now: the schedule then advances by cost (from now, when it lagged
 * behind: idle time is not saved up beyond tau) and 0 is returned. Otherwise
 * nothing changes and the result is how long to wait before asking again.
 * A launch books the step's schedule, then (when the job has an SM cap) the
 * job's. Lock-free; no syscall. A step's table entry is found by its key;
 * when the table is full, an entry idle for a second is recycled (an idle
 * schedule is as good as a fresh one), else the step shares its hash's entry
 * (stricter, never looser). */
int64_t vgpu_ledger_sm_pace(struct vgpu_ledger *l, enum vgpu_ledger_bucket which, int64_t now, int64_t cost,
			    int64_t tau);

#endif
