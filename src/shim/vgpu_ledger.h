/*
 * vgpu_ledger.h - the shared device-memory account of one JOB's slice of one
 * GPU on one node, kept by every process of every step of the job that uses
 * the GPU; each step keeps within its own sub-limit inside it.
 *
 * A fixed-size file, <acct dir>/<GPU uuid>.ledger (the acct dir is the job's:
 * StateDir/job.JOB.NODE/acct under Slurm), mmap'ed MAP_SHARED by each
 * process. It holds a table of slots that never move. A process claims one
 * slot per GPU (tagged with its step: a 64-bit key of the step's label) and
 * every byte it holds or is about to allocate is in that slot's `charged`
 * word. The step's use is the SUM of the slots of its step, the job's use
 * the sum of all slots. There is no separate total and no lock on the
 * allocation path:
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
 *
 * Liveness (layout version 3): each view (vgpu_ledger_open) keeps its own
 * open file description of the ledger (O_CLOEXEC), never mapped, and holds
 * an open-file-description write lock (F_OFD_SETLK) on byte
 * (size of the file) + i, past its end, for every slot i it owns.
 * A slot's owner is alive iff that byte is locked (by the owner's description),
 * whatever pid the slot records. The kernel drops the lock when the last
 * descriptor of the description goes: the process exits (also SIGKILL, in
 * any pid namespace) or execs (O_CLOEXEC), so:
 *
 *  - claim: take the byte's lock first (held by another description: a live
 *    owner or claimer, try the next slot), then -- holding it, the slot is
 *    free or its owner dead -- zero the slot and publish the owner. A checker
 *    never sees a published owner of a live process without its lock.
 *  - reclaim: take the byte's lock (held: alive, one fcntl), wipe the slot
 *    (charge, in-flight count, then the owner word), drop the lock. Every
 *    write of a slot's owner, step and wipe happens under its byte lock, so
 *    a reclaim and a claim of one slot exclude each other; a reclaimer that
 *    dies (or execs) half-way drops its lock and leaves a dead owner, which
 *    the next reclaim takes over: no "being reclaimed" tag can be left.
 *    Reclaiming happens when a reservation would fail, when a claim finds no
 *    free slot, and on every memory query (vgpu_ledger_reclaim_some).
 *  - threads share the description (OFD locks are per description): the
 *    threads of one process serialise on a slot through a process-local
 *    state byte per slot, never through the file lock.
 *  - fork: the child shares the parent's description and so its locks. It
 *    must call vgpu_ledger_atfork_child (the shim's atfork child handler
 *    does): that closes the child's copy (which does NOT drop the parent's
 *    locks) and forgets the slots; the child opens its own description and
 *    claims its own slot on first use. A child that skips it (a raw clone,
 *    posix_spawn before its exec) keeps its parent's slots alive while it
 *    lives: a charge is kept on a doubt, never dropped. The mapping is made
 *    through another description, closed at once and never locked: a
 *    mapping holds a reference to its description, and a forked child
 *    inherits the mapping -- were the locks on that description, they
 *    would outlive the parent as long as any child lives.
 *  - a program that closes descriptors it did not open (closefrom, dup2 over
 *    ours) drops its slots' locks: they count as dead, and another process
 *    may reclaim them before this one notices; the driver still holds that
 *    memory. This process notices at its next claim or reservation (the
 *    descriptor no longer refers to the file, or its slot was wiped) and
 *    marks the ledger tampered (below).
 *
 * Integrity (layout version 4): every claim and reservation first checks
 * that no process marked the file tampered (a header word), that the header
 * is as created (magic, layout, uuid, a random nonce the view remembers, a
 * checksum), that the view's description still refers to the mapped file
 * and the file still has a link, that the path is still that regular file
 * (lstat: not deleted, renamed over or a symlink; opening follows none),
 * and that the slots the view holds are still published as its own. A
 * failure fails CLOSED for the job: the view refuses every claim and
 * reservation from then on, and the file is marked tampered so every other
 * view of the job and every later opener refuse too (vgpu_ledger_fault
 * says why). Releases still work. What it cannot see: a writer that puts
 * the header and the owner words back and lowers only charged words, or
 * clears the tampered word again (doc/shim.md "Threat model").
 *
 * Ledgers are created by posix_fallocate: a file system without room for
 * one is an error naming the file at open, never a SIGBUS at a later store.
 *
 * The owner word keeps, for display only (NVML's process list), the pid the
 * process has in its own pid namespace (getpid()) and the low 31 bits of
 * its start time, with bit 63 set so that a published owner is never 0. In
 * a pid namespace of its own (a container started inside the step) that
 * pid means nothing to processes outside it: they list it under its inner
 * pid, and it lists them under their host pids.
 */
#ifndef VGPU_LEDGER_H
#define VGPU_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VGPU_LEDGER_SLOTS 1024
#define VGPU_LEDGER_VERSION 4
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
 * a process of step *step: a view with its own open file description
 * (O_CLOEXEC), kept open for the slot locks. An existing file must have the
 * same layout version and uuid (a file of an older layout is refused: it
 * was written with /proc liveness). A nonzero job_cap / job_sm_bp lowers
 * the file's job cap to it. Returns 0 with *out, or -1 with a sentence in
 * err. */
int vgpu_ledger_open(const char *dir, const char *uuid, const struct vgpu_ledger_step *step,
		     struct vgpu_ledger **out, char *err, size_t errlen);

/* For the launcher (root): in dir -- owned by the caller and writable by
 * nobody else, so the job's user can create, remove, rename or symlink
 * nothing in it -- create the ledger of uuid when it is missing,
 * preallocated, and give it to uid:gid (0600): the job's processes open and
 * map it, and the job's whole footprint there is one fixed-size file per
 * GPU. An existing ledger is kept (another step of the job made it).
 * Returns 0, or -1 with a sentence naming the file in err. */
int vgpu_ledger_prepare(const char *dir, const char *uuid, uid_t uid, gid_t gid, char *err, size_t errlen);

/* Unmap, close and free (NULL is fine). Closing drops this view's locks:
 * its slots count as dead from then on (their bytes go at the next
 * reclaim), as when the process exits. */
void vgpu_ledger_close(struct vgpu_ledger *l);

/* Why this view refuses everything (the ledger was tampered with: a
 * sentence naming the file and what was found), or NULL when it does not. */
const char *vgpu_ledger_fault(const struct vgpu_ledger *l);
#define VGPU_LEDGER_HAS_FAULT 1

/* The step's limit (as opened). */
uint64_t vgpu_ledger_limit(const struct vgpu_ledger *l);

/* The job's cap in the file (0: none known). */
uint64_t vgpu_ledger_job_cap(const struct vgpu_ledger *l);

/* The job's SM cap in the file, basis points (0: none known). */
unsigned vgpu_ledger_job_sm(const struct vgpu_ledger *l);

/* Bytes the step may still reserve: min(step limit - step's use, job cap -
 * job's use), never negative. */
uint64_t vgpu_ledger_room(const struct vgpu_ledger *l);

/* The calling process's identity for display: its pid (in its own pid
 * namespace), the low 31 bits of its start time (0 when /proc cannot tell)
 * and bit 63. Never 0. Not cached: call it again after fork. Never used to
 * tell whether a slot's owner is alive. */
uint64_t vgpu_ledger_self(void);

/* Is the owner of slot alive: 1 when the slot is published and its byte is
 * locked (by another description, or held by this view), 0 when it is free
 * or its owner is dead; an fcntl that fails counts as alive. */
int vgpu_ledger_slot_alive(struct vgpu_ledger *l, int slot);

/* In a child after fork(), before anything else uses l: close the child's
 * copy of the parent's description (the parent's locks stay), forget the
 * slots held through it; the next claim opens the child's own description.
 * Only close(): async-signal-safe. */
void vgpu_ledger_atfork_child(struct vgpu_ledger *l);

/* Claim a slot for this view, recording identity me (0: vgpu_ledger_self())
 * and the opening step: the slot this view already holds for me, else a
 * free one whose byte lock can be taken, else (none free) any slot whose
 * lock can be taken -- its owner is dead: its bytes are dropped. Returns the
 * slot index, or -1 with errno (ENOSPC: every slot has a live owner; EIO:
 * the ledger failed its integrity check, vgpu_ledger_fault; else why the
 * ledger could not be reopened or locked). */
int vgpu_ledger_claim(struct vgpu_ledger *l, uint64_t me);

/* Reserve bytes in slot (owned by the caller) if the step stays within its
 * limit and the job within its cap. Returns 0 (charged), 1 (over a limit
 * after reclaiming dead slots; nothing charged) or 2 (the ledger failed its
 * integrity check, now or before: nothing charged; vgpu_ledger_fault). */
int vgpu_ledger_reserve(struct vgpu_ledger *l, int slot, uint64_t bytes);

/* Give back bytes from slot (clamped at what the slot holds). */
void vgpu_ledger_release(struct vgpu_ledger *l, int slot, uint64_t bytes);

/* Bytes charged to the step (its slots, in-flight reservations included). */
uint64_t vgpu_ledger_used(const struct vgpu_ledger *l);

/* Bytes charged to the job (all slots). */
uint64_t vgpu_ledger_job_used(const struct vgpu_ledger *l);

/* Bytes charged to one slot. */
uint64_t vgpu_ledger_slot_bytes(const struct vgpu_ledger *l, int slot);

/* Reclaim the slots of dead owners (one fcntl per published slot not held
 * by this view). Returns how many were freed. */
int vgpu_ledger_reclaim(struct vgpu_ledger *l);

/* The cheap reclaim of the memory queries: look at no more than max slots
 * that hold bytes (dead slots holding nothing change no view), going on
 * round-robin from where the last call of this view stopped. Returns how
 * many were freed. A failing reservation still reclaims every slot, so a
 * dead process's memory is always back before another process needs it;
 * a view may show it for longer when more than max slots hold bytes. */
int vgpu_ledger_reclaim_some(struct vgpu_ledger *l, int max);

/* List up to max live processes of the job that hold memory (the pid each
 * recorded: see above for pid namespaces; one fcntl per slot holding bytes);
 * returns how many there are in all (may exceed max). */
int vgpu_ledger_procs(struct vgpu_ledger *l, struct vgpu_ledger_proc *procs, int max);

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
