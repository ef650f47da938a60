/*
 * spank_leftover.h - processes a job leaves behind holding GPU memory
 * (Slurm-free): found by the job's ledgers, which every process of a slice
 * keeps a descriptor of open for as long as it holds a slot (its byte lock,
 * src/shim/vgpu_ledger.h "Liveness"), so no pid recorded in a slot (a pid
 * namespace's, or reused) is trusted: the holders are the processes with a
 * descriptor of a ledger file open, found through /proc/PID/fd.
 *
 * Which are killed: those running as the job's uid. A ledger lives in the
 * job's acct/ (0700, the job's user), so only the job's user can hold it,
 * and every byte a holder has is charged to THIS job: at the job's end it
 * is the job's memory whoever started the process (setsid, nohup, a
 * daemonising library). A holder of another uid (root entering the dir on
 * purpose) is reported, never killed. Each is signalled through a pidfd
 * taken before its descriptors are checked a second time, so a pid reused
 * in between is never hit.
 */
#ifndef VGPU_SPANK_LEFTOVER_H
#define VGPU_SPANK_LEFTOVER_H

#include <stddef.h>
#include <sys/types.h>

#define VGPU_SPANK_LEFTOVER_MAX 64

typedef struct vgpu_spank_leftover {
	pid_t pid;                      /* in this (slurmstepd's) pid namespace */
	uid_t uid;                      /* its real uid */
	char comm[32];                  /* /proc/PID/comm */
	char ledger[80];                /* the ledger's file name (GPU-....ledger) */
	dev_t dev;                      /* ... and its file */
	ino_t ino;
	int killed;                     /* SIGKILL sent (its uid is the job's) */
	int gone;                       /* exited after it */
} vgpu_spank_leftover_t;

/* Processes with a descriptor of a *.ledger file of acct_dir open, up to
 * max into out. Returns how many were found (more than max are counted),
 * 0 when acct_dir has no ledger or does not exist, -1 when it cannot be
 * read (errno). */
int vgpu_spank_leftover_find(const char *acct_dir, vgpu_spank_leftover_t *out, int max);

/* SIGKILL the leftovers l[0..n) of uid job_uid (see above), then wait up
 * to wait_ms for them to exit. Returns how many of l[0..n) still run. */
int vgpu_spank_leftover_kill(vgpu_spank_leftover_t *l, int n, uid_t job_uid, int wait_ms);

/* One line about l: "process PID (COMM, uid UID) held GPU memory
 * (LEDGER): killed" / "...: still running after SIGKILL" / "...: not the
 * job's user, not killed". Into buf (len bytes); returns buf. */
const char *vgpu_spank_leftover_text(const vgpu_spank_leftover_t *l, uid_t job_uid, char *buf, size_t len);

/* Where vgpu_spank_leftover_reap says what it found and did (one line
 * each; NULL: nowhere). */
typedef void (*vgpu_spank_leftover_say_t)(void *ctx, const char *line);

/* At the end of the job on the node (its directory job_dir, StateDir's
 * job.JOB.NODE, about to be removed): find the holders of its ledgers
 * (job_dir/acct, whose owner is the job's uid), kill those of the job's
 * uid, wait up to 2 s, and say one line per holder, starting with `what`
 * ("job 42 on n1: "). Returns how many still run (the directory must then
 * stay: the memory is still held), or -1 when they cannot be looked for
 * (said too); 0 when none is left. */
int vgpu_spank_leftover_reap(const char *job_dir, const char *what, vgpu_spank_leftover_say_t say, void *ctx);

#endif
