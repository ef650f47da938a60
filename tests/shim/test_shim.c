/*
 * test_shim - libvgpu-shim.so in front of the simulated driver, one probe
 * process at a time (tests/shim/shimprobe, preloaded with the shim):
 *  - every allocation path is charged (rounded to 2 MiB) and given back, in
 *    each of the three ways a program reaches the driver; over the slice is
 *    CUDA_ERROR_OUT_OF_MEMORY and the driver is not even asked; host memory
 *    is not the slice's;
 *  - cuMemGetInfo, cuDeviceTotalMem and NVML memory info v1/v2 show the
 *    slice; NVML's process list shows what the step's processes hold;
 *  - contexts are charged, and a destroyed/released context takes its
 *    memory with it;
 *  - what the probe's process holds on the SIMULATED GPU (its physical
 *    state, read without the shim) matches;
 *  - a process SIGKILLed while holding memory gives it back.
 */
#include "shimtest.h"

static const char *const modes[] = { "direct", "dlopen", "getproc" };

/* One scenario: a100x2, GPU 0 in the step with a 4 GiB slice. */
static void slice_4g(struct scen *s, const char *name)
{
	scen_init(s, "sim/nodes/a100x2.json", name);
	scen_gpu(s, 0, 4 * GIB, gpu_ctx(s, 0));
	scen_write(s);
}

/* Every kind, in turn, with the free memory seen after each. */
static void paths(const char *mode)
{
	static const struct {
		const char *kind, *size;
		uint64_t charged, physical; /* slice, simulated GPU */
	} a[] = {
		{ "mem", "536870912", 512 * MIB, 512 * MIB },     { "pitch", "536870912", 512 * MIB, 512 * MIB },
		{ "managed", "268435456", 256 * MIB, 0 },          { "async", "268435455", 256 * MIB, 256 * MIB },
		{ "pool", "268435456", 256 * MIB, 256 * MIB },     { "array", "268435456", 256 * MIB, 256 * MIB },
		{ "vmm", "268435456", 256 * MIB, 256 * MIB },      { "vmmkeep", "268435456", 256 * MIB, 256 * MIB },
		{ "host", "268435456", 0, 0 },                     { "register", "268435456", 0, 0 },
		{ "mem", "1", 2 * MIB, 2 * MIB },
	};
	const char *argv[80];
	uint64_t ctx, free0, total = 0, charged = 0, physical = 0;
	char line[4096], *out = NULL;
	struct scen s;
	struct phys p;
	int n = 0, fd, status;
	pid_t pid;

	slice_4g(&s, mode);
	ctx = gpu_ctx(&s, 0);
	argv[n++] = mode;
	argv[n++] = "init";
	argv[n++] = "info";
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		argv[n++] = "alloc";
		argv[n++] = a[i].kind;
		argv[n++] = a[i].size;
		argv[n++] = "info";
	}
	argv[n++] = "nvmlprocs";
	argv[n++] = s.desc.gpus[0].uuid;
	argv[n++] = "hold";
	argv[n] = NULL;
	pid = probe_start(&s, 1, NULL, argv, &fd, NULL);
	{
		/* collect up to "hold: ready" while the process is alive */
		size_t len = 0;

		out = calloc(1, OUT_MAX);
		while (read_line(fd, line, sizeof(line)) == 0 && len + strlen(line) + 2 < OUT_MAX) {
			len += (size_t)sprintf(out + len, "%s\n", line);
			if (strcmp(line, "hold: ready") == 0)
				break;
		}
	}
	free0 = info_free(out, 0, &total);
	CHECK_U64(total, 4 * GIB, "total is the slice");
	CHECK_U64(free0, 4 * GIB - ctx, "free is the slice less this process's context");
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		char what[128];

		snprintf(what, sizeof(what), "alloc %s %s: ", a[i].kind, a[i].size);
		check(strcmp(line_of(out, what, 0), "0") == 0, "%s %s: %s succeeds", mode, a[i].kind, a[i].size);
		charged += a[i].charged;
		physical += a[i].physical;
		snprintf(what, sizeof(what), "%s: after %s %s, free", mode, a[i].kind, a[i].size);
		CHECK_U64(info_free(out, (int)i + 1, NULL), free0 - charged, what);
	}
	snprintf(line, sizeof(line), " %d:%llu", (int)pid, (unsigned long long)(charged + ctx));
	check(strcmp(line_of(out, "nvmlprocs: 0", 0), line) == 0, "%s: NVML lists the process with %s bytes (got '%s')", mode,
	      line, line_of(out, "nvmlprocs: 0", 0));
	p = phys_query(&s, s.desc.gpus[0].uuid, pid);
	check(p.ok, "%s: the simulated GPU can be read", mode);
	CHECK_U64(p.pid_bytes, physical + ctx, "simulated GPU: what the process holds (managed memory is host memory there)");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fd);
	free(out);
	/* the dead process's memory is back, exactly */
	{
		const char *again[] = { mode, "init", "info", "nvmlprocs", s.desc.gpus[0].uuid, NULL };
		const char *procs;

		probe_run(&s, 1, NULL, again, &out, NULL);
		CHECK_U64(info_free(out, 0, NULL), 4 * GIB - ctx, "after a SIGKILL, a new process sees the whole slice");
		procs = line_of(out, "nvmlprocs: ", 0);
		check(strncmp(procs, "0 ", 2) == 0 && strchr(procs, ':') == strrchr(procs, ':'),
		      "%s: NVML lists only the new process (got '%s')", mode, procs);
		free(out);
	}
	scen_free(&s);
}

/* Over the slice: refused without asking the driver; host memory is free. */
static void over_limit(void)
{
	static const char *const kinds[] = { "mem", "pitch", "managed", "async", "pool", "array", "vmm", "vmmkeep" };
	const char *argv[40];
	char *out, what[64];
	struct scen s;
	int n = 0;

	slice_4g(&s, "over");
	argv[n++] = "dlopen";
	argv[n++] = "init";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		argv[n++] = "alloc";
		argv[n++] = kinds[i];
		argv[n++] = "3984588800"; /* 3800 MiB: more than the 3796 MiB free */
	}
	argv[n++] = "alloc";
	argv[n++] = "host";
	argv[n++] = "8589934592";
	argv[n++] = "alloc";
	argv[n++] = "mem";
	argv[n++] = "3980394496"; /* exactly what is free */
	argv[n++] = "info";
	argv[n] = NULL;
	probe_run(&s, 1, NULL, argv, &out, NULL);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(what, sizeof(what), "alloc %s 3984588800: ", kinds[i]);
		check(strcmp(line_of(out, what, 0), "2") == 0, "%s over the slice: CUDA_ERROR_OUT_OF_MEMORY (got %s)", kinds[i],
		      line_of(out, what, 0));
	}
	check(strcmp(line_of(out, "alloc host 8589934592: ", 0), "0") == 0, "8 GiB of host memory is not the slice's");
	check(strcmp(line_of(out, "alloc mem 3980394496: ", 0), "0") == 0, "exactly the free memory fits");
	CHECK_U64(info_free(out, 0, NULL), 0, "then nothing is free");
	free(out);
	scen_free(&s);
}

/* cuDeviceTotalMem, NVML v1/v2 for a step GPU and another one; a slice
 * larger than the GPU shows the GPU. */
static void views(void)
{
	const char *argv[] = { "direct", "init", "total", "0", "total", "1", "alloc", "mem", "1073741824",
			       "nvmlmem", NULL, "nvmlmem", NULL, NULL };
	unsigned long long v[9];
	uint64_t ctx;
	char *out;
	struct scen s;
	int r1, r2;

	slice_4g(&s, "views");
	ctx = gpu_ctx(&s, 0);
	argv[10] = s.node.gpus[0].uuid;
	argv[12] = s.node.gpus[1].uuid;
	probe_run(&s, 1, NULL, argv, &out, NULL);
	check(strcmp(line_of(out, "total 0: ", 0), "0 4294967296") == 0, "cuDeviceTotalMem of the step GPU: the slice");
	{
		char want[64];

		snprintf(want, sizeof(want), "0 %llu", (unsigned long long)gpu_usable(&s, 1));
		check(strcmp(line_of(out, "total 1: ", 0), want) == 0, "another GPU: its own memory (%s)", line_of(out, "total 1: ", 0));
	}
	check(sscanf(line_of(out, "nvmlmem: ", 0), "%d %llu %llu %llu | %d %llu %llu %llu %llu", &r1, &v[0], &v[1], &v[2],
		     &r2, &v[3], &v[4], &v[5], &v[6]) == 9 && r1 == 0 && r2 == 0,
	      "NVML memory info v1 and v2 answer");
	CHECK_U64(v[0], 4 * GIB, "NVML v1 total is the slice");
	CHECK_U64(v[2], GIB + ctx, "NVML v1 used is what the step holds");
	CHECK_U64(v[1], 3 * GIB - ctx, "NVML v1 free");
	CHECK_U64(v[3], 4 * GIB, "NVML v2 total is the slice");
	CHECK_U64(v[4], 0, "NVML v2 reserved");
	CHECK_U64(v[5], 3 * GIB - ctx, "NVML v2 free");
	CHECK_U64(v[6], GIB + ctx, "NVML v2 used");
	check(sscanf(line_of(out, "nvmlmem: ", 1), "%d %llu %llu %llu | %d %llu %llu %llu %llu", &r1, &v[0], &v[1], &v[2],
		     &r2, &v[3], &v[4], &v[5], &v[6]) == 9,
	      "NVML of the other GPU answers");
	CHECK_U64(v[0], s.node.gpus[1].memory_bytes, "another GPU: NVML v1 total as the driver says");
	CHECK_U64(v[4], s.node.gpus[1].reserved_bytes, "another GPU: NVML v2 reserved as the driver says");
	free(out);
	scen_free(&s);
	/* a slice larger than the GPU: the GPU's memory */
	scen_init(&s, "sim/nodes/a100x2.json", "big");
	scen_gpu(&s, 0, 1024 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	{
		const char *a2[] = { "dlopen", "init", "info", "total", "0", NULL };
		char want[64];

		probe_run(&s, 1, NULL, a2, &out, NULL);
		snprintf(want, sizeof(want), "0 %llu", (unsigned long long)gpu_usable(&s, 0));
		check(strcmp(line_of(out, "total 0: ", 0), want) == 0, "slice above the GPU: cuDeviceTotalMem is the GPU's");
		CHECK_U64(info_free(out, 0, NULL), gpu_usable(&s, 0) - gpu_ctx(&s, 0), "slice above the GPU: free is the GPU's");
		free(out);
	}
	scen_free(&s);
}

/* Contexts cost memory; destroying or releasing one frees what was in it. */
static void contexts(void)
{
	const char *argv[] = { "getproc", "init", "info", "create", "0", "info", "alloc", "mem", "104857600", "info",
			       "destroy", "ctx", "0", "info", "alloc", "mem", "104857600", "release", "0",
			       "info", "release", "0", "ctx", "0", "info", NULL };
	uint64_t ctx, f0;
	char *out;
	struct scen s;

	slice_4g(&s, "ctx");
	ctx = gpu_ctx(&s, 0);
	probe_run(&s, 1, NULL, argv, &out, NULL);
	f0 = info_free(out, 0, NULL);
	CHECK_U64(f0, 4 * GIB - ctx, "one primary context");
	CHECK_U64(info_free(out, 1, NULL), f0 - ctx, "cuCtxCreate costs a context");
	CHECK_U64(info_free(out, 2, NULL), f0 - ctx - 100 * MIB, "an allocation in it");
	check(strcmp(line_of(out, "destroy: ", 0), "0") == 0, "cuCtxDestroy");
	CHECK_U64(info_free(out, 3, NULL), f0, "destroying it gives back the context and what was in it");
	check(strcmp(line_of(out, "release 0: ", 0), "0") == 0, "cuDevicePrimaryCtxRelease (retained twice)");
	CHECK_U64(info_free(out, 4, NULL), f0 - 100 * MIB, "still retained once: its memory stays");
	check(strcmp(line_of(out, "release 0: ", 1), "0") == 0, "cuDevicePrimaryCtxRelease, the last one");
	CHECK_U64(info_free(out, 5, NULL), f0, "releasing the primary context for the last time gives back what was in it");
	free(out);
	scen_free(&s);
}

/* A program that sizes itself from cuMemGetInfo stays in its slice and on
 * the GPU. Two steps whose slices add up to the whole GPU: because contexts
 * are charged to the slice that creates them, step B is offered its whole
 * slice less its own context even beside a full step A (the control, with
 * contexts not charged, shows B losing A's context to A); and the view
 * never offers more than the GPU has free, so neither runs it out. */
static void sizing(void)
{
	struct scen a, b;
	uint64_t half, ctx;
	char line[256], *out;
	int fd;
	pid_t pid;

	for (int charge_ctx = 1; charge_ctx >= 0; charge_ctx--) {
		const char *hold[] = { "direct", "init", "fill", "100", "hold", NULL };
		const char *fill[] = { "direct", "init", "info", "fill", "90", "info", NULL };
		const char *tag = charge_ctx ? "" : "control, contexts not charged: ";
		uint64_t offered;

		scen_init(&a, "sim/nodes/a100x2.json", "size");
		ctx = gpu_ctx(&a, 0);
		half = gpu_usable(&a, 0) / 2 / (2 * MIB) * (2 * MIB);
		scen_gpu(&a, 0, half, charge_ctx ? ctx : 0);
		scen_write(&a);
		b = a; /* same node and simulated GPU; its own ledgers and description */
		snprintf(b.acct, sizeof(b.acct), "%s/acct-b", a.dir);
		snprintf(b.desc_path, sizeof(b.desc_path), "%s/step-b.desc", a.dir);
		snprintf(b.desc.acct_dir, sizeof(b.desc.acct_dir), "%s", b.acct);
		mkdir(b.acct, 0700);
		scen_write(&b);
		pid = probe_start(&a, 1, NULL, hold, &fd, NULL);
		while (read_line(fd, line, sizeof(line)) == 0 && strcmp(line, "hold: ready") != 0)
			if (strncmp(line, "fill 100: ", 10) == 0)
				check(strncmp(line + 10, "0 ", 2) == 0, "%sstep A takes all it is told is free (%s)", tag, line);
		probe_run(&b, 1, NULL, fill, &out, NULL);
		offered = info_free(out, 0, NULL);
		if (charge_ctx)
			CHECK_U64(offered, half - ctx, "step B is offered its slice less its own context");
		else
			check(offered < half - ctx, "%sstep B is offered less than its slice less its context (%llu < %llu)",
			      tag, (unsigned long long)offered, (unsigned long long)(half - ctx));
		check(strncmp(line_of(out, "fill 90: ", 0), "0 ", 2) == 0, "%sstep B, sized from cuMemGetInfo, fits (%s)", tag,
		      line_of(out, "fill 90: ", 0));
		check(info_free(out, 1, NULL) <= offered / 10 + 2 * MIB, "%sabout 10%% of what B was offered is left", tag);
		check(phys_query(&a, a.node.gpus[0].uuid, pid).used <= gpu_usable(&a, 0), "%sthe simulated GPU never ran out",
		      tag);
		free(out);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		scen_free(&a);
	}
}

/* Many VMM mappings laid end to end, unmapped by one cuMemUnmap (after
 * their handles were released): every one of them is given back. */
static void vmm_span(void)
{
	const char *argv[] = { "direct", "init", "info", "vmmspan", "100", "info", NULL };
	struct scen s;
	char *out;

	slice_4g(&s, "vmmspan");
	probe_run(&s, 1, NULL, argv, &out, NULL);
	check(strcmp(line_of(out, "vmmspan: ", 0), "0") == 0, "100 mappings of 2 MiB mapped and unmapped at once (%s)",
	      line_of(out, "vmmspan: ", 0));
	CHECK_U64(info_free(out, 1, NULL), info_free(out, 0, NULL),
		  "one cuMemUnmap over 100 mappings gives every one of them back");
	free(out);
	scen_free(&s);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		paths(modes[i]);
	over_limit();
	views();
	contexts();
	sizing();
	vmm_span();
	return done();
}
