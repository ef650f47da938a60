/*
 * spank_state.h - the per-step state directory on a node (Slurm-free):
 *
 *   StateDir/JOB.STEP.NODE/        root, 0755   (STEP: number or "batch")
 *       owner                      "PID STARTTIME" of the step's slurmstepd
 *       gpu                        "INDEX NODENAME": the Slurm GPU index its shards are on
 *       step.desc                  the step description (root, 0644)
 *       etc/ld.so.preload          the private ld.so.preload (root, 0644)
 *   StateDir/job.JOB.NODE/         root, 0755: one per job with slice steps on the node
 *       owner                      the slurmstepd that made it (informational)
 *       cap                        "UUID MEM SM": the job's cap, written by its batch step
 *       acct/                      the job's user, 0700: the job's ledgers, one per GPU,
 *                                  shared by all its steps on the node
 *
 * A job directory is made by the first slice step of the job on the node and
 * removed by the exit of the last; both, and every clean-up, happen under
 * an exclusive flock of StateDir itself (vgpu_spank_state_lock), so a step
 * starting never loses its job directory to another step's exit or clean-up.
 */
#ifndef VGPU_SPANK_STATE_H
#define VGPU_SPANK_STATE_H

#include <stddef.h>
#include <sys/types.h>

#include "spank_leftover.h"
#include "vgpu_error.h"
#include "vgpu_stepplan.h"

/* Remove path and everything below it without following symlinks.
 * Returns 0 (also when path does not exist), or -1 with err. */
int vgpu_spank_state_remove(const char *path, vgpu_err_t *err);

/* Create StateDir (0755) when missing and a fresh directory `dir` below it
 * (an old one of that name is removed first) holding `owner` for this
 * process and, unless uid is (uid_t)-1, acct/ owned by uid:gid, 0700.
 * Returns 0 or -1 with err. */
int vgpu_spank_state_create(const char *state_dir, const char *dir, uid_t uid, gid_t gid,
			    vgpu_err_t *err);

/* One entry made in a new directory before vgpu_spank_state_create_files
 * publishes it: name (relative, its parent made before) is a file holding
 * text (mode 0644), or a hard link to the entry `link` (relative) when link
 * is set, or a directory (0755) when both are NULL. */
typedef struct {
	const char *name;
	const char *text;
	const char *link;
} vgpu_spank_state_file_t;

/* vgpu_spank_state_create, and files[0..nfiles) made in order inside the
 * directory before it gets its name: a directory of that name, once there,
 * is complete. Returns 0 or -1 with err (nothing is left then). */
int vgpu_spank_state_create_files(const char *state_dir, const char *dir, uid_t uid, gid_t gid,
				  const vgpu_spank_state_file_t *files, size_t nfiles, vgpu_err_t *err);

/* Remove the step directories under state_dir whose owner process is gone
 * (dead, or its pid now has another start time), and the job directories
 * without a live step directory of their job and node, except `keep` (a
 * name or NULL): a job directory whose ledgers processes still hold
 * (vgpu_spank_leftover_reap: killed when they are the job's, said through
 * say) stays until they are gone. Call it holding the StateDir lock.
 * Returns how many were removed; never fails. */
int vgpu_spank_state_clean(const char *state_dir, const char *keep, vgpu_spank_leftover_say_t say, void *ctx);

/* Create StateDir when missing and take an exclusive flock on it (blocks).
 * Returns the descriptor to give to vgpu_spank_state_unlock, or -1 with err. */
int vgpu_spank_state_lock(const char *state_dir, vgpu_err_t *err);
void vgpu_spank_state_unlock(int fd);

/* The job directory `dir` (StateDir/job.JOB.NODE): kept when an earlier step
 * made it (root's, with acct/ of uid, 0700), else created fresh. Hold the
 * lock. Returns 0 or -1 with err. */
int vgpu_spank_state_job(const char *state_dir, const char *dir, uid_t uid, gid_t gid, vgpu_err_t *err);

/* How many step directories of job `job` on node `node` have a live owner,
 * not counting the one named `except` (or NULL). */
int vgpu_spank_state_job_steps(const char *state_dir, unsigned long job, unsigned long node,
			       const char *except);

/* A view of StateDir for vgpu_stepplan's decisions: every step and job
 * directory (not .new ones), whether a step's owner lives, its gpu file
 * parsed (or why not). A StateDir that does not exist gives an empty
 * view; one that cannot be listed an incomplete view saying why. Hold the
 * lock. Returns 0 (complete) or -1 (incomplete); free it with
 * vgpu_stepplan_view_free either way. */
int vgpu_spank_state_view(const char *state_dir, vgpu_stepplan_view_t *v);

/* Read state_dir/name/file into buf (len bytes, NUL-ended), not following
 * a symlink: its length, or -1 with errno. */
ssize_t vgpu_spank_state_read(const char *state_dir, const char *name, const char *file, char *buf, size_t len);

/* Write `text` to path (mode 0644, replaced atomically). 0 or -1 with err. */
int vgpu_spank_state_write(const char *path, const char *text, vgpu_err_t *err);

#endif
