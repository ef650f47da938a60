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

#include "vgpu_slurm_compat.h"

#include "spank_gpu.h"
#include "spank_mount.h"
#include "spank_remote.h"
#include "spank_state.h"
#include "vgpu_account.h"
#include "vgpu_conf.h"
#include "vgpu_elfid.h"
#include "vgpu_metrics.h"
#include "vgpu_request.h"
#include "vgpu_slurmcheck.h"
#include "vgpu_stepdesc.h"

/* What the step's callbacks share (one slurmstepd per step; task children
 * get a copy). */
static struct {
	int active;                     /* this step runs under the shim */
	int failed;                     /* holds shards but cannot be enforced */
	int refused;                    /* a whole GPU that holds other jobs' slices */
	int whole;                      /* a whole-GPU step recorded in StateDir */
	char why[VGPU_ERR_MAX + 256];
	int preload_etc;
	uint32_t job, node;
	char state_dir[VGPU_PATH_MAX];
	char name[64];                  /* JOB.STEP.NODE */
	char dir[VGPU_PATH_MAX + 64];   /* StateDir/JOB.STEP.NODE */
	char jobdir[VGPU_PATH_MAX + 64]; /* StateDir/job.JOB.NODE */
	char desc[VGPU_PATH_MAX + 80];
	char etc[VGPU_PATH_MAX + 80];   /* the overlay's upper layer */
	char shim[VGPU_PATH_MAX];
} step;

/* A Slurm environment variable of the job, or -1 when unset. */
static int job_env(spank_t sp, const char *name, char *buf, int len)
{
	return spank_getenv(sp, name, buf, len) == ESPANK_SUCCESS && buf[0] ? 0 : -1;
}

/* The single GPU index the step's shards sit on (vgpu_slurmcheck_slice_gpu:
 * a step whose GPU variables name two GPUs, which Slurm does under
 * SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ, is refused naming it). */
static int step_gpu(spank_t sp, unsigned *index, vgpu_err_t *err)
{
	char step_gpus[1024], job_gpus[1024], cuda[4096];
	vgpu_slurmcheck_step_env_t env;

	env.step_gpus = job_env(sp, "SLURM_STEP_GPUS", step_gpus, sizeof(step_gpus)) == 0 ? step_gpus : NULL;
	env.job_gpus = job_env(sp, "SLURM_JOB_GPUS", job_gpus, sizeof(job_gpus)) == 0 ? job_gpus : NULL;
	env.cuda_visible = job_env(sp, "CUDA_VISIBLE_DEVICES", cuda, sizeof(cuda)) == 0 ? cuda : NULL;
	return vgpu_slurmcheck_slice_gpu(&env, index, err);
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

/* This node's name: slurmstepd exports SLURMD_NODENAME into its own
 * environment (several slurmd of a test cluster share one host). */
static const char *host(void)
{
	static char name[256];
	const char *env = getenv("SLURMD_NODENAME");

	if (env && *env)
		return env;
	if (!name[0] && gethostname(name, sizeof(name) - 1) != 0)
		snprintf(name, sizeof(name), "localhost");
	return name;
}

/* This node's place in a node list (hostlist syntax), or -1. */
static int node_in(const char *list)
{
	vgpu_hostlist_t hl;
	int i = -1;

	if (list && *list && (hl = slurm_hostlist_create(list))) {
		i = slurm_hostlist_find(hl, host());
		slurm_hostlist_destroy(hl);
	}
	return i;
}

/* This node's index among the JOB's nodes (S_JOB_NODEID counts the STEP's
 * nodes: `srun -w n2` in a job on n1,n2 is node 0 there), from
 * SLURM_JOB_NODELIST; S_JOB_NODEID when that is not in the environment. */
static int job_node(spank_t sp, uint32_t *node)
{
	char list[8192];
	int i = -1;

	if (spank_getenv(sp, "SLURM_JOB_NODELIST", list, sizeof(list)) == ESPANK_SUCCESS)
		i = node_in(list);
	if (i >= 0) {
		*node = (uint32_t)i;
		return 0;
	}
	return spank_get_item(sp, S_JOB_NODEID, node) == ESPANK_SUCCESS ? 0 : -1;
}

static int step_name(spank_t sp, char *name, size_t len, char *label, size_t llen,
		     vgpu_err_t *err)
{
	uint32_t job = 0, stepid = 0, node = 0;

	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS || job_node(sp, &node) != 0)
		return vgpu_err_set(err, "cannot get the job, step or node id from Slurm");
	step.job = job;
	step.node = node;
	if (stepid == SLURM_BATCH_SCRIPT) {
		snprintf(name, len, "%u.batch.%u", job, node);
		snprintf(label, llen, "%u.batch", job);
	} else {
		snprintf(name, len, "%u.%u.%u", job, stepid, node);
		snprintf(label, llen, "%u.%u", job, stepid);
	}
	return 0;
}

/* The host's ld.so.preload (if any) plus the shim: the private copy's text,
 * into text (len bytes). */
static int preload_text(const char *shim, char *text, size_t len, vgpu_err_t *err)
{
	size_t n = 0;
	int fd;

	fd = open("/etc/ld.so.preload", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		size_t room = len - VGPU_PATH_MAX - 4;
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
	snprintf(text + n, len - n, "%s\n", shim);
	return 0;
}

/* The shards the job holds on Slurm GPU index of this node, from slurmctld
 * (slurm_load_job, the node's gres_detail_str). 0, or -1 (logged) when it
 * cannot be told. */
static int job_shards(unsigned index, unsigned *count)
{
	job_info_msg_t *msg = NULL;
	uint32_t job = step.job, node;
	int rc = -1, i;

	if (vgpu_slurm_load_job(&msg, job, SHOW_DETAIL) != SLURM_SUCCESS || !msg || msg->record_count < 1) {
		slurm_info("vgpu: job %u: cannot ask slurmctld for the job's shards (%s): steps are held "
			   "to their own limits only", job, slurm_strerror(vgpu_slurm_errno()));
		goto out;
	}
	/* gres_detail_str is indexed by the job's nodes */
	i = node_in(msg->job_array[0].nodes);
	node = i >= 0 ? (uint32_t)i : step.node;
	if (node < msg->job_array[0].gres_detail_cnt && msg->job_array[0].gres_detail_str[node])
		rc = vgpu_spank_gpu_job_shards(msg->job_array[0].gres_detail_str[node], index, count);
	if (rc != 0)
		slurm_info("vgpu: job %u: no shard count on GPU %u in '%s': steps are held to their own "
			   "limits only", job, index,
			   node < msg->job_array[0].gres_detail_cnt && msg->job_array[0].gres_detail_str[node]
				   ? msg->job_array[0].gres_detail_str[node] : "");
out:
	if (msg)
		slurm_free_job_info_msg(msg);
	return rc;
}

/* The batch step's cap, recorded in the job's directory for the job's other
 * steps on this node ("UUID MEM SM"): they need not ask slurmctld. */
static int write_cap(const vgpu_stepdesc_gpu_t *g, vgpu_err_t *err)
{
	char path[sizeof(step.jobdir) + 8], text[160];

	snprintf(path, sizeof(path), "%s/cap", step.jobdir);
	snprintf(text, sizeof(text), "%s %llu %u\n", g->uuid, (unsigned long long)g->job_mem_bytes, g->job_sm_bp);
	return vgpu_spank_state_write(path, text, err);
}

/* Fill g's job cap from the job's directory, when its batch step recorded
 * one for this GPU and it is not below g's own limits. 0, or -1. */
static int read_cap(vgpu_stepdesc_gpu_t *g, const char *uuid)
{
	char path[sizeof(step.jobdir) + 8], text[160], u[64];
	unsigned long long mem = 0;
	unsigned sm = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/cap", step.jobdir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	if (sscanf(text, "%63s %llu %u", u, &mem, &sm) != 3 || strcmp(u, uuid) != 0 || mem < g->mem_bytes ||
	    sm < g->sm_bp || sm > VGPU_STEPDESC_SM_FULL)
		return -1;
	g->job_mem_bytes = mem;
	g->job_sm_bp = sm;
	return 0;
}


/* Under the StateDir lock: clean up after dead steps, make (or keep) the
 * job's directory, make the step's with its files (its GPU index; its
 * description, and with preload, etc/ with the private ld.so.preload and
 * the description linked in as etc/vgpu-step.desc, where the shim looks
 * first: VGPU_STEP_DESC cannot redirect it). With `alone`, only when no
 * other step of the job is live on the node: else nothing is made and 1 is
 * returned (the step must carry the job's cap). 0, 1, or -1 with err. */
static int make_dirs(uid_t uid, gid_t gid, unsigned index, const char *desc, const char *preload,
		     int alone, vgpu_err_t *err)
{
	char gpu[300], wjobs[200];
	vgpu_spank_state_file_t files[] = {
		{ "gpu", gpu, NULL },
		{ "step.desc", desc, NULL },
		{ "etc", NULL, NULL },
		{ "etc/ld.so.preload", preload, NULL },
		{ &VGPU_STEPDESC_PINNED[1], NULL, "step.desc" }, /* "etc/vgpu-step.desc" */
	};
	int lock, rc = -1;

	lock = vgpu_spank_state_lock(step.state_dir, err);
	if (lock < 0)
		return -1;
	vgpu_spank_state_clean(step.state_dir, step.name);
	/* the other side of guard_whole (Slurm 22.05's shard bug only) */
	if (VGPU_SLURM_SHARD_DEALLOC_BUG &&
	    vgpu_spank_state_wholes(step.state_dir, host(), step.job, index, wjobs, sizeof(wjobs)) > 0) {
		vgpu_err_set(err, "GPU %u is held whole by job(s) %s (Slurm 22.05 shard bug, see "
			     "slurm-vgpu doc/slurm-integration.md)", index, wjobs);
		goto out;
	}
	if (alone && vgpu_spank_state_job_steps(step.state_dir, step.job, step.node, NULL) > 0) {
		vgpu_spank_state_unlock(lock);
		return 1;
	}
	snprintf(gpu, sizeof(gpu), "%u %s\n", index, host());
	if (vgpu_spank_state_job(step.state_dir, step.jobdir, uid, gid, err) != 0 ||
	    vgpu_spank_state_create_files(step.state_dir, step.dir, (uid_t)-1, gid, files,
					  preload ? 5 : 2, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && vgpu_spank_state_job_steps(step.state_dir, step.job, step.node, NULL) == 0)
		vgpu_spank_state_remove(step.jobdir, NULL);
	vgpu_spank_state_unlock(lock);
	return rc;
}

/* Under the StateDir lock: remove the step's directory, and the job's when
 * no other step of the job on this node is alive. */
static void remove_dirs(void)
{
	vgpu_err_t err;
	int lock = vgpu_spank_state_lock(step.state_dir, &err);

	if (lock < 0)
		slurm_error("vgpu: %s", err.msg);
	if (vgpu_spank_state_remove(step.dir, &err) != 0)
		slurm_error("vgpu: %s", err.msg);
	if (vgpu_spank_state_job_steps(step.state_dir, step.job, step.node, step.name) == 0 &&
	    vgpu_spank_state_remove(step.jobdir, &err) != 0)
		slurm_error("vgpu: %s", err.msg);
	vgpu_spank_state_unlock(lock);
}

/* A comma list of Slurm GPU indices ("0,1"); returns how many, -1 when
 * malformed. */
static int gpu_list(const char *text, unsigned *out, int max)
{
	const char *p = text;
	int n = 0;

	while (*p) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || v > 1023 || n >= max || (*end != ',' && *end != '\0'))
			return -1;
		out[n++] = (unsigned)v;
		p = *end ? end + 1 : end;
	}
	return n;
}

/* A step with whole GPUs and no shards (Slurm 22.05 shard bug, see
 * doc/slurm-integration.md): refuse it when a GPU it was given holds live
 * slice steps of other jobs. Never fails the step's setup itself: it marks
 * the step refused and its tasks end in task_init. Called only where the
 * bug is (VGPU_SLURM_SHARD_DEALLOC_BUG: before 23.11.5); compiled on every
 * release. */
static void guard_whole(spank_t sp, const vgpu_spank_config_t *cfg)
{
	char buf[256], jobs[200], name[64], label[64], lines[64 * 80];
	unsigned gpus[64], gpu = 0;
	uint32_t job = 0;
	vgpu_conf_t conf;
	vgpu_err_t err;
	size_t o = 0;
	int n, lock;

	if (job_env(sp, "SLURM_STEP_GPUS", buf, sizeof(buf)) != 0 &&
	    job_env(sp, "SLURM_JOB_GPUS", buf, sizeof(buf)) != 0)
		return; /* no GPU */
	n = gpu_list(buf, gpus, 64);
	if (n <= 0 || spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS)
		return;
	if (cfg->state == VGPU_SPANK_CONFIG_BAD_ARGS) {
		/* the check needs the plugin's configuration (not the shim) */
		step.refused = 1;
		snprintf(step.why, sizeof(step.why), "vgpu: %.500s; a whole-GPU step is not run "
			 "without the check against slices on its GPU (Slurm 22.05 shard bug)", cfg->invalid);
		slurm_error("%s", step.why);
		return;
	}
	if (vgpu_conf_load(cfg->conf_path, &conf, &err) != 0) {
		slurm_error("vgpu: whole-GPU check skipped: %s", err.msg);
		return;
	}
	/* Under the lock, so a slice step starting at the same time either is
	 * seen here or sees this step's record. */
	if ((lock = vgpu_spank_state_lock(conf.state_dir, &err)) < 0) {
		slurm_error("vgpu: whole-GPU check skipped: %s", err.msg);
		return;
	}
	if (vgpu_spank_state_slices(conf.state_dir, host(), job, gpus, (size_t)n, &gpu, jobs,
				    sizeof(jobs)) != 0) {
		step.refused = 1;
		snprintf(step.why, sizeof(step.why),
			 "vgpu: GPU %u holds slices of job(s) %s; Slurm allocated it whole to this job (Slurm "
			 "22.05 shard bug, see slurm-vgpu doc/slurm-integration.md); not running", gpu, jobs);
		slurm_error("%s", step.why);
		goto out;
	}
	/* The record slice steps check: "IDX HOST whole" per GPU. */
	for (int i = 0; i < n && o < sizeof(lines); i++)
		o += (size_t)snprintf(lines + o, sizeof(lines) - o, "%u %s whole\n", gpus[i], host());
	if (o < sizeof(lines) && step_name(sp, name, sizeof(name), label, sizeof(label), &err) == 0 &&
	    (size_t)snprintf(step.dir, sizeof(step.dir), "%s/%s", conf.state_dir, name) < sizeof(step.dir)) {
		vgpu_spank_state_file_t files[] = { { "gpu", lines, NULL } };

		snprintf(step.state_dir, sizeof(step.state_dir), "%s", conf.state_dir);
		if (vgpu_spank_state_create_files(conf.state_dir, step.dir, (uid_t)-1, 0, files, 1, &err) == 0)
			step.whole = 1;
		else
			slurm_error("vgpu: whole-GPU record not made: %s", err.msg);
	}
out:
	vgpu_spank_state_unlock(lock);
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
	static char desc[VGPU_STEPDESC_FILE_MAX];
	char preload[8192];
	const char *where = "--vgpu-request";
	unsigned shards = 0, index = 0, jshards = 0;
	uint32_t stepid = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	int r, ask = 0;

	if (spank_get_item(sp, S_JOB_STEPID, &stepid) == ESPANK_SUCCESS &&
	    stepid == SLURM_EXTERN_CONT)
		return 0;
	r = shard_count(sp, &shards, err);
	if (r > 0 && VGPU_SLURM_SHARD_DEALLOC_BUG)
		guard_whole(sp, cfg);
	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cfg->state != VGPU_SPANK_CONFIG_OK)
		return vgpu_err_set(err, "%s", cfg->invalid);
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
	if (vgpu_elfid_check(step.shim, VGPU_ELFID_IDENTITY, err) != 0) {
		char loc[VGPU_PATH_MAX + 64];

		if (cfg->shim_path[0])
			return vgpu_err_prefix(err, "%s",
					       vgpu_spank_config_where(cfg, loc, sizeof(loc)));
		return vgpu_err_prefix(err, "%s: ShimLibrary", cfg->conf_path);
	}
	if ((size_t)snprintf(step.dir, sizeof(step.dir), "%s/%s", conf.state_dir, name) >=
		    sizeof(step.dir) ||
	    (size_t)snprintf(step.jobdir, sizeof(step.jobdir), "%s/job.%u.%u", conf.state_dir, step.job,
			     step.node) >= sizeof(step.jobdir) ||
	    (size_t)snprintf(step.desc, sizeof(step.desc), "%s/step.desc", step.dir) >=
		    sizeof(step.desc) ||
	    (size_t)snprintf(step.etc, sizeof(step.etc), "%s/etc", step.dir) >= sizeof(step.etc) ||
	    (size_t)snprintf(d.acct_dir, sizeof(d.acct_dir), "%s/acct", step.jobdir) >=
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
	/* The job's cap on the GPU: the batch step holds the job's whole
	 * allocation on the node; other steps read what it recorded, else ask
	 * slurmctld (their own SLURM_SHARDS_ON_NODE is theirs, and `srun
	 * --overlap` steps are not held within the job's shards by Slurm) --
	 * but only when another step of the job is live on the node: a step
	 * alone is within the job's shards by itself, and a step joining it
	 * later puts the cap into the shared ledger before its processes run.
	 * Without a cap, no job line. */
	if (stepid == SLURM_BATCH_SCRIPT) {
		d.gpus[0].job_mem_bytes = lim.mem_bytes;
		d.gpus[0].job_sm_bp = lim.sm_share;
	} else if (read_cap(&d.gpus[0], uuid) == 0) {
		/* the batch step of the job on this node recorded it */
	} else {
		ask = 1;
	}
	snprintf(step.state_dir, sizeof(step.state_dir), "%s", conf.state_dir);
	snprintf(step.name, sizeof(step.name), "%s", name);
	step.preload_etc = cfg->preload == VGPU_SPANK_PRELOAD_ETC;
	if (step.preload_etc && preload_text(step.shim, preload, sizeof(preload), err) != 0)
		return -1;
	for (;;) {
		if (vgpu_stepdesc_check(&d, err) != 0)
			return -1;
		if (vgpu_stepdesc_format(&d, desc, sizeof(desc), err) < 0)
			return vgpu_err_prefix(err, "%s", step.desc);
		r = make_dirs(uid, gid, index, desc, step.preload_etc ? preload : NULL, ask, err);
		if (r <= 0)
			break;
		ask = 0; /* another step of the job is live: carry the job's cap */
		if (job_shards(index, &jshards) == 0 && jshards >= shards) {
			vgpu_limits_t jlim;

			if (vgpu_account_limits(&conf, type, jshards, reqp, &jlim, err) != 0)
				return vgpu_err_prefix(err, "GPU %u (%s), the job's %u shards", index, uuid,
						       jshards);
			d.gpus[0].job_mem_bytes = jlim.mem_bytes;
			/* memory accounting: the SM cap comes from a request,
			 * and this step's need not be the job's: not known */
			d.gpus[0].job_sm_bp = conf.mode == VGPU_MODE_MEMORY ? 0 : jlim.sm_share;
		}
	}
	if (r != 0)
		return -1;
	if (stepid == SLURM_BATCH_SCRIPT && write_cap(&d.gpus[0], err) != 0)
		goto fail;
	step.active = 1;
	slurm_verbose("vgpu: step %s: GPU %u (%s, %s): %u shards -> %llu bytes, SM %u bp", label,
		      index, uuid, type->name, shards, (unsigned long long)lim.mem_bytes,
		      lim.sm_share);
	return 0;
fail:
	remove_dirs();
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
	vgpu_metrics_note_step(cfg->conf_path, host(), step.active, step.failed, step.refused);
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
	if (step.refused) {
		fprintf(stderr, "%s\n", step.why);
		fflush(stderr);
		_exit(1);
	}
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
	if (step.whole) {
		int lock = vgpu_spank_state_lock(step.state_dir, &err);

		if (lock < 0 || vgpu_spank_state_remove(step.dir, &err) != 0)
			slurm_error("vgpu: %s", err.msg);
		vgpu_spank_state_unlock(lock);
		step.whole = 0;
	}
	if (!step.active)
		return 0;
	remove_dirs();
	step.active = 0;
	return 0;
}
