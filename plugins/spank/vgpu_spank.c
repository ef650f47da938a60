/*
 * vgpu_spank.c - the SPANK plugin's entry points, and nothing else: each is
 * a switch on the context, calling the file that handles that context
 * (spank_remote.c: slurmstepd; spank_option.c: the option in every client).
 *
 * plugstack.conf:
 *   required /usr/lib/slurm-vgpu/vgpu_spank.so conf=/etc/slurm/vgpu.conf [shim=...]
 * Arguments: spank_config.h. A bad one makes the plugin refuse to start.
 *
 * Slurm loads SPANK plugins of its own major.minor only: a constructor
 * (inside dlopen, before Slurm's check) says which release this one was
 * built for when another loads it (vgpu_slurmcheck_plugin_loaded). Its
 * Slurm imports are in every supported release (22.05-26.05), so the
 * module loads (-z now) far enough to say it.
 */
#include "config.h"

#include <slurm/spank.h>

#include "spank_config.h"
#include "vgpu_slurmcheck.h"
#include "spank_option.h"
#include "spank_remote.h"

SPANK_PLUGIN(vgpu, 1);

static vgpu_spank_config_t cfg;

/* Said at dlopen, before Slurm checks plugin_version (major.minor). */
__attribute__((constructor)) static void release_check(void)
{
	static const vgpu_slurmcheck_slurm_t built = { SLURM_VERSION_NUMBER, VGPU_SLURM_API_VERSION };

	vgpu_slurmcheck_plugin_loaded("vgpu_spank", VGPU_SLURMCHECK_MAJOR_MINOR, &built, &cfg);
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	vgpu_err_t err;

	if (vgpu_spank_config_parse(ac, av, &cfg, &err) != 0) {
		slurm_error("vgpu: %s", err.msg);
		return -1;
	}
	switch (spank_context()) {
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

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_REMOTE:
		return vgpu_spank_remote_task_privileged(sp);
	default:
		return 0;
	}
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_REMOTE:
		return vgpu_spank_remote_task_init(sp);
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
