/*
 * spank_state.h - the per-step state directory on a node (Slurm-free):
 *
 *   StateDir/JOB.STEP.NODE/        root, 0755   (STEP: number or "batch")
 *       owner                      "PID STARTTIME" of the step's slurmstepd
 *       step.desc                  the step description (root, 0644)
 *       etc/ld.so.preload          the private ld.so.preload (root, 0644)
 *       acct/                      the job's user, 0700: the shim's ledgers
 */
#ifndef VGPU_SPANK_STATE_H
#define VGPU_SPANK_STATE_H

#include <stddef.h>
#include <sys/types.h>

#include "vgpu_error.h"

/* Remove path and everything below it without following symlinks.
 * Returns 0 (also when path does not exist), or -1 with err. */
int vgpu_spank_state_remove(const char *path, vgpu_err_t *err);

/* Create StateDir (0755) when missing and a fresh step directory `dir`
 * below it (an old one of that name is removed first) holding `owner` for
 * this process and acct/ owned by uid:gid, 0700. Returns 0 or -1 with err. */
int vgpu_spank_state_create(const char *state_dir, const char *dir, uid_t uid, gid_t gid,
			    vgpu_err_t *err);

/* Remove the step directories under state_dir whose owner process is gone
 * (dead, or its pid now has another start time), except `keep` (a name or
 * NULL). Returns how many were removed; never fails. */
int vgpu_spank_state_clean(const char *state_dir, const char *keep);

/* Write `text` to path (mode 0644, replaced atomically). 0 or -1 with err. */
int vgpu_spank_state_write(const char *path, const char *text, vgpu_err_t *err);

#endif
