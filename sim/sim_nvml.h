/*
 * sim_nvml.h - what the files of the simulated libnvidia-ml.so.1 share
 * (sim_nvml.c: init, handles, memory, NVLink, fabric; sim_nvml_telemetry.c:
 * process lists, utilisation, temperatures, power, clocks). Internal: the
 * version script exports only nvml*.
 */
#ifndef VGPU_SIM_NVML_H
#define VGPU_SIM_NVML_H

#include <stdint.h>

#include "sim_node.h"
#include "sim_state.h"
#include "vgpu_nvml_abi.h"

/* Check that NVML is initialised and device is one of the node's handles:
 * SUCCESS and *gpu, UNINITIALIZED or INVALID_ARGUMENT. */
vgpu_nvmlReturn_t vgpu_sim_nvml_dev(vgpu_nvmlDevice_t device, const struct vgpu_sim_gpu **gpu);

/* Index of gpu (from vgpu_sim_nvml_dev) among the node's GPUs. */
int vgpu_sim_nvml_index(const struct vgpu_sim_gpu *gpu);

/* Reap dead processes, then the GPU's used bytes and up to max processes
 * (*n: how many in all). SUCCESS or UNKNOWN (state file unusable: warned
 * once on stderr). */
vgpu_nvmlReturn_t vgpu_sim_nvml_usage(const struct vgpu_sim_gpu *gpu, uint64_t *used,
				      struct vgpu_sim_proc_info *procs, int max, int *n);

/* SM ns of work the GPU completed by CLOCK_MONOTONIC time now, and when its
 * queued work ends. SUCCESS or UNKNOWN. */
vgpu_nvmlReturn_t vgpu_sim_nvml_busy(const struct vgpu_sim_gpu *gpu, uint64_t now, uint64_t *done,
				     uint64_t *until);

#endif
