/*
 * spank_option.h - the plugin's command line option, in every context:
 *
 *   --vgpu-request=REQUEST   the canonical slice request of the step
 *
 * Users write --gres=vgpu:REQUEST; the cli_filter (cli_filter_vgpu.so)
 * turns it into --gres=shard:N and passes REQUEST here, so the remote side
 * knows the cores cap memory accounting needs. A malformed value is refused
 * at submit with the parser's message.
 */
#ifndef VGPU_SPANK_OPTION_H
#define VGPU_SPANK_OPTION_H

#include <slurm/spank.h>

/* Register the option (slurm_spank_init). 0 or -1. */
int vgpu_spank_option_register(spank_t sp);

/* The value given, or NULL. */
const char *vgpu_spank_option_request(void);

#endif
