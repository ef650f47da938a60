/*
 * vgpu_nvmlprobe.h - read the GPUs of this node from NVML, loaded at run time
 * with dlopen (no link-time dependency on the NVIDIA driver). Every entry
 * point is looked up by its versioned name from one table (see the .c), with
 * the function types of src/include/vgpu_nvml_abi.h.
 */
#ifndef VGPU_NVMLPROBE_H
#define VGPU_NVMLPROBE_H

#include "vgpu_discover.h"
#include "vgpu_error.h"
#include "vgpu_inventory.h"

typedef struct vgpu_nvmlprobe vgpu_nvmlprobe_t;

/* dlopen lib (a name for the loader's search, or a path), resolve the entry
 * points and call nvmlInit_v2. Returns 0, or -1 with err: "no NVIDIA driver:
 * LIB could not be loaded (DLERROR)", "LIB: no nvmlInit_v2", "LIB:
 * nvmlInit_v2: MESSAGE". */
int vgpu_nvmlprobe_open(const char *lib, vgpu_nvmlprobe_t **probe, vgpu_err_t *err);

/* nvmlShutdown and dlclose (NULL is fine). */
void vgpu_nvmlprobe_close(vgpu_nvmlprobe_t *probe);

/* Fill inv->gpus with every GPU NVML reports, in NVML index order: index,
 * minor, uuid, bus id, model, type, memory, MIG mode, NVLink peers (links
 * per peer, peer = position of the GPU with that bus id or -1), fabric; and
 * inv->driver_version, inv->cuda_driver_version. *nvlink_known is set to 1
 * when NVML answered NVLink queries for at least one GPU (0: no NVLink
 * support, or none reported). Returns the number of GPUs, or -1 with err
 * for a call that must work (count, handle, PCI info). */
int vgpu_nvmlprobe_read(vgpu_nvmlprobe_t *probe, vgpu_inventory_t *inv, int *nvlink_known,
			vgpu_discover_warn_fn warn, void *warn_arg, vgpu_err_t *err);

#endif
