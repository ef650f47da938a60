/*
 * sim_env.h - where a process finds its simulated node, and which of its
 * GPUs CUDA shows (CUDA_VISIBLE_DEVICES). Read once per process by each
 * simulated library, at cuInit / nvmlInit.
 *
 * The node file: $VGPU_SIM_NODE; else $VGPU_SIM_DIR/$SLURMD_NODENAME.json
 * (Slurm sets SLURMD_NODENAME in job tasks, so several simulated nodes on one
 * machine each see their own GPUs); else there is no node, as on a machine
 * without a driver. State files: $VGPU_SIM_STATE, else
 * "<directory of the node file>/state-<hostname>".
 */
#ifndef VGPU_SIM_ENV_H
#define VGPU_SIM_ENV_H

#include <stddef.h>

#include "sim_node.h"

struct vgpu_sim_env {
	struct vgpu_sim_node node;
	char node_path[4096];
	char state_dir[4096];
};

/* Fill *env from the environment. Returns 0; 1 when no node is configured
 * (the caller behaves as a machine without a GPU); -1 when the configured
 * node cannot be read or parsed (err says why). */
int vgpu_sim_env_load(struct vgpu_sim_env *env, char *err, size_t errlen);

/* Apply a CUDA_VISIBLE_DEVICES value (NULL: unset) to node: map[k] gets the
 * node GPU index of CUDA ordinal k. Entries are indices, full UUIDs
 * ("GPU-...") or unique UUID prefixes, separated by commas; the list stops at
 * the first entry that is invalid, unknown, ambiguous or repeated, as the
 * real driver's does; an empty value shows no device. Returns the count. */
int vgpu_sim_visible_devices(const char *value, const struct vgpu_sim_node *node, int *map, int max);

/* Write one line "vgpu-sim: <msg>" to stderr (only for configuration
 * errors, once per process and library). */
void vgpu_sim_warn(const char *msg);

#endif
