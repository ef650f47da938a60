/*
 * job_submit_vgpu.c - job_submit/vgpu, slurmctld's admission safety net
 * behind the clients' cli_filter (etc/cli_filter.lua): a thin adapter over
 * the core library's checks (src/lib/vgpu_admit.h). doc/slurm-integration.md.
 *
 *   slurm.conf: JobSubmitPlugins=vgpu
 *               PluginDir=/usr/lib/x86_64-linux-gnu/slurm-wlm:/usr/lib/slurm-vgpu
 *
 * vgpu.conf: $VGPU_CONF in slurmctld's environment, else the configured
 * default (VGPU_CONF_PATH). JobSubmitPlugins takes no arguments. It is read
 * once, in init(); a missing or bad vgpu.conf fails init() (fail closed).
 *
 * Built against Slurm's public headers only; Slurm's internal job record is
 * opaque here. Strings handed to Slurm (err_msg) come from Slurm's allocator
 * (slurm_xstrdup in libslurmfull, which slurmctld has loaded; the module is
 * linked with -z now, so a missing symbol fails the load, not a later call).
 * Non-SPANK plugins must match Slurm's version exactly: plugin_version is
 * the SLURM_VERSION_NUMBER of the headers it was built against.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "vgpu_admit.h"
#include "vgpu_conf.h"

/* From libslurmfull (resolved in slurmctld). */
extern char *slurm_xstrdup(const char *str);
extern void slurm_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void slurm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void slurm_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char plugin_name[] = "slurm-vgpu admission (shard sizes, untranslated --gres=vgpu)";
const char plugin_type[] = "job_submit/vgpu";
const uint32_t plugin_version = SLURM_VERSION_NUMBER;

int init(void);
int fini(void);
int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg);
int job_modify(job_desc_msg_t *job_desc, void *job_ptr, uint32_t submit_uid);

static vgpu_conf_t conf;
static unsigned max_shards;
static char max_type[VGPU_NAME_MAX];

int init(void)
{
	const char *path = getenv("VGPU_CONF");
	const vgpu_gpu_type_t *type = NULL;
	vgpu_err_t err;

	if (!path || !*path)
		path = VGPU_CONF_PATH;
	if (!dlsym(RTLD_DEFAULT, "slurm_xstrdup")) {
		slurm_error("job_submit/vgpu: slurm_xstrdup is not in this process: not slurmctld?");
		return SLURM_ERROR;
	}
	if (vgpu_conf_load(path, &conf, &err) != 0) {
		slurm_error("job_submit/vgpu: %s", err.msg);
		return SLURM_ERROR;
	}
	max_shards = vgpu_admit_max_shards(&conf, &type, &err);
	max_type[0] = '\0';
	if (type)
		snprintf(max_type, sizeof(max_type), "%s", type->name);
	if (max_shards == 0)
		slurm_info("job_submit/vgpu: %s: %s; shard sizes are not checked", path, err.msg);
	else
		slurm_info("job_submit/vgpu: %s: at most %u shards per GPU (%s)", path, max_shards,
			   max_type);
	return SLURM_SUCCESS;
}

int fini(void)
{
	return SLURM_SUCCESS;
}

/* The checks on the GRES fields job_desc carries (a modify request carries
 * only what changes). Returns SLURM_SUCCESS or ESLURM_INVALID_GRES with
 * err (the reason) filled. */
static int check(const job_desc_msg_t *job_desc, vgpu_admit_info_t *info, vgpu_err_t *err)
{
	vgpu_admit_job_t job;

	memset(info, 0, sizeof(*info));
	if (!job_desc)
		return SLURM_SUCCESS;
	job.tres[VGPU_ADMIT_PER_NODE] = job_desc->tres_per_node;
	job.tres[VGPU_ADMIT_PER_JOB] = job_desc->tres_per_job;
	job.tres[VGPU_ADMIT_PER_SOCKET] = job_desc->tres_per_socket;
	job.tres[VGPU_ADMIT_PER_TASK] = job_desc->tres_per_task;
	if (vgpu_admit_check(&job, max_shards, max_type[0] ? max_type : NULL, info, err) != 0)
		return ESLURM_INVALID_GRES;
	return SLURM_SUCCESS;
}

int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg)
{
	vgpu_admit_info_t info;
	vgpu_err_t err;
	char msg[VGPU_ERR_MAX + 8];
	int rc = check(job_desc, &info, &err);

	/* What a later type= placement would see (doc/slurm-integration.md). */
	if (rc == SLURM_SUCCESS && info.has_shard) {
		const char *req = vgpu_admit_env(job_desc->environment, job_desc->env_size,
						 "VGPU_REQUEST");

		slurm_debug("job_submit/vgpu: uid %u: shard:%llu, %u environment variables, "
			    "VGPU_REQUEST=%s", (unsigned)submit_uid, (unsigned long long)info.shards,
			    (unsigned)job_desc->env_size, req ? req : "(none)");
	}
	if (rc != SLURM_SUCCESS) {
		snprintf(msg, sizeof(msg), "vgpu: %s", err.msg);
		slurm_info("job_submit/vgpu: refused a job of uid %u: %s", (unsigned)submit_uid, err.msg);
		if (err_msg)
			*err_msg = slurm_xstrdup(msg);
	}
	return rc;
}

/* 22.05 has no err_msg here: the reason goes to slurmctld's log, the user
 * sees Slurm's text for ESLURM_INVALID_GRES. */
int job_modify(job_desc_msg_t *job_desc, void *job_ptr, uint32_t submit_uid)
{
	vgpu_admit_info_t info;
	vgpu_err_t err;
	int rc = check(job_desc, &info, &err);

	(void)job_ptr;
	if (rc != SLURM_SUCCESS)
		slurm_info("job_submit/vgpu: refused a change of uid %u: %s", (unsigned)submit_uid,
			   err.msg);
	return rc;
}
