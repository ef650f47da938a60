/*
 * shimtest.h - glue for the tests that run tests/shim/shimprobe under the
 * shim (LD_PRELOAD=src/shim/.libs/libcuda.so.1) against the simulated GPU
 * node, and check what the probe reports against the simulated GPUs'
 * PHYSICAL state, read from the simulator's NVML loaded by path in a child
 * process that has no shim.
 *
 * TAP: check() prints one line per check; done() prints the plan and
 * returns the exit status. Every scenario has its own scratch directory
 * (node file, simulator state, step description, ledgers) under $TMPDIR,
 * removed at the end.
 */
#ifndef VGPU_SHIMTEST_H
#define VGPU_SHIMTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim_node.h"
#include "vgpu_nvml_abi.h"
#include "vgpu_stepdesc.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define OUT_MAX (1 << 20)

static int t_n, t_failed;

static inline int check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static inline int check(int cond, const char *fmt, ...)
{
	va_list ap;

	char desc[2048];

	t_n++;
	t_failed += !cond;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	for (char *c = desc; *c; c++) /* one TAP line, whatever the message holds */
		if (*c == '\n' || *c == '#')
			*c = *c == '#' ? '%' : '|';
	printf("%sok %d - %s\n", cond ? "" : "not ", t_n, desc);
	fflush(stdout);
	return cond;
}

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define CHECK_U64(got, want, what)                                                                     \
	__extension__({                                                                                \
		unsigned long long got_ = (got), want_ = (want);                                       \
		check(got_ == want_, "%s: got %llu, want %llu", what, got_, want_);                    \
	})

static inline int done(void) __attribute__((unused));
static inline int done(void)
{
	printf("1..%d\n", t_n);
	return t_failed ? 1 : 0;
}

static inline const char *build_path(const char *rel)
{
	static char buf[8][1024];
	static int slot;
	const char *b = getenv("VGPU_BUILDDIR");

	slot = (slot + 1) % 8;
	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", b ? b : ".", rel);
	return buf[slot];
}

static inline const char *src_path(const char *rel)
{
	static char buf[4][1024];
	static int slot;
	const char *s = getenv("VGPU_SRCDIR");

	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", s ? s : "..", rel);
	return buf[slot];
}

/* ---- scenarios ------------------------------------------------------------ */

struct scen {
	char dir[400];
	char node_path[600], state[600], acct[VGPU_STEPDESC_PATH_MAX - 16], desc_path[600];
	struct vgpu_sim_node node;
	vgpu_stepdesc_t desc;
};

static inline void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (in < 0 || out < 0) {
		fprintf(stderr, "copy %s -> %s: %s\n", from, to, strerror(errno));
		exit(99);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			exit(99);
	close(in);
	close(out);
}

/* A scenario on a shipped node (sim/nodes/NAME); no GPU in the step yet. */
static inline void scen_init(struct scen *s, const char *node, const char *name)
{
	char err[512];

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s/vgpu-shimtest-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 name);
	if (!mkdtemp(s->dir))
		exit(99);
	snprintf(s->node_path, sizeof(s->node_path), "%s/node.json", s->dir);
	snprintf(s->state, sizeof(s->state), "%s/state", s->dir);
	snprintf(s->acct, sizeof(s->acct), "%s/acct", s->dir);
	snprintf(s->desc_path, sizeof(s->desc_path), "%s/step.desc", s->dir);
	copy_file(src_path(node), s->node_path);
	mkdir(s->acct, 0700);
	if (vgpu_sim_node_load(s->node_path, &s->node, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(99);
	}
	vgpu_stepdesc_init(&s->desc);
	snprintf(s->desc.step, sizeof(s->desc.step), "%s", name);
	snprintf(s->desc.acct_dir, sizeof(s->desc.acct_dir), "%s", s->acct);
	snprintf(s->desc.cuda_path, sizeof(s->desc.cuda_path), "%s", build_path("sim/.libs/libcuda.so.1"));
	snprintf(s->desc.nvml_path, sizeof(s->desc.nvml_path), "%s", build_path("sim/.libs/libnvidia-ml.so.1"));
}

/* Usable memory of node GPU i (CUDA's total) and one context's cost. */
static inline uint64_t gpu_usable(const struct scen *s, int i)
{
	return s->node.gpus[i].memory_bytes - s->node.gpus[i].reserved_bytes;
}

static inline uint64_t gpu_ctx(const struct scen *s, int i)
{
	return s->node.gpus[i].context_bytes;
}

/* Put node GPU i in the step with a slice of mem bytes and ctx per context. */
static inline void scen_gpu(struct scen *s, int i, uint64_t mem, uint64_t ctx)
{
	vgpu_stepdesc_gpu_t *g = &s->desc.gpus[s->desc.ngpus++];

	memcpy(g->uuid, s->node.gpus[i].uuid, sizeof(g->uuid) - 1);
	g->uuid[sizeof(g->uuid) - 1] = '\0';
	g->mem_bytes = mem;
	g->sm_bp = VGPU_STEPDESC_SM_FULL;
	g->ctx_bytes = ctx;
}

static inline void scen_write(struct scen *s)
{
	vgpu_err_t err;

	if (vgpu_stepdesc_write(s->desc_path, &s->desc, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(99);
	}
}

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void scen_free(struct scen *s)
{
	nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- running the probe ------------------------------------------------------ */

/* Environment of a probe child: the shim (unless shim is 0), the scenario,
 * and extra "NAME=value" settings (NAME= alone unsets). */
static inline void probe_env(const struct scen *s, int shim, const char *const *extra)
{
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[1024];

	unsetenv("CUDA_VISIBLE_DEVICES");
	unsetenv("LD_PRELOAD");
	if (shim)
		setenv("LD_PRELOAD", build_path("src/shim/.libs/libcuda.so.1"), 1);
	else
		setenv("LD_LIBRARY_PATH", build_path("sim/.libs"), 1);
	setenv("VGPU_STEP_DESC", s->desc_path, 1);
	setenv("VGPU_SIM_NODE", s->node_path, 1);
	setenv("VGPU_SIM_STATE", s->state, 1);
	/* sanitizer builds: the shim is preloaded ahead of the ASan runtime */
	snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", asan ? asan : "", asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	for (; extra && *extra; extra++) {
		char name[128];
		const char *eq = strchr(*extra, '=');

		if (!eq || (size_t)(eq - *extra) >= sizeof(name))
			continue;
		memcpy(name, *extra, (size_t)(eq - *extra));
		name[eq - *extra] = '\0';
		if (eq[1])
			setenv(name, eq + 1, 1);
		else
			unsetenv(name);
	}
}

/* The program probe_start runs (a test may set another, built beside it). */
static const char *probe_program __attribute__((unused)) = "tests/shim/shimprobe";

/* Start the probe; its stdout (and stderr, when err_fd is given) come back
 * through pipes. Returns the pid. */
static inline pid_t probe_start(const struct scen *s, int shim, const char *const *extra, const char *const *argv,
			 int *out_fd, int *err_fd)
{
	int o[2], e[2];
	pid_t pid;

	if (pipe(o) != 0 || pipe(e) != 0)
		exit(99);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		const char *args[64];
		int n = 0;

		close(o[0]);
		close(e[0]);
		dup2(o[1], 1);
		dup2(e[1], 2);
		probe_env(s, shim, extra);
		args[n++] = build_path(probe_program);
		while (*argv && n < 63)
			args[n++] = *argv++;
		args[n] = NULL;
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	*out_fd = o[0];
	if (err_fd)
		*err_fd = e[0];
	else
		close(e[0]);
	return pid;
}

/* Read fd to the end into a NUL-terminated malloc'd buffer. */
static inline char *slurp(int fd)
{
	char *buf = malloc(OUT_MAX + 1);
	size_t len = 0;
	ssize_t n;

	if (!buf)
		exit(99);
	while (len < OUT_MAX && ((n = read(fd, buf + len, OUT_MAX - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* Read one line (up to the newline) from fd; 0, or -1 at the end. */
static inline int read_line(int fd, char *buf, size_t len)
{
	size_t i = 0;

	while (i + 1 < len) {
		ssize_t n = read(fd, buf + i, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return i ? 0 : -1;
		if (buf[i] == '\n')
			break;
		i++;
	}
	buf[i] = '\0';
	return 0;
}

/* Run the probe to the end: its exit status; stdout in *out, stderr in
 * *err (free both; either may be NULL). */
static inline int probe_run(const struct scen *s, int shim, const char *const *extra, const char *const *argv, char **out,
		     char **err)
{
	int ofd, efd, status = 0;
	pid_t pid = probe_start(s, shim, extra, argv, &ofd, &efd);
	char *o = slurp(ofd), *e = slurp(efd);

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The n-th (from 0) line of out starting with prefix, after the prefix;
 * "" when absent. */
static inline const char *line_of(const char *out, const char *prefix, int n)
{
	static char buf[8][4096];
	static int slot;
	size_t plen = strlen(prefix);

	slot = (slot + 1) % 8;
	buf[slot][0] = '\0';
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, plen) != 0 || n-- > 0)
			continue;
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p - plen) : strlen(p + plen);

		if (len >= sizeof(buf[slot]))
			len = sizeof(buf[slot]) - 1;
		memcpy(buf[slot], p + plen, len);
		buf[slot][len] = '\0';
		break;
	}
	return buf[slot];
}

/* "info: RC FREE TOTAL" -> free (rc must be 0, else UINT64_MAX). */
static inline uint64_t info_free(const char *out, int n, uint64_t *total)
{
	unsigned long long f = 0, t = 0;
	int rc = -1;

	if (sscanf(line_of(out, "info: ", n), "%d %llu %llu", &rc, &f, &t) != 3 || rc != 0)
		return UINT64_MAX;
	if (total)
		*total = t;
	return f;
}

/* ---- the physical truth: the simulator's NVML, without the shim -------------- */

struct phys {
	int ok;
	uint64_t used;       /* NVML v2 used: every process, contexts included */
	uint64_t pid_bytes;  /* what the given pid holds (0 when not listed) */
	int nprocs;
};

/* Load the simulator's NVML by path in a child with the scenario's node. */
static inline struct phys phys_query(const struct scen *s, const char *uuid, pid_t pid)
{
	struct phys r = { 0 };
	int p[2];
	pid_t kid;

	if (pipe(p) != 0)
		exit(99);
	fflush(stdout);
	kid = fork();
	if (kid == 0) {
		vgpu_pfn_nvmlInit_v2 init;
		vgpu_pfn_nvmlDeviceGetHandleByUUID byuuid;
		vgpu_pfn_nvmlDeviceGetMemoryInfo_v2 mem;
		vgpu_pfn_nvmlDeviceGetComputeRunningProcesses_v3 procs;
		vgpu_nvmlMemory_v2_t m = { .version = VGPU_NVML_MEMORY_V2 };
		vgpu_nvmlProcessInfo_t info[256];
		unsigned int n = 256;
		vgpu_nvmlDevice_t d;
		void *h;

		close(p[0]);
		setenv("VGPU_SIM_NODE", s->node_path, 1);
		setenv("VGPU_SIM_STATE", s->state, 1);
		h = dlopen(build_path("sim/.libs/libnvidia-ml.so.1"), RTLD_NOW | RTLD_LOCAL);
		if (!h)
			_exit(1);
		init = (vgpu_pfn_nvmlInit_v2)dlsym(h, "nvmlInit_v2");
		byuuid = (vgpu_pfn_nvmlDeviceGetHandleByUUID)dlsym(h, "nvmlDeviceGetHandleByUUID");
		mem = (vgpu_pfn_nvmlDeviceGetMemoryInfo_v2)dlsym(h, "nvmlDeviceGetMemoryInfo_v2");
		procs = (vgpu_pfn_nvmlDeviceGetComputeRunningProcesses_v3)dlsym(h, "nvmlDeviceGetComputeRunningProcesses_v3");
		if (init() != VGPU_NVML_SUCCESS || byuuid(uuid, &d) != VGPU_NVML_SUCCESS || mem(d, &m) != VGPU_NVML_SUCCESS ||
		    procs(d, &n, info) != VGPU_NVML_SUCCESS)
			_exit(2);
		r.ok = 1;
		r.used = m.used;
		r.nprocs = (int)n;
		for (unsigned int i = 0; i < n; i++)
			if ((pid_t)info[i].pid == pid)
				r.pid_bytes = info[i].usedGpuMemory;
		if (write(p[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
		r.ok = 0;
	close(p[0]);
	waitpid(kid, NULL, 0);
	return r;
}

#endif
