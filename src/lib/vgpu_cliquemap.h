/*
 * vgpu_cliquemap.h - the clique map: which nodes form each NVLink partition.
 *
 * An NVLink partition is identified by the pair (cluster UUID of the NVLink
 * domain, clique id within it): a clique id alone repeats across racks. The
 * map is a versioned JSON file (doc/cliquemap.md, cliquemap(5)) that a site
 * generates with `vgpu cliquemap build` from the nodes' inventories
 * (`vgpu discover --json`) or writes by hand, and that `vgpu cliquemap check`
 * validates. Everything downstream reads it: `vgpu conf` (node Features,
 * topology.conf per Slurm release, Slurm partitions), the job_submit plugin
 * (containment, best fit, refusal of jobs larger than every partition) and
 * `vgpu show partitions`.
 *
 * Slurm-free, json-c-free (the reader keeps the line of every value, so that
 * every error names file:line).
 */
#ifndef VGPU_CLIQUEMAP_H
#define VGPU_CLIQUEMAP_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"
#include "vgpu_inventory.h"

#define VGPU_CLIQUEMAP_MAJOR 1          /* readers refuse another major */
#define VGPU_CLIQUEMAP_MINOR 0          /* a newer minor is accepted */
#define VGPU_CM_NAME_MAX 64             /* partition and IMEX domain names */
#define VGPU_CM_REASON_MAX 256

/* One node of a partition. */
typedef struct vgpu_cm_node {
	char name[VGPU_HOST_MAX];       /* Slurm NodeName */
	unsigned gpus;                  /* GPUs of the node in the partition (0: unknown) */
	char health[VGPU_CM_REASON_MAX]; /* "" healthy, else why not ("fabric health mask 0x4") */
	unsigned line;                  /* where it was named in the file (0: built) */
} vgpu_cm_node_t;

/* One NVLink partition. */
typedef struct vgpu_cm_partition {
	char name[VGPU_CM_NAME_MAX];    /* [A-Za-z0-9_-]+, unique; also the node Feature */
	unsigned char cluster_uuid[16]; /* the NVLink domain, never all zero */
	uint32_t clique_id;             /* the partition within the domain */
	char imex_domain[VGPU_CM_NAME_MAX]; /* "" none given */
	size_t nnodes;
	vgpu_cm_node_t *nodes;          /* in hostlist order */
	unsigned line;                  /* line of the partition's object (0: built) */
} vgpu_cm_partition_t;

/* A node that belongs to no partition, and why (from build: its GPUs
 * disagree, fabric state not COMPLETED, status not success, zero UUID,
 * unhealthy). */
typedef struct vgpu_cm_excluded {
	char name[VGPU_HOST_MAX];
	char reason[VGPU_CM_REASON_MAX];
	unsigned line;                  /* where it was named in the file (0: built) */
} vgpu_cm_excluded_t;

typedef struct vgpu_cliquemap {
	unsigned major, minor;          /* of the file read; VGPU_CLIQUEMAP_* when built */
	size_t nparts;
	vgpu_cm_partition_t *parts;     /* sorted by name */
	size_t nexcluded;
	vgpu_cm_excluded_t *excluded;
} vgpu_cliquemap_t;

/* Parse map text (len bytes, not NUL-terminated); name (the file) prefixes
 * every message, with the line: "map.json:12: partition 'nvl2': node n5 is
 * already in partition 'nvl1' (line 7): a node belongs to one partition".
 * Refuses: bad JSON, a missing or unknown major version, missing required
 * keys, malformed UUIDs, names outside [A-Za-z0-9_-], duplicate names or
 * identities, a node in two partitions, bad hostlists. Ignores unknown keys.
 * Returns 0, or -1 with *map left empty (nothing to free). */
int vgpu_cliquemap_parse(const char *text, size_t len, const char *name,
			 vgpu_cliquemap_t *map, vgpu_err_t *err);

/* Read the file at path (at most 16 MiB) and parse it as above. */
int vgpu_cliquemap_load(const char *path, vgpu_cliquemap_t *map, vgpu_err_t *err);

/* Check that every node the map names is one of known (nknown names, e.g.
 * slurm.conf's NodeNames); name is the map's file for messages ("map.json:9:
 * partition 'nvl1': node n9 is not a node of slurm.conf"). Returns 0 or -1. */
int vgpu_cliquemap_check_nodes(const vgpu_cliquemap_t *map, const char *name,
			       const char *const *known, size_t nknown, vgpu_err_t *err);

/* Build a map from nodes' inventories: a node joins the partition its GPUs
 * report when every GPU is fabric attached (vgpu_inventory_fabric_attached),
 * all agree on (cluster UUID, clique id) and none reports bad health;
 * otherwise it goes to map->excluded with the reason. Partitions are named
 * deterministically from their identity (independent of input order).
 * Returns 0, or -1 (duplicate host names, OOM) with *map left empty. */
int vgpu_cliquemap_build(const vgpu_inventory_t *invs, size_t ninv,
			 vgpu_cliquemap_t *map, vgpu_err_t *err);

/* The map as JSON text in the documented format (malloc'ed; NULL on OOM).
 * Deterministic: parse(to_json(m)) equals m. */
char *vgpu_cliquemap_to_json(const vgpu_cliquemap_t *map);

/* The partition holding node (NULL when none). */
const vgpu_cm_partition_t *vgpu_cliquemap_find_node(const vgpu_cliquemap_t *map, const char *node);

/* Release what parse/load/build allocated; *map is left empty. NULL is fine. */
void vgpu_cliquemap_free(vgpu_cliquemap_t *map);

/* Where every error of the *_all functions goes: one sentence each, file
 * and line first, no newline. */
typedef void (*vgpu_cm_report_t)(void *arg, const char *msg);

/* As vgpu_cliquemap_parse, but finds every error it can (a JSON syntax
 * error stops at the first) and hands each to report. Returns the number
 * of errors: 0 with *map filled, else *map left empty. */
size_t vgpu_cliquemap_parse_all(const char *text, size_t len, const char *name,
				vgpu_cliquemap_t *map, vgpu_cm_report_t report, void *arg);

/* As vgpu_cliquemap_check_nodes, every unknown node reported; returns the
 * number of errors. */
size_t vgpu_cliquemap_check_nodes_all(const vgpu_cliquemap_t *map, const char *name,
				      const char *const *known, size_t nknown,
				      vgpu_cm_report_t report, void *arg);

/* The node names a slurm.conf (text, len bytes; name for messages)
 * defines: every NodeName= value but DEFAULT, hostlists expanded, in file
 * order (keys in any case, '#' comments, '\' continuations). Returns 0 with
 * *names (free with vgpu_hostlist_free), or -1 ("slurm.conf:4: NodeName=
 * 'n[3-1]': ..."). */
int vgpu_cliquemap_slurm_nodes(const char *text, size_t len, const char *name, char ***names,
			       size_t *n, vgpu_err_t *err);

/* The identity of a partition as NVIDIA writes it, "<cluster uuid>.<clique
 * id>" (buf at least VGPU_CM_IDENTITY_MAX bytes). Returns buf. */
#define VGPU_CM_IDENTITY_MAX 48
const char *vgpu_cliquemap_identity(const vgpu_cm_partition_t *part, char *buf, size_t len);

#endif
