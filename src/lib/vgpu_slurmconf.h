/*
 * vgpu_slurmconf.h - generate the Slurm configuration for fractional GPUs.
 *
 * From the inventories of the nodes (vgpu discover --json) and vgpu.conf,
 * write:
 *   - gres.conf lines: every GPU with Type= (Links= from the node's NVLink
 *     matrix when its GPUs are linked; Cores= when locality is known; Slurm 22.05 places whole-GPU jobs on GPUs holding shards when
 *     gpu lines carry neither), and a shard line per GPU with its count;
 *   - slurm.conf fragments: GresTypes and a NodeName= Gres= Features= line
 *     per node; Features= names each GPU type the node has shards of as
 *     vgpu_TYPE (VGPU_SLURMCONF_FEATURE_PREFIX, type lower-cased), which
 *     the cli_filter turns type= requests into --constraint with; with a
 *     clique map, the name of the node's NVLink partition too;
 *   - vgpu.conf GpuType= lines: per type the smallest memory (rounded down
 *     to MiB) and SM count seen, so the controller never promises more than
 *     the weakest GPU has.
 * Output is deterministic: nodes sorted by name, GPUs by minor number.
 */
#ifndef VGPU_SLURMCONF_H
#define VGPU_SLURMCONF_H

#include <stdio.h>

#include "vgpu_cliquemap.h"
#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_inventory.h"
#include "vgpu_request.h"

#define VGPU_SLURMCONF_GRES 0x1         /* gres.conf */
#define VGPU_SLURMCONF_NODES 0x2        /* slurm.conf GresTypes + NodeName lines */
#define VGPU_SLURMCONF_TYPES 0x4        /* vgpu.conf GpuType lines */
#define VGPU_SLURMCONF_ALL 0x7

/* Node features the generator writes: this prefix + the GPU type's name. */
#define VGPU_SLURMCONF_FEATURE_PREFIX "vgpu_"

typedef struct vgpu_slurmconf_opts {
	unsigned what;                  /* VGPU_SLURMCONF_* bits */
	const char *dev_dir;            /* where nvidiaN live; NULL: "/dev"; "%n" in it
					 * stands for the node name (one dir per node) */
	int headers;                    /* print "# --- gres.conf ---" section headers */
	const char *preamble;           /* a comment line written first, or NULL */
	int omit_cores;                 /* leave Cores= out (nodes whose slurmd sees other CPUs) */
	const vgpu_cliquemap_t *map;    /* NULL, or the clique map: each node's NodeName line
					 * gains its NVLink partition's name as a Feature */
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

/* The node feature of GPU type `type`: "vgpu_" + the name lower-cased
 * (type names are [A-Za-z0-9_.-], vgpu_request.h; all safe in a Slurm
 * constraint). Returns 0, or -1 when it does not fit in len (buf then ""). */
int vgpu_slurmconf_feature(const char *type, char *buf, size_t len);

/* What the cli_filter needs to rewrite --gres=vgpu:REQUEST
 * (vgpu_clifilter.c, for cli_filter_vgpu.so). */
typedef struct vgpu_slurmconf_admit {
	/* the largest count over the types the request fits, of its type=
	 * when given (vgpu_account_shards_any), so on each of those types it
	 * gets at least what it asked for */
	unsigned shards;
	/* vgpu_request_format with ':' for ',' (Slurm splits --export at ',') */
	char canon[VGPU_REQUEST_TEXT_MAX];
	/* the --constraint the job needs: vgpu_TYPE for type=, else the
	 * features of the types it fits joined by '|'; "" when it fits every
	 * configured type (homogeneous clusters then need no features) */
	char features[VGPU_CONF_TYPES_MAX * (VGPU_NAME_MAX + 8)];
} vgpu_slurmconf_admit_t;

/* Fill *out for request req under conf. Returns 0, or -1 with err set
 * (gpus= above 1, fits no type, type not configured); *out is then all
 * zero. */
int vgpu_slurmconf_admit(const vgpu_conf_t *conf, const vgpu_request_t *req, vgpu_slurmconf_admit_t *out,
			 vgpu_err_t *err);

#endif
