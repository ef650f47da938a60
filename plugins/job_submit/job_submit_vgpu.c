/*
 * job_submit_vgpu.c - job_submit/vgpu, slurmctld's admission safety net
 * behind the clients' cli_filter (cli_filter_vgpu.so): a thin adapter over
 * the core library's checks (src/lib/vgpu_admit.h). doc/slurm-integration.md.
 *
 *   slurm.conf: JobSubmitPlugins=vgpu
 *               PluginDir=/usr/lib/x86_64-linux-gnu/slurm-wlm:/usr/lib/slurm-vgpu
 *
 * vgpu.conf: $VGPU_CONF in slurmctld's environment, else the configured
 * default (VGPU_CONF_PATH). JobSubmitPlugins takes no arguments. It is read
 * in init(), where a missing or bad vgpu.conf fails init() (fail closed),
 * and again by the first job submitted or changed after the file changed
 * (a stat per job: `scontrol reconfigure` does not re-init job_submit
 * plugins in 22.05); a bad new file is logged and the previous one kept.
 *
 * It changes a job in one case: an sbatch job whose comment starts with the
 * cli_filter's "[vgpu-request:CANONICAL]" loses that marker and gets
 * VGPU_REQUEST=CANONICAL in its batch environment (replacing the user's), for
 * the SPANK plugin in the batch step and its srun steps. (--export would
 * carry it too, but costs slurmd a login shell per batch job.)
 *
 * Built against Slurm's public headers only; Slurm's internal job record is
 * opaque here. Memory handed to Slurm (err_msg, environment entries and the
 * array) comes from Slurm's allocator (slurm_xstrdup, slurm_xrecalloc,
 * slurm_xfree in libslurmfull 22.05, which slurmctld has loaded; init()
 * checks them with dlsym, and the module is linked with -z now, so a missing
 * symbol fails the load, not a later call).
 * Non-SPANK plugins must match Slurm's version exactly: plugin_version is
 * the SLURM_VERSION_NUMBER of the headers it was built against. A
 * constructor (inside dlopen, before Slurm's own check) logs and prints
 * which release it was built for when another one loads it
 * (vgpu_slurmcheck_plugin_loaded); Slurm then refuses it and slurmctld
 * exits.
 *
 * SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ (23.11+) lets Slurm split a
 * job's shards over several GPUs, which a slice cannot survive: while
 * slurm_conf has it (read per job; looked up with dlsym in init()), jobs
 * and changes naming shard or vgpu are refused with a message that names
 * the setting. job_modify gives its reason to the user through err_msg
 * where Slurm has it (23.02+), to slurmctld's log only in 22.05.
 *
 * NVLink placement (doc/nvlink.md, "Placement at submit"): with CliqueMap=
 * in vgpu.conf, every job that asks for GPUs or shards on more than one
 * node is kept inside one NVLink partition of the map, best fit, by what
 * the topology plugin in force needs (vgpu_place.h decides: --switches=1
 * with a long wait on topology/tree; nothing on topology/block up to the
 * job size vgpu conf's layout contains, a matching-OR constraint over the
 * partitions' node Features above it and without topology); a job larger
 * than every partition, or with --segment sizes no partition holds, is
 * refused with a message naming the largest partition. The opt-out is
 * --comment='[vgpu-place:span]'. The map is read in init() and again by the
 * first job after the file changed (a stat per job); a map that cannot be
 * read is logged with file:line and the previous one stays in use (at
 * init(), none: jobs are then not placed, and slurmctld still starts, since
 * 23.11+ `scontrol reconfigure` restarts it and must not stop it).
 * Changes of a job (job_modify) are not placed.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "vgpu_slurm_compat.h"

#include "vgpu_admit.h"
#include "vgpu_cliquemap.h"
#include "vgpu_conf.h"
#include "vgpu_metrics.h"
#include "vgpu_place.h"
#include "vgpu_topoconf.h"
#include "vgpu_request.h"
#include "vgpu_slurmcheck.h"

static uint32_t job_segment(const job_desc_msg_t *j)
{
#if VGPU_SLURM_HAS_SEGMENT
	return j->segment_size == NO_VAL16 ? 0 : j->segment_size;
#else
	(void)j;
	return 0;
#endif
}

/* From libslurmfull (resolved in slurmctld): 22.05's src/common/xmalloc.h,
 * where xrecalloc(p, n, size) is slurm_xrecalloc(&p, n, size, true, false,
 * __FILE__, __LINE__, __func__) and xfree(p) is slurm_xfree(&p). */
extern char *slurm_xstrdup(const char *str);
extern void *slurm_xrecalloc(void **item, size_t count, size_t size, bool clear, bool try_,
			     const char *file, int line, const char *func);
extern void slurm_xfree(void **item);
extern void slurm_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void slurm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void slurm_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char plugin_name[] = "slurm-vgpu admission (shard sizes, untranslated --gres=vgpu, NVLink placement)";
const char plugin_type[] = "job_submit/vgpu";
const uint32_t plugin_version = SLURM_VERSION_NUMBER;

int init(void);
int fini(void);
int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg);
#if VGPU_SLURM_JOB_MODIFY_ERR_MSG
int job_modify(job_desc_msg_t *job_desc, void *job_ptr, uint32_t submit_uid, char **err_msg);
#else
int job_modify(job_desc_msg_t *job_desc, void *job_ptr, uint32_t submit_uid);
#endif

/* Said at dlopen, before Slurm checks plugin_version. */
__attribute__((constructor)) static void release_check(void)
{
	static const vgpu_slurmcheck_slurm_t built = { SLURM_VERSION_NUMBER, VGPU_SLURM_API_VERSION };

	vgpu_slurmcheck_plugin_loaded(plugin_type, VGPU_SLURMCHECK_EXACT, &built, plugin_type);
}

/* What the checks use, from the vgpu.conf last read. Slurm calls
 * job_submit and job_modify under its job write lock: one at a time. */
static unsigned max_shards;
static char max_type[VGPU_NAME_MAX];
static char conf_path[VGPU_PATH_MAX];
static struct stat conf_seen;   /* the file as last read, or last refused */
static const slurm_conf_t *site_conf; /* slurmctld's slurm_conf; NULL: not found */
static char map_path[VGPU_PATH_MAX];   /* CliqueMap= of vgpu.conf; "": none */
static struct stat map_seen;           /* the map as last read, or last refused */
static vgpu_cliquemap_t map;           /* the last good map (empty: none) */
static vgpu_place_block_t block;       /* topology/block's layout of it (vgpu conf's) */

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Read vgpu.conf and take its limits; on failure keep the ones in use.
 * 0 or -1 with err. */
static int load(vgpu_err_t *err)
{
	static vgpu_conf_t conf;        /* large: not on slurmctld's thread stack */
	const vgpu_gpu_type_t *type = NULL;
	unsigned n;

	if (stat(conf_path, &conf_seen) != 0)
		memset(&conf_seen, 0, sizeof(conf_seen));
	if (vgpu_conf_load(conf_path, &conf, err) != 0)
		return -1;
	snprintf(map_path, sizeof(map_path), "%s", conf.cliquemap_path);
	n = vgpu_admit_max_shards(&conf, &type, err);
	max_shards = n;
	max_type[0] = '\0';
	if (type)
		snprintf(max_type, sizeof(max_type), "%s", type->name);
	if (n == 0)
		slurm_info("job_submit/vgpu: %s: %s; shard sizes are not checked", conf_path, err->msg);
	else
		slurm_info("job_submit/vgpu: %s: at most %u shards per GPU (%s)", conf_path, n,
			   max_type);
	return 0;
}

/* Read the clique map at map_path when it changed since it was last read
 * (or refused), or when the path changed; on failure keep the map in use. */
static void refresh_map(void)
{
	static char seen_path[VGPU_PATH_MAX];
	vgpu_topo_block_plan_t plan;
	vgpu_cliquemap_t fresh;
	struct stat now;
	vgpu_err_t err;

	if (map_path[0] == '\0') {
		if (map.nparts || seen_path[0])
			slurm_info("job_submit/vgpu: no CliqueMap in vgpu.conf: jobs are not "
				   "placed in NVLink partitions");
		vgpu_cliquemap_free(&map);
		memset(&block, 0, sizeof(block));
		seen_path[0] = '\0';
		return;
	}
	if (stat(map_path, &now) != 0)
		memset(&now, 0, sizeof(now));
	if (strcmp(seen_path, map_path) == 0 && same_file(&now, &map_seen))
		return;
	snprintf(seen_path, sizeof(seen_path), "%s", map_path);
	map_seen = now;
	if (vgpu_cliquemap_load(map_path, &fresh, &err) != 0) {
		slurm_error("job_submit/vgpu: %s; the clique map is refused, %s", err.msg,
			    map.nparts ? "the previous one stays in use" :
			    "jobs are not placed in NVLink partitions until it is fixed");
		return;
	}
	vgpu_cliquemap_free(&map);
	map = fresh;
	memset(&block, 0, sizeof(block));
	if (map.nparts && vgpu_topoconf_block_plan(&map, &plan, &err) == 0) {
		block.base = plan.base;
		block.contained = plan.contained;
		vgpu_topoconf_block_plan_free(&plan);
	}
	slurm_info("job_submit/vgpu: %s: %zu NVLink partitions; the largest has %zu nodes "
		   "(topology/block as vgpu conf lays it out: base blocks of %u nodes, jobs of up "
		   "to %u nodes contained by Slurm)", map_path, map.nparts,
		   vgpu_place_largest(&map) ? vgpu_place_largest(&map)->nnodes : (size_t)0,
		   (unsigned)block.base, (unsigned)block.contained);
}

/* Re-read vgpu.conf when it changed since it was last read (or refused). */
static void refresh(void)
{
	struct stat now;
	vgpu_err_t err;

	if (stat(conf_path, &now) != 0)
		memset(&now, 0, sizeof(now));
	if (!same_file(&now, &conf_seen) && load(&err) != 0)
		slurm_error("job_submit/vgpu: %s: the changed file is refused, the previous one "
			    "stays in use", err.msg);
	refresh_map();
}

int init(void)
{
	const char *path = getenv("VGPU_CONF");
	vgpu_err_t err;

	if (!path || !*path)
		path = VGPU_CONF_PATH;
	if (!dlsym(RTLD_DEFAULT, "slurm_xstrdup") || !dlsym(RTLD_DEFAULT, "slurm_xrecalloc") ||
	    !dlsym(RTLD_DEFAULT, "slurm_xfree")) {
		slurm_error("job_submit/vgpu: slurm_xstrdup, slurm_xrecalloc or slurm_xfree is not "
			    "in this process: not slurmctld?");
		return SLURM_ERROR;
	}
	if (strlen(path) >= sizeof(conf_path)) {
		slurm_error("job_submit/vgpu: VGPU_CONF: path longer than %zu bytes",
			    sizeof(conf_path) - 1);
		return SLURM_ERROR;
	}
	snprintf(conf_path, sizeof(conf_path), "%s", path);
	if (load(&err) != 0) {
		slurm_error("job_submit/vgpu: %s", err.msg);
		return SLURM_ERROR;
	}
	site_conf = dlsym(RTLD_DEFAULT, "slurm_conf");
	refresh_map();
	if (map.nparts && site_conf &&
	    vgpu_place_topo_from_name(site_conf->topology_plugin) == VGPU_PLACE_TOPO_TREE &&
	    vgpu_place_max_switch_wait(site_conf->sched_params) < VGPU_PLACE_SWITCH_WAIT)
		slurm_error("job_submit/vgpu: SchedulerParameters: max_switch_wait=%u: a multi-node "
			    "GPU job waits at most that long for one NVLink partition, then may "
			    "span two; set max_switch_wait=%u", (unsigned)vgpu_place_max_switch_wait(
			    site_conf->sched_params), VGPU_PLACE_SWITCH_WAIT);
	if (!site_conf && VGPU_SLURM_MULTI_SHARING_BIT)
		slurm_error("job_submit/vgpu: slurm_conf is not in this process: "
			    "SelectTypeParameters=" VGPU_SLURMCHECK_MULTI_SHARING " is not checked");
	else if (site_conf && (site_conf->select_type_param & VGPU_SLURM_MULTI_SHARING_BIT))
		slurm_error("job_submit/vgpu: %s", VGPU_SLURMCHECK_MULTI_SHARING_WHY);
	return SLURM_SUCCESS;
}

int fini(void)
{
	vgpu_cliquemap_free(&map);
	return SLURM_SUCCESS;
}

static uint32_t count(uint32_t v)
{
	return v == NO_VAL || v == INFINITE ? 0 : v;
}

/* Keep a multi-node GPU job inside one NVLink partition (vgpu_place).
 * Returns SLURM_SUCCESS, or ESLURM_INVALID_NODE_COUNT with err filled. */
static int place(job_desc_msg_t *job_desc, const vgpu_admit_info_t *info, uint32_t submit_uid,
		 vgpu_err_t *err)
{
	vgpu_place_job_t job;
	vgpu_place_answer_t ans;
	vgpu_place_topo_t topo;
	uint32_t wait;

	if (map.nparts == 0)
		return SLURM_SUCCESS;
	memset(&job, 0, sizeof(job));
	job.gpus = info->has_gpu || info->has_shard;
	job.min_nodes = count(job_desc->min_nodes);
	job.max_nodes = count(job_desc->max_nodes);
	job.num_tasks = count(job_desc->num_tasks);
	job.tasks_per_node = job_desc->ntasks_per_node == NO_VAL16 ? 0 : job_desc->ntasks_per_node;
	job.segment = job_segment(job_desc);
	job.switches = count(job_desc->req_switch);
	job.comment = job_desc->comment;
	job.features = job_desc->features;
	job.can_segment = VGPU_SLURM_HAS_SEGMENT;
	topo = vgpu_place_topo_from_name(site_conf ? site_conf->topology_plugin : NULL);
	switch (vgpu_place_decide(&job, &map, topo, &block, &ans, err)) {
	case VGPU_PLACE_REFUSE:
		return ESLURM_INVALID_NODE_COUNT;
	case VGPU_PLACE_PASS:
		if (job.gpus && ans.nodes > 1)
			slurm_info("job_submit/vgpu: uid %u: NVLink placement: %s",
				   (unsigned)submit_uid, ans.why);
		return SLURM_SUCCESS;
	case VGPU_PLACE_CHANGE:
	default:
		break;
	}
	if (ans.switches) {
		wait = vgpu_place_max_switch_wait(site_conf ? site_conf->sched_params : NULL);
		job_desc->req_switch = ans.switches;
		job_desc->wait4switch = ans.switch_wait < wait ? ans.switch_wait : wait;
	}
	if (ans.max_nodes)
		job_desc->max_nodes = ans.max_nodes;
	if (ans.features[0]) {
		slurm_xfree((void **)&job_desc->features);
		job_desc->features = slurm_xstrdup(ans.features);
	}
	slurm_info("job_submit/vgpu: uid %u: NVLink placement: %s", (unsigned)submit_uid, ans.why);
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
	/* MULTIPLE_SHARING_GRES_PJ first: no slice can be kept on one GPU */
	if (site_conf && (site_conf->select_type_param & VGPU_SLURM_MULTI_SHARING_BIT)) {
		for (int i = 0; i < VGPU_ADMIT_FIELDS; i++) {
			char q[256];

			if (!vgpu_slurmcheck_gres_slice(job.tres[i]))
				continue;
			vgpu_err_set(err, "%s: %s", vgpu_err_quote(q, sizeof(q), job.tres[i], 120),
				     VGPU_SLURMCHECK_MULTI_SHARING_WHY);
			return ESLURM_INVALID_GRES;
		}
	}
	if (vgpu_admit_check(&job, max_shards, max_type[0] ? max_type : NULL, info, err) != 0)
		return ESLURM_INVALID_GRES;
	return SLURM_SUCCESS;
}

/* Set NAME=VALUE in a batch job's environment (replacing NAME's entry),
 * in Slurm's memory. */
static void env_put(job_desc_msg_t *job_desc, const char *name, const char *value)
{
	char entry[VGPU_REQUEST_TEXT_MAX + 64];
	int i = vgpu_admit_env_index(job_desc->environment, job_desc->env_size, name);
	unsigned n = job_desc->env_size;

	snprintf(entry, sizeof(entry), "%s=%s", name, value);
	if (i >= 0) {
		slurm_xfree((void **)&job_desc->environment[i]);
		job_desc->environment[i] = slurm_xstrdup(entry);
		return;
	}
	/* Slurm's arrays end with NULL (env_array_free walks to it). */
	slurm_xrecalloc((void **)&job_desc->environment, (size_t)n + 2, sizeof(char *), true,
			false, __FILE__, __LINE__, __func__);
	job_desc->environment[n] = slurm_xstrdup(entry);
	job_desc->environment[n + 1] = NULL;
	job_desc->env_size = n + 1;
}

/* The cli_filter's marker in an sbatch job's comment: off the comment, into
 * the batch environment. Other jobs (srun, salloc: no script, their
 * environment is the client's) only lose the marker. */
static void take_request(job_desc_msg_t *job_desc, uint32_t submit_uid)
{
	char req[VGPU_REQUEST_TEXT_MAX + 1];

	if (!vgpu_admit_comment_take(job_desc->comment, req, sizeof(req)))
		return;
	if (job_desc->comment[0] == '\0')
		slurm_xfree((void **)&job_desc->comment);
	if (job_desc->script)
		env_put(job_desc, "VGPU_REQUEST", req);
	slurm_debug("job_submit/vgpu: uid %u: VGPU_REQUEST=%s%s", (unsigned)submit_uid, req,
		    job_desc->script ? "" : " (no batch script: not placed)");
}

int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg)
{
	vgpu_admit_info_t info;
	vgpu_err_t err;
	char msg[VGPU_ERR_MAX + 8];
	int rc;

	refresh();
	rc = check(job_desc, &info, &err);
	if (rc == SLURM_SUCCESS && job_desc)
		rc = place(job_desc, &info, submit_uid, &err);
	if (rc == SLURM_SUCCESS && job_desc)
		take_request(job_desc, submit_uid);
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
		vgpu_metrics_note_job(conf_path, rc == ESLURM_INVALID_NODE_COUNT ? "placement" : "request");
		if (err_msg)
			*err_msg = slurm_xstrdup(msg);
	}
	return rc;
}

/* The reason goes to slurmctld's log, and to the user through err_msg
 * where Slurm has it (23.02+; 22.05's user sees Slurm's text for
 * ESLURM_INVALID_GRES only). */
static int modify(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg)
{
	vgpu_admit_info_t info;
	vgpu_err_t err;
	char msg[VGPU_ERR_MAX + 8];
	int rc;

	refresh();
	rc = check(job_desc, &info, &err);
	if (rc != SLURM_SUCCESS) {
		slurm_info("job_submit/vgpu: refused a change of uid %u: %s", (unsigned)submit_uid,
			   err.msg);
		vgpu_metrics_note_job(conf_path, "modify");
		snprintf(msg, sizeof(msg), "vgpu: %s", err.msg);
		if (err_msg)
			*err_msg = slurm_xstrdup(msg);
	}
	return rc;
}

#if VGPU_SLURM_JOB_MODIFY_ERR_MSG
int job_modify(job_desc_msg_t *job_desc, void *job_ptr, uint32_t submit_uid, char **err_msg)
{
	(void)job_ptr;
	return modify(job_desc, submit_uid, err_msg);
}
#else
int job_modify(job_desc_msg_t *job_desc, void *job_ptr, uint32_t submit_uid)
{
	(void)job_ptr;
	return modify(job_desc, submit_uid, NULL);
}
#endif
