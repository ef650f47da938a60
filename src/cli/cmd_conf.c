/*
 * cmd_conf.c - `vgpu conf`: generate the Slurm configuration for slurm-vgpu
 * from node inventories (vgpu discover --json) and vgpu.conf; with
 * --cliquemap MAP, also what NVLink partitions need for the Slurm release
 * (--slurm-release): node Features, topology.conf / topology.yaml, Slurm
 * partitions, TopologyPlugin and IMEX settings (vgpu_topoconf.h); with
 * --out-dir DIR every file written atomically for `scontrol reconfigure`;
 * with --slurm-conf FILE, check a site's slurm.conf for settings slices
 * cannot work under (SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ,
 * vgpu_slurmcheck_conf_scan).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "vgpu_cliquemap.h"
#include "vgpu_cmd.h"
#include "vgpu_file.h"
#include "vgpu_inventory.h"
#include "vgpu_slurmcheck.h"
#include "vgpu_slurmconf.h"
#include "vgpu_topoconf.h"

#ifndef VGPU_PKGLIBEXECDIR
#define VGPU_PKGLIBEXECDIR "/usr/libexec/slurm-vgpu"
#endif

/* Sections beyond VGPU_SLURMCONF_ALL. */
#define SEC_TOPOLOGY 0x10
#define SEC_YAML 0x20
#define SEC_SETTINGS 0x40

/* The largest slurm.conf --slurm-conf reads. */
#define SLURM_CONF_MAX (16u << 20)

static void conf_usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu conf [OPTIONS] INVENTORY.json...\n"
		"       vgpu conf --slurm-conf FILE [OPTIONS] [INVENTORY.json...]\n\n"
		"Print the slurm.conf, gres.conf and vgpu.conf lines for the nodes whose\n"
		"inventories (from 'vgpu discover --json') are given.\n\n"
		"  -c, --conf FILE     vgpu.conf to use (default %s, else built-in defaults)\n"
		"      --gres          print only the gres.conf lines\n"
		"      --nodes         print only the slurm.conf lines (GresTypes, NodeName)\n"
		"      --types         print only the vgpu.conf GpuType lines\n"
		"      --cliquemap MAP the clique map (cliquemap(5)): NodeName lines gain the\n"
		"                      node's NVLink partition as a Feature; its nodes must\n"
		"                      all have an inventory (inventories it lacks: warning)\n"
		"      --slurm-release REL  22.05, 24.11, 26.05... (default %s, the one built\n"
		"                      against; $VGPU_SLURM_RELEASE overrides that default)\n"
		"      --topology      print only topology.conf (needs --cliquemap; no\n"
		"                      inventory needed)\n"
		"      --topology-yaml print only topology.yaml (25.05+)\n"
		"      --settings      print only the slurm.conf settings for NVLink partitions\n"
		"                      (TopologyPlugin, SchedulerParameters, IMEX)\n"
		"      --nvlink-partitions  add one PartitionName line per NVLink partition\n"
		"      --imex          add switch/nvidia_imex and the IMEX prolog/epilog\n"
		"      --imex-channels N  SwitchParameters=imex_channel_count (default %u)\n"
		"      --out-dir DIR   write every file into DIR instead of stdout (each\n"
		"                      replaced atomically): slurm.conf.vgpu, gres.conf,\n"
		"                      vgpu.conf.types, topology.conf [, topology.yaml]\n"
		"      --dev-dir DIR   directory of the nvidiaN device files (default /dev);\n"
		"                      %%n in it stands for the node name\n"
		"      --no-cores      leave Cores= out of gres.conf\n"
		"      --slurm-conf FILE  check the site's slurm.conf: warn (FILE:LINE) about\n"
		"                      settings GPU slices cannot work under\n"
		"                      (SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ); without\n"
		"                      inventories only the check, exit 1 when it warns\n"
		"  -h, --help          this text\n",
		VGPU_CONF_PATH, VGPU_SLURM_VERSION, VGPU_TOPO_IMEX_CHANNELS);
}

/* --slurm-conf: the findings on stderr, warnings first ("vgpu conf:
 * warning: FILE:LINE: ..."). Returns how many warnings, or -1 when the file
 * cannot be read. */
static int check_slurm_conf(const char *path)
{
	static vgpu_slurmcheck_conf_t rep;
	vgpu_err_t err;
	char *text;
	size_t len;
	unsigned i;

	if (vgpu_file_read(path, SLURM_CONF_MAX, &text, &len, &err) != 0) {
		fprintf(stderr, "vgpu conf: --slurm-conf: %s\n", err.msg);
		return -1;
	}
	vgpu_slurmcheck_conf_scan(text, len, path, &rep);
	free(text);
	for (i = 0; i < rep.nfind; i++)
		fprintf(stderr, "vgpu conf: %s: %s\n", i < rep.nwarn ? "warning" : "note", rep.findings[i]);
	if (rep.dropped)
		fprintf(stderr, "vgpu conf: %s: %u more findings not shown\n", path, rep.dropped);
	if (!rep.multi_sharing)
		fprintf(stderr, "vgpu conf: %s: no setting GPU slices cannot work under (%u "
			"SelectTypeParameters line%s)\n", path, rep.select_lines,
			rep.select_lines == 1 ? "" : "s");
	return (int)rep.nwarn + (rep.multi_sharing && !rep.nwarn ? 1 : 0);
}

/* The options of one run. */
typedef struct conf_run {
	vgpu_slurmconf_opts_t opts;
	unsigned what;                  /* VGPU_SLURMCONF_* | SEC_* */
	unsigned rel;
	int partitions;                 /* --nvlink-partitions */
	unsigned imex;                  /* channels, 0: no --imex */
	const vgpu_cliquemap_t *map;
	const char *const *others;      /* nodes outside every partition */
	size_t nothers;
} conf_run_t;

/* A section into a malloc'ed string (NULL and a message on failure). */
static char *section(const conf_run_t *r, unsigned sec, const vgpu_conf_t *conf,
		     const vgpu_inventory_t *invs, size_t ninv, const char *preamble)
{
	vgpu_slurmconf_opts_t o = r->opts;
	vgpu_err_t err = { "" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = 0;

	if (!f) {
		fprintf(stderr, "vgpu conf: out of memory\n");
		return NULL;
	}
	if (preamble)
		fprintf(f, "# %s\n", preamble);
	o.what = sec & VGPU_SLURMCONF_ALL;
	o.preamble = NULL;
	o.headers = 0;
	if (o.what)
		rc = vgpu_slurmconf_write(f, conf, invs, ninv, &o, &err);
	if (rc == 0 && (sec & VGPU_SLURMCONF_NODES) && r->map && r->partitions)
		rc = vgpu_topoconf_write_partitions(f, r->map, &err);
	if (rc == 0 && (sec & SEC_SETTINGS) && r->map)
		rc = vgpu_topoconf_write_slurmconf(f, r->map, r->rel, r->imex, VGPU_PKGLIBEXECDIR, &err);
	if (rc == 0 && (sec & SEC_TOPOLOGY) && r->map)
		rc = vgpu_topoconf_write_topology(f, r->map, r->rel, r->others, r->nothers, &err);
	if (rc == 0 && (sec & SEC_YAML) && r->map)
		rc = vgpu_topoconf_write_yaml(f, r->map, r->rel, &err);
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		snprintf(err.msg, sizeof(err.msg), "out of memory");
	}
	if (rc != 0) {
		fprintf(stderr, "vgpu conf: %s\n", err.msg);
		free(text);
		return NULL;
	}
	return text;
}

/* Write text to DIR/.NAME.tmp.XXXXXX, fsync'ed; the temporary name in *tmp. */
static int write_tmp(const char *dir, const char *name, const char *text, char **tmp)
{
	char path[VGPU_PATH_MAX];
	vgpu_err_t err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (vgpu_file_write_tmp(path, text, strlen(text), tmp, &err) != 0) {
		fprintf(stderr, "vgpu conf: --out-dir %s: %s\n", dir, err.msg);
		return -1;
	}
	return 0;
}

#define OUT_FILES_MAX 5

/* --out-dir: every file to a temporary name first; only when all are
 * written is each renamed over its old version (a failure leaves DIR as it
 * was). Returns 0 or -1. */
static int write_out_dir(const conf_run_t *r, const char *dir, const vgpu_conf_t *conf,
			 const vgpu_inventory_t *invs, size_t ninv, const char *preamble)
{
	struct { const char *name; unsigned sec; } files[OUT_FILES_MAX] = {
		{ "slurm.conf.vgpu", VGPU_SLURMCONF_NODES | SEC_SETTINGS },
		{ "gres.conf", VGPU_SLURMCONF_GRES },
		{ "vgpu.conf.types", VGPU_SLURMCONF_TYPES },
		{ "topology.conf", SEC_TOPOLOGY },
		{ "topology.yaml", SEC_YAML },
	};
	char *tmp[OUT_FILES_MAX] = { NULL }, path[VGPU_PATH_MAX];
	size_t i, n = r->map ? (r->what & SEC_YAML ? 5 : 4) : 3;
	int rc = -1;

	for (i = 0; i < n; i++) {
		char *text = section(r, files[i].sec, conf, invs, ninv, preamble);

		if (!text || write_tmp(dir, files[i].name, text, &tmp[i]) != 0) {
			free(text);
			goto out;
		}
		free(text);
	}
	for (i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			fprintf(stderr, "vgpu conf: --out-dir %s: %s is not a regular file: nothing "
				"replaced\n", dir, path);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		if (rename(tmp[i], path) != 0) {
			fprintf(stderr, "vgpu conf: --out-dir %s: cannot rename %s over %s: %s\n", dir,
				tmp[i], path, strerror(errno));
			goto out;
		}
		free(tmp[i]);
		tmp[i] = NULL;
		printf("wrote %s\n", path);
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		if (tmp[i])
			unlink(tmp[i]);
		free(tmp[i]);
	}
	return rc;
}

/* The map against the inventories: a node of the map without an inventory
 * is an error (slurm.conf would lack its NodeName); an inventory the map
 * does not name is a warning (a node outside every NVLink partition), and
 * so is a node the map excludes. Fills the list of such nodes. */
static int map_vs_inventories(const char *path, const vgpu_cliquemap_t *map,
			      const vgpu_inventory_t *invs, size_t ninv, const char ***others,
			      size_t *nothers)
{
	size_t i, k, j;

	*others = calloc(ninv + map->nexcluded + 1, sizeof(**others));
	*nothers = 0;
	if (!*others) {
		fprintf(stderr, "vgpu conf: out of memory\n");
		return -1;
	}
	for (i = 0; i < map->nparts; i++) {
		for (k = 0; ninv && k < map->parts[i].nnodes; k++) {
			const vgpu_cm_node_t *nd = &map->parts[i].nodes[k];

			for (j = 0; j < ninv && strcmp(invs[j].hostname, nd->name) != 0; j++)
				;
			if (j == ninv) {
				fprintf(stderr, "vgpu conf: %s:%u: partition '%s': node %s has no inventory "
					"among those given: give its 'vgpu discover --json' or remove it "
					"from the map\n", path, nd->line ? nd->line : map->parts[i].line,
					map->parts[i].name, nd->name);
				return -1;
			}
		}
	}
	for (j = 0; j < ninv; j++) {
		if (vgpu_topoconf_feature(map, invs[j].hostname))
			continue;
		fprintf(stderr, "vgpu conf: warning: %s: node %s is in no NVLink partition of the map: "
			"multi-node GPU jobs will not use it\n", path, invs[j].hostname);
		(*others)[(*nothers)++] = invs[j].hostname;
	}
	for (i = 0; i < map->nexcluded; i++) {
		for (j = 0; j < *nothers && strcmp((*others)[j], map->excluded[i].name) != 0; j++)
			;
		if (j < *nothers)
			continue;
		fprintf(stderr, "vgpu conf: warning: %s: node %s is excluded from every NVLink "
			"partition: %s\n", path, map->excluded[i].name, map->excluded[i].reason);
		(*others)[(*nothers)++] = map->excluded[i].name;
	}
	return 0;
}

int vgpu_cmd_conf(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "gres", no_argument, NULL, 'g' },
		{ "nodes", no_argument, NULL, 'n' },
		{ "types", no_argument, NULL, 't' },
		{ "dev-dir", required_argument, NULL, 'd' },
		{ "no-cores", no_argument, NULL, 'C' },
		{ "slurm-conf", required_argument, NULL, 's' },
		{ "cliquemap", required_argument, NULL, 'm' },
		{ "slurm-release", required_argument, NULL, 'r' },
		{ "topology", no_argument, NULL, 'T' },
		{ "topology-yaml", no_argument, NULL, 'Y' },
		{ "settings", no_argument, NULL, 'S' },
		{ "nvlink-partitions", no_argument, NULL, 'P' },
		{ "imex", no_argument, NULL, 'I' },
		{ "imex-channels", required_argument, NULL, 'N' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	conf_run_t r = { .imex = 0 };
	const char *conf_path = NULL, *source, *slurm_conf = NULL, *map_path = NULL;
	const char *rel_text = NULL, *out_dir = NULL, **others = NULL;
	vgpu_inventory_t *invs = NULL;
	vgpu_cliquemap_t map = { 0 };
	vgpu_conf_t conf;
	vgpu_err_t err;
	char preamble[VGPU_PATH_MAX + 160];
	unsigned channels = VGPU_TOPO_IMEX_CHANNELS;
	int c, i, n, rc = 1, imex = 0, need_inv;
	char *end;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': conf_path = optarg; break;
		case 'g': r.what |= VGPU_SLURMCONF_GRES; break;
		case 'n': r.what |= VGPU_SLURMCONF_NODES; break;
		case 't': r.what |= VGPU_SLURMCONF_TYPES; break;
		case 'T': r.what |= SEC_TOPOLOGY; break;
		case 'Y': r.what |= SEC_YAML; break;
		case 'S': r.what |= SEC_SETTINGS; break;
		case 'P': r.partitions = 1; break;
		case 'I': imex = 1; break;
		case 'N':
			errno = 0;
			channels = (unsigned)strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || channels < 2 || channels > 65536) {
				fprintf(stderr, "vgpu conf: --imex-channels '%s': expected a count from 2 "
					"to 65536 (channel 0 is never handed out)\n", optarg);
				return 2;
			}
			imex = 1;
			break;
		case 'm': map_path = optarg; break;
		case 'r': rel_text = optarg; break;
		case 'o': out_dir = optarg; break;
		case 'd': r.opts.dev_dir = optarg; break;
		case 'C': r.opts.omit_cores = 1; break;
		case 's': slurm_conf = optarg; break;
		case 'h': conf_usage(stdout); return 0;
		default:
			fprintf(stderr, "vgpu conf: unknown option or missing value: '%s'\n",
				argv[optind - 1]);
			conf_usage(stderr);
			return 2;
		}
	}
	if (slurm_conf) {
		int warned = check_slurm_conf(slurm_conf);

		if (warned < 0)
			return 1;
		if (optind >= argc && !map_path)
			return warned > 0 ? 1 : 0;
	}
	if (!rel_text)
		rel_text = getenv("VGPU_SLURM_RELEASE") && *getenv("VGPU_SLURM_RELEASE") ?
			   getenv("VGPU_SLURM_RELEASE") : VGPU_SLURM_VERSION;
	if (vgpu_topoconf_release_parse(rel_text, &r.rel, &err) != 0) {
		fprintf(stderr, "vgpu conf: --slurm-release: %s\n", err.msg);
		return 2;
	}
	if ((r.what & (SEC_TOPOLOGY | SEC_YAML | SEC_SETTINGS)) && !map_path) {
		fprintf(stderr, "vgpu conf: --topology, --topology-yaml and --settings need --cliquemap MAP\n");
		return 2;
	}
	if ((r.what & SEC_YAML) && r.rel < VGPU_TOPO_REL_YAML) {
		fprintf(stderr, "vgpu conf: --topology-yaml: Slurm %s reads no topology.yaml (25.05 "
			"and later do); use --topology\n", rel_text);
		return 2;
	}
	if (out_dir && (r.what & VGPU_SLURMCONF_ALL)) {
		fprintf(stderr, "vgpu conf: --out-dir writes every file: --gres, --nodes and --types "
			"do not go with it\n");
		return 2;
	}
	need_inv = out_dir || (r.what & VGPU_SLURMCONF_ALL) || r.what == 0;
	if (optind >= argc && need_inv) {
		fprintf(stderr, "vgpu conf: no inventory given\n");
		conf_usage(stderr);
		return 2;
	}
	if (r.what == 0) {
		r.what = VGPU_SLURMCONF_ALL | (map_path ? SEC_SETTINGS | SEC_TOPOLOGY : 0);
		r.opts.headers = 1;
	}
	r.imex = imex ? channels : 0;
	if (vgpu_cli_load_conf("conf", conf_path, &conf, &source) != 0)
		return 1;
	n = argc - optind;
	invs = calloc((size_t)(n ? n : 1), sizeof(*invs));
	if (!invs) {
		fprintf(stderr, "vgpu conf: out of memory for %d inventories\n", n);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (vgpu_inventory_load(argv[optind + i], &invs[i], &err) != 0) {
			fprintf(stderr, "vgpu conf: %s\n", err.msg);
			goto out;
		}
	}
	if (map_path) {
		if (vgpu_cliquemap_load(map_path, &map, &err) != 0) {
			fprintf(stderr, "vgpu conf: --cliquemap: %s\n", err.msg);
			goto out;
		}
		if (map_vs_inventories(map_path, &map, invs, (size_t)n, &others, &r.nothers) != 0)
			goto out;
		r.map = &map;
		r.others = others;
		r.opts.map = &map;
	}
	snprintf(preamble, sizeof(preamble), "Generated by vgpu conf %s from %d inventor%s with %s%s%s, "
		 "for Slurm %u.%02u.", PACKAGE_VERSION, n, n == 1 ? "y" : "ies", source,
		 map_path ? " and the clique map " : "", map_path ? map_path : "", r.rel / 100,
		 r.rel % 100);
	if (out_dir) {
		rc = write_out_dir(&r, out_dir, &conf, invs, (size_t)n, preamble) == 0 ? 0 : 1;
		goto out;
	} else {
		static const unsigned order[] = { VGPU_SLURMCONF_NODES, SEC_SETTINGS, VGPU_SLURMCONF_GRES,
						  VGPU_SLURMCONF_TYPES, SEC_TOPOLOGY, SEC_YAML };
		static const char *const names[] = { "slurm.conf", "slurm.conf (NVLink partitions)",
						     "gres.conf", "vgpu.conf", "topology.conf",
						     "topology.yaml" };
		size_t k;

		if (r.opts.headers)
			printf("# %s\n", preamble);
		for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			char *text;

			if (!(r.what & order[k]))
				continue;
			if (r.opts.headers && order[k] == VGPU_SLURMCONF_GRES)
				printf("# --- gres.conf (%s accounting) ---\n", vgpu_conf_mode_name(conf.mode));
			else if (r.opts.headers)
				printf("# --- %s ---\n", names[k]);
			if (!(text = section(&r, order[k], &conf, invs, (size_t)n, NULL)))
				goto out;
			fputs(text, stdout);
			free(text);
		}
		if (fflush(stdout) != 0) {
			fprintf(stderr, "vgpu conf: cannot write the output\n");
			goto out;
		}
	}
	rc = 0;
out:
	vgpu_cliquemap_free(&map);
	free(others);
	free(invs);
	return rc;
}
