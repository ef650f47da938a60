/* vgpu_topo.c - see vgpu_topo.h */
#include "vgpu_topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#define MATRIX_MAX 256          /* objects of the NVLinkBandwidth matrix kept */
#define NVIDIA_VENDOR 0x10de

struct vgpu_topo {
	hwloc_topology_t topo;
	int is_xml;
	size_t nmat;                                /* objects in the matrix */
	char (*mat_bus)[VGPU_BUSID_MAX];            /* their bus ids ("" none) */
	uint64_t *mat;                              /* nmat x nmat, row = from */
};

/* The PCI device obj is or sits below, or NULL. */
static hwloc_obj_t pci_of(hwloc_obj_t obj)
{
	while (obj && obj->type != HWLOC_OBJ_PCI_DEVICE)
		obj = obj->parent;
	return obj;
}

static void busid_of(hwloc_obj_t pci, char *out, size_t len)
{
	snprintf(out, len, "%04x:%02x:%02x.%x", (unsigned)pci->attr->pcidev.domain,
		 (unsigned)pci->attr->pcidev.bus, (unsigned)pci->attr->pcidev.dev,
		 (unsigned)pci->attr->pcidev.func);
}

/* Copy the NVLinkBandwidth matrix (if any) with each object's bus id. */
static int load_matrix(vgpu_topo_t *t, vgpu_err_t *err)
{
	struct hwloc_distances_s *d = NULL;
	unsigned nr = 1;
	size_t n;
	int rc = 0;

	if (hwloc_distances_get_by_name(t->topo, "NVLinkBandwidth", &nr, &d, 0) != 0 || nr == 0)
		return 0;
	n = d->nbobjs;
	if (n > MATRIX_MAX) {
		rc = vgpu_err_set(err, "NVLinkBandwidth matrix has %zu objects, at most %d", n, MATRIX_MAX);
		goto out;
	}
	t->mat_bus = calloc(n + 1, sizeof(*t->mat_bus));
	t->mat = calloc(n * n + 1, sizeof(*t->mat));
	if (!t->mat_bus || !t->mat) {
		rc = vgpu_err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		hwloc_obj_t pci = pci_of(d->objs[i]);

		if (pci)
			busid_of(pci, t->mat_bus[i], VGPU_BUSID_MAX);
	}
	for (size_t i = 0; i < n * n; i++)
		t->mat[i] = d->values[i];
	t->nmat = n;
out:
	hwloc_distances_release(t->topo, d);
	return rc;
}

int vgpu_topo_open(const char *xml, vgpu_topo_t **topo, vgpu_err_t *err)
{
	vgpu_topo_t *t = calloc(1, sizeof(*t));
	const char *what = xml ? xml : "this system";
	int rc = -1;

	*topo = NULL;
	if (!t)
		return vgpu_err_set(err, "topology %s: out of memory", what);
	if (hwloc_topology_init(&t->topo) != 0) {
		vgpu_err_set(err, "topology %s: hwloc_topology_init failed", what);
		free(t);
		return -1;
	}
	hwloc_topology_set_io_types_filter(t->topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
	/* The whole node, also when run inside a job's cgroup: gres.conf Cores=
	 * describes the node, not the caller's allowed CPUs. */
	hwloc_topology_set_flags(t->topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	if (xml && hwloc_topology_set_xml(t->topo, xml) != 0) {
		vgpu_err_set(err, "topology %s: cannot read it as hwloc XML (HWLOC_XML_VERBOSE=1 says why)", xml);
		goto out;
	}
	t->is_xml = xml != NULL;
	if (hwloc_topology_load(t->topo) != 0) {
		vgpu_err_set(err, "topology %s: hwloc could not load it%s", what,
			     xml ? " (HWLOC_XML_VERBOSE=1 says why)" : "");
		goto out;
	}
	if (load_matrix(t, err) != 0) {
		vgpu_err_prefix(err, "topology %s", what);
		goto out;
	}
	*topo = t;
	t = NULL;
	rc = 0;
out:
	vgpu_topo_close(t);
	return rc;
}

void vgpu_topo_close(vgpu_topo_t *t)
{
	if (!t)
		return;
	hwloc_topology_destroy(t->topo);
	free(t->mat_bus);
	free(t->mat);
	free(t);
}

const char *vgpu_topo_hostname(const vgpu_topo_t *t)
{
	hwloc_obj_t root = hwloc_get_root_obj(t->topo);
	const char *h = root ? hwloc_obj_get_info_by_name(root, "HostName") : NULL;

	return h && *h ? h : NULL;
}

static hwloc_obj_t find_pci(const vgpu_topo_t *t, const char *bus_id)
{
	unsigned dom, bus, dev, fn;
	char tail;

	if (sscanf(bus_id, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4)
		return NULL;
	return hwloc_get_pcidev_by_busid(t->topo, dom, bus, dev, fn);
}

int vgpu_topo_locality(const vgpu_topo_t *t, vgpu_gpu_t *g)
{
	hwloc_obj_t pci = find_pci(t, g->bus_id), anc = NULL, o = NULL;
	hwloc_obj_type_t unit = HWLOC_OBJ_CORE;
	hwloc_bitmap_t cores = NULL;
	int n, rc = -1;

	g->cpus[0] = '\0';
	g->cores[0] = '\0';
	g->numa_node = -1;
	if (pci)
		anc = hwloc_get_non_io_ancestor_obj(t->topo, pci);
	if (!anc || !anc->cpuset)
		return 1;
	if (anc->nodeset && !hwloc_bitmap_iszero(anc->nodeset))
		g->numa_node = hwloc_bitmap_first(anc->nodeset);
	n = hwloc_bitmap_list_snprintf(g->cpus, sizeof(g->cpus), anc->cpuset);
	if (n < 0 || (size_t)n >= sizeof(g->cpus))
		goto out;
	if (hwloc_get_type_depth(t->topo, HWLOC_OBJ_CORE) < 0)
		unit = HWLOC_OBJ_PU;
	if (!(cores = hwloc_bitmap_alloc()))
		goto out;
	while ((o = hwloc_get_next_obj_inside_cpuset_by_type(t->topo, anc->cpuset, unit, o)))
		hwloc_bitmap_set(cores, o->logical_index);
	n = hwloc_bitmap_list_snprintf(g->cores, sizeof(g->cores), cores);
	if (n < 0 || (size_t)n >= sizeof(g->cores))
		goto out;
	rc = 0;
out:
	hwloc_bitmap_free(cores);
	if (rc != 0) {
		g->cpus[0] = '\0';
		g->cores[0] = '\0';
		g->numa_node = -1;
	}
	return rc;
}

int vgpu_topo_has_nvlink(const vgpu_topo_t *t)
{
	return t->nmat > 0;
}

static int mat_index(const vgpu_topo_t *t, const char *bus_id)
{
	for (size_t i = 0; i < t->nmat; i++)
		if (t->mat_bus[i][0] && strcmp(t->mat_bus[i], bus_id) == 0)
			return (int)i;
	return -1;
}

int vgpu_topo_nvlink_bw(const vgpu_topo_t *t, const char *from, const char *to, uint64_t *mbps)
{
	int a = mat_index(t, from), b = mat_index(t, to);

	if (a < 0 || b < 0 || a == b)
		return 0;
	*mbps = t->mat[(size_t)a * t->nmat + (size_t)b];
	return 1;
}

size_t vgpu_topo_fill_nvlink(const vgpu_topo_t *t, vgpu_inventory_t *inv)
{
	size_t total = 0;

	for (size_t i = 0; i < inv->ngpus; i++) {
		vgpu_gpu_t *g = &inv->gpus[i];
		int a = mat_index(t, g->bus_id);

		g->nlinks = 0;
		memset(g->links, 0, sizeof(g->links));
		for (size_t b = 0; a >= 0 && b < t->nmat; b++) {
			uint64_t v = t->mat[(size_t)a * t->nmat + b];
			const vgpu_gpu_t *peer;
			vgpu_nvlink_t *l;
			size_t k;

			if (b == (size_t)a || v == 0 || !t->mat_bus[b][0] ||
			    strcmp(t->mat_bus[b], g->bus_id) == 0)
				continue;
			for (k = 0; k < g->nlinks && strcmp(g->links[k].peer_bus_id, t->mat_bus[b]) != 0; k++)
				;
			if (k < g->nlinks || g->nlinks == VGPU_GPUS_MAX)
				continue; /* a second OS device of the same peer */
			l = &g->links[g->nlinks++];
			memcpy(l->peer_bus_id, t->mat_bus[b], VGPU_BUSID_MAX);
			peer = vgpu_inventory_find_busid(inv, l->peer_bus_id);
			l->peer = peer ? (int)(peer - inv->gpus) : -1;
			l->links = 0;
			l->bw_mbps = v;
			total++;
		}
	}
	return total;
}

void vgpu_topo_fill_bw(const vgpu_topo_t *t, vgpu_inventory_t *inv)
{
	for (size_t i = 0; i < inv->ngpus; i++) {
		vgpu_gpu_t *g = &inv->gpus[i];

		for (size_t k = 0; k < g->nlinks; k++) {
			uint64_t v;

			if (vgpu_topo_nvlink_bw(t, g->bus_id, g->links[k].peer_bus_id, &v) && v)
				g->links[k].bw_mbps = v;
		}
	}
}

static int pci_cmp(const void *pa, const void *pb)
{
	const struct hwloc_pcidev_attr_s *a = &(*(hwloc_obj_t const *)pa)->attr->pcidev;
	const struct hwloc_pcidev_attr_s *b = &(*(hwloc_obj_t const *)pb)->attr->pcidev;
	unsigned long ka = ((unsigned long)a->domain << 16) | ((unsigned long)a->bus << 8) |
			   ((unsigned long)a->dev << 3) | a->func;
	unsigned long kb = ((unsigned long)b->domain << 16) | ((unsigned long)b->bus << 8) |
			   ((unsigned long)b->dev << 3) | b->func;

	return ka < kb ? -1 : ka > kb;
}

/* The first OS device info `name` below pci, or NULL. */
static const char *osdev_info(hwloc_obj_t pci, const char *name)
{
	for (hwloc_obj_t c = pci->io_first_child; c; c = c->next_sibling) {
		const char *v;

		if (c->type == HWLOC_OBJ_OS_DEVICE && (v = hwloc_obj_get_info_by_name(c, name)) && *v)
			return v;
	}
	return NULL;
}

/* Parse a decimal number (all of s) up to max; returns 0 or -1. */
static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end == '\0' && *out <= max ? 0 : -1;
}

/* Copy src into dst (cap) unless too long: returns 0 or -1. */
static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Fill g from the info attributes of the OS devices below pci. */
static int gpu_from_pci(hwloc_obj_t pci, vgpu_gpu_t *g, vgpu_err_t *err)
{
	const char *v;
	unsigned long long x;

	if ((v = osdev_info(pci, "GPUModel"))) {
		if (copy_str(g->model, sizeof(g->model), v) != 0)
			return vgpu_err_set(err, "GPUModel is too long");
		vgpu_inventory_type_name(g->model, g->type, sizeof(g->type));
	}
	if ((v = osdev_info(pci, "NVIDIAUUID")) && copy_str(g->uuid, sizeof(g->uuid), v) != 0)
		return vgpu_err_set(err, "NVIDIAUUID is too long");
	if ((v = osdev_info(pci, "CUDAGlobalMemorySize"))) {
		if (parse_num(v, UINT64_MAX / 1024 / 2, &x) != 0)
			return vgpu_err_set(err, "CUDAGlobalMemorySize '%s' is not a size in KiB", v);
		g->mem_bytes = x * 1024;
	}
	if ((v = osdev_info(pci, "CUDAMultiProcessors"))) {
		if (parse_num(v, UINT32_MAX, &x) != 0)
			return vgpu_err_set(err, "CUDAMultiProcessors '%s' is not a count", v);
		g->sms = (unsigned)x;
	}
	if ((v = osdev_info(pci, "NVIDIAClusterUUID"))) {
		if (vgpu_inventory_uuid_parse(v, g->fabric.cluster_uuid) != 0)
			return vgpu_err_set(err, "NVIDIAClusterUUID '%s' is not a UUID", v);
		if (parse_num(osdev_info(pci, "NVIDIACliqueId"), UINT32_MAX, &x) != 0)
			return vgpu_err_set(err, "NVIDIAClusterUUID without a numeric NVIDIACliqueId");
		g->fabric.clique_id = (uint32_t)x;
		g->fabric.state = VGPU_FABRIC_COMPLETED;
	}
	return 0;
}

int vgpu_topo_gpus(const vgpu_topo_t *t, vgpu_inventory_t *inv, vgpu_err_t *err)
{
	hwloc_obj_t gpus[VGPU_GPUS_MAX], pci = NULL;
	const char *host = vgpu_topo_hostname(t);
	size_t n = 0;

	memset(inv, 0, sizeof(*inv));
	while ((pci = hwloc_get_next_pcidev(t->topo, pci))) {
		const struct hwloc_pcidev_attr_s *a = &pci->attr->pcidev;

		if (a->vendor_id != NVIDIA_VENDOR || (a->class_id != 0x0302 && a->class_id != 0x0300))
			continue;
		if (n == VGPU_GPUS_MAX)
			return vgpu_err_set(err, "more than %d NVIDIA GPUs in the topology", VGPU_GPUS_MAX);
		gpus[n++] = pci;
	}
	qsort(gpus, n, sizeof(gpus[0]), pci_cmp);
	if (host && copy_str(inv->hostname, sizeof(inv->hostname), host) != 0)
		return vgpu_err_set(err, "topology HostName is too long");
	snprintf(inv->source, sizeof(inv->source), "%s", t->is_xml ? "hwloc-xml" : "hwloc");
	for (size_t i = 0; i < n; i++) {
		vgpu_gpu_t *g = &inv->gpus[i];

		g->index = (unsigned)i;
		g->minor = (unsigned)i;
		busid_of(gpus[i], g->bus_id, sizeof(g->bus_id));
		if (gpu_from_pci(gpus[i], g, err) != 0) {
			vgpu_err_prefix(err, "GPU %s", g->bus_id);
			memset(inv, 0, sizeof(*inv));
			return -1;
		}
		if (vgpu_topo_locality(t, g) < 0) {
			vgpu_err_set(err, "GPU %s: its CPU or core list is longer than %d characters", g->bus_id,
				     VGPU_CPULIST_MAX - 1);
			memset(inv, 0, sizeof(*inv));
			return -1;
		}
	}
	inv->ngpus = n;
	vgpu_topo_fill_nvlink(t, inv);
	return (int)n;
}
