/* vgpu_discover.c - see vgpu_discover.h */
#include "vgpu_discover.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgpu_cudaprobe.h"
#include "vgpu_nvmlprobe.h"
#include "vgpu_topo.h"

void vgpu_discover_warnf(vgpu_discover_warn_fn fn, void *arg, const char *fmt, ...)
{
	char msg[VGPU_ERR_MAX];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(arg, msg);
}

int vgpu_discover_short_hostname(const char *name, char *buf, size_t len)
{
	size_t n = name ? strcspn(name, ".") : 0;

	if (len)
		buf[0] = '\0';
	if (n == 0 || n >= len)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return -1;
	}
	memcpy(buf, name, n);
	buf[n] = '\0';
	return 0;
}

/* inv->hostname: the option, else the topology's, else this host's. */
static int set_hostname(const vgpu_discover_opts_t *o, const vgpu_topo_t *topo, vgpu_inventory_t *inv,
			vgpu_err_t *err)
{
	char host[VGPU_HOST_MAX + 1];
	const char *from = "--hostname";
	const char *name = o->hostname;

	if (!name && topo && o->topology && vgpu_topo_hostname(topo)) {
		name = vgpu_topo_hostname(topo);
		from = "the topology's HostName";
	}
	if (!name) {
		memset(host, 0, sizeof(host));
		if (gethostname(host, sizeof(host) - 1) != 0)
			return vgpu_err_set(err, "cannot get this host's name: use --hostname");
		name = host;
		from = "this host's name";
	}
	if (o->hostname) {
		size_t n = strlen(name);

		if (n == 0 || n >= sizeof(inv->hostname) ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n)
			return vgpu_err_set(err, "--hostname '%.64s' is not a usable node name "
					    "(letters, digits, '-', '_', '.')", name);
		memcpy(inv->hostname, name, n + 1);
	} else if (vgpu_discover_short_hostname(name, inv->hostname, sizeof(inv->hostname)) != 0) {
		return vgpu_err_set(err, "%s '%.64s' is not a usable node name (letters, digits, '-', '_'): "
				    "use --hostname", from, name);
	}
	return 0;
}

static void add_source(vgpu_inventory_t *inv, const char *part)
{
	size_t used = strlen(inv->source);

	snprintf(inv->source + used, sizeof(inv->source) - used, "%s%s", used ? "+" : "", part);
}

/* What the driver keeps of a GPU's memory and what one context takes
 * (vgpu conf sizes slices from them); problems are warnings. */
static void fill_memory(const vgpu_discover_opts_t *o, vgpu_cudaprobe_t *cuda, vgpu_gpu_t *g)
{
	uint64_t total = 0, ctx = 0;
	vgpu_err_t err;
	int rc = vgpu_cudaprobe_memory(cuda, g->bus_id, &total, &ctx, &err);

	if (rc < 0) {
		vgpu_discover_warnf(o->warn, o->warn_arg, "GPU %u (%s): context size unknown: %s", g->index,
				    g->bus_id, err.msg);
		return;
	}
	if (rc > 0)
		return;
	if (g->mem_bytes && total && total < g->mem_bytes)
		g->reserved_bytes = g->mem_bytes - total;
	if (ctx && g->mem_bytes && g->reserved_bytes + ctx < g->mem_bytes)
		g->context_bytes = ctx;
	else
		vgpu_discover_warnf(o->warn, o->warn_arg, "GPU %u (%s): context size unknown: a CUDA context took no memory that could be measured",
				    g->index, g->bus_id);
}

/* SMs of every GPU from the CUDA driver; problems are warnings. */
static void fill_sms(const vgpu_discover_opts_t *o, vgpu_inventory_t *inv)
{
	const char *lib = o->cuda_lib && *o->cuda_lib ? o->cuda_lib : VGPU_DISCOVER_CUDA_DEFAULT;
	const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
	vgpu_cudaprobe_t *cuda = NULL;
	vgpu_err_t err;
	int used = 0;

	if (vgpu_cudaprobe_open(lib, &cuda, &err) != 0) {
		vgpu_discover_warnf(o->warn, o->warn_arg, "no SM counts: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < inv->ngpus; i++) {
		vgpu_gpu_t *g = &inv->gpus[i];
		int rc;

		/* In MIG mode CUDA shows MIG instances: their SMs, not the GPU's. */
		if (g->mig_enabled) {
			vgpu_discover_warnf(o->warn, o->warn_arg, "GPU %u (%s): SMs unknown: MIG mode is on", g->index,
					    g->bus_id);
			continue;
		}
		rc = vgpu_cudaprobe_sms(cuda, g->bus_id, &g->sms, &err);
		if (rc == 0)
			fill_memory(o, cuda, g);
		if (rc == 0) {
			used = 1;
		} else if (rc > 0) {
			vgpu_discover_warnf(o->warn, o->warn_arg, "GPU %u (%s): SMs unknown: CUDA does not see it%s%s%s",
					    g->index, g->bus_id, cvd ? " (CUDA_VISIBLE_DEVICES=" : "", cvd ? cvd : "",
					    cvd ? "; run vgpu discover without it)" : "");
		} else {
			vgpu_discover_warnf(o->warn, o->warn_arg, "GPU %u (%s): SMs unknown: %s", g->index, g->bus_id,
					    err.msg);
		}
	}
	if (!inv->cuda_driver_version)
		inv->cuda_driver_version = vgpu_cudaprobe_driver_version(cuda);
	if (used)
		add_source(inv, "cuda");
	vgpu_cudaprobe_close(cuda);
}

/* GPUs, versions and NVLink from NVML. */
static int from_nvml(const vgpu_discover_opts_t *o, vgpu_inventory_t *inv, int *nvlink_known, vgpu_err_t *err)
{
	const char *lib = o->nvml_lib && *o->nvml_lib ? o->nvml_lib : VGPU_DISCOVER_NVML_DEFAULT;
	vgpu_nvmlprobe_t *nvml = NULL;
	int n;

	if (vgpu_nvmlprobe_open(lib, &nvml, err) != 0)
		return -1;
	n = vgpu_nvmlprobe_read(nvml, inv, nvlink_known, o->warn, o->warn_arg, err);
	vgpu_nvmlprobe_close(nvml);
	if (n < 0)
		return -1;
	if (n == 0)
		return vgpu_err_set(err, "no GPU found: %s reports no GPU", lib);
	snprintf(inv->source, sizeof(inv->source), "nvml");
	return 0;
}

/* Warn when the GPUs of the node do not agree on one NVLink partition. */
static void check_fabric(const vgpu_discover_opts_t *o, const vgpu_inventory_t *inv)
{
	const vgpu_gpu_t *first = NULL;
	size_t attached = 0;

	for (size_t i = 0; i < inv->ngpus; i++) {
		const vgpu_gpu_t *g = &inv->gpus[i];

		if (!vgpu_inventory_fabric_attached(&g->fabric))
			continue;
		attached++;
		if (!first) {
			first = g;
		} else if (memcmp(first->fabric.cluster_uuid, g->fabric.cluster_uuid, 16) != 0 ||
			   first->fabric.clique_id != g->fabric.clique_id) {
			vgpu_discover_warnf(o->warn, o->warn_arg,
					    "GPUs %u and %u are in different NVLink partitions: this node belongs "
					    "to no clique", first->index, g->index);
			return;
		}
	}
	if (attached && attached != inv->ngpus)
		vgpu_discover_warnf(o->warn, o->warn_arg,
				    "only %zu of %zu GPUs completed fabric registration: this node belongs to no clique",
				    attached, inv->ngpus);
}

int vgpu_discover_run(const vgpu_discover_opts_t *o, vgpu_inventory_t *inv, vgpu_err_t *err)
{
	vgpu_topo_t *topo = NULL;
	vgpu_err_t terr;
	int nvlink_known = 0, rc = -1;

	memset(inv, 0, sizeof(*inv));
	if (vgpu_topo_open(o->topology, &topo, &terr) != 0) {
		if (o->topology || o->no_nvml) {
			vgpu_err_set(err, "%s", terr.msg);
			goto out;
		}
		vgpu_discover_warnf(o->warn, o->warn_arg, "no locality (cores, NUMA nodes): %s", terr.msg);
	}
	if (o->no_nvml) {
		int n = vgpu_topo_gpus(topo, inv, err);

		if (n < 0)
			goto out;
		if (n == 0) {
			vgpu_err_set(err, "no GPU found: %s has no NVIDIA PCI device (class 0302 or 0300)",
				     o->topology ? o->topology : "the hwloc topology of this system");
			goto out;
		}
		inv->hostname[0] = '\0';
		for (size_t i = 0; i < inv->ngpus; i++)
			if (inv->gpus[i].fabric.state != VGPU_FABRIC_NONE)
				snprintf(inv->gpus[i].fabric.source, sizeof(inv->gpus[i].fabric.source), "hwloc-xml");
	} else {
		if (from_nvml(o, inv, &nvlink_known, err) != 0)
			goto out;
		fill_sms(o, inv);
		if (topo) {
			for (size_t i = 0; i < inv->ngpus; i++) {
				vgpu_gpu_t *g = &inv->gpus[i];
				int l = vgpu_topo_locality(topo, g);

				if (l != 0)
					vgpu_discover_warnf(o->warn, o->warn_arg, "GPU %u (%s): %s", g->index, g->bus_id,
							    l > 0 ? "not in the hwloc topology: cores and NUMA node unknown"
								  : "CPU or core list too long: cores unknown");
			}
			if (!nvlink_known && vgpu_topo_has_nvlink(topo))
				vgpu_topo_fill_nvlink(topo, inv);
			else
				vgpu_topo_fill_bw(topo, inv);
			add_source(inv, o->topology ? "hwloc-xml" : "hwloc");
		}
	}
	if (set_hostname(o, topo, inv, err) != 0)
		goto out;
	check_fabric(o, inv);
	rc = 0;
out:
	if (rc != 0)
		memset(inv, 0, sizeof(*inv));
	vgpu_topo_close(topo);
	return rc;
}
