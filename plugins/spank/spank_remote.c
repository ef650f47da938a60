/*
 * spank_remote.c - the vgpu SPANK plugin in slurmstepd (remote context).
 *
 * One slurmstepd per step and node: init_post_opt (root) gathers Slurm's
 * values and StateDir's view and applies what the core decides
 * (vgpu_stepplan.h: ONE plan or ONE refusal per step), user_init puts the
 * shim into the job's environment (it reaches every task, the batch script
 * included), task_init_privileged (root, in each task before exec) gives
 * the task a private /etc/ld.so.preload, task_init ends the tasks of a
 * refused step, exit removes the step's directory and, after the job's
 * last step on the node, kills what still holds the job's GPU memory.
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
#include "spank_leftover.h"
#include "spank_mount.h"
#include "spank_remote.h"
#include "spank_state.h"
#include "vgpu_conf.h"
#include "vgpu_elfid.h"
#include "vgpu_metrics.h"
#include "vgpu_request.h"
#include "vgpu_stepdesc.h"
#include "vgpu_stepplan.h"

/* What the step's callbacks share (one slurmstepd per step; task children
 * get a copy). The step's one state is plan.state; `made` says what
 * StateDir holds of it (to remove at exit). */
static struct {
	vgpu_stepplan_t plan;
	int made;                       /* its directory is in StateDir */
	int preload_etc;
	uint32_t job, node;
	char state_dir[VGPU_PATH_MAX];
	char name[64];                  /* JOB.STEP.NODE */
	char label[64];                 /* JOB.STEP */
	char dir[VGPU_PATH_MAX + 64];   /* StateDir/JOB.STEP.NODE */
	char jobdir[VGPU_PATH_MAX + 64]; /* StateDir/job.JOB.NODE */
	char desc[VGPU_PATH_MAX + 80];
	char etc[VGPU_PATH_MAX + 80];   /* the overlay's upper layer */
	char shim[VGPU_PATH_MAX];
} step;

/* The guard's message tail (Slurm 22.05 shard bug). */
#define WHOLE_UNGUARDED "a whole-GPU step is not run without the check against slices on its GPUs (Slurm 22.05 shard bug)"

/* A Slurm environment variable of the job, or -1 when unset. */
static int job_env(spank_t sp, const char *name, char *buf, int len)
{
	return spank_getenv(sp, name, buf, len) == ESPANK_SUCCESS && buf[0] ? 0 : -1;
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


/* Lines about leftovers go to slurmd's log (slurmstepd logs there). */
static void say_error(void *ctx, const char *line)
{
	(void)ctx;
	slurm_error("vgpu: %s", line);
}

/* Under the StateDir lock: clean up after dead steps, and over the view
 * of what is left, refuse a slice beside whole-GPU steps of other jobs
 * (Slurm 22.05 shard bug only) and -- with `alone` -- stop when another
 * step of the job is live on the node (1: the step must carry the job's
 * cap); else make (or keep) the job's directory and make the step's with
 * its files (its GPU; its description, and with preload, etc/ with the
 * private ld.so.preload and the description linked in as
 * etc/vgpu-step.desc, where the shim looks first: VGPU_STEP_DESC cannot
 * redirect it). 0, 1, or -1 (refused: step.plan says why, or err). */
static int make_dirs(uid_t uid, gid_t gid, const char *desc, const char *preload, int alone, vgpu_err_t *err)
{
	char gpu[VGPU_STEPPLAN_HOST_MAX + 32];
	vgpu_stepplan_gpus_t g = { .whole = 0, .n = 1 };
	vgpu_spank_state_file_t files[] = {
		{ "gpu", gpu, NULL },
		{ "step.desc", desc, NULL },
		{ "etc", NULL, NULL },
		{ "etc/ld.so.preload", preload, NULL },
		{ &VGPU_STEPDESC_PINNED[1], NULL, "step.desc" }, /* "etc/vgpu-step.desc" */
	};
	vgpu_stepplan_view_t view;
	int lock, rc = -1;

	snprintf(g.host, sizeof(g.host), "%s", host());
	g.index[0] = step.plan.index;
	if (vgpu_stepplan_gpus_format(&g, gpu, sizeof(gpu)) != 0)
		return vgpu_err_set(err, "GPU %u on '%s': cannot be recorded in StateDir", g.index[0], g.host);
	lock = vgpu_spank_state_lock(step.state_dir, err);
	if (lock < 0)
		return -1;
	vgpu_spank_state_clean(step.state_dir, step.name, say_error, NULL);
	vgpu_spank_state_view(step.state_dir, &view);
	if (vgpu_stepplan_slice_check(&view, host(), step.job, VGPU_SLURM_SHARD_DEALLOC_BUG, &step.plan) !=
	    VGPU_STEPPLAN_SLICE)
		goto out;
	if (alone && vgpu_stepplan_job_steps(&view, step.job, step.node, NULL) > 0) {
		vgpu_stepplan_view_free(&view);
		vgpu_spank_state_unlock(lock);
		return 1;
	}
	if (vgpu_spank_state_job(step.state_dir, step.jobdir, uid, gid, err) != 0 ||
	    vgpu_spank_state_create_files(step.state_dir, step.dir, (uid_t)-1, gid, files, preload ? 5 : 2, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && vgpu_spank_state_job_steps(step.state_dir, step.job, step.node, NULL) == 0)
		vgpu_spank_state_remove(step.jobdir, NULL);
	vgpu_stepplan_view_free(&view);
	vgpu_spank_state_unlock(lock);
	return rc;
}

/* Under the StateDir lock: remove the step's directory, and the job's when
 * no other step of the job on this node is alive -- after the processes
 * still holding the job's GPU memory were killed (reported in slurmd's
 * log); while any is left, the job's directory (its ledgers) stays and
 * the next step on the node tries again. */
static void remove_dirs(void)
{
	vgpu_err_t err;
	int lock = vgpu_spank_state_lock(step.state_dir, &err);

	if (lock < 0)
		slurm_error("vgpu: %s", err.msg);
	if (vgpu_spank_state_remove(step.dir, &err) != 0)
		slurm_error("vgpu: %s", err.msg);
	if (vgpu_spank_state_job_steps(step.state_dir, step.job, step.node, step.name) == 0) {
		char what[128];
		int left;

		snprintf(what, sizeof(what), "job %u: its last step on %s (%s) ended; ", step.job, host(), step.label);
		left = vgpu_spank_leftover_reap(step.jobdir, what, say_error, NULL);
		if (left != 0)
			slurm_error("vgpu: job %u: %s stays while processes hold the job's GPU memory", step.job,
				    step.jobdir);
		else if (vgpu_spank_state_remove(step.jobdir, &err) != 0)
			slurm_error("vgpu: %s", err.msg);
	}
	vgpu_spank_state_unlock(lock);
}

/* A whole-GPU step where Slurm has the 22.05 shard bug: under the StateDir
 * lock (a slice step starting at the same time either is seen here or sees
 * this step's record), the core checks the view; a step that may run is
 * recorded ("IDX HOST whole" per GPU) for later slice steps. Anything that
 * keeps the check or the record from being made refuses the step. */
static void setup_whole(spank_t sp, const vgpu_spank_config_t *cfg)
{
	char lines[VGPU_STEPPLAN_GPUS_MAX * (VGPU_STEPPLAN_HOST_MAX + 16)];
	vgpu_stepplan_view_t view;
	vgpu_conf_t conf;
	vgpu_err_t err;
	int lock;

	if (vgpu_conf_load(cfg->conf_path, &conf, &err) != 0) {
		vgpu_stepplan_refuse(&step.plan, "%s; " WHOLE_UNGUARDED, err.msg);
		return;
	}
	if (step_name(sp, step.name, sizeof(step.name), step.label, sizeof(step.label), &err) != 0 ||
	    (size_t)snprintf(step.dir, sizeof(step.dir), "%s/%s", conf.state_dir, step.name) >= sizeof(step.dir)) {
		vgpu_stepplan_refuse(&step.plan, "%s; " WHOLE_UNGUARDED,
				     err.msg[0] ? err.msg : "StateDir: path too long");
		return;
	}
	snprintf(step.state_dir, sizeof(step.state_dir), "%s", conf.state_dir);
	if ((lock = vgpu_spank_state_lock(conf.state_dir, &err)) < 0) {
		vgpu_stepplan_refuse(&step.plan, "%s; " WHOLE_UNGUARDED, err.msg);
		return;
	}
	vgpu_spank_state_view(conf.state_dir, &view);
	if (vgpu_stepplan_whole_check(&view, host(), step.job, &step.plan) == VGPU_STEPPLAN_WHOLE) {
		vgpu_spank_state_file_t files[] = { { "gpu", lines, NULL } };

		if (vgpu_stepplan_gpus_format(&step.plan.whole, lines, sizeof(lines)) != 0)
			vgpu_stepplan_refuse(&step.plan, "GPUs of this step cannot be recorded in StateDir %s; "
					     WHOLE_UNGUARDED, conf.state_dir);
		else if (vgpu_spank_state_create_files(conf.state_dir, step.dir, (uid_t)-1, 0, files, 1, &err) != 0)
			vgpu_stepplan_refuse(&step.plan, "the whole-GPU record is not made: %s; " WHOLE_UNGUARDED,
					     err.msg);
		else
			step.made = 1;
	}
	vgpu_stepplan_view_free(&view);
	vgpu_spank_state_unlock(lock);
}

/* The job's StateDir cap file (vgpu_stepplan_cap_*), written by its batch
 * step for the job's other steps on this node: they need not ask
 * slurmctld. */
static int write_cap(const vgpu_stepdesc_gpu_t *g, vgpu_err_t *err)
{
	char path[sizeof(step.jobdir) + 8], text[160];

	snprintf(path, sizeof(path), "%s/cap", step.jobdir);
	if (vgpu_stepplan_cap_format(g->uuid, g->job_mem_bytes, g->job_sm_bp, text, sizeof(text)) != 0)
		return vgpu_err_set(err, "%s: the cap of GPU %s cannot be written", path, g->uuid);
	return vgpu_spank_state_write(path, text, err);
}

/* A step holding shards: everything but the decisions, which the core
 * makes (vgpu_stepplan_slice, _slice_check, _job_cap). -1 with err, or
 * with step.plan REFUSED. */
static int setup_slice(spank_t sp, const vgpu_spank_config_t *cfg, const char *request, vgpu_err_t *err)
{
	vgpu_conf_t conf;
	vgpu_request_t req, *reqp = NULL;
	const vgpu_gpu_type_t *type;
	vgpu_stepdesc_t d;
	char model[128], uuid[128], envreq[VGPU_REQUEST_TEXT_MAX + 1], cap[256], jname[64];
	static char desc[VGPU_STEPDESC_FILE_MAX];
	char preload[8192];
	const char *where = "--vgpu-request";
	unsigned jshards = 0;
	uint32_t stepid = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	ssize_t caplen;
	int r, batch;

	if (step_name(sp, step.name, sizeof(step.name), step.label, sizeof(step.label), err) != 0)
		return -1;
	batch = spank_get_item(sp, S_JOB_STEPID, &stepid) == ESPANK_SUCCESS && stepid == SLURM_BATCH_SCRIPT;
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
	snprintf(d.step, sizeof(d.step), "%s", step.label);
	if (vgpu_spank_gpu_libpath(conf.cuda_path, d.cuda_path, sizeof(d.cuda_path), err) != 0 ||
	    vgpu_spank_gpu_libpath(conf.nvml_path, d.nvml_path, sizeof(d.nvml_path), err) != 0)
		return -1;
	if (vgpu_spank_gpu_lookup(d.nvml_path, step.plan.index, uuid, sizeof(uuid), model, sizeof(model), err) != 0)
		return -1;
	if (!(type = vgpu_spank_gpu_type(&conf, model, err)))
		return -1;
	snprintf(jname, sizeof(jname), "job.%u.%u", step.job, step.node);
	caplen = batch ? -1 : vgpu_spank_state_read(conf.state_dir, jname, "cap", cap, sizeof(cap));
	if (vgpu_stepplan_slice(&conf, type, uuid, reqp, cfg->ctx_bytes, batch, caplen >= 0 ? cap : NULL,
				caplen >= 0 ? (size_t)caplen : 0, &step.plan) != VGPU_STEPPLAN_SLICE)
		return -1;
	snprintf(step.shim, sizeof(step.shim), "%s", cfg->shim_path[0] ? cfg->shim_path : conf.shim_path);
	if (vgpu_elfid_check(step.shim, VGPU_ELFID_IDENTITY, err) != 0) {
		char loc[VGPU_PATH_MAX + 64];

		if (cfg->shim_path[0])
			return vgpu_err_prefix(err, "%s", vgpu_spank_config_where(cfg, loc, sizeof(loc)));
		return vgpu_err_prefix(err, "%s: ShimLibrary", cfg->conf_path);
	}
	if ((size_t)snprintf(step.dir, sizeof(step.dir), "%s/%s", conf.state_dir, step.name) >= sizeof(step.dir) ||
	    (size_t)snprintf(step.jobdir, sizeof(step.jobdir), "%s/%s", conf.state_dir, jname) >=
		    sizeof(step.jobdir) ||
	    (size_t)snprintf(step.desc, sizeof(step.desc), "%s/step.desc", step.dir) >= sizeof(step.desc) ||
	    (size_t)snprintf(step.etc, sizeof(step.etc), "%s/etc", step.dir) >= sizeof(step.etc) ||
	    (size_t)snprintf(d.acct_dir, sizeof(d.acct_dir), "%s/acct", step.jobdir) >= sizeof(d.acct_dir))
		return vgpu_err_set(err, "StateDir %s: path too long", conf.state_dir);
	d.log_level = cfg->log_level;
	d.ngpus = 1;
	/* The job's cap on the GPU (vgpu_stepplan_slice): the batch step's
	 * own, else what the batch step recorded, else -- only when another
	 * step of the job is live on the node: a step alone is within the
	 * job's shards by itself, and a step joining it later puts the cap
	 * into the shared ledger before its processes run -- slurmctld's
	 * count (`srun --overlap` steps are not held within the job's shards
	 * by Slurm). Without a cap, no job line. */
	snprintf(step.state_dir, sizeof(step.state_dir), "%s", conf.state_dir);
	step.preload_etc = cfg->preload == VGPU_SPANK_PRELOAD_ETC;
	if (step.preload_etc && preload_text(step.shim, preload, sizeof(preload), err) != 0)
		return -1;
	for (int ask = step.plan.need_job_cap;;) {
		d.gpus[0] = step.plan.gpu;
		if (vgpu_stepdesc_check(&d, err) != 0)
			return -1;
		if (vgpu_stepdesc_format(&d, desc, sizeof(desc), err) < 0)
			return vgpu_err_prefix(err, "%s", step.desc);
		r = make_dirs(uid, gid, desc, step.preload_etc ? preload : NULL, ask, err);
		if (r <= 0)
			break;
		ask = 0; /* another step of the job is live: carry the job's cap */
		if (job_shards(step.plan.index, &jshards) == 0 &&
		    vgpu_stepplan_job_cap(&conf, type, reqp, jshards, &step.plan, err) != 0)
			return -1;
	}
	if (r != 0)
		return -1;
	step.made = 1;
	if (batch && write_cap(&step.plan.gpu, err) != 0) {
		remove_dirs();
		step.made = 0;
		return -1;
	}
	slurm_verbose("vgpu: step %s: GPU %u (%s, %s): %u shards -> %llu bytes, SM %u bp", step.label,
		      step.plan.index, uuid, type->name, step.plan.shards, (unsigned long long)step.plan.lim.mem_bytes,
		      step.plan.lim.sm_share);
	return 0;
}

int vgpu_spank_remote_setup(spank_t sp, const vgpu_spank_config_t *cfg, const char *request)
{
	char step_gpus[1024], job_gpus[1024], cuda[4096], shards[64];
	vgpu_stepplan_in_t in;
	uint32_t stepid = 0;
	vgpu_err_t err;

	memset(&step, 0, sizeof(step));
	memset(&in, 0, sizeof(in));
	in.extern_step = spank_get_item(sp, S_JOB_STEPID, &stepid) == ESPANK_SUCCESS && stepid == SLURM_EXTERN_CONT;
	in.batch = stepid == SLURM_BATCH_SCRIPT;
	if (spank_get_item(sp, S_JOB_ID, &step.job) != ESPANK_SUCCESS)
		step.job = 0;
	in.job = step.job;
	in.host = host();
	in.shards_on_node = job_env(sp, "SLURM_SHARDS_ON_NODE", shards, sizeof(shards)) == 0 ? shards : NULL;
	in.step_gpus = job_env(sp, "SLURM_STEP_GPUS", step_gpus, sizeof(step_gpus)) == 0 ? step_gpus : NULL;
	in.job_gpus = job_env(sp, "SLURM_JOB_GPUS", job_gpus, sizeof(job_gpus)) == 0 ? job_gpus : NULL;
	in.cuda_visible = job_env(sp, "CUDA_VISIBLE_DEVICES", cuda, sizeof(cuda)) == 0 ? cuda : NULL;
	in.guard = VGPU_SLURM_SHARD_DEALLOC_BUG;
	in.config_invalid = cfg->state != VGPU_SPANK_CONFIG_OK ? cfg->invalid : NULL;
	in.config_args_bad = cfg->state == VGPU_SPANK_CONFIG_BAD_ARGS;
	switch (vgpu_stepplan_begin(&in, &step.plan)) {
	case VGPU_STEPPLAN_WHOLE:
		setup_whole(sp, cfg);
		break;
	case VGPU_STEPPLAN_SLICE:
		/* Failing here would make Slurm drain the node for a batch step
		 * ("batch job complete failure", verified on 22.05): a refused
		 * step's tasks end themselves (vgpu_spank_remote_task_init). */
		if (setup_slice(sp, cfg, request, &err) != 0 && step.plan.state != VGPU_STEPPLAN_REFUSED)
			vgpu_stepplan_refuse(&step.plan, "%s", err.msg);
		break;
	default:
		break;
	}
	if (step.plan.state == VGPU_STEPPLAN_REFUSED)
		slurm_error("%s", step.plan.why);
	vgpu_metrics_note_step(cfg->conf_path, host(), step.plan.state == VGPU_STEPPLAN_SLICE,
			       step.plan.state == VGPU_STEPPLAN_REFUSED && step.plan.slice,
			       step.plan.state == VGPU_STEPPLAN_REFUSED && !step.plan.slice);
	return 0;
}

int vgpu_spank_remote_user_init(spank_t sp)
{
	char old[16384], val[sizeof(old) + VGPU_PATH_MAX + 2];
	spank_err_t rc;

	if (step.plan.state != VGPU_STEPPLAN_SLICE)
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
	if (step.plan.state != VGPU_STEPPLAN_SLICE || !step.preload_etc)
		return 0;
	snprintf(host_etc, sizeof(host_etc), "%s/etc-host", step.dir);
	if (vgpu_spank_mount_etc(step.etc, host_etc, why, sizeof(why)) != 0) {
		/* LD_PRELOAD alone is weaker (a program that drops it runs
		 * unenforced): this task does not run (task_init ends it) */
		vgpu_stepplan_refuse(&step.plan, "private /etc/ld.so.preload (plugstack.conf preload=etc): %s", why);
		slurm_error("%s", step.plan.why);
	}
	return 0;
}

int vgpu_spank_remote_task_init(spank_t sp)
{
	(void)sp;
	if (step.plan.state != VGPU_STEPPLAN_REFUSED)
		return 0;
	if (!step.plan.slice)
		fprintf(stderr, "%s\n", step.plan.why);
	else
		fprintf(stderr, "vgpu: this step's GPU slice cannot be enforced, so it does not run: %s\n",
			step.plan.why + 6);
	fflush(stderr);
	_exit(1);
}

int vgpu_spank_remote_exit(spank_t sp)
{
	vgpu_err_t err;

	(void)sp;
	if (!step.made)
		return 0;
	step.made = 0;
	if (!step.plan.slice) {
		int lock = vgpu_spank_state_lock(step.state_dir, &err);

		if (lock < 0 || vgpu_spank_state_remove(step.dir, &err) != 0)
			slurm_error("vgpu: %s", err.msg);
		vgpu_spank_state_unlock(lock);
		return 0;
	}
	remove_dirs();
	return 0;
}
