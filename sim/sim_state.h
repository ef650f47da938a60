/*
 * sim_state.h - one simulated GPU's device memory, shared by every process
 * on the simulated node.
 *
 * A file per GPU (<state dir>/<uuid>.state) is mmap'ed MAP_SHARED. It holds
 * a table of per-process records (pid and start time -- for display --,
 * bytes charged, contexts); the GPU's used memory is their sum. A robust
 * process-shared mutex guards the table, so a process SIGKILLed while
 * holding it leaves it recoverable (EOWNERDEAD).
 *
 * Liveness, as the shim's ledger (src/shim/vgpu_ledger.h): each handle keeps
 * its own open file description of the file (O_CLOEXEC) and holds an
 * open-file-description lock on one byte per record it owns, past the end
 * of the file. A record whose byte is not locked belongs to a process that
 * exited, was killed or exec'ed (in any pid namespace: a process in a pid
 * namespace of its own keeps its memory, and its queries do not free other
 * processes'); such records are reaped under the table's lock on every
 * charge and every query, as a real driver frees a dead process's memory.
 * A record is per handle: a handle used after fork (another getpid())
 * closes the child's copy of the description, opens its own and claims a
 * new record. Closing a handle drops its record's lock.
 *
 * High-water marks, for tests: the file keeps the most the GPU's used
 * memory ever was, and the most the records of each group held at once. A
 * process's group is $VGPU_SIM_GROUP (0 to VGPU_SIM_GROUPS - 1; unset or
 * anything else: 0), read when it opens the handle; a test puts the
 * processes of one Slurm step in a group of their own to learn what that
 * step held at its peak, exactly, however the processes were scheduled.
 *
 * The file is created atomically (a temporary file is fully initialised,
 * then link()ed to its name), and checked on open (size, magic, layout
 * version, UUID, memory size).
 */
#ifndef VGPU_SIM_STATE_H
#define VGPU_SIM_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim_node.h"

#define VGPU_SIM_MAX_PROCS 256
#define VGPU_SIM_GROUPS 8

struct vgpu_sim_state;

/* One process as NVML lists it. */
struct vgpu_sim_proc_info {
	pid_t pid;
	unsigned int contexts;
	uint64_t bytes;
	uint64_t sm_ns; /* SM time of the work it queued so far (full-GPU ns) */
};

/* Open (creating if needed) the state file of gpu under dir; dir itself is
 * created (one level, mode 01777) when missing. Returns 0 and *out, or -1
 * with err set. */
int vgpu_sim_state_open(const char *dir, const struct vgpu_sim_gpu *gpu, struct vgpu_sim_state **out,
			char *err, size_t errlen);

/* Unmap, close and free (NULL is fine). The handle's record is freed by
 * uncharging, or reaped once the handle is closed or the process gone. */
void vgpu_sim_state_close(struct vgpu_sim_state *st);

/* Charge bytes and contexts more contexts to the handle's record, if the
 * GPU's used memory stays within memory_bytes - reserved_bytes. Returns 0,
 * 1 when it would not fit (nothing charged), or -1 on a broken lock or a
 * full process table. */
int vgpu_sim_state_charge(struct vgpu_sim_state *st, uint64_t bytes, unsigned int contexts);

/* Give back what vgpu_sim_state_charge took (clamped at the record's
 * values); the record is freed when it holds nothing. */
void vgpu_sim_state_uncharge(struct vgpu_sim_state *st, uint64_t bytes, unsigned int contexts);

/* Reap, then report the GPU's used bytes (all processes, contexts included)
 * and up to max processes (those holding a context or memory) in procs;
 * *nprocs gets how many there are in all. Returns 0 or -1. */
int vgpu_sim_state_query(struct vgpu_sim_state *st, uint64_t *used, struct vgpu_sim_proc_info *procs, int max,
			 int *nprocs);

/* SM time. The GPU executes the work of all processes in the order it was
 * queued (time-slicing at kernel granularity, see doc/simulator.md): queue
 * ns of full-GPU SM time for the calling process at CLOCK_MONOTONIC time
 * now; *end gets when it completes (the later of now and the end of the work
 * queued before it, plus ns). ns 0 queues nothing and returns when the GPU
 * reaches that point (an event). Returns 0, or -1 on a broken lock. */
int vgpu_sim_state_run(struct vgpu_sim_state *st, uint64_t now, uint64_t ns, uint64_t *end);

/* SM ns of work completed by time now (all processes), and when the queued
 * work ends. Returns 0 or -1. */
int vgpu_sim_state_busy(struct vgpu_sim_state *st, uint64_t now, uint64_t *done, uint64_t *until);

/* High-water marks since the file was made: of the GPU's used memory
 * (contexts included) in *peak_used, of groups 0 .. ngroups - 1 in
 * peak_group (0 past VGPU_SIM_GROUPS). Returns 0 or -1 on a broken lock. */
int vgpu_sim_state_peaks(struct vgpu_sim_state *st, uint64_t *peak_used, uint64_t *peak_group, int ngroups);

/* For tests: take the table's lock and return holding it (0), so that a
 * test process can be killed while it holds the lock. */
int vgpu_sim_state_test_hold(struct vgpu_sim_state *st);

#endif
