/*
 * cmd_show_links.h - the "GPU SETS" part of `vgpu show` (cmd_show.c): for
 * every job holding two or more whole GPUs of a node, whether and how
 * they are NVLink-connected, from the links gres.conf gives the node
 * (vgpu_gresconf.h; the description is vgpu_show_gpuset_describe).
 */
#ifndef VGPU_CMD_SHOW_LINKS_H
#define VGPU_CMD_SHOW_LINKS_H

#include <stdint.h>

#include <json-c/json.h>

#include "vgpu_show.h"

typedef struct gpu_sets gpu_sets_t;

/* A new, empty list; NULL when out of memory. */
gpu_sets_t *vgpu_show_sets_new(void);

/* Read gres.conf: `path`, or, when NULL, the gres.conf beside SLURM_CONF
 * (or beside /etc/slurm/slurm.conf). A file that cannot be read is not an
 * error: every set then says "links unknown (cannot read PATH: ...)". */
void vgpu_show_sets_open(gpu_sets_t *gs, const char *path);

/* Add a line for every job (job_id when not 0, of user when not NULL)
 * holding two or more whole GPUs of node; 0, or -1 when out of memory. */
int vgpu_show_sets_add(gpu_sets_t *gs, const vgpu_show_node_t *node, uint32_t job_id,
		       const char *user);

/* Print the lines as text (a "GPU SETS" table; nothing when there are
 * none), or, with root, add "links_source" and "gpu_sets" to it. */
void vgpu_show_sets_print(const gpu_sets_t *gs, json_object *root);

/* Free gs (NULL is fine). */
void vgpu_show_sets_free(gpu_sets_t *gs);

#endif
