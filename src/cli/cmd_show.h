/*
 * cmd_show.h - what `vgpu show` (cmd_show.c) shares with `vgpu show
 * partitions` (cmd_show_parts.c): loading the controller's view and
 * building one node's per-GPU model from it.
 */
#ifndef VGPU_CMD_SHOW_H
#define VGPU_CMD_SHOW_H

#include <stdint.h>

#include <slurm/slurm.h>

#include "vgpu_conf.h"
#include "vgpu_partview.h"
#include "vgpu_show.h"

/* Load nodes, jobs and, when steps is not NULL, steps (best effort: *steps
 * NULL when they cannot be loaded) from slurmctld. Prints what failed
 * ("vgpu show: cannot reach slurmctld: ..."); 0 or -1. */
int vgpu_show_cli_load(node_info_msg_t **nodes, job_info_msg_t **jobs,
		       job_step_info_response_msg_t **steps);

/* Fill model with node ni and the running jobs holding GRES there; 0, or
 * -1 after printing why. */
int vgpu_show_cli_node(vgpu_show_node_t *model, const node_info_msg_t *nodes, uint32_t ni,
		       const job_info_msg_t *jobs, const vgpu_conf_t *conf);

/* 1 when the job holds its resources (running or suspended). */
int vgpu_show_cli_running(const slurm_job_info_t *job);

/* The user name of uid (its number when unknown) into buf. */
void vgpu_show_cli_user(uint32_t uid, char *buf, size_t len);

/* The controller's nodes and jobs as vgpu_partview_build wants them
 * (*pn, *pj malloc'ed, the caller frees them; job node lists point into
 * jobs). 0, or -1 after printing why. */
int vgpu_show_cli_partview_inputs(const node_info_msg_t *nodes, const job_info_msg_t *jobs,
				  const vgpu_conf_t *conf, vgpu_pv_node_t **pn, size_t *npn,
				  vgpu_pv_job_t **pj, size_t *npj);

/* `vgpu show partitions ...` (argv[0] is "partitions"). */
int vgpu_cmd_show_partitions(int argc, char **argv);

#endif
