/*
 * vgpu_ledger.h - the shared device-memory account of one GPU slice, kept
 * by every process of a step (or a job) that uses the GPU.
 *
 * A fixed-size file, <acct dir>/<GPU uuid>.ledger, mmap'ed MAP_SHARED by
 * each process. It holds the slice's limit and a table of slots that never
 * move. A process claims one slot per GPU (its identity: pid and start time,
 * from /proc) and every byte it holds or is about to allocate is in that
 * slot's `charged` word; the slice's use is the SUM of the slots. There is no
 * separate total and no lock:
 *
 *  - reserve: add to my slot, then sum all slots (sequentially consistent
 *    atomics, so of two racing reservations at least one sees the other);
 *    over the limit -> take it back and fail. A per-slot `inflight` count
 *    (raised before the add, lowered after the decision) tells a failing
 *    reservation whether a racing one may have pushed it over, in which case
 *    it retries instead of failing spuriously.
 *  - a SIGKILL at any instruction leaves every byte in exactly one slot, the
 *    dead process's own; nothing is half-moved between two counters.
 *  - dead slots (pid gone, a zombie, or the pid now belongs to a process with
 *    another start time) are reclaimed by whoever finds them: CAS the owner
 *    word from the dead identity to "being reclaimed by me", zero the slot,
 *    free it. A reclaimer that dies half-way is itself dead, so the next one
 *    takes over. Reclaiming happens when a reservation would fail, and on
 *    every memory query (vgpu_ledger_reclaim).
 *
 * Identities are 64-bit words: pid in the low 32 bits, the low 31 bits of the
 * start time (clock ticks since boot) above; bit 63 marks "being reclaimed".
 * Liveness checks read /proc/PID/stat: processes of one step must share a pid
 * namespace with each other (they do under Slurm).
 */
#ifndef VGPU_LEDGER_H
#define VGPU_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VGPU_LEDGER_SLOTS 1024
#define VGPU_LEDGER_VERSION 1
#define VGPU_LEDGER_MAX_LIMIT (UINT64_C(1) << 50) /* 1 PiB: sums cannot overflow */
#define VGPU_LEDGER_SUFFIX ".ledger"

struct vgpu_ledger;

/* One process holding memory, as vgpu_ledger_procs lists them. */
struct vgpu_ledger_proc {
	pid_t pid;
	uint64_t bytes;
};

/* Open (creating when missing, atomically) the ledger of uuid in dir with
 * the given limit. An existing file must have the same layout, uuid and
 * limit. Returns 0 with *out, or -1 with a sentence in err. */
int vgpu_ledger_open(const char *dir, const char *uuid, uint64_t limit, struct vgpu_ledger **out, char *err,
		     size_t errlen);

/* Unmap and free (NULL is fine). The process's slot stays charged until it
 * is released or the process is gone. */
void vgpu_ledger_close(struct vgpu_ledger *l);

/* The slice's limit. */
uint64_t vgpu_ledger_limit(const struct vgpu_ledger *l);

/* The calling process's identity (pid + start time), 0 when /proc cannot
 * tell. Not cached: call it again after fork. */
uint64_t vgpu_ledger_self(void);

/* Is the process of this identity still running (not a zombie, same start
 * time)? An unreadable /proc entry (other than "no such process") counts as
 * alive. */
int vgpu_ledger_alive(uint64_t ident);

/* Claim a slot for identity me: the slot that already holds me (left by this
 * very process before an exec(), whose memory the driver freed: it is
 * zeroed), else a free one; when none is free, reclaim dead slots and try
 * again. Returns the slot index, or -1 when the table is full. */
int vgpu_ledger_claim(struct vgpu_ledger *l, uint64_t me);

/* Reserve bytes in slot (owned by the caller) if the slice stays within its
 * limit. Returns 0 (charged), or 1 (over the limit after reclaiming dead
 * slots; nothing charged). */
int vgpu_ledger_reserve(struct vgpu_ledger *l, int slot, uint64_t bytes);

/* Give back bytes from slot (clamped at what the slot holds). */
void vgpu_ledger_release(struct vgpu_ledger *l, int slot, uint64_t bytes);

/* Bytes charged to the slice (all slots, in-flight reservations included). */
uint64_t vgpu_ledger_used(const struct vgpu_ledger *l);

/* Bytes charged to one slot. */
uint64_t vgpu_ledger_slot_bytes(const struct vgpu_ledger *l, int slot);

/* Reclaim the slots of dead processes, as the process of identity me (its
 * own slot is never looked at; 0: read it from /proc). Returns how many
 * were freed. */
int vgpu_ledger_reclaim(struct vgpu_ledger *l, uint64_t me);

/* List up to max live processes that hold memory; returns how many there
 * are in all (may exceed max). */
int vgpu_ledger_procs(const struct vgpu_ledger *l, struct vgpu_ledger_proc *procs, int max);

/* SM pacing of the step on this GPU (a shared GCRA token bucket): the
 * step's schedule is one word, the time by which the work admitted so far
 * has been paid for at the step's cap. At time now (CLOCK_MONOTONIC ns), a
 * launch costing cost ns of wall time (its SM time / cap) is admitted when
 * the schedule is at most tau ahead of now: the schedule then advances by
 * cost (from now, when it lagged behind: idle time is not saved up beyond
 * tau) and 0 is returned. Otherwise nothing changes and the result is how
 * long to wait before asking again. Lock-free; no syscall. */
int64_t vgpu_ledger_sm_pace(struct vgpu_ledger *l, int64_t now, int64_t cost, int64_t tau);

#endif
