/*
 * test_shim_memtruth.c - slices hold what they promise, on the simulated
 * GPU, with limits computed the way a site gets them: vgpu-simnode for each
 * model, `vgpu discover --json` on it, `vgpu conf --types`, the core's
 * accounting (vgpu_account_limits) of that GpuType line.
 *
 *  1. Contexts are charged: a loop creating 28 contexts in a slice with room
 *     for two stops at the slice (control: a description charging 0 per context lets the loop go
 *     far past it, physically).
 *  2. Promise only what exists: on every model, N slices of the GPU
 *     (4 x 25 and 100 x 1 of 100 shards; 3 x 1/3 of 120) in N processes at
 *     once each get their whole promise (limit less one context) with the
 *     GPU's real memory (control: the GpuType line without DriverReserved=,
 *     Memory= alone, promises the last process more than is left).
 */
#include "shimtest.h"

#include "vgpu_account.h"
#include "vgpu_conf.h"

#define SLICES_MAX 128
#define GRANULE (2 * MIB) /* the shim charges device memory in 2 MiB units (shim.h) */

static uint64_t granule_up(uint64_t b)
{
	return (b + GRANULE - 1) / GRANULE * GRANULE;
}

static const char *const models[] = { "h100", "a100", "a100-pcie", "l40s" };

/* The scenario on a node of one model (1 GPU), and its GpuType from the
 * site pipeline parsed with `settings` in front. Returns 0, or -1 (diag). */
static int model_scen(struct scen *s, const char *model, const char *settings, vgpu_conf_t *conf)
{
	char cmd[4096], types[700], text[2048];
	vgpu_err_t err;
	FILE *f;
	size_t n;

	scen_init(s, "sim/nodes/a100x2.json", model);
	snprintf(types, sizeof(types), "%s/types.conf", s->dir);
	snprintf(cmd, sizeof(cmd),
		 "sh '%s' --model %s --gpus 1 --hostname memtruth -o '%s' && "
		 /* sanitizer builds: discover's leaks are not this test's (tests/sh/0210 does the same) */
		 "ASAN_OPTIONS=\"${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0\" "
		 "VGPU_SIM_NODE='%s' VGPU_SIM_STATE='%s' LD_LIBRARY_PATH='%s' '%s' discover --json --hostname memtruth "
		 ">'%s/inv.json' 2>/dev/null && '%s' conf --types '%s/inv.json' >'%s'",
		 src_path("sim/vgpu-simnode"), model, s->node_path, s->node_path, s->state,
		 build_path("sim/.libs"), build_path("vgpu"), s->dir, build_path("vgpu"), s->dir, types);
	if (system(cmd) != 0) {
		diag("%s: the pipeline failed: %s", model, cmd);
		return -1;
	}
	if (vgpu_sim_node_load(s->node_path, &s->node, text, sizeof(text)) != 0) {
		diag("%s", text);
		return -1;
	}
	n = (size_t)snprintf(text, sizeof(text), "%s", settings);
	f = fopen(types, "r");
	if (!f)
		return -1;
	n += fread(text + n, 1, sizeof(text) - 1 - n, f);
	fclose(f);
	text[n] = '\0';
	if (vgpu_conf_parse(text, n, types, conf, &err) != 0 || conf->ntypes != 1) {
		diag("%s: %s", model, err.msg);
		return -1;
	}
	diag("%s: %s", model, text + strlen(settings));
	return 0;
}

static int limits_of(const vgpu_conf_t *conf, const char *request, vgpu_limits_t *lim)
{
	vgpu_request_t r;
	vgpu_err_t err;
	unsigned k;

	if (vgpu_request_parse(request, NULL, &r, &err) != 0 ||
	    vgpu_account_shards(conf, &conf->types[0], &r, &k, &err) != 0 ||
	    vgpu_account_limits(conf, &conf->types[0], k, &r, lim, &err) != 0) {
		diag("%s: %s", request, err.msg);
		return -1;
	}
	return 0;
}

/* 1. A loop of cuCtxCreate in a 1/64 slice (room for two contexts). */
static void context_loop(int charge)
{
	const char *argv[64] = { "direct", "init" };
	const char *tag = charge ? "" : "control, ctx=0: ";
	struct scen s;
	vgpu_conf_t conf;
	vgpu_limits_t lim;
	int n = 2, created = 0, fd;
	char line[256];
	pid_t pid;

	if (model_scen(&s, "h100", "", &conf) != 0 || limits_of(&conf, "share=1/64", &lim) != 0) {
		check(0, "context loop: set-up");
		return;
	}
	while (n < 58) { /* 28 creates: probe_start passes at most 62 arguments */
		argv[n++] = "create";
		argv[n++] = "0";
	}
	argv[n++] = "hold";
	argv[n] = NULL;
	scen_gpu(&s, 0, lim.mem_bytes, charge ? lim.ctx_bytes : 0);
	scen_write(&s);
	pid = probe_start(&s, 1, NULL, argv, &fd, NULL);
	while (read_line(fd, line, sizeof(line)) == 0 && strcmp(line, "hold: ready") != 0)
		if (strncmp(line, "create 0: ", 10) == 0)
			created += atoi(line + 10) == 0;
	{
		struct phys p = phys_query(&s, s.node.gpus[0].uuid, pid);
		uint64_t room = lim.mem_bytes / granule_up(lim.ctx_bytes);

		if (charge) {
			/* the primary context and `created` more, each charged */
			check(created + 1 <= (int)room && created + 1 >= (int)room - 1,
			      "contexts stop at the slice: %d created beside the primary one (%llu bytes, %llu per context)",
			      created, (unsigned long long)lim.mem_bytes, (unsigned long long)lim.ctx_bytes);
			check(p.ok && p.used <= lim.mem_bytes,
			      "physically within the slice: %llu of %llu bytes", (unsigned long long)p.used,
			      (unsigned long long)lim.mem_bytes);
		} else {
			check(created == 28 && p.ok && p.used > lim.mem_bytes,
			      "%sall 28 contexts, %llu bytes physically, past the %llu-byte slice", tag,
			      (unsigned long long)p.used, (unsigned long long)lim.mem_bytes);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	scen_free(&s);
}

/* 2. `count` slices of `request` in as many processes at once. Returns how
 * many got less than their promise. */
static int slices_at_once(const char *model, const char *settings, const char *request, unsigned count,
			  int no_driver_reserve)
{
	struct scen s;
	vgpu_conf_t conf;
	vgpu_limits_t lim;
	pid_t pids[SLICES_MAX];
	int fds[SLICES_MAX], short_of = 0, failed = 0;
	char want[32];

	if (model_scen(&s, model, settings, &conf) != 0)
		return -1;
	if (no_driver_reserve)
		conf.types[0].driver_bytes = 0; /* Memory= alone: NVML's total */
	if (limits_of(&conf, request, &lim) != 0)
		return -1;
	scen_gpu(&s, 0, lim.mem_bytes, lim.ctx_bytes);
	/* what allocations are promised: the limit less one context, each
	 * charged in whole granules */
	snprintf(want, sizeof(want), "%llu",
		 (unsigned long long)((lim.mem_bytes - granule_up(lim.ctx_bytes)) / GRANULE * GRANULE));
	for (unsigned i = 0; i < count; i++) {
		const char *argv[] = { "direct", "init", "alloc", "mem", want, "hold", NULL };
		struct scen one = s;

		snprintf(one.acct, sizeof(one.acct), "%s/acct-%u", s.dir, i);
		snprintf(one.desc_path, sizeof(one.desc_path), "%s/step-%u.desc", s.dir, i);
		snprintf(one.desc.acct_dir, sizeof(one.desc.acct_dir), "%s", one.acct);
		snprintf(one.desc.step, sizeof(one.desc.step), "slice%u", i);
		mkdir(one.acct, 0700);
		scen_write(&one);
		pids[i] = probe_start(&one, 1, NULL, argv, &fds[i], NULL);
	}
	for (unsigned i = 0; i < count; i++) {
		char line[256];
		unsigned long long got = 0;
		int rc = -1;

		while (read_line(fds[i], line, sizeof(line)) == 0 && strcmp(line, "hold: ready") != 0)
			(void)sscanf(line, "alloc mem %llu: %d", &got, &rc);
		failed += rc != 0;
		/* the promise: the limit less the context, to the shim's 2 MiB granule */
		short_of += rc != 0 || got + 2 * GRANULE < lim.mem_bytes - lim.ctx_bytes;
	}
	{
		struct phys p = phys_query(&s, s.node.gpus[0].uuid, 0);

		check(p.ok && p.used <= gpu_usable(&s, 0),
		      "%s %s x %u%s: the GPU holds them all (%llu of %llu bytes)", model, request, count,
		      no_driver_reserve ? " (control)" : "", (unsigned long long)p.used,
		      (unsigned long long)gpu_usable(&s, 0));
	}
	diag("%s %s x %u%s: limit %llu, context %llu, each allocates %llu, %d failed", model, request, count,
	     no_driver_reserve ? " (Memory= alone)" : "", (unsigned long long)lim.mem_bytes,
	     (unsigned long long)lim.ctx_bytes, (unsigned long long)strtoull(want, NULL, 10), failed);
	for (unsigned i = 0; i < count; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
		close(fds[i]);
	}
	scen_free(&s);
	return short_of;
}

int main(void)
{
	static const struct {
		const char *settings, *request;
		unsigned count;
	} cases[] = {
		{ "ShardsPerGpu=100\n", "cores=25", 4 },
		{ "ShardsPerGpu=100\n", "cores=1", 100 },
		{ "", "share=1/3", 3 },
		{ "AccountingMode=memory\n", "mem=25%", 4 },
	};

	context_loop(1);
	context_loop(0);
	for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++)
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			int r = slices_at_once(models[m], cases[c].settings, cases[c].request, cases[c].count,
					       0);

			check(r == 0,
			      "%s: %u slices of %s (%s) at once each get their limit less one context (%d short)",
			      models[m], cases[c].count, cases[c].request,
			      cases[c].settings[0] ? cases[c].settings : "120 shards\n", r);
		}
	/* the control: what today's Memory=-only line promises is not there */
	check(slices_at_once("h100", "ShardsPerGpu=100\n", "cores=25", 4, 1) > 0,
	      "control: with Memory= alone (no DriverReserved=), the last of 4 slices gets less than promised");
	return done();
}
