/*
 * cmd_request.c - `vgpu request`: check a slice request the way the Slurm
 * plugins will, and show what it costs and what it gets on each GPU type.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli_util.h"
#include "vgpu_account.h"
#include "vgpu_cmd.h"
#include "vgpu_request.h"
#include "vgpu_size.h"

static void request_usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu request [OPTIONS] REQUEST\n\n"
		"Parse a GPU slice request (the text after --gres=vgpu:, e.g.\n"
		"'mem=10G,cores=25', 'share=1/3', 'mem=33%%') and print its canonical\n"
		"form, then for each GPU type of vgpu.conf the shards it takes, the limits\n"
		"its steps get (the memory limit holds the contexts: allocations get it\n"
		"less one context) and how many such slices one GPU holds.\n\n"
		"  -c, --conf FILE   vgpu.conf to use (default %s)\n"
		"  -t, --type NAME   only this GPU type\n"
		"  -h, --help        this text\n",
		VGPU_CONF_PATH);
}

/* Print one type's line; returns 0 when the request fits that type. The
 * slice's memory limit holds its contexts: what allocations get is the limit
 * less one context; "N per GPU" is how many such slices one GPU holds. */
static int show_type(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
		     const vgpu_request_t *req)
{
	vgpu_limits_t lim;
	vgpu_err_t err;
	unsigned shards, total;
	char mem[32], alloc[32], ctx[32];

	total = vgpu_account_gpu_shards(conf, type, &err);
	if (total == 0 || vgpu_account_shards(conf, type, req, &shards, &err) != 0 ||
	    vgpu_account_limits(conf, type, shards, req, &lim, &err) != 0) {
		printf("%-10s does not fit: %s\n", type->name, err.msg);
		return -1;
	}
	vgpu_size_human(lim.mem_bytes, mem, sizeof(mem));
	vgpu_size_human(lim.mem_bytes - lim.ctx_bytes, alloc, sizeof(alloc));
	vgpu_size_human(lim.ctx_bytes, ctx, sizeof(ctx));
	printf("%-10s %u of %u shards -> memory %s (%s after one %s context), SM share %u.%02u%%, %u per GPU\n",
	       type->name, shards, total, mem, alloc, ctx, lim.sm_share / 100, lim.sm_share % 100,
	       total / shards);
	return 0;
}

int vgpu_cmd_request(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "type", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = NULL, *type_name = NULL, *source;
	vgpu_request_t req;
	vgpu_conf_t conf;
	vgpu_err_t err;
	char canon[VGPU_REQUEST_TEXT_MAX];
	size_t i;
	int c, fits = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': conf_path = optarg; break;
		case 't': type_name = optarg; break;
		case 'h': request_usage(stdout); return 0;
		default:
			fprintf(stderr, "vgpu request: unknown option or missing value: '%s'\n",
				argv[optind - 1]);
			request_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "vgpu request: give exactly one REQUEST\n");
		request_usage(stderr);
		return 2;
	}
	if (vgpu_request_parse(argv[optind], NULL, &req, &err) != 0) {
		fprintf(stderr, "vgpu request: %s\n", err.msg);
		return 1;
	}
	if (vgpu_cli_load_conf("request", conf_path, &conf, &source) != 0)
		return 1;
	vgpu_request_format(&req, canon, sizeof(canon));
	printf("request    %s\n", canon);
	if (conf.mode == VGPU_MODE_STRICT)
		printf("accounting strict, %u shards per GPU (%s)\n", conf.shards_per_gpu, source);
	else {
		char unit[32];

		vgpu_size_format(conf.shard_bytes, unit, sizeof(unit));
		printf("accounting memory, one shard = %s (%s)\n", unit, source);
	}
	if (type_name) {
		const vgpu_gpu_type_t *t = vgpu_conf_find_type(&conf, type_name);

		if (!t) {
			fprintf(stderr, "vgpu request: --type: no GpuType '%s' in %s\n", type_name,
				source);
			return 1;
		}
		return show_type(&conf, t, &req) == 0 ? 0 : 1;
	}
	if (conf.ntypes == 0) {
		fprintf(stderr, "vgpu request: %s defines no GpuType; shards depend on the GPU\n",
			source);
		return 1;
	}
	for (i = 0; i < conf.ntypes; i++) {
		if (req.type[0] && strcasecmp(req.type, conf.types[i].name) != 0)
			continue;
		fits += show_type(&conf, &conf.types[i], &req) == 0;
	}
	if (!fits) {
		fprintf(stderr, "vgpu request: '%s' fits no GPU type of %s\n", canon, source);
		return 1;
	}
	return 0;
}
