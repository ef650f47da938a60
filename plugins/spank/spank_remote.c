/*
 * spank_remote.c - the vgpu SPANK plugin in slurmstepd (remote context).
 *
 * One slurmstepd per step and node: init_post_opt (root) prepares the step,
 * user_init puts the shim into the job's environment (it reaches every
 * task, the batch script included), task_init_privileged (root, in each
 * task before exec) gives the task a private /etc/ld.so.preload, exit
 * removes the step's directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "spank_gpu.h"
#include "spank_mount.h"
#include "spank_remote.h"
#include "spank_state.h"
#include "vgpu_account.h"
#include "vgpu_conf.h"
#include "vgpu_request.h"
#include "vgpu_stepdesc.h"

/* What the step's callbacks share (one slurmstepd per step; task children
 * get a copy). */
static struct {
	int active;                     /* this step runs under the shim */
	int failed;                     /* holds shards but cannot be enforced */
	char why[VGPU_ERR_MAX];
	int preload_etc;
	char dir[VGPU_PATH_MAX + 64];   /* StateDir/JOB.STEP.NODE */
	char desc[VGPU_PATH_MAX + 80];
	char etc[VGPU_PATH_MAX + 80];   /* the overlay's upper layer */
	char shim[VGPU_PATH_MAX];
} step;

/* A Slurm environment variable of the job, or -1 when unset. */
static int job_env(spank_t sp, const char *name, char *buf, int len)
{
	return spank_getenv(sp, name, buf, len) == ESPANK_SUCCESS && buf[0] ? 0 : -1;
}

/* The single GPU index the step's shards sit on. */
static int step_gpu(spank_t sp, unsigned *index, vgpu_err_t *err)
{
	char buf[256], *end;
	const char *var = "SLURM_STEP_GPUS";
	unsigned long v;

	if (job_env(sp, var, buf, sizeof(buf)) != 0) {
		var = "SLURM_JOB_GPUS";
		if (job_env(sp, var, buf, sizeof(buf)) != 0)
			return vgpu_err_set(err, "the step holds shards but neither SLURM_STEP_GPUS "
					    "nor SLURM_JOB_GPUS is set");
	}
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || *end != '\0' || v > 1023)
		return vgpu_err_set(err, "%s='%s': expected one GPU index (shards of one GPU)", var,
				    buf);
	*index = (unsigned)v;
	return 0;
}

static int shard_count(spank_t sp, unsigned *shards, vgpu_err_t *err)
{
	char buf[64], *end;
	unsigned long v;

	if (job_env(sp, "SLURM_SHARDS_ON_NODE", buf, sizeof(buf)) != 0)
		return 1; /* no shards: a whole GPU or none */
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || *end != '\0' || v == 0 || v > 1000000)
		return vgpu_err_set(err, "SLURM_SHARDS_ON_NODE='%s' is not a shard count", buf);
	*shards = (unsigned)v;
	return 0;
}

static int step_name(spank_t sp, char *name, size_t len, char *label, size_t llen,
		     vgpu_err_t *err)
{
	uint32_t job = 0, stepid = 0, node = 0;

	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_NODEID, &node) != ESPANK_SUCCESS)
		return vgpu_err_set(err, "cannot get the job, step or node id from Slurm");
	if (stepid == SLURM_BATCH_SCRIPT) {
		snprintf(name, len, "%u.batch.%u", job, node);
		snprintf(label, llen, "%u.batch", job);
	} else {
		snprintf(name, len, "%u.%u.%u", job, stepid, node);
		snprintf(label, llen, "%u.%u", job, stepid);
	}
	return 0;
}

/* The host's ld.so.preload (if any) plus the shim: the private copy. */
static int write_preload(const char *shim, vgpu_err_t *err)
{
	char text[8192], path[VGPU_PATH_MAX + 100];
	size_t n = 0;
	int fd;

	fd = open("/etc/ld.so.preload", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		size_t room = sizeof(text) - VGPU_PATH_MAX - 4;
		ssize_t r = read(fd, text, room + 1);

		close(fd);
		if (r > (ssize_t)room)
			return vgpu_err_set(err, "the host's /etc/ld.so.preload is longer than %zu "
					    "bytes: not copied", room);
		if (r > 0)
			n = (size_t)r;
		if (n && text[n - 1] != '\n')
			text[n++] = '\n';
	}
	snprintf(text + n, sizeof(text) - n, "%s\n", shim);
	snprintf(path, sizeof(path), "%s", step.etc);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return vgpu_err_set(err, "cannot create %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/ld.so.preload", step.etc);
	return vgpu_spank_state_write(path, text, err);
}

static int setup(spank_t sp, const vgpu_spank_config_t *cfg, const char *request,
		 vgpu_err_t *err)
{
	vgpu_conf_t conf;
	vgpu_request_t req, *reqp = NULL;
	const vgpu_gpu_type_t *type;
	vgpu_limits_t lim;
	vgpu_stepdesc_t d;
	char name[64], label[64], model[128], uuid[128], envreq[VGPU_REQUEST_TEXT_MAX + 1];
	const char *where = "--vgpu-request";
	unsigned shards = 0, index = 0;
	uint32_t stepid = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	int r;

	if (spank_get_item(sp, S_JOB_STEPID, &stepid) == ESPANK_SUCCESS &&
	    stepid == SLURM_EXTERN_CONT)
		return 0;
	r = shard_count(sp, &shards, err);
	if (r != 0)
		return r > 0 ? 0 : -1;
	if (step_gpu(sp, &index, err) != 0 || step_name(sp, name, sizeof(name), label,
							sizeof(label), err) != 0)
		return -1;
	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS)
		return vgpu_err_set(err, "cannot get the job's uid/gid from Slurm");
	if (vgpu_conf_load(cfg->conf_path, &conf, err) != 0)
		return -1;
	/* The request the cli_filter passed (memory accounting takes its cores
	 * cap from it); the shard count alone decides everything else. */
	if (!request && job_env(sp, "VGPU_REQUEST", envreq, sizeof(envreq)) == 0) {
		request = envreq;
		where = "VGPU_REQUEST";
	}
	if (request && *request) {
		if (vgpu_request_parse(request, where, &req, err) != 0)
			return -1;
		reqp = &req;
	}
	vgpu_stepdesc_init(&d);
	snprintf(d.step, sizeof(d.step), "%s", label);
	if (vgpu_spank_gpu_libpath(conf.cuda_path, d.cuda_path, sizeof(d.cuda_path), err) != 0 ||
	    vgpu_spank_gpu_libpath(conf.nvml_path, d.nvml_path, sizeof(d.nvml_path), err) != 0)
		return -1;
	if (vgpu_spank_gpu_lookup(d.nvml_path, index, uuid, sizeof(uuid), model, sizeof(model),
				  err) != 0)
		return -1;
	if (!(type = vgpu_spank_gpu_type(&conf, model, err)))
		return -1;
	if (reqp && reqp->type[0] && strcmp(reqp->type, type->name) != 0)
		reqp->type[0] = '\0'; /* the shards decide; the type was checked at submit */
	if (vgpu_account_limits(&conf, type, shards, reqp, &lim, err) != 0)
		return vgpu_err_prefix(err, "GPU %u (%s)", index, uuid);
	if (cfg->ctx_bytes >= lim.mem_bytes)
		return vgpu_err_set(err, "plugstack.conf ctx=%llu is not less than the slice (%llu bytes)",
				    (unsigned long long)cfg->ctx_bytes,
				    (unsigned long long)lim.mem_bytes);
	snprintf(step.shim, sizeof(step.shim), "%s", cfg->shim_path[0] ? cfg->shim_path : conf.shim_path);
	if (access(step.shim, R_OK) != 0)
		return vgpu_err_set(err, "shim %s: %s", step.shim, strerror(errno));
	if ((size_t)snprintf(step.dir, sizeof(step.dir), "%s/%s", conf.state_dir, name) >=
		    sizeof(step.dir) ||
	    (size_t)snprintf(step.desc, sizeof(step.desc), "%s/step.desc", step.dir) >=
		    sizeof(step.desc) ||
	    (size_t)snprintf(step.etc, sizeof(step.etc), "%s/etc", step.dir) >= sizeof(step.etc) ||
	    (size_t)snprintf(d.acct_dir, sizeof(d.acct_dir), "%s/acct", step.dir) >=
		    sizeof(d.acct_dir))
		return vgpu_err_set(err, "StateDir %s: path too long", conf.state_dir);
	d.log_level = cfg->log_level;
	d.ngpus = 1;
	if ((size_t)snprintf(d.gpus[0].uuid, sizeof(d.gpus[0].uuid), "%s", uuid) >=
	    sizeof(d.gpus[0].uuid))
		return vgpu_err_set(err, "GPU %u: UUID '%s' too long", index, uuid);
	d.gpus[0].mem_bytes = lim.mem_bytes;
	d.gpus[0].sm_bp = lim.sm_share;
	d.gpus[0].ctx_bytes = cfg->ctx_bytes;
	if (vgpu_stepdesc_check(&d, err) != 0)
		return -1;
	vgpu_spank_state_clean(conf.state_dir, name);
	if (vgpu_spank_state_create(conf.state_dir, step.dir, uid, gid, err) != 0)
		return -1;
	if (vgpu_stepdesc_write(step.desc, &d, err) != 0)
		goto fail;
	step.preload_etc = cfg->preload == VGPU_SPANK_PRELOAD_ETC;
	if (step.preload_etc && write_preload(step.shim, err) != 0)
		goto fail;
	/* The same description at /etc/vgpu-step.desc of the task's private
	 * /etc, where the shim looks first: VGPU_STEP_DESC cannot redirect it. */
	if (step.preload_etc) {
		char pinned[sizeof(step.etc) + 32];

		snprintf(pinned, sizeof(pinned), "%s/%s", step.etc, VGPU_STEPDESC_PINNED + 5);
		if (vgpu_stepdesc_write(pinned, &d, err) != 0)
			goto fail;
	}
	step.active = 1;
	slurm_verbose("vgpu: step %s: GPU %u (%s, %s): %u shards -> %llu bytes, SM %u bp", label,
		      index, uuid, type->name, shards, (unsigned long long)lim.mem_bytes,
		      lim.sm_share);
	return 0;
fail:
	vgpu_spank_state_remove(step.dir, NULL);
	return -1;
}

int vgpu_spank_remote_setup(spank_t sp, const vgpu_spank_config_t *cfg, const char *request)
{
	vgpu_err_t err;

	memset(&step, 0, sizeof(step));
	if (setup(sp, cfg, request, &err) != 0) {
		/* Failing here would make Slurm drain the node for a batch step
		 * ("batch job complete failure", verified on 22.05): the tasks
		 * end themselves instead (vgpu_spank_remote_task_init). */
		slurm_error("vgpu: %s", err.msg);
		step.failed = 1;
		snprintf(step.why, sizeof(step.why), "%s", err.msg);
	}
	return 0;
}

int vgpu_spank_remote_user_init(spank_t sp)
{
	char old[16384], val[sizeof(old) + VGPU_PATH_MAX + 2];
	spank_err_t rc;

	if (!step.active)
		return 0;
	rc = spank_getenv(sp, "LD_PRELOAD", old, sizeof(old));
	if (rc == ESPANK_SUCCESS && old[0])
		snprintf(val, sizeof(val), "%s:%s", step.shim, old);
	else
		snprintf(val, sizeof(val), "%s", step.shim);
	if (rc == ESPANK_NOSPACE)
		slurm_error("vgpu: the job's LD_PRELOAD is longer than %zu bytes; the step runs "
			    "with the shim alone in it", sizeof(old) - 1);
	if (spank_setenv(sp, VGPU_STEPDESC_ENV, step.desc, 1) != ESPANK_SUCCESS ||
	    spank_setenv(sp, "LD_PRELOAD", val, 1) != ESPANK_SUCCESS) {
		slurm_error("vgpu: cannot set VGPU_STEP_DESC/LD_PRELOAD in the job's environment");
		return -1;
	}
	return 0;
}

int vgpu_spank_remote_task_privileged(spank_t sp)
{
	char why[VGPU_ERR_MAX], host_etc[sizeof(step.dir) + 16];

	(void)sp;
	if (!step.active || !step.preload_etc)
		return 0;
	snprintf(host_etc, sizeof(host_etc), "%s/etc-host", step.dir);
	if (vgpu_spank_mount_etc(step.etc, host_etc, why, sizeof(why)) != 0)
		slurm_info("vgpu: private /etc/ld.so.preload: %s; LD_PRELOAD only", why);
	return 0;
}

int vgpu_spank_remote_task_init(spank_t sp)
{
	(void)sp;
	if (step.failed) {
		fprintf(stderr, "vgpu: this step's GPU slice cannot be enforced, so it does not "
			"run: %s\n", step.why);
		fflush(stderr);
		_exit(1);
	}
	return 0;
}

int vgpu_spank_remote_exit(spank_t sp)
{
	vgpu_err_t err;

	(void)sp;
	if (!step.active)
		return 0;
	if (vgpu_spank_state_remove(step.dir, &err) != 0)
		slurm_error("vgpu: %s", err.msg);
	step.active = 0;
	return 0;
}
