/*
 * sim_node.h - the description of one simulated GPU node, read from a JSON
 * file (schema: doc/simulator.md). Shared by the simulated libcuda.so.1 and
 * libnvidia-ml.so.1; never linked into the project's own libraries.
 *
 * Everything here is immutable once parsed. GPU index i is the NVML index
 * and the CUDA ordinal before CUDA_VISIBLE_DEVICES: the JSON must list GPUs
 * in ascending PCI bus id order, as both enumerate them on a real node.
 */
#ifndef VGPU_SIM_NODE_H
#define VGPU_SIM_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VGPU_SIM_NODE_VERSION 1 /* the schema major this code reads */
#define VGPU_SIM_MAX_GPUS 16
#define VGPU_SIM_MAX_SWITCHES 8
#define VGPU_SIM_MAX_LINKS 18    /* NVML_NVLINK_MAX_LINKS (r580) */
#define VGPU_SIM_UUID_LEN 40     /* "GPU-" + 36 */
#define VGPU_SIM_NAME_MAX 96     /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define VGPU_SIM_HOSTNAME_MAX 64
#define VGPU_SIM_DEFAULT_CONTEXT_BYTES (300ull << 20)
#define VGPU_SIM_PCI_VENDOR_NVIDIA 0x10de

/* PCI address: "%08x:%02x:%02x.%x" domain:bus:device.function */
struct vgpu_sim_pci {
	unsigned int domain;
	unsigned int bus;
	unsigned int device;
	unsigned int function;
};

enum vgpu_sim_link_kind { VGPU_SIM_LINK_NONE = 0, VGPU_SIM_LINK_GPU, VGPU_SIM_LINK_SWITCH };

/* What NVLink link number n of a GPU reaches. */
struct vgpu_sim_link {
	enum vgpu_sim_link_kind kind;
	int target; /* GPU index or switch index */
};

struct vgpu_sim_switch {
	struct vgpu_sim_pci pci;
	unsigned int pci_device_id; /* 16-bit device id */
};

#define VGPU_SIM_MAX_CLIQUES 64  /* NVML_GPU_FABRIC_CLIQUE_MAX */

/* One (type, id) clique entry of the v4 fabric query. */
struct vgpu_sim_clique {
	unsigned char type;              /* NVML_GPU_FABRIC_CLIQUE_TYPE_* */
	unsigned int id;
};

struct vgpu_sim_fabric {
	bool present;                    /* "fabric" given in the JSON */
	unsigned char cluster_uuid[16];
	unsigned int clique_id;          /* legacy cliqueId (v1..v3) */
	unsigned char state;             /* NVML_GPU_FABRIC_STATE_* */
	unsigned int status;             /* an nvmlReturn_t value */
	unsigned int health_mask;        /* NVML_GPU_FABRIC_HEALTH_MASK_* bits */
	unsigned char health_summary;    /* NVML_GPU_FABRIC_HEALTH_SUMMARY_* */
	int ncliques;                    /* v4 entries, sorted by type then id */
	struct vgpu_sim_clique cliques[VGPU_SIM_MAX_CLIQUES];
};

/* The newest fabric query the node's driver offers ("fabric_api"):
 * 1 nvmlDeviceGetGpuFabricInfo only (r535), 2 also the V call with the v2
 * struct (r550), 3 also v3 (r555..r590, the default), 4 also
 * nvmlDeviceGetGpuFabricInfo_v4 (r610). */
#define VGPU_SIM_FABRIC_API_DEFAULT 3

struct vgpu_sim_gpu {
	char uuid[VGPU_SIM_UUID_LEN + 1];  /* "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
	unsigned char uuid_bytes[16];
	struct vgpu_sim_pci pci;
	unsigned int pci_device_id;        /* 16-bit device id (vendor is NVIDIA) */
	unsigned int pci_subsystem_id;
	char name[VGPU_SIM_NAME_MAX];
	uint64_t memory_bytes;             /* what NVML calls total */
	uint64_t reserved_bytes;           /* held by the driver; NVML v2 "reserved" */
	uint64_t context_bytes;            /* device memory one CUDA context costs */
	int sms;
	int cc_major, cc_minor;
	unsigned int minor;                /* /dev/nvidiaN */
	bool mig_capable;
	bool mig_enabled;
	int nvlinks;                       /* links this GPU has (0: no NVLink) */
	struct vgpu_sim_link links[VGPU_SIM_MAX_LINKS];
	struct vgpu_sim_fabric fabric;
};

struct vgpu_sim_node {
	int version;
	char hostname[VGPU_SIM_HOSTNAME_MAX];
	char driver_version[32];
	char nvml_version[48];
	int cuda_version;                  /* 1000 * major + 10 * minor */
	bool pcie_p2p;                     /* P2P over PCIe between non-NVLink GPUs */
	int fabric_api;                    /* 1..4, see VGPU_SIM_FABRIC_API_DEFAULT */
	int nswitches;
	struct vgpu_sim_switch switches[VGPU_SIM_MAX_SWITCHES];
	int ngpus;
	struct vgpu_sim_gpu gpus[VGPU_SIM_MAX_GPUS];
};

/* Parse a node description of len bytes (need not be NUL-terminated) into
 * *node. source names the input in messages ("h100x8.json"). Returns 0, or
 * -1 with a sentence in err naming the field ("h100x8.json: gpus[2].sms:
 * expected an integer from 1 to 1024"). */
int vgpu_sim_node_parse(const char *text, size_t len, const char *source, struct vgpu_sim_node *node,
			char *err, size_t errlen);

/* Read and parse the file at path (at most 1 MiB). Same contract. */
int vgpu_sim_node_load(const char *path, struct vgpu_sim_node *node, char *err, size_t errlen);

/* Parse a PCI bus id: "[domain:]bus:device[.function]" in hex, domain up
 * to 8 digits (NVML and CUDA accept "0000:18:00.0" and "00000000:18:00.0").
 * Returns 0 or -1. */
int vgpu_sim_pci_parse(const char *text, struct vgpu_sim_pci *pci);

/* Format as NVML's busId "%08X:%02X:%02X.0"-style (upper case hex), into a
 * buffer of at least 17 bytes; legacy (short) form with a 4-digit domain when
 * legacy is true. Returns buf. */
char *vgpu_sim_pci_format(const struct vgpu_sim_pci *pci, bool legacy, char *buf, size_t len);

/* Parse 32 hex digits in 8-4-4-4-12 form (no prefix) into 16 bytes. */
int vgpu_sim_uuid_parse(const char *text, unsigned char out[16]);

#endif
