/*
 * vgpu.c - the `vgpu` command: one program for people, with subcommands.
 * Each subcommand lives in its own file (cmd_*.c, see vgpu_cmd.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vgpu_cmd.h"

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} command_t;

static const command_t commands[] = {
	{ "discover", vgpu_cmd_discover, "show this node's GPUs, their locality and NVLink fabric" },
	{ "conf", vgpu_cmd_conf, "generate gres.conf, slurm.conf and vgpu.conf lines from inventories" },
	{ "request", vgpu_cmd_request, "check a slice request and show the shards and limits it gets" },
	{ "cliquemap", vgpu_cmd_cliquemap, "build, check or show the clique map of NVLink partitions" },
	{ "show", vgpu_cmd_show, "show who holds which GPU slice, per node and GPU (reads slurmctld)" },
	{ "weights", vgpu_cmd_weights, "keep node weights that fill partly used NVLink partitions first" },
	{ "metrics", vgpu_cmd_metrics, "print OpenMetrics for Prometheus (per GPU, slice, step; counters)" },
	{ "replay", vgpu_cmd_replay, "generate, check and plan job traces for the replay benchmark" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: vgpu [--help] [--version] COMMAND [ARGS...]\n\n"
		     "slurm-vgpu: fractional GPUs and NVLink-partition placement for Slurm.\n\n"
		     "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'vgpu COMMAND --help' for a command's options; man vgpu(1).\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("%s %s (built against Slurm %s)\n", PACKAGE_NAME, PACKAGE_VERSION,
		       VGPU_SLURM_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vgpu: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
