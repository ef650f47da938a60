/*
 * vgpu_inventory.h - what one node has: its GPUs and how they are connected.
 *
 * Filled by discovery (NVML + hwloc, src/discover/) on a node, written as JSON
 * by `vgpu discover --json`, read back by `vgpu conf` on an admin host. The
 * JSON form is documented in doc/inventory.md; it carries "version": 1 and
 * readers refuse an unknown major version and ignore unknown keys.
 */
#ifndef VGPU_INVENTORY_H
#define VGPU_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"
#include "vgpu_request.h"

#define VGPU_INV_VERSION 1
#define VGPU_GPUS_MAX 64
#define VGPU_UUID_MAX 80        /* "GPU-xxxxxxxx-xxxx-..." with NUL */
#define VGPU_BUSID_MAX 32       /* "00000000:1B:00.0" with NUL */
#define VGPU_CPULIST_MAX 256    /* "0-31,64-95" with NUL */
#define VGPU_HOST_MAX 256

typedef struct vgpu_nvlink {
	int peer;               /* index into vgpu_inventory.gpus, or -1: not a GPU of this node */
	char peer_bus_id[VGPU_BUSID_MAX];
	unsigned links;         /* active NVLinks to that peer */
	uint64_t bw_mbps;       /* unidirectional MB/s to that peer (0: unknown) */
} vgpu_nvlink_t;

typedef enum vgpu_fabric_state {
	VGPU_FABRIC_NONE = 0,           /* not fabric attached (or unknown) */
	VGPU_FABRIC_NOT_STARTED = 1,
	VGPU_FABRIC_IN_PROGRESS = 2,
	VGPU_FABRIC_COMPLETED = 3,
} vgpu_fabric_state_t;

typedef enum vgpu_fabric_health {
	VGPU_FABRIC_HEALTH_NOT_SUPPORTED = 0,   /* the source gave none (v1, v2) */
	VGPU_FABRIC_HEALTH_HEALTHY = 1,
	VGPU_FABRIC_HEALTH_UNHEALTHY = 2,
	VGPU_FABRIC_HEALTH_LIMITED_CAPACITY = 3,
} vgpu_fabric_health_t;

#define VGPU_FABRIC_CLIQUES_MAX 64      /* NVML_GPU_FABRIC_CLIQUE_MAX */
#define VGPU_FABRIC_SOURCE_MAX 16

/* One clique of the v4 query: type 0 unicast pointer, 1 multicast pointer,
 * 2 unicast logical endpoint, 3 multicast logical endpoint (others kept as
 * numbers). */
typedef struct vgpu_fabric_clique {
	unsigned type;                  /* 0..255 */
	uint32_t id;
} vgpu_fabric_clique_t;

typedef struct vgpu_fabric {
	unsigned char cluster_uuid[16]; /* NVLink domain; all zero: none */
	uint32_t clique_id;             /* NVLink partition within the domain (the
					 * first unicast pointer clique under v4) */
	vgpu_fabric_state_t state;
	uint32_t status;                /* NVML return code of the fabric probe, 0 = success */
	uint32_t health_mask;
	vgpu_fabric_health_t health_summary;
	char source[VGPU_FABRIC_SOURCE_MAX]; /* the query that answered: "nvml-v4",
					 * "nvml-v3", "nvml-v2", "nvml-v1", "hwloc-xml"; "" none */
	size_t ncliques;                /* v4 only; 0 otherwise */
	vgpu_fabric_clique_t cliques[VGPU_FABRIC_CLIQUES_MAX]; /* by type, then id */
} vgpu_fabric_t;

typedef struct vgpu_gpu {
	unsigned index;                 /* NVML index on the node */
	unsigned minor;                 /* /dev/nvidiaN */
	char uuid[VGPU_UUID_MAX];
	char bus_id[VGPU_BUSID_MAX];    /* canonical "0000:1b:00.0" (domain 4 hex, lower case) */
	char model[96];                 /* NVML name, "NVIDIA H100 80GB HBM3" */
	char type[VGPU_NAME_MAX];       /* gres.conf Type=, "h100" */
	uint64_t mem_bytes;             /* total memory NVML reports */
	uint64_t reserved_bytes;        /* of it, what the driver keeps (NVML total -
					 * CUDA total); 0 unknown or none */
	uint64_t context_bytes;         /* one CUDA context, measured; 0 unknown */
	unsigned sms;                   /* multiprocessor count */
	int mig_enabled;                /* current MIG mode: 1 on, 0 off */
	int numa_node;                  /* -1: unknown */
	char cpus[VGPU_CPULIST_MAX];    /* CPUs (OS numbers, hwloc cpuset) close to the GPU,
					 * "0-31,64-95"; "" unknown */
	char cores[VGPU_CPULIST_MAX];   /* the same cores as gres.conf Cores= wants them:
					 * logical core indexes (lstopo's Core L#), "0-15" */
	size_t nlinks;
	vgpu_nvlink_t links[VGPU_GPUS_MAX];
	vgpu_fabric_t fabric;
} vgpu_gpu_t;

typedef struct vgpu_inventory {
	char hostname[VGPU_HOST_MAX];   /* short host name, as slurm.conf NodeName */
	char driver_version[32];        /* "580.65.06" */
	int cuda_driver_version;        /* 13000 */
	char source[64];                /* "nvml", "nvml+hwloc", "hwloc-xml" ... */
	size_t ngpus;
	vgpu_gpu_t gpus[VGPU_GPUS_MAX];
} vgpu_inventory_t;

/* Derive the short type name from an NVML model name: "NVIDIA H100 80GB HBM3"
 * -> "h100", "NVIDIA A100-SXM4-80GB" -> "a100", "Tesla V100-SXM2-16GB" ->
 * "v100", "NVIDIA GeForce RTX 4090" -> "rtx4090", "NVIDIA L40S" -> "l40s".
 * Writes at most len bytes; returns 0, or -1 when no name can be derived. */
int vgpu_inventory_type_name(const char *model, char *buf, size_t len);

/* Canonicalise a PCI bus id ("00000000:1B:00.0" or "0000:1b:00.0") into
 * "0000:1b:00.0". Returns 0, or -1 (with err) for a malformed id. */
int vgpu_inventory_busid(const char *in, char *out, size_t len, vgpu_err_t *err);

/* Serialise as JSON (malloc'ed, caller frees). Returns NULL on OOM. */
char *vgpu_inventory_to_json(const vgpu_inventory_t *inv);

/* Parse JSON text (len bytes); `name` (a file name) is used in messages.
 * Returns 0, or -1 with a message naming the field ("node1.json: gpus[2].memory:
 * expected an integer"); *inv is zeroed first, never half-filled on error. */
int vgpu_inventory_from_json(const char *text, size_t len, const char *name,
			     vgpu_inventory_t *inv, vgpu_err_t *err);

/* Read and parse the file at path (at most 16 MiB); messages name the path. */
int vgpu_inventory_load(const char *path, vgpu_inventory_t *inv, vgpu_err_t *err);

/* Compare two inventories field by field (strings up to their NUL). Returns 0
 * when equal, else 1 and writes the path of the first difference ("gpus[1].sms")
 * into what (size len; what may be NULL). */
int vgpu_inventory_compare(const vgpu_inventory_t *a, const vgpu_inventory_t *b,
			   char *what, size_t len);

/* The GPU of inv with this canonical bus id, or NULL. */
const vgpu_gpu_t *vgpu_inventory_find_busid(const vgpu_inventory_t *inv, const char *bus_id);

/* Fabric state as written in JSON: "none", "not_started", "in_progress",
 * "completed" ("unknown" for a value outside the enum). */
const char *vgpu_inventory_fabric_state_name(vgpu_fabric_state_t state);

/* Fabric health summary as written in JSON: "not_supported", "healthy",
 * "unhealthy", "limited_capacity" ("unknown" outside the enum). */
const char *vgpu_inventory_fabric_health_name(vgpu_fabric_health_t health);

/* Clique type as written in JSON: "unicast_pointer", "multicast_pointer",
 * "unicast_logical_endpoint", "multicast_logical_endpoint"; NULL for another
 * number (written as the number). */
const char *vgpu_inventory_clique_type_name(unsigned type);

/* Format a 16-byte UUID as canonical 8-4-4-4-12 lower-case hex (buf at least
 * 37 bytes); returns buf. */
const char *vgpu_inventory_uuid_format(const unsigned char uuid[16], char *buf, size_t len);

/* Parse 8-4-4-4-12 hex (either case) into 16 bytes. Returns 0, or -1 when the
 * text is not exactly that form. */
int vgpu_inventory_uuid_parse(const char *text, unsigned char uuid[16]);

/* 1 when the GPU is usable in an NVLink partition: state COMPLETED, status 0
 * and a non-zero cluster UUID (see doc/inventory.md); else 0. Health is not
 * looked at here: health_mask and health_summary are the caller's to judge
 * (vgpu cliquemap build reports an unhealthy node). */
int vgpu_inventory_fabric_attached(const vgpu_fabric_t *fabric);

#endif
