/*
 * vgpu_spank.c - the SPANK plugin's entry points, and nothing else: each is
 * a switch on the context, calling the file that handles that context
 * (spank_remote.c: slurmstepd; spank_option.c: the option in every client).
 *
 * plugstack.conf:
 *   required /usr/lib/slurm-vgpu/vgpu_spank.so conf=/etc/slurm/vgpu.conf [shim=...]
 * Arguments: spank_config.h. A bad one makes the plugin refuse to start.
 */
#include "config.h"

#include <slurm/spank.h>

#include "spank_config.h"
#include "spank_option.h"
#include "spank_remote.h"

SPANK_PLUGIN(vgpu, 1);

static vgpu_spank_config_t cfg;

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
