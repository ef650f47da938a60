/*
 * cmd_cliquemap.c - `vgpu cliquemap build|check|show`: make the clique map
 * (doc/cliquemap.md) from node inventories, validate a hand-written one
 * (every error with file:line), print one as a table. The decisions are
 * the core library's (vgpu_cliquemap.h); this file reads files, writes the
 * result atomically and prints.
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

#include "vgpu_cliquemap.h"
#include "vgpu_cmd.h"
#include "vgpu_file.h"
#include "vgpu_hostlist.h"
#include "vgpu_inventory.h"

#define SLURM_CONF_MAX (16u << 20)
#define MAP_MAX (16u << 20)

static void cm_usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu cliquemap build [-o FILE] INVENTORY.json...\n"
		"       vgpu cliquemap check [--slurm-conf FILE] MAP\n"
		"       vgpu cliquemap show MAP\n\n"
		"The clique map names each NVLink partition (cluster UUID + clique id), its\n"
		"nodes and their health (cliquemap(5)).\n\n"
		"  build   make the map from nodes' inventories ('vgpu discover --json'); nodes\n"
		"          that are in no partition are reported on stderr with a drain command\n"
		"  check   validate a map; exit 1 with every error found (FILE:LINE)\n"
		"  show    print a map as a table\n\n"
		"  -o, --output FILE   build: write the map to FILE (atomically) instead of stdout\n"
		"      --slurm-conf FILE  check: every node must be a NodeName of this slurm.conf\n"
		"  -h, --help          this text\n");
}

/* Write all of text to path through a temporary file beside it, fsync'ed
 * and renamed over it, so readers see the old map or the new one. */
static int write_atomic(const char *path, const char *text)
{
	vgpu_err_t err;

	if (vgpu_file_write_atomic(path, text, strlen(text), &err) != 0) {
		fprintf(stderr, "vgpu cliquemap: -o %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int cm_build(int argc, char **argv, const char *output)
{
	vgpu_inventory_t *invs;
	vgpu_cliquemap_t map;
	vgpu_err_t err;
	char *json;
	int rc = 1;

	if (argc < 1) {
		fprintf(stderr, "vgpu cliquemap build: give at least one INVENTORY.json\n");
		return 2;
	}
	if (!(invs = calloc((size_t)argc, sizeof(*invs)))) {
		fprintf(stderr, "vgpu cliquemap build: out of memory\n");
		return 1;
	}
	for (int i = 0; i < argc; i++)
		if (vgpu_inventory_load(argv[i], &invs[i], &err) != 0) {
			fprintf(stderr, "vgpu cliquemap build: %s\n", err.msg);
			free(invs);
			return 1;
		}
	if (vgpu_cliquemap_build(invs, (size_t)argc, &map, &err) != 0) {
		fprintf(stderr, "vgpu cliquemap build: %s\n", err.msg);
		free(invs);
		return 1;
	}
	free(invs);
	if (!(json = vgpu_cliquemap_to_json(&map))) {
		fprintf(stderr, "vgpu cliquemap build: out of memory\n");
		goto out;
	}
	if (output ? write_atomic(output, json) != 0 : fputs(json, stdout) == EOF || fflush(stdout) != 0)
		goto out;
	for (size_t i = 0; i < map.nexcluded; i++)
		fprintf(stderr,
			"vgpu cliquemap build: node %s is in no NVLink partition: %s; drain it if it should be "
			"in one: scontrol update NodeName=%s State=DRAIN Reason=\"vgpu: not in an NVLink partition\"\n",
			map.excluded[i].name, map.excluded[i].reason, map.excluded[i].name);
	rc = 0;
out:
	free(json);
	vgpu_cliquemap_free(&map);
	return rc;
}

static void print_error(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "vgpu cliquemap check: %s\n", msg);
}

static int cm_check(const char *path, const char *slurm_conf)
{
	vgpu_cliquemap_t map;
	vgpu_err_t err;
	char *text = NULL, **nodes = NULL;
	size_t len, nnodes = 0, nerr, total = 0;

	if (vgpu_file_read(path, MAP_MAX, &text, &len, &err) != 0) {
		fprintf(stderr, "vgpu cliquemap check: %s\n", err.msg);
		return 1;
	}
	nerr = vgpu_cliquemap_parse_all(text, len, path, &map, print_error, NULL);
	free(text);
	if (nerr)
		goto done;
	if (slurm_conf) {
		if (vgpu_file_read(slurm_conf, SLURM_CONF_MAX, &text, &len, &err) != 0 ||
		    vgpu_cliquemap_slurm_nodes(text, len, slurm_conf, &nodes, &nnodes, &err) != 0) {
			fprintf(stderr, "vgpu cliquemap check: --slurm-conf: %s\n", err.msg);
			if (text)
				free(text);
			vgpu_cliquemap_free(&map);
			return 1;
		}
		free(text);
		nerr = vgpu_cliquemap_check_nodes_all(&map, path, (const char *const *)nodes, nnodes,
						      print_error, NULL);
		vgpu_hostlist_free(nodes, nnodes);
	}
	for (size_t i = 0; i < map.nparts; i++)
		total += map.parts[i].nnodes;
	if (!nerr)
		printf("%s: %zu partitions, %zu nodes%s\n", path, map.nparts, total,
		       slurm_conf ? ", all in slurm.conf" : "");
done:
	if (nerr)
		fprintf(stderr, "vgpu cliquemap check: %s: %zu error%s; the map was not accepted\n", path, nerr,
			nerr == 1 ? "" : "s");
	vgpu_cliquemap_free(&map);
	return nerr ? 1 : 0;
}

static int cm_show(const char *path)
{
	vgpu_cliquemap_t map;
	vgpu_err_t err;

	if (vgpu_cliquemap_load(path, &map, &err) != 0) {
		fprintf(stderr, "vgpu cliquemap show: %s\n", err.msg);
		return 1;
	}
	printf("%-24s %-48s %5s %5s %-12s %s\n", "PARTITION", "IDENTITY (CLUSTER UUID.CLIQUE)", "NODES",
	       "GPUS", "IMEX", "NODELIST");
	for (size_t i = 0; i < map.nparts; i++) {
		const vgpu_cm_partition_t *p = &map.parts[i];
		const char **names = malloc((p->nnodes + 1) * sizeof(*names));
		char id[VGPU_CM_IDENTITY_MAX], gpus[16], *hl;
		unsigned ng = 0;
		int known = 1;

		if (!names) {
			vgpu_cliquemap_free(&map);
			return 1;
		}
		for (size_t k = 0; k < p->nnodes; k++) {
			names[k] = p->nodes[k].name;
			ng += p->nodes[k].gpus;
			known &= p->nodes[k].gpus > 0;
		}
		hl = vgpu_hostlist_compress(names, p->nnodes);
		free(names);
		snprintf(gpus, sizeof(gpus), known ? "%u" : "?", ng);
		printf("%-24s %-48s %5zu %5s %-12s %s\n", p->name, vgpu_cliquemap_identity(p, id, sizeof(id)),
		       p->nnodes, gpus, p->imex_domain[0] ? p->imex_domain : "-", hl ? hl : "?");
		free(hl);
		for (size_t k = 0; k < p->nnodes; k++)
			if (p->nodes[k].health[0])
				printf("  unhealthy: %s: %s\n", p->nodes[k].name, p->nodes[k].health);
	}
	for (size_t i = 0; i < map.nexcluded; i++)
		printf("excluded: %s: %s\n", map.excluded[i].name,
		       map.excluded[i].reason[0] ? map.excluded[i].reason : "(no reason given)");
	vgpu_cliquemap_free(&map);
	return 0;
}

int vgpu_cmd_cliquemap(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "slurm-conf", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *slurm_conf = NULL, *sub;
	int c;

	if (argc < 2) {
		cm_usage(stderr);
		return 2;
	}
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		cm_usage(stdout);
		return 0;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 's':
			slurm_conf = optarg;
			break;
		case 'h':
			cm_usage(stdout);
			return 0;
		default:
			cm_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(sub, "build") == 0) {
		if (slurm_conf) {
			fprintf(stderr, "vgpu cliquemap build: --slurm-conf belongs to 'check'\n");
			return 2;
		}
		return cm_build(argc, argv, output);
	}
	if (output) {
		fprintf(stderr, "vgpu cliquemap %s: -o belongs to 'build'\n", sub);
		return 2;
	}
	if ((strcmp(sub, "check") == 0 || strcmp(sub, "show") == 0) && argc != 1) {
		fprintf(stderr, "vgpu cliquemap %s: give one MAP file\n", sub);
		return 2;
	}
	if (strcmp(sub, "check") == 0)
		return cm_check(argv[0], slurm_conf);
	if (strcmp(sub, "show") == 0) {
		if (slurm_conf) {
			fprintf(stderr, "vgpu cliquemap show: --slurm-conf belongs to 'check'\n");
			return 2;
		}
		return cm_show(argv[0]);
	}
	fprintf(stderr, "vgpu cliquemap: unknown subcommand '%s' (build, check or show)\n", sub);
	return 2;
}
