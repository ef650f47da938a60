/*
 * vgpu_slurmconf.h - generate the Slurm configuration for fractional GPUs.
 *
 * From the inventories of the nodes (vgpu discover --json) and vgpu.conf,
 * write:
 *   - gres.conf lines: every GPU with Type= (and Cores= when locality is
 *     known; Slurm 22.05 places whole-GPU jobs on GPUs holding shards when
 *     gpu lines carry neither), and a shard line per GPU with its count;
 *   - slurm.conf fragments: GresTypes and a NodeName= Gres= line per node;
 *   - vgpu.conf GpuType= lines: per type the smallest memory (rounded down
 *     to MiB) and SM count seen, so the controller never promises more than
 *     the weakest GPU has.
 * Output is deterministic: nodes sorted by name, GPUs by minor number.
 */
#ifndef VGPU_SLURMCONF_H
#define VGPU_SLURMCONF_H

#include <stdio.h>

#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_inventory.h"

#define VGPU_SLURMCONF_GRES 0x1         /* gres.conf */
#define VGPU_SLURMCONF_NODES 0x2        /* slurm.conf GresTypes + NodeName lines */
#define VGPU_SLURMCONF_TYPES 0x4        /* vgpu.conf GpuType lines */
#define VGPU_SLURMCONF_ALL 0x7

typedef struct vgpu_slurmconf_opts {
	unsigned what;                  /* VGPU_SLURMCONF_* bits */
	const char *dev_dir;            /* where nvidiaN live; NULL: "/dev"; "%n" in it
					 * stands for the node name (one dir per node) */
	int headers;                    /* print "# --- gres.conf ---" section headers */
	const char *preamble;           /* a comment line written first, or NULL */
	int omit_cores;                 /* leave Cores= out (nodes whose slurmd sees other CPUs) */
} vgpu_slurmconf_opts_t;

/* Check the inventories against each other and against conf: unique host
 * names, every GPU with memory and SMs, no GPU whose memory or SMs are below
 * what conf's GpuType of its type promises (that would let slices overlap).
 * Returns 0, or -1 with a message naming the node, GPU and conf line. */
int vgpu_slurmconf_check(const vgpu_conf_t *conf, const vgpu_inventory_t *invs,
			 size_t ninvs, vgpu_err_t *err);

/* Write the sections chosen in opts->what to out. Runs vgpu_slurmconf_check
 * first and writes nothing when it fails. Returns 0, or -1 with err set. */
int vgpu_slurmconf_write(FILE *out, const vgpu_conf_t *conf,
			 const vgpu_inventory_t *invs, size_t ninvs,
			 const vgpu_slurmconf_opts_t *opts, vgpu_err_t *err);

#endif
