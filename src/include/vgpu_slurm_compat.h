/*
 * vgpu_slurm_compat.h - the one place that knows how Slurm's C API differs
 * between the releases slurm-vgpu supports (22.05, 24.11, 26.05).
 *
 * Include it after <slurm/slurm.h>. Every difference is decided here from
 * SLURM_VERSION_NUMBER (the headers the code is built against); callers use
 * the vgpu_slurm_* names and never test the version themselves.
 *
 *   change                                              since
 *   slurm_get_errno() removed (use errno)               24.11
 *   hostlist_t became a struct (declare hostlist_t *)   23.11
 *   slurm_get_job_steps(slurm_step_id_t *, resp, flags) 25.11
 *   slurm_load_job() takes a slurm_step_id_t            26.05
 *   job_modify() has a 4th argument, char **err_msg     23.02
 *   MULTIPLE_SHARING_GRES_PJ (SelectTypeParameters)     23.11
 *   the shard-deallocation bug (whole GPUs beside       fixed in 23.11.5
 *   slices, doc/slurm-integration.md)
 *
 * doc/slurm-releases.md has the table of behaviour that changes too.
 */
#ifndef VGPU_SLURM_COMPAT_H
#define VGPU_SLURM_COMPAT_H

#include <errno.h>
#include <stdint.h>

#include <slurm/slurm.h>

#ifndef SLURM_VERSION_NUMBER
#error "include <slurm/slurm.h> (SLURM_VERSION_NUMBER) before vgpu_slurm_compat.h"
#endif

#define VGPU_SLURM_AT_LEAST(a, b, c) (SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(a, b, c))

/* The error of the last failed Slurm API call: errno in every release.
 * 22.05's slurm_get_errno() only returns errno, and the function is gone
 * from 24.11: a 22.05 plugin importing it (linked -z now) could not even be
 * loaded by a later Slurm to say which release it was built for. */
#define vgpu_slurm_errno() (errno)

/* A host list handle. */
#if VGPU_SLURM_AT_LEAST(23, 11, 0)
typedef hostlist_t *vgpu_hostlist_t;
#else
typedef hostlist_t vgpu_hostlist_t;
#endif

/* Load one job (SHOW_DETAIL etc. in `flags`). 0, or -1 with the error in
 * vgpu_slurm_errno(). */
static inline int vgpu_slurm_load_job(job_info_msg_t **resp, uint32_t job, uint16_t flags)
{
#if VGPU_SLURM_AT_LEAST(26, 5, 0)
	slurm_step_id_t id = SLURM_STEP_ID_INITIALIZER;

	id.job_id = job;
	return (slurm_load_job)(resp, id, flags);
#else
	return slurm_load_job(resp, job, flags);
#endif
}

/* Load every step of every job. 0, or -1. */
static inline int vgpu_slurm_load_all_steps(job_step_info_response_msg_t **resp, uint16_t flags)
{
#if VGPU_SLURM_AT_LEAST(25, 11, 0)
	return slurm_get_job_steps(NULL, resp, flags);
#else
	return slurm_get_job_steps((time_t)0, NO_VAL, NO_VAL, resp, flags);
#endif
}

/* --segment (job_desc_msg_t segment_size, topology/block) from 24.05; 0 or
 * NO_VAL16 in it means none. */
#if VGPU_SLURM_AT_LEAST(24, 5, 0)
#define VGPU_SLURM_HAS_SEGMENT 1
#else
#define VGPU_SLURM_HAS_SEGMENT 0
#endif

/* Free what slurm_load_ctl_conf() gave: slurm_free_ctl_conf() through 24.11,
 * slurm_free_conf() in 26.05 (renamed between the two; 25.05 is assumed,
 * releases in between are not built here). */
#if VGPU_SLURM_AT_LEAST(25, 5, 0)
#define vgpu_slurm_free_ctl_conf(c) slurm_free_conf(c)
#else
#define vgpu_slurm_free_ctl_conf(c) slurm_free_ctl_conf(c)
#endif

/* job_modify() may give the user a reason (char **err_msg) from 23.02. */
#if VGPU_SLURM_AT_LEAST(23, 2, 0)
#define VGPU_SLURM_JOB_MODIFY_ERR_MSG 1
#else
#define VGPU_SLURM_JOB_MODIFY_ERR_MSG 0
#endif

/* SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ: one job's shards may be
 * split over several GPUs (a slice then has no GPU of its own). The bit
 * (0x8000) exists from 23.11; 0 where the release has no such setting. */
#if defined(MULTIPLE_SHARING_GRES_PJ)
#define VGPU_SLURM_MULTI_SHARING_BIT ((uint32_t)MULTIPLE_SHARING_GRES_PJ)
#elif VGPU_SLURM_AT_LEAST(26, 5, 0)
#define VGPU_SLURM_MULTI_SHARING_BIT ((uint32_t)SELECT_MULTIPLE_SHARING_GRES_PJ)
#elif VGPU_SLURM_AT_LEAST(23, 11, 0)
#define VGPU_SLURM_MULTI_SHARING_BIT ((uint32_t)0x8000)
#else
#define VGPU_SLURM_MULTI_SHARING_BIT ((uint32_t)0)
#endif

/* Releases before 23.11.5 clear a GPU's shard bit when any shard job on it
 * ends, so a whole-GPU job may be placed beside slices still held there: the
 * SPANK plugin's guard is needed (doc/slurm-integration.md). */
#if VGPU_SLURM_AT_LEAST(23, 11, 5)
#define VGPU_SLURM_SHARD_DEALLOC_BUG 0
#else
#define VGPU_SLURM_SHARD_DEALLOC_BUG 1
#endif

/* Slurm's own configuration, loaded in every Slurm process (slurmctld,
 * slurmstepd, the clients); exported by libslurmfull in every release. */
extern slurm_conf_t slurm_conf;

#endif
