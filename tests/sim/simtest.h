/*
 * simtest.h - glue for the tests that load the simulated libcuda.so.1 and
 * libnvidia-ml.so.1 with dlopen, by path, as an application would (they
 * link nothing but libdl).
 *
 * Each scenario runs in a forked child (fresh environment, fresh library
 * state): sim_run(fn, arg) forks, the child calls fn and reports every check
 * through a pipe, and the parent numbers them as TAP. A child that dies is a
 * failed check. sim_done() prints the plan and returns the exit status.
 *
 * The libraries come from $VGPU_BUILDDIR/sim/.libs (set by `make check`;
 * "." otherwise). Files go to a scratch directory under $TMPDIR, removed at
 * the end.
 */
#ifndef VGPU_SIMTEST_H
#define VGPU_SIMTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgpu_cuda_abi.h"
#include "vgpu_nvml_abi.h"

#define MIB (1024ull * 1024ull)

static int sim_report_fd = -1; /* in a child: where results go */
static int sim_n, sim_failed;
static char sim_dir[512];

/* Record one check (parent: print it; child: send it). Returns cond. */
static int check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static int check(int cond, const char *fmt, ...)
{
	char desc[400], line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (sim_report_fd >= 0) {
		n = snprintf(line, sizeof(line), "%c%s\n", cond ? '+' : '-', desc);
		if (write(sim_report_fd, line, (size_t)n) != n)
			_exit(99);
	} else {
		sim_n++;
		sim_failed += !cond;
		printf("%sok %d - %s\n", cond ? "" : "not ", sim_n, desc);
		fflush(stdout);
	}
	return cond;
}

/* A TAP comment (same route as check). */
static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void diag(const char *fmt, ...)
{
	char desc[400], line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (sim_report_fd >= 0) {
		n = snprintf(line, sizeof(line), "#%s\n", desc);
		if (write(sim_report_fd, line, (size_t)n) != n)
			_exit(99);
	} else {
		printf("# %s\n", desc);
	}
}

/* Each argument is evaluated once. */
#define CHECK_EQ_INT(got, want, what)                                                                 \
	__extension__({                                                                               \
		long long got_ = (long long)(got), want_ = (long long)(want);                         \
		check(got_ == want_, "%s: got %lld, want %lld", what, got_, want_);                   \
	})
#define CHECK_EQ_STR(got, want, what)                                                                 \
	__extension__({                                                                               \
		const char *got_ = (got), *want_ = (want);                                            \
		check(strcmp(got_, want_) == 0, "%s: got '%s', want '%s'", what, got_, want_);        \
	})

/* Run fn(arg) in a child; relay its checks. Returns the child's status. */
static int sim_run(void (*fn)(void *), void *arg, const char *name) __attribute__((unused));
static int sim_run(void (*fn)(void *), void *arg, const char *name)
{
	int fds[2], status = 0;
	char buf[4096], acc[8192];
	size_t len = 0;
	pid_t pid;
	ssize_t n;

	fflush(stdout);
	if (pipe(fds) != 0)
		return check(0, "%s: pipe: %s", name, strerror(errno));
	pid = fork();
	if (pid < 0)
		return check(0, "%s: fork: %s", name, strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		sim_report_fd = fds[1];
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof(acc) - 1)
					acc[len++] = buf[i];
				continue;
			}
			acc[len] = '\0';
			if (acc[0] == '#')
				printf("# %s\n", acc + 1);
			else
				check(acc[0] == '+', "%s: %s", name, acc + 1);
			len = 0;
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		check(0, "%s: the test process ended with %s %d", name, WIFSIGNALED(status) ? "signal" : "status",
		      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return status;
}

static int sim_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw) __attribute__((unused));
static int sim_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Make the scratch directory. */
static void sim_setup(void) __attribute__((unused));
static void sim_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(sim_dir, sizeof(sim_dir), "%s/vgpu-simtest.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sim_dir)) {
		printf("Bail out! mkdtemp %s: %s\n", sim_dir, strerror(errno));
		exit(1);
	}
}

static int sim_done(void) __attribute__((unused));
static int sim_done(void)
{
	if (sim_dir[0])
		nftw(sim_dir, sim_rm, 16, FTW_DEPTH | FTW_PHYS);
	printf("1..%d\n", sim_n);
	return sim_failed ? 1 : 0;
}

/* Write text to path; exits the test on failure. */
static void sim_write(const char *path, const char *text) __attribute__((unused));
static void sim_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* dlopen one of the simulated libraries ("libcuda.so.1", "libnvidia-ml.so.1"). */
static void *sim_open(const char *soname) __attribute__((unused));
static void *sim_open(const char *soname)
{
	const char *b = getenv("VGPU_BUILDDIR");
	char path[1024];
	void *h;

	snprintf(path, sizeof(path), "%s/sim/.libs/%s", b ? b : ".", soname);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		check(0, "dlopen %s: %s", path, dlerror());
		_exit(1);
	}
	return h;
}

static void *sim_sym(void *h, const char *name) __attribute__((unused));
static void *sim_sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p) {
		check(0, "dlsym %s: missing", name);
		_exit(1);
	}
	return p;
}

/* `LOAD(h, cuInit);` declares cuInit as a pointer to the simulator's. */
#define LOAD(h, name) vgpu_pfn_##name name = (vgpu_pfn_##name)sim_sym(h, #name)

/* The test node "simtest-a": three GPUs (two H100-like linked by 4 NVLink
 * links, GPU 0 also on an NVSwitch; an A100-like one without NVLink, MIG on),
 * small memories so that running out is quick: GPU 0 and 1 have 1024 MiB,
 * 64 MiB reserved, contexts of 100 MiB (960 MiB usable). */
#define NODE_A_UUID0 "GPU-11111111-2222-3333-4444-555555555500"
#define NODE_A_UUID1 "GPU-11111111-2222-3333-4444-555555555501"
#define NODE_A_UUID2 "GPU-abcdef00-1234-5678-9abc-def012345678"
#define NODE_B_UUID0 "GPU-bbbbbbbb-2222-3333-4444-555555555500"
static const char node_a_json[] __attribute__((unused)) =
	"{ \"version\": 1, \"hostname\": \"simtest-a\", \"driver_version\": \"580.65.06\",\n"
	"  \"cuda_version\": 13000, \"pcie_p2p\": false,\n"
	"  \"nvswitches\": [ { \"pci_bus_id\": \"0000:05:00.0\", \"pci_device_id\": \"0x22a3\" } ],\n"
	"  \"gpus\": [\n"
	"    { \"uuid\": \"" NODE_A_UUID0 "\", \"pci_bus_id\": \"00000000:18:00.0\",\n"
	"      \"pci_device_id\": \"0x2330\", \"pci_subsystem_id\": \"0x16c110de\",\n"
	"      \"name\": \"NVIDIA H100 80GB HBM3\", \"memory_bytes\": 1073741824, \"reserved_bytes\": 67108864,\n"
	"      \"context_bytes\": 104857600, \"sms\": 132, \"compute_capability\": \"9.0\", \"minor\": 3,\n"
	"      \"mig_capable\": true,\n"
	"      \"nvlink\": { \"links\": 18, \"peers\": [ { \"gpu\": 1, \"links\": 4 }, { \"nvswitch\": 0, \"links\": 2 } ] },\n"
	"      \"fabric\": { \"cluster_uuid\": \"6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\", \"clique_id\": 7,\n"
	"                  \"state\": \"completed\", \"status\": 0 } },\n"
	"    { \"uuid\": \"" NODE_A_UUID1 "\", \"pci_bus_id\": \"00000000:2A:00.0\",\n"
	"      \"pci_device_id\": \"0x2330\", \"name\": \"NVIDIA H100 80GB HBM3\", \"memory_bytes\": 1073741824,\n"
	"      \"reserved_bytes\": 67108864, \"context_bytes\": 104857600, \"sms\": 132,\n"
	"      \"compute_capability\": \"9.0\", \"minor\": 1,\n"
	"      \"nvlink\": { \"links\": 18, \"peers\": [ { \"gpu\": 0, \"links\": 4 } ] } },\n"
	"    { \"uuid\": \"" NODE_A_UUID2 "\", \"pci_bus_id\": \"0000:3a:00.0\",\n"
	"      \"name\": \"NVIDIA A100 test\", \"memory_bytes\": 536870912, \"context_bytes\": 52428800,\n"
	"      \"sms\": 108, \"compute_capability\": \"8.0\", \"minor\": 0, \"mig\": true }\n"
	"  ] }\n";

/* "simtest-b": one GPU of its own. */
static const char node_b_json[] __attribute__((unused)) =
	"{ \"version\": 1, \"hostname\": \"simtest-b\", \"driver_version\": \"575.51.03\",\n"
	"  \"cuda_version\": 12090,\n"
	"  \"gpus\": [ { \"uuid\": \"" NODE_B_UUID0 "\", \"pci_bus_id\": \"00000000:18:00.0\",\n"
	"      \"name\": \"NVIDIA L40S\", \"memory_bytes\": 1073741824, \"context_bytes\": 104857600,\n"
	"      \"sms\": 142, \"compute_capability\": \"8.9\" } ] }\n";

/* Point the simulator at node file <sim_dir>/<host>.json, and nothing else. */
static void use_node(const char *host) __attribute__((unused));
static void use_node(const char *host)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s.json", sim_dir, host);
	setenv("VGPU_SIM_NODE", path, 1);
	unsetenv("VGPU_SIM_DIR");
	unsetenv("VGPU_SIM_STATE");
	unsetenv("SLURMD_NODENAME");
	unsetenv("CUDA_VISIBLE_DEVICES");
}

/* Write both test nodes into sim_dir. */
static void write_nodes(void) __attribute__((unused));
static void write_nodes(void)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/simtest-a.json", sim_dir);
	sim_write(path, node_a_json);
	snprintf(path, sizeof(path), "%s/simtest-b.json", sim_dir);
	sim_write(path, node_b_json);
}

#endif
