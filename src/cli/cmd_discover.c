/*
 * cmd_discover.c - `vgpu discover`: this node's GPUs, their locality and
 * NVLink fabric, as a table for people or as inventory JSON for `vgpu conf`.
 * The work is done by libvgpudiscover (src/discover/vgpu_discover.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_util.h"
#include "vgpu_cmd.h"
#include "vgpu_discover.h"
#include "vgpu_inventory.h"
#include "vgpu_size.h"

#define CMD "discover"
#define NCOLS 9

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu discover [--json] [--topology FILE.xml] [--no-nvml] [--nvml LIB] [--cuda LIB]\n"
		"                     [--conf FILE] [--hostname NAME]\n"
		"\n"
		"Show this node's GPUs: type, memory, SMs, PCI bus id, NUMA node and close cores,\n"
		"NVLink peers and NVLink fabric partition. Facts come from NVML and the CUDA driver\n"
		"(loaded at run time) and from hwloc.\n"
		"\n"
		"  --json           print the inventory as JSON (doc/inventory.md), for vgpu conf\n"
		"  --topology FILE  read locality from this hwloc XML file instead of this system\n"
		"  --no-nvml        take the GPUs from the hwloc topology alone (tests, fixtures)\n"
		"  --nvml LIB       NVML library (default: vgpu.conf NvmlLibrary, libnvidia-ml.so.1)\n"
		"  --cuda LIB       CUDA driver library (default: vgpu.conf CudaLibrary, libcuda.so.1)\n"
		"  --conf FILE      vgpu.conf to read the library names from\n"
		"  --hostname NAME  node name to record (default: the short host name)\n");
}

static void print_warning(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "vgpu " CMD ": warning: %s\n", msg);
}

/* The NVLink column: GPU peers by index with "xN" (active links, when
 * known), then the other devices the links reach (NVSwitches) as a count
 * with their total links: "1x6,2x6", "4 switches x18". */
static void nvlink_summary(const vgpu_gpu_t *g, char *buf, size_t len)
{
	unsigned nsw = 0, swlinks = 0;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	for (size_t k = 0; k < g->nlinks; k++) {
		const vgpu_nvlink_t *l = &g->links[k];

		if (l->peer < 0) {
			nsw++;
			swlinks += l->links;
			continue;
		}
		if (l->links)
			n = snprintf(buf + used, len - used, "%s%dx%u", used ? "," : "", l->peer, l->links);
		else
			n = snprintf(buf + used, len - used, "%s%d", used ? "," : "", l->peer);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (nsw) {
		n = snprintf(buf + used, len - used, "%s%u switch%s", used ? "," : "", nsw, nsw == 1 ? "" : "es");
		if (n > 0 && (size_t)n < len - used) {
			used += (size_t)n;
			if (swlinks)
				snprintf(buf + used, len - used, " x%u", swlinks);
		}
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void fabric_summary(const vgpu_fabric_t *f, char *buf, size_t len)
{
	char uuid[40];

	if (vgpu_inventory_fabric_attached(f))
		snprintf(buf, len, "%s.%u%s", vgpu_inventory_uuid_format(f->cluster_uuid, uuid, sizeof(uuid)),
			 (unsigned)f->clique_id,
			 f->health_summary == VGPU_FABRIC_HEALTH_UNHEALTHY	   ? "(unhealthy)"
			 : f->health_summary == VGPU_FABRIC_HEALTH_LIMITED_CAPACITY ? "(limited_capacity)"
										     : "");
	else if (f->state == VGPU_FABRIC_NONE)
		snprintf(buf, len, "-");
	else if (f->state == VGPU_FABRIC_COMPLETED)
		snprintf(buf, len, "completed(status %u)", (unsigned)f->status);
	else
		snprintf(buf, len, "%s", vgpu_inventory_fabric_state_name(f->state));
}

typedef char cell_t[VGPU_CPULIST_MAX + 8];

/* One cell padded to width and two spaces; the last one ends the line. */
static void print_cell(const char *text, size_t width, int last)
{
	if (last)
		printf("%s\n", text);
	else
		printf("%-*s  ", (int)width, text);
}

static void print_table(const vgpu_inventory_t *inv)
{
	static const char *const head[NCOLS] = { "GPU", "TYPE", "MEMORY", "SMS", "BUS ID",
						 "NUMA", "CPUS", "NVLINK", "FABRIC" };
	static cell_t cells[VGPU_GPUS_MAX][NCOLS];
	size_t width[NCOLS];
	char nvl[512];

	for (int c = 0; c < NCOLS; c++)
		width[c] = strlen(head[c]);
	for (size_t i = 0; i < inv->ngpus; i++) {
		const vgpu_gpu_t *g = &inv->gpus[i];
		cell_t *row = cells[i];

		snprintf(row[0], sizeof(row[0]), "%u", g->index);
		snprintf(row[1], sizeof(row[1]), "%s%s", g->type[0] ? g->type : "-", g->mig_enabled ? "(mig)" : "");
		if (g->mem_bytes)
			vgpu_size_human(g->mem_bytes, row[2], sizeof(row[2]));
		else
			snprintf(row[2], sizeof(row[2]), "-");
		if (g->sms)
			snprintf(row[3], sizeof(row[3]), "%u", g->sms);
		else
			snprintf(row[3], sizeof(row[3]), "-");
		snprintf(row[4], sizeof(row[4]), "%s", g->bus_id);
		if (g->numa_node >= 0)
			snprintf(row[5], sizeof(row[5]), "%d", g->numa_node);
		else
			snprintf(row[5], sizeof(row[5]), "-");
		snprintf(row[6], sizeof(row[6]), "%s", g->cpus[0] ? g->cpus : "-");
		nvlink_summary(g, nvl, sizeof(nvl));
		snprintf(row[7], sizeof(row[7]), "%s", nvl);
		fabric_summary(&g->fabric, row[8], sizeof(row[8]));
		for (int c = 0; c < NCOLS; c++)
			if (strlen(row[c]) > width[c])
				width[c] = strlen(row[c]);
	}
	for (int c = 0; c < NCOLS; c++)
		print_cell(head[c], width[c], c + 1 == NCOLS);
	for (size_t i = 0; i < inv->ngpus; i++)
		for (int c = 0; c < NCOLS; c++)
			print_cell(cells[i][c], width[c], c + 1 == NCOLS);
	printf("node %s: %zu GPU%s, driver %s, CUDA ", inv->hostname, inv->ngpus, inv->ngpus == 1 ? "" : "s",
	       inv->driver_version[0] ? inv->driver_version : "unknown");
	if (inv->cuda_driver_version > 0)
		printf("%d.%d", inv->cuda_driver_version / 1000, inv->cuda_driver_version % 1000 / 10);
	else
		printf("unknown");
	printf(", from %s\n", inv->source[0] ? inv->source : "unknown");
}

/* A GpuType line of vgpu.conf whose Model= is a GPU's model names its type
 * (lower-cased; names that are no valid type are left alone). */
static void apply_conf_types(const vgpu_conf_t *conf, vgpu_inventory_t *inv)
{
	for (size_t i = 0; i < inv->ngpus; i++) {
		vgpu_gpu_t *g = &inv->gpus[i];

		for (size_t t = 0; t < conf->ntypes && g->model[0]; t++) {
			const char *name = conf->types[t].name;
			char low[VGPU_NAME_MAX];
			size_t n = strlen(name);

			if (!conf->types[t].model[0] || strcasecmp(conf->types[t].model, g->model) != 0)
				continue;
			if (n == 0 || n >= sizeof(low) || !isalpha((unsigned char)name[0]))
				continue;
			for (size_t k = 0; k <= n; k++)
				low[k] = (char)tolower((unsigned char)name[k]);
			if (strspn(low, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
				continue;
			memcpy(g->type, low, n + 1);
			break;
		}
	}
}

/* Value of option argv[*i] (name given): "--opt=V" or "--opt V". */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (a[n] == '=')
		return a[n + 1] ? a + n + 1 : NULL;
	if (*i + 1 < argc) {
		(*i)++;
		return argv[*i];
	}
	return NULL;
}

static int is_opt(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

int vgpu_cmd_discover(int argc, char **argv)
{
	static const char *const valued[] = { "--topology", "--nvml", "--cuda", "--conf", "--hostname" };
	const char *val[5] = { NULL, NULL, NULL, NULL, NULL };
	vgpu_discover_opts_t o;
	vgpu_inventory_t *inv = NULL;
	vgpu_conf_t conf;
	vgpu_err_t err;
	int json = 0, no_nvml = 0, have_conf = 0, rc = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--json") == 0) {
			json = 1;
			continue;
		}
		if (strcmp(a, "--no-nvml") == 0) {
			no_nvml = 1;
			continue;
		}
		for (k = 0; k < 5 && !is_opt(a, valued[k]); k++)
			;
		if (k == 5) {
			fprintf(stderr, "vgpu " CMD ": %s '%s'\n", a[0] == '-' ? "unknown option" : "unexpected argument", a);
			usage(stderr);
			return 2;
		}
		if (val[k]) {
			fprintf(stderr, "vgpu " CMD ": %s given twice\n", valued[k]);
			return 2;
		}
		if (!(val[k] = opt_value(argc, argv, &i, valued[k])) || !*val[k]) {
			fprintf(stderr, "vgpu " CMD ": %s needs a value\n", valued[k]);
			return 2;
		}
	}
	if (no_nvml && (val[1] || val[2])) {
		fprintf(stderr, "vgpu " CMD ": %s and --no-nvml exclude each other\n", val[1] ? "--nvml" : "--cuda");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.topology = val[0];
	o.no_nvml = no_nvml;
	o.hostname = val[4];
	o.warn = print_warning;
	if (!no_nvml || val[3]) {
		const char *source;

		if (vgpu_cli_load_conf(CMD, val[3], &conf, &source) != 0)
			return 1;
		o.nvml_lib = conf.nvml_path;
		o.cuda_lib = conf.cuda_path;
		have_conf = 1;
	}
	if (val[1])
		o.nvml_lib = val[1];
	if (val[2])
		o.cuda_lib = val[2];
	inv = malloc(sizeof(*inv));
	if (!inv) {
		fprintf(stderr, "vgpu " CMD ": out of memory\n");
		return 1;
	}
	if (vgpu_discover_run(&o, inv, &err) != 0) {
		fprintf(stderr, "vgpu " CMD ": %s\n", err.msg);
		goto out;
	}
	if (have_conf)
		apply_conf_types(&conf, inv);
	if (json) {
		char *text = vgpu_inventory_to_json(inv);

		if (!text) {
			fprintf(stderr, "vgpu " CMD ": out of memory\n");
			goto out;
		}
		printf("%s\n", text);
		free(text);
	} else {
		print_table(inv);
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	free(inv);
	return rc;
}
