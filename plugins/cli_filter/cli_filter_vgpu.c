/*
 * cli_filter_vgpu.c - cli_filter/vgpu: slurm-vgpu's admission in the
 * clients (sbatch, salloc, srun, srun steps inside allocations): the one
 * admission path (the Lua filter it replaced, with cli_filter/lua's ~1.7 ms
 * start-up per client, is retired). A thin adapter over
 * src/lib/vgpu_clifilter.h, which holds the rules. doc/slurm-integration.md, "Admission".
 *
 *   slurm.conf: CliFilterPlugins=vgpu
 *               PluginDir=/usr/lib/x86_64-linux-gnu/slurm-wlm:/usr/lib/slurm-vgpu
 *
 * vgpu.conf (the one the nodes use; read once per client, and only by a
 * job or step with a vgpu item): $VGPU_CONF when set and not empty, else
 * vgpu.conf in the directory of $SLURM_CONF when that is set, else the
 * configured default (VGPU_CONF_PATH, ${sysconfdir}/slurm/vgpu.conf).
 *
 * srun: 22.05's srun builds a step's environment from the --export tokens
 * and then, with ALL, merges its own environment over them, so an
 * inherited VGPU_REQUEST (a batch job's, the user's) would beat the one the
 * filter puts in --export: the plugin removes VGPU_REQUEST from srun's own
 * environment (unsetenv) when it sets --export. (setenv would not do: the
 * components of a hetjob share srun's environment.)
 *
 * salloc: 22.05's salloc has no --export and starts its shell (or command)
 * with its own environment, so the plugin sets VGPU_REQUEST there (setenv);
 * the allocation's steps inherit it (the cores cap of memory accounting).
 *
 * A refusal prints "CLIENT: error: vgpu: MESSAGE" (Slurm's error()) and
 * returns SLURM_ERROR: the client submits nothing.
 *
 * Slurm 22.05's slurm_opt_t is not in the public headers: `opt` stays
 * opaque, and options are read and written only through the accessors the
 * clients export from libslurmfull, the ones cli_filter/lua uses
 * (src/common/slurm_opt.h): slurm_option_get (an xmalloc'ed copy, NULL when
 * unset; freed with slurm_xfree, src/common/xmalloc.h) and slurm_option_set.
 * init() looks them up with dlsym and refuses to start without them, so the
 * module has no undefined Slurm symbol and loads anywhere (linked -z now).
 * (slurm_option_isset is not used: the Lua filter reads values only, and
 * "set" is not the same as "has a value" for options from the environment.)
 * Non-SPANK plugins must match Slurm's version exactly: plugin_version is
 * the SLURM_VERSION_NUMBER of the headers it was built against. A
 * constructor (it runs inside dlopen, before Slurm's own check) says so
 * when another release loads it: "cli_filter/vgpu: built for Slurm 22.05.8
 * but loaded into Slurm 24.11.5: ... rebuild slurm-vgpu against this
 * Slurm's headers" (vgpu_slurmcheck_plugin_loaded), where Slurm prints only
 * "Incompatible Slurm plugin ... version (22.05.8)".
 *
 * SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ (23.11+) lets Slurm split a
 * job's shards over several GPUs: with it in slurm_conf (looked up with
 * dlsym too), a job or step asking for shard or vgpu is refused, naming the
 * setting (job_submit/vgpu and the SPANK plugin refuse it as well).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "vgpu_slurm_compat.h"

#include "vgpu_clifilter.h"
#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_slurmcheck.h"

const char plugin_name[] = "slurm-vgpu admission in the clients (--gres=vgpu:REQUEST)";
const char plugin_type[] = "cli_filter/vgpu";
const uint32_t plugin_version = SLURM_VERSION_NUMBER;

int init(void);
int fini(void);
int cli_filter_p_setup_defaults(void *opt, bool early);
int cli_filter_p_pre_submit(void *opt, int offset);
void cli_filter_p_post_submit(int offset, uint32_t jobid, uint32_t stepid);

/* libslurmfull 22.05 (src/common/slurm_opt.h, xmalloc.h, log.h). */
typedef char *(*option_get_fn)(void *opt, const char *name);
typedef int (*option_set_fn)(void *opt, const char *name, const char *value, bool early);
typedef void (*xfree_fn)(void **item);
typedef void (*error_fn)(const char *fmt, ...);

/* Said at dlopen, before Slurm checks plugin_version. */
__attribute__((constructor)) static void release_check(void)
{
	static const vgpu_slurmcheck_slurm_t built = { SLURM_VERSION_NUMBER, VGPU_SLURM_API_VERSION };

	vgpu_slurmcheck_plugin_loaded(plugin_type, VGPU_SLURMCHECK_EXACT, &built, plugin_type);
}

static option_get_fn option_get;
static option_set_fn option_set;
static xfree_fn xfree_ptr;
static error_fn log_error;              /* NULL: straight to stderr */
static const slurm_conf_t *site_conf;   /* the client's slurm_conf; NULL: not found */

/* vgpu.conf, loaded by the first job or step that needs it. The clients
 * call the filter from one thread (under cli_filter's context lock). */
static vgpu_conf_t conf;
static int conf_state;                  /* 0 not read, 1 loaded, -1 refused */
static vgpu_err_t conf_err;
static vgpu_clifilter_out_t out;        /* ~100 KB: not on the stack */

static void refuse_msg(const char *msg)
{
	if (log_error)
		log_error("vgpu: %s", msg);
	else
		fprintf(stderr, "%s: error: vgpu: %s\n", program_invocation_short_name, msg);
}

/* dlsym without the object-to-function pointer cast warning. */
static void *lookup(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

int init(void)
{
	void *get = lookup("slurm_option_get"), *set = lookup("slurm_option_set");
	void *xf = lookup("slurm_xfree"), *er = lookup("slurm_error");

	site_conf = lookup("slurm_conf");

	memcpy(&log_error, &er, sizeof(er));
	if (!get || !set || !xf) {
		refuse_msg("cli_filter/vgpu: slurm_option_get, slurm_option_set or slurm_xfree is not "
			   "in this process (not a Slurm 22.05 client?): the filter cannot start");
		return SLURM_ERROR;
	}
	memcpy(&option_get, &get, sizeof(get));
	memcpy(&option_set, &set, sizeof(set));
	memcpy(&xfree_ptr, &xf, sizeof(xf));
	return SLURM_SUCCESS;
}

int fini(void)
{
	return SLURM_SUCCESS;
}

int cli_filter_p_setup_defaults(void *opt, bool early)
{
	(void)opt;
	(void)early;
	return SLURM_SUCCESS;
}

/* The vgpu.conf path (see the top), into buf. 0, or -1 with err. */
static int conf_path(char *buf, size_t len, vgpu_err_t *err)
{
	const char *env = getenv("VGPU_CONF"), *slurm = getenv("SLURM_CONF"), *slash;
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (slurm && *slurm && (slash = strrchr(slurm, '/')) != NULL)
		n = snprintf(buf, len, "%.*s/vgpu.conf", (int)(slash - slurm), slurm);
	else if (slurm && *slurm)
		n = snprintf(buf, len, "vgpu.conf");
	else
		n = snprintf(buf, len, "%s", VGPU_CONF_PATH);
	if (n < 0 || (size_t)n >= len)
		return vgpu_err_set(err, "the vgpu.conf path (VGPU_CONF, SLURM_CONF) is longer than "
				    "%zu bytes", len - 1);
	return 0;
}

/* vgpu.conf, read on the first call. NULL with err when it cannot be. */
static const vgpu_conf_t *get_conf(vgpu_err_t *err)
{
	char path[VGPU_PATH_MAX];

	if (conf_state == 0) {
		conf_state = -1;
		if (conf_path(path, sizeof(path), &conf_err) == 0 &&
		    vgpu_conf_load(path, &conf, &conf_err) == 0)
			conf_state = 1;
	}
	if (conf_state < 0) {
		*err = conf_err;
		return NULL;
	}
	return &conf;
}

/* Set one option; a value Slurm does not take refuses the job. */
static int set_option(void *opt, const char *name, const char *value, vgpu_err_t *err)
{
	if (option_set(opt, name, value, false) != SLURM_SUCCESS)
		return vgpu_err_set(err, "--%s: Slurm refused the new value '%s'", name, value);
	return 0;
}

/* The client: program_invocation_short_name (glibc: the basename of
 * argv[0]). cli_filter/lua's options["type"] tells the clients apart by
 * the client part of slurm_opt_t (salloc_opt, sbatch_opt, scron_opt,
 * srun_opt), which is not in the public headers; the program name gives
 * the same answer for the three clients the rules distinguish, and
 * scrontab (Lua: "scrontab") is OTHER, which the rules treat as the Lua
 * script treats "scrontab": like srun. */
int cli_filter_p_pre_submit(void *opt, int offset)
{
	static const char *const names[] = { "gres", "constraint", "comment", "export" };
	char *vals[4 + VGPU_CLIFILTER_NGPUOPTS] = { NULL };
	vgpu_clifilter_in_t in;
	vgpu_err_t err;
	int rc = SLURM_SUCCESS, r, i;

	(void)offset;   /* each component of a hetjob comes with its own options */
	memset(&in, 0, sizeof(in));
	vals[0] = option_get(opt, "gres");
	if (!vals[0])
		goto out;       /* the common case: no need to read the others */
	if (site_conf && (site_conf->select_type_param & VGPU_SLURM_MULTI_SHARING_BIT) &&
	    vgpu_slurmcheck_gres_slice(vals[0])) {
		char q[256];

		vgpu_err_set(&err, "--gres=%s: %s", vgpu_err_quote(q, sizeof(q), vals[0], 120),
			     VGPU_SLURMCHECK_MULTI_SHARING_WHY);
		refuse_msg(err.msg);
		rc = SLURM_ERROR;
		goto out;
	}
	if (!strstr(vals[0], "vgpu"))
		goto out;
	for (i = 1; i < 4; i++)
		vals[i] = option_get(opt, names[i]);
	for (i = 0; i < VGPU_CLIFILTER_NGPUOPTS; i++)
		vals[4 + i] = option_get(opt, vgpu_clifilter_gpu_options[i]);
	in.client = vgpu_clifilter_client(program_invocation_short_name);
	in.gres = vals[0];
	in.constraint = vals[1];
	in.comment = vals[2];
	in.export_env = vals[3];
	for (i = 0; i < VGPU_CLIFILTER_NGPUOPTS; i++)
		in.gpus[i] = vals[4 + i];
	r = vgpu_clifilter_run(&in, NULL, &out, &err);
	if (r == VGPU_CLIFILTER_NEED_CONF) {
		const vgpu_conf_t *c = get_conf(&err);

		r = c ? vgpu_clifilter_run(&in, c, &out, &err) : VGPU_CLIFILTER_REFUSED;
	}
	if (r == VGPU_CLIFILTER_CHANGED &&
	    ((out.set_constraint && set_option(opt, "constraint", out.constraint, &err) != 0) ||
	     set_option(opt, "gres", out.gres, &err) != 0 ||
	     (out.set_comment && set_option(opt, "comment", out.comment, &err) != 0) ||
	     (out.set_export && set_option(opt, "export", out.export_env, &err) != 0)))
		r = VGPU_CLIFILTER_REFUSED;
	if (r == VGPU_CLIFILTER_REFUSED) {
		refuse_msg(err.msg);
		rc = SLURM_ERROR;
	} else if (r == VGPU_CLIFILTER_CHANGED && out.set_export && in.client == VGPU_CLIFILTER_SRUN) {
		unsetenv("VGPU_REQUEST");       /* see the top: --export's token must win */
	} else if (r == VGPU_CLIFILTER_CHANGED && in.client == VGPU_CLIFILTER_SALLOC &&
		   setenv("VGPU_REQUEST", out.canon, 1) != 0) {
		refuse_msg("salloc: cannot set VGPU_REQUEST for the allocation's shell");
		rc = SLURM_ERROR;
	}
out:
	for (i = 0; i < 4 + VGPU_CLIFILTER_NGPUOPTS; i++)
		if (vals[i])
			xfree_ptr((void **)&vals[i]);
	return rc;
}

void cli_filter_p_post_submit(int offset, uint32_t jobid, uint32_t stepid)
{
	(void)offset;
	(void)jobid;
	(void)stepid;
}
