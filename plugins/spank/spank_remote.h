/*
 * spank_remote.h - the vgpu SPANK plugin in slurmstepd (remote context):
 * set up the step's slice, inject the shim into every task, clean up.
 */
#ifndef VGPU_SPANK_REMOTE_H
#define VGPU_SPANK_REMOTE_H

#include <slurm/spank.h>

#include "spank_config.h"

/* init_post_opt (root): when the step holds shards of a GPU, compute its
 * limits and the job's cap on the GPU (the batch step's own limits, else the
 * batch step's record in the job's dir, else slurmctld's gres detail), and,
 * under the StateDir lock, remove stale dirs of steps whose slurmstepd is
 * gone (and job dirs without a live step), make or keep
 * StateDir/job.JOB.NODE (root, 0755) with acct/ (the job's user, 0700: the
 * job's ledgers), create StateDir/JOB.STEP.NODE (root, 0755) with the
 * step's GPU index, the step description and the private ld.so.preload.
 * A step with whole GPUs and no shards is refused (tasks end in task_init)
 * when one of its GPUs holds live slice steps of other jobs (the Slurm
 * 22.05 shard bug, doc/slurm-integration.md). `request` is the canonical
 * request given with --vgpu-request, or NULL: then the job's VGPU_REQUEST
 * (set by the cli_filter), if any. Always returns 0: when a step holding
 * shards cannot be enforced it logs "vgpu: ..." and marks the step failed,
 * and its tasks end in vgpu_spank_remote_task_init (a failing
 * init_post_opt drains the node of a batch step). */
int vgpu_spank_remote_setup(spank_t sp, const vgpu_spank_config_t *cfg, const char *request);

/* task_init (the user, in each task just before exec): when the step holds
 * shards that setup could not enforce, or was refused whole GPUs beside
 * other jobs' slices, print why on the task's stderr and _exit(1): the step
 * fails, the node stays up. Otherwise 0. */
int vgpu_spank_remote_task_init(spank_t sp);

/* user_init: VGPU_STEP_DESC and LD_PRELOAD into the job's environment. */
int vgpu_spank_remote_user_init(spank_t sp);

/* task_init_privileged (root, in the task): a private mount namespace with
 * /etc overlaid by the step's ld.so.preload; logs and falls back to
 * LD_PRELOAD alone when that fails. Always returns 0. */
int vgpu_spank_remote_task_privileged(spank_t sp);

/* exit: under the StateDir lock, remove the step's directory, and the
 * job's when no other step of the job on the node is alive. Always 0. */
int vgpu_spank_remote_exit(spank_t sp);

#endif
