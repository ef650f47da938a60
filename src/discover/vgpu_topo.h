/*
 * vgpu_topo.h - what hwloc knows about a node's GPUs: which cores and NUMA
 * node are close to each one, the NVLinkBandwidth matrix when the topology
 * carries one, and (for nodes or tests without NVML) the GPUs themselves.
 *
 * The topology is this system's, or an XML file (hwloc's format, e.g. the
 * fixtures under ../shared/fixtures/hwloc/). I/O objects are kept with
 * HWLOC_TYPE_FILTER_KEEP_IMPORTANT, so GPUs appear as PCI devices. Debian's
 * hwloc has no NVML/CUDA backend: on a real node the matrix and the GPU
 * OS devices are absent and NVML provides those facts (src/discover/).
 */
#ifndef VGPU_TOPO_H
#define VGPU_TOPO_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"
#include "vgpu_inventory.h"

typedef struct vgpu_topo vgpu_topo_t;

/* Load the topology of this system (xml NULL) or of the XML file at xml.
 * Returns 0 and sets *topo, or -1 with err ("topology FILE: ..."). */
int vgpu_topo_open(const char *xml, vgpu_topo_t **topo, vgpu_err_t *err);

/* Free a topology (NULL is fine). */
void vgpu_topo_close(vgpu_topo_t *topo);

/* The host name the topology records (an XML's Machine "HostName" info),
 * or NULL. */
const char *vgpu_topo_hostname(const vgpu_topo_t *topo);

/* Locality of the PCI device with the canonical bus id g->bus_id, from its
 * first non-I/O ancestor: g->cpus its cpuset as a list of OS CPU numbers
 * ("0-31,64-95"), g->cores the logical indexes of the cores inside it (Core
 * L#, what gres.conf Cores= wants; PU L# when the topology has no cores),
 * g->numa_node its first NUMA node (or -1). Returns 0; 1 when the topology
 * has no such device (all unknown: "", "", -1); -1 when a list does not fit
 * its field (then also all unknown). */
int vgpu_topo_locality(const vgpu_topo_t *topo, vgpu_gpu_t *g);

/* 1 when the topology carries an NVLinkBandwidth matrix, else 0. */
int vgpu_topo_has_nvlink(const vgpu_topo_t *topo);

/* Unidirectional NVLink bandwidth (MB/s) from the device with bus id `from`
 * to the device with bus id `to`, from the matrix. Returns 1 and sets *mbps
 * when the matrix holds both and they differ, else 0. */
int vgpu_topo_nvlink_bw(const vgpu_topo_t *topo, const char *from, const char *to, uint64_t *mbps);

/* Replace the links of every GPU of inv by the matrix's non-zero entries
 * (peer: the GPU of inv with that bus id, or -1; links 0: unknown; bw from
 * the matrix). GPUs the matrix does not hold keep no links. Returns the
 * number of links set. */
size_t vgpu_topo_fill_nvlink(const vgpu_topo_t *topo, vgpu_inventory_t *inv);

/* Set bw_mbps of every existing link of inv that the matrix holds. */
void vgpu_topo_fill_bw(const vgpu_topo_t *topo, vgpu_inventory_t *inv);

/* Fill inv with the NVIDIA GPUs of the topology (PCI vendor 0x10de, class
 * 0x0302 or 0x0300), in bus id order: index and minor = position, bus id,
 * locality, and what OS device info attributes offer: model (GPUModel) and
 * type, uuid (NVIDIAUUID), memory (CUDAGlobalMemorySize, KiB), SMs
 * (CUDAMultiProcessors), fabric (NVIDIAClusterUUID + NVIDIACliqueId: state
 * completed), and NVLink from the matrix. Sets hostname from the topology
 * when it has one and source "hwloc" or "hwloc-xml". Returns the number of
 * GPUs (0: none), or -1 with err. */
int vgpu_topo_gpus(const vgpu_topo_t *topo, vgpu_inventory_t *inv, vgpu_err_t *err);

#endif
