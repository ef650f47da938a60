/*
 * vgpu_discover.h - build this node's inventory (vgpu_inventory.h) from the
 * NVIDIA driver and hwloc: what `vgpu discover` prints.
 *
 * Sources (doc/inventory.md tells which field comes from where):
 *   NVML (libnvidia-ml.so.1, dlopen)  GPUs, UUIDs, bus ids, models, memory,
 *                                     MIG mode, NVLink peers, fabric, driver
 *   CUDA driver (libcuda.so.1, dlopen) SM count of each GPU, by PCI bus id
 *   hwloc (this system or an XML file) close cores and NUMA node; NVLink
 *                                     bandwidth when the topology has it
 * With no_nvml the GPUs come from the hwloc topology alone (tests, fixtures).
 *
 * The library never changes the process environment. CUDA sees only the GPUs
 * CUDA_VISIBLE_DEVICES leaves visible: GPUs hidden from it keep sms 0 and a
 * warning names them. GPUs in MIG mode are not asked (CUDA would answer
 * for a MIG instance): sms 0 and a warning.
 */
#ifndef VGPU_DISCOVER_H
#define VGPU_DISCOVER_H

#include "vgpu_error.h"
#include "vgpu_inventory.h"

#define VGPU_DISCOVER_NVML_DEFAULT "libnvidia-ml.so.1"
#define VGPU_DISCOVER_CUDA_DEFAULT "libcuda.so.1"

/* Receives one warning (a sentence without a trailing newline). */
typedef void (*vgpu_discover_warn_fn)(void *arg, const char *msg);

typedef struct vgpu_discover_opts {
	const char *nvml_lib;           /* NULL: VGPU_DISCOVER_NVML_DEFAULT */
	const char *cuda_lib;           /* NULL: VGPU_DISCOVER_CUDA_DEFAULT */
	const char *topology;           /* hwloc XML file; NULL: this system */
	int no_nvml;                    /* GPUs from the topology alone */
	const char *hostname;           /* NULL: the topology's, else this host's short name */
	vgpu_discover_warn_fn warn;     /* NULL: warnings are dropped */
	void *warn_arg;
} vgpu_discover_opts_t;

/* Fill *inv. Returns 0, or -1 with err: "no NVIDIA driver: LIB could not be
 * loaded (dlerror)", "no GPU found: ...", a topology that cannot be read,
 * an NVML call that fails for a GPU. Non-fatal problems (no CUDA driver, a
 * GPU hidden from CUDA, no locality) go to opts->warn. */
int vgpu_discover_run(const vgpu_discover_opts_t *opts, vgpu_inventory_t *inv, vgpu_err_t *err);

/* Send a printf-style warning to fn (no-op when fn is NULL). */
void vgpu_discover_warnf(vgpu_discover_warn_fn fn, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Short host name: name up to its first dot, into buf (size len). Returns 0,
 * or -1 when it is empty, too long or has a character other than letters,
 * digits, '-', '_' (then buf is ""). */
int vgpu_discover_short_hostname(const char *name, char *buf, size_t len);

#endif
