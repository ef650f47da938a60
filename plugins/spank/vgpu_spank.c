/*
 * vgpu_spank.c - the SPANK plugin's entry points, and nothing else: each is
 * a switch on the context, calling the file that handles that context
 * (spank_remote.c: slurmstepd; spank_option.c: the option in every client).
 *
 * plugstack.conf:
 *   required /usr/lib/slurm-vgpu/vgpu_spank.so conf=/etc/slurm/vgpu.conf [shim=...]
 * Arguments: spank_config.h. A bad one (or a shim= that is not this
 * build's shim) never stops the plugin from loading: it is logged naming
 * plugstack.conf's file and line, and GPU steps are refused (spank_remote.c);
 * other steps and the clients run (doc/slurm-integration.md "plugstack.conf").
 *
 * Slurm loads SPANK plugins of its own major.minor only: a constructor
 * (inside dlopen, before Slurm's check) says which release this one was
 * built for when another loads it (vgpu_slurmcheck_plugin_loaded). Its
 * Slurm imports are in every supported release (22.05-26.05), so the
 * module loads (-z now) far enough to say it.
 *
 * Slice steps (the task's environment has VGPU_STEP_DESC, which user_init
 * sets for them) get the user-namespace seccomp filter (vgpu_seccomp.h)
 * unless plugstack.conf says userns=allow: installed in task_init_privileged
 * (root, so no_new_privs stays off and setuid programs keep working),
 * else in task_init (no_new_privs set). A task whose filter cannot be
 * installed prints why and exits 1: it never runs unfiltered.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "spank_config.h"
#include "vgpu_elfid.h"
#include "vgpu_seccomp.h"
#include "vgpu_stepdesc.h"
#include "vgpu_slurmcheck.h"
#include "spank_option.h"
#include "spank_remote.h"

SPANK_PLUGIN(vgpu, 1);

static vgpu_spank_config_t cfg;

/* In this task: is the user-namespace filter installed, and why not. */
static int userns_filtered;
static vgpu_err_t userns_err;

/* Said at dlopen, before Slurm checks plugin_version (major.minor). */
__attribute__((constructor)) static void release_check(void)
{
	static const vgpu_slurmcheck_slurm_t built = { SLURM_VERSION_NUMBER, VGPU_SLURM_API_VERSION };

	vgpu_slurmcheck_plugin_loaded("vgpu_spank", VGPU_SLURMCHECK_MAJOR_MINOR, &built, &cfg);
}

/* The configuration Slurm loaded in this process (slurmstepd, srun, sbatch,
 * salloc, slurmd all export it). Not in Slurm's headers: a weak reference,
 * so the plugin still loads where it is missing; its plugstack field is in
 * the public slurm_conf_t of every supported release. */
extern slurm_conf_t slurm_conf __attribute__((weak));

/* The plugstack.conf Slurm read (the path it computed from PlugStackConfig
 * or its default, configless caches included), or NULL. */
static const char *plugstack_path(void)
{
	const char *p = &slurm_conf ? slurm_conf.plugstack : NULL;

	return p && p[0] == '/' ? p : NULL;
}

/* This plugin's file, as the dynamic loader names it. */
static const char *self_path(void)
{
	Dl_info info;

	if (dladdr((void *)&slurm_spank_init, &info) && info.dli_fname)
		return info.dli_fname;
	return "vgpu_spank.so";
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();

	/* Never fails: a failing init of a required plugin refuses every job,
	 * and in slurmd or a batch step can drain the node. */
	if (vgpu_spank_config_load(ac, av, plugstack_path(), self_path(), &cfg) == 0 &&
	    ctx == S_CTX_REMOTE)
		vgpu_spank_config_check_shim(&cfg, VGPU_ELFID_IDENTITY);
	if (cfg.state != VGPU_SPANK_CONFIG_OK) {
		if (ctx == S_CTX_REMOTE)
			slurm_error("vgpu: %s; GPU steps are refused until it is fixed", cfg.invalid);
		else
			slurm_verbose("vgpu: %s", cfg.invalid);
	}
	switch (ctx) {
	case S_CTX_LOCAL:
	case S_CTX_ALLOCATOR:
	case S_CTX_REMOTE:
		if (vgpu_spank_option_register(sp) != 0) {
			slurm_error("vgpu: cannot register --vgpu-request");
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_REMOTE:
		return vgpu_spank_remote_setup(sp, &cfg, vgpu_spank_option_request());
	default:
		return 0;
	}
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_REMOTE:
		return vgpu_spank_remote_user_init(sp);
	default:
		return 0;
	}
}

/* Does this task need the user-namespace filter: a slice step (its
 * environment has the step description) and no userns=allow. */
static int wants_userns_filter(spank_t sp)
{
	char desc[16];
	spank_err_t rc;

	if (cfg.allow_userns)
		return 0;
	rc = spank_getenv(sp, VGPU_STEPDESC_ENV, desc, sizeof(desc));
	return rc == ESPANK_SUCCESS || rc == ESPANK_NOSPACE;
}

/* Install the filter once in this task; 0, or -1 with userns_err. */
static int filter_userns(void)
{
	vgpu_seccomp_mode_t mode;

	if (userns_filtered)
		return 0;
	if (vgpu_seccomp_deny_userns(&mode, &userns_err) != 0)
		return -1;
	userns_filtered = 1;
	return 0;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	int rc;

	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_REMOTE:
		rc = vgpu_spank_remote_task_privileged(sp);
		/* After the private /etc is made (its mount namespace is
		 * made as root, not a user namespace); a failure here is
		 * retried, and refused, in task_init. */
		if (wants_userns_filter(sp) && filter_userns() != 0)
			slurm_verbose("vgpu: %s; retried without privilege in task_init", userns_err.msg);
		return rc;
	default:
		return 0;
	}
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	int rc;

	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_REMOTE:
		rc = vgpu_spank_remote_task_init(sp);
		if (rc == 0 && wants_userns_filter(sp) && filter_userns() != 0) {
			slurm_error("vgpu: %s: the task is refused", userns_err.msg);
			fprintf(stderr, "vgpu: this step's GPU slice cannot be enforced, so it does not run: %s "
				"(plugstack.conf userns=allow runs slice steps without the filter)\n",
				userns_err.msg);
			fflush(stderr);
			_exit(1);
		}
		return rc;
	default:
		return 0;
	}
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_REMOTE:
		return vgpu_spank_remote_exit(sp);
	default:
		return 0;
	}
}
