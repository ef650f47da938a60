/*
 * test_simshare - device memory shared across processes on a simulated node:
 * NVML sees every process's memory and the process list; allocations fail
 * when other processes hold the memory; a process that exits or is SIGKILLed
 * (also in the middle of allocating) gives its memory back and never leaves
 * the state lock held, while one whose main thread called pthread_exit (it
 * shows as a zombie in /proc) keeps it as long as another thread runs; a
 * process in a pid namespace of its own (its own /proc) keeps its memory
 * and leaves the host processes' alone; two simulated nodes keep separate
 * state.
 *
 * Workers are forked processes that load libcuda.so.1, retain the primary
 * context of a GPU and allocate; they talk to the scenario over pipes.
 */
#include "simtest.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

struct worker {
	pid_t pid;
	int to;   /* scenario -> worker: any byte (or EOF) ends it */
	int from; /* worker -> scenario: one int per result */
};

enum mode { HOLD, CHURN, MAIN_EXITS, NS_HOLD };

static int hold_fd = -1;

/* MAIN_EXITS: the thread that keeps the process alive until told to end. */
static void *holder(void *arg)
{
	char c;

	(void)arg;
	while (read(hold_fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* NS_HOLD: in the forked worker, enter a new pid and mount namespace (the
 * worker goes on in its child, pid 1 there, with its own /proc); the first
 * int on the result pipe is that child's host pid (-errno when unshare
 * fails). Returns in the child; the unsharing process waits for it and
 * exits. */
static void enter_pid_namespace(int from)
{
	int gate[2], v;
	pid_t inner;
	char c;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    pipe(gate) != 0) {
		v = -errno;
		if (write(from, &v, sizeof(v)) != sizeof(v))
			_exit(3);
		_exit(0);
	}
	inner = fork();
	if (inner == 0) { /* reports only once its host pid is out */
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
			int rc[2] = { -2, errno };

			if (write(from, rc, sizeof(rc)) != sizeof(rc))
				_exit(3);
			_exit(0);
		}
		return;
	}
	v = (int)inner;
	if (write(from, &v, sizeof(v)) != sizeof(v) || write(gate[1], "g", 1) != 1)
		kill(inner, SIGKILL);
	while (waitpid(inner, NULL, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

static unsigned long long used_mib_here(int gpu);

/* Fork a worker on CUDA ordinal gpu that allocates a then b MiB (0: skip),
 * reports both results and then either waits for its end (HOLD), waits
 * for it in a second thread while the main thread calls pthread_exit
 * (MAIN_EXITS), or allocates and frees in a loop until killed (CHURN).
 * NS_HOLD: HOLD in a pid namespace of its own (enter_pid_namespace), and
 * after its results it reports what NVML shows it used on gpu (MiB) and
 * its pid there. */
static struct worker spawn(int gpu, unsigned long long a, unsigned long long b, enum mode mode)
{
	struct worker w = { -1, -1, -1 };
	int to[2], from[2];

	if (pipe(to) != 0 || pipe(from) != 0)
		return w;
	w.pid = fork();
	if (w.pid == 0) {
		vgpu_CUcontext ctx;
		vgpu_CUdeviceptr p, q;
		int rc[2] = { -1, -1 };
		void *h;
		char c;

		close(to[1]);
		close(from[0]);
		if (mode == NS_HOLD)
			enter_pid_namespace(from[1]);
		h = sim_open("libcuda.so.1");
		LOAD(h, cuInit);
		LOAD(h, cuDevicePrimaryCtxRetain);
		LOAD(h, cuCtxSetCurrent);
		LOAD(h, cuMemAlloc_v2);
		LOAD(h, cuMemFree_v2);
		if (cuInit(0) == 0 && cuDevicePrimaryCtxRetain(&ctx, gpu) == 0 && cuCtxSetCurrent(ctx) == 0) {
			rc[0] = a ? (int)cuMemAlloc_v2(&p, a * MIB) : 0;
			rc[1] = b ? (int)cuMemAlloc_v2(&q, b * MIB) : 0;
		}
		if (write(from[1], rc, sizeof(rc)) != sizeof(rc))
			_exit(3);
		if (mode == NS_HOLD) {
			int seen[2] = { (int)used_mib_here(gpu), (int)getpid() };

			if (write(from[1], seen, sizeof(seen)) != sizeof(seen))
				_exit(3);
		}
		if (mode == MAIN_EXITS) {
			pthread_t th;

			hold_fd = to[0];
			if (pthread_create(&th, NULL, holder, NULL) != 0)
				_exit(4);
			pthread_exit(NULL);
		}
		if (mode == CHURN)
			for (unsigned int i = 0;; i++)
				if (cuMemAlloc_v2(&q, (2 + i % 32) * MIB) == 0)
					cuMemFree_v2(q);
		while (read(to[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0); /* without freeing: exiting gives the memory back */
	}
	close(to[0]);
	close(from[1]);
	w.to = to[1];
	w.from = from[0];
	return w;
}

static int results(struct worker *w, int rc[2])
{
	ssize_t n;

	while ((n = read(w->from, rc, 2 * sizeof(int))) < 0 && errno == EINTR)
		;
	return n == 2 * sizeof(int) ? 0 : -1;
}

static void finish(struct worker *w, int sig)
{
	int status;

	if (sig)
		kill(w->pid, sig);
	else if (write(w->to, "x", 1) != 1) /* not EOF: later workers hold copies of this pipe */
		kill(w->pid, SIGKILL);
	close(w->to);
	close(w->from);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
}

struct nvml {
	vgpu_pfn_nvmlDeviceGetMemoryInfo_v2 mem;
	vgpu_pfn_nvmlDeviceGetComputeRunningProcesses_v3 procs;
	vgpu_nvmlDevice_t dev[3];
};

static void nvml_open(struct nvml *nv)
{
	void *n = sim_open("libnvidia-ml.so.1");
	LOAD(n, nvmlInit_v2);
	LOAD(n, nvmlDeviceGetHandleByIndex_v2);

	nv->mem = (vgpu_pfn_nvmlDeviceGetMemoryInfo_v2)sim_sym(n, "nvmlDeviceGetMemoryInfo_v2");
	nv->procs = (vgpu_pfn_nvmlDeviceGetComputeRunningProcesses_v3)sim_sym(
		n, "nvmlDeviceGetComputeRunningProcesses_v3");
	if (nvmlInit_v2() != 0)
		check(0, "nvmlInit");
	for (unsigned int i = 0; i < 3; i++)
		if (nvmlDeviceGetHandleByIndex_v2(i, &nv->dev[i]) != 0)
			nv->dev[i] = NULL;
}

static unsigned long long used_mib(const struct nvml *nv, int gpu)
{
	vgpu_nvmlMemory_v2_t m = { .version = VGPU_NVML_MEMORY_V2 };

	if (nv->mem(nv->dev[gpu], &m) != 0)
		return ~0ull;
	return m.used / MIB;
}

/* MiB NVML lists for pid on gpu; -1 when not listed. *count gets the list length. */
static long long proc_mib(const struct nvml *nv, int gpu, pid_t pid, unsigned int *count)
{
	vgpu_nvmlProcessInfo_t p[16];
	long long mib = -1;

	*count = 16;
	if (nv->procs(nv->dev[gpu], count, p) != 0)
		return -2;
	for (unsigned int i = 0; i < *count; i++)
		if (p[i].pid == (unsigned int)pid)
			mib = (long long)(p[i].usedGpuMemory / MIB);
	return mib;
}

/* GPU 0 of simtest-a: 960 MiB usable, 100 MiB per context. */
static void across_processes(void *arg)
{
	struct worker a, b;
	unsigned int n;
	struct nvml nv;
	int rc[2];

	(void)arg;
	use_node("simtest-a");
	nvml_open(&nv);
	a = spawn(0, 500, 0, HOLD);
	if (!check(results(&a, rc) == 0 && rc[0] == 0, "worker A allocates 500 MiB (rc %d)", rc[0]))
		return;
	CHECK_EQ_INT(used_mib(&nv, 0), 600, "NVML: A's context and 500 MiB");
	CHECK_EQ_INT(proc_mib(&nv, 0, a.pid, &n), 600, "NVML lists A with 600 MiB");
	b = spawn(0, 300, 150, HOLD);
	if (!check(results(&b, rc) == 0, "worker B reports"))
		return;
	CHECK_EQ_INT(rc[0], VGPU_CUDA_ERROR_OUT_OF_MEMORY, "B: 300 MiB do not fit next to A (260 MiB free)");
	CHECK_EQ_INT(rc[1], 0, "B: 150 MiB do");
	CHECK_EQ_INT(used_mib(&nv, 0), 850, "NVML: both processes");
	CHECK_EQ_INT(proc_mib(&nv, 0, b.pid, &n), 250, "NVML lists B with 250 MiB");
	CHECK_EQ_INT(n, 2, "two processes");
	finish(&a, 0);
	CHECK_EQ_INT(used_mib(&nv, 0), 250, "A exited without freeing: its memory is back");
	CHECK_EQ_INT(proc_mib(&nv, 0, a.pid, &n), -1, "A is no longer listed");
	CHECK_EQ_INT(n, 1, "one process");
	finish(&b, SIGKILL);
	CHECK_EQ_INT(used_mib(&nv, 0), 0, "B killed: nothing used");
	proc_mib(&nv, 0, b.pid, &n);
	CHECK_EQ_INT(n, 0, "no process listed");
}

/* 50 workers on GPU 1 hold 200 MiB and allocate/free in a loop; each is
 * SIGKILLed at a different moment (some before they even report). */
static void sigkill(void *arg)
{
	unsigned int n, seed = 12345;
	struct nvml nv;
	int bad = 0;

	(void)arg;
	use_node("simtest-a");
	nvml_open(&nv);
	alarm(300); /* a lock left held would hang the queries below */
	for (int i = 0; i < 50; i++) {
		struct worker w = spawn(1, 200, 0, CHURN);
		int rc[2];

		if (i % 3 != 0 && (results(&w, rc) != 0 || rc[0] != 0))
			bad++;
		seed = seed * 1103515245u + 12345u;
		for (unsigned int y = 0; y < (seed >> 16) % 64; y++)
			sched_yield();
		finish(&w, SIGKILL);
		if (used_mib(&nv, 1) != 0 || proc_mib(&nv, 1, w.pid, &n) != -1 || n != 0)
			bad++;
	}
	alarm(0);
	CHECK_EQ_INT(bad, 0, "after each of 50 kills, no memory and no process is left on GPU 1");
	CHECK_EQ_INT(used_mib(&nv, 1), 0, "GPU 1 is free");
	CHECK_EQ_INT(used_mib(&nv, 0), 0, "GPU 0 was never touched");
}

/* MiB used on gpu as the calling process's NVML sees it. */
static unsigned long long used_mib_here(int gpu)
{
	struct nvml nv;

	nvml_open(&nv);
	return used_mib(&nv, gpu);
}

/* Wait for an NS_HOLD worker's unsharing process, which ends once the
 * worker in the namespace (killed by the caller) is gone. */
static void reap_ns(struct worker *w)
{
	close(w->to);
	close(w->from);
	while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* GPU 0 of simtest-a (100 MiB per context): a worker in a pid namespace of
 * its own, with its own /proc (a container started in a job), holds 200
 * MiB next to a host worker's 300. Neither side's queries free the other's
 * memory; NVML lists it under its inner pid; killed, exactly its memory
 * goes. */
static void pid_namespace(void *arg)
{
	struct worker a, n;
	unsigned int cnt;
	int rc[2], seen[2], inner = 0;
	struct nvml nv;

	(void)arg;
	use_node("simtest-a");
	nvml_open(&nv);
	alarm(120); /* a worker lost in its namespace must not hang the reads below */
	a = spawn(0, 300, 0, HOLD);
	if (!check(results(&a, rc) == 0 && rc[0] == 0, "the host worker holds 300 MiB (rc %d)", rc[0]))
		return;
	n = spawn(0, 200, 0, NS_HOLD);
	if (read(n.from, &inner, sizeof(inner)) != sizeof(inner) || inner <= 0) {
		check(1, "# SKIP unshare(CLONE_NEWPID | CLONE_NEWNS): %s", strerror(-inner));
		finish(&n, SIGKILL);
		finish(&a, SIGKILL);
		return;
	}
	if (results(&n, rc) != 0 || rc[0] == -2) {
		check(1, "# SKIP mount proc in a new pid namespace: %s", strerror(rc[1]));
		kill(inner, SIGKILL);
		reap_ns(&n);
		finish(&a, SIGKILL);
		return;
	}
	CHECK_EQ_INT(rc[0], 0, "the namespaced worker allocates 200 MiB");
	check(read(n.from, seen, sizeof(seen)) == sizeof(seen), "it reports what it sees");
	CHECK_EQ_INT(seen[1], 1, "it is pid 1 in its namespace");
	CHECK_EQ_INT(seen[0], 700, "its NVML: both workers' memory (it freed nothing of the host's)");
	CHECK_EQ_INT(used_mib(&nv, 0), 700, "host NVML: both workers' memory");
	CHECK_EQ_INT(proc_mib(&nv, 0, a.pid, &cnt), 400, "the host worker is listed with 400 MiB");
	CHECK_EQ_INT(proc_mib(&nv, 0, 1, &cnt), 300, "the namespaced worker is listed under its inner pid 1");
	CHECK_EQ_INT(cnt, 2, "two processes");
	kill(inner, SIGKILL);
	reap_ns(&n); /* its parent reaps it, then ends */
	CHECK_EQ_INT(used_mib(&nv, 0), 400, "killed: exactly its memory is back");
	CHECK_EQ_INT(proc_mib(&nv, 0, 1, &cnt), -1, "it is no longer listed");
	CHECK_EQ_INT(cnt, 1, "one process");
	finish(&a, 0);
	CHECK_EQ_INT(used_mib(&nv, 0), 0, "the host worker exited: nothing used");
	alarm(0);
}

/* The state letter of pid in /proc/PID/stat, or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* A worker whose main thread exits while another thread runs shows as a
 * zombie in /proc; its memory stays in use until the process really ends. */
static void main_thread_exits(void *arg)
{
	struct timespec ms = { 0, 1000000 };
	struct nvml nv;
	unsigned int n;
	struct worker w;
	int rc[2], i;

	(void)arg;
	use_node("simtest-a");
	nvml_open(&nv);
	w = spawn(0, 300, 0, MAIN_EXITS);
	check(results(&w, rc) == 0 && rc[0] == 0, "the worker holds 300 MiB");
	for (i = 0; i < 10000 && proc_state(w.pid) != 'Z'; i++)
		nanosleep(&ms, NULL);
	CHECK_EQ_INT(proc_state(w.pid), 'Z', "its main thread has exited: /proc shows a zombie");
	CHECK_EQ_INT(used_mib(&nv, 0), 400, "its context and 300 MiB stay in use (its other thread runs)");
	CHECK_EQ_INT(proc_mib(&nv, 0, w.pid, &n), 400, "and NVML lists it with them");
	finish(&w, 0);
	CHECK_EQ_INT(used_mib(&nv, 0), 0, "once it has exited, nothing is in use");
}

/* simtest-a and simtest-b, chosen by SLURMD_NODENAME, keep separate state. */
static void two_nodes(void *arg)
{
	char path[1024], dir[1024];
	struct worker w;
	struct nvml nv;
	struct stat sb;
	int rc[2];

	(void)arg;
	use_node("none");
	unsetenv("VGPU_SIM_NODE");
	snprintf(dir, sizeof(dir), "%s/nodes", sim_dir);
	setenv("VGPU_SIM_DIR", dir, 1);
	setenv("SLURMD_NODENAME", "simtest-a", 1);
	w = spawn(0, 500, 0, HOLD);
	check(results(&w, rc) == 0 && rc[0] == 0, "a worker on simtest-a holds 500 MiB");
	setenv("SLURMD_NODENAME", "simtest-b", 1);
	nvml_open(&nv);
	CHECK_EQ_INT(used_mib(&nv, 0), 0, "simtest-b's GPU is untouched");
	snprintf(path, sizeof(path), "%s/nodes/state-simtest-a/%s.state", sim_dir, NODE_A_UUID0);
	check(stat(path, &sb) == 0, "state of simtest-a: %s", path);
	snprintf(path, sizeof(path), "%s/nodes/state-simtest-b/%s.state", sim_dir, NODE_B_UUID0);
	check(stat(path, &sb) == 0, "state of simtest-b: %s", path);
	snprintf(path, sizeof(path), "%s/nodes/state-simtest-b/%s.state", sim_dir, NODE_A_UUID0);
	check(stat(path, &sb) != 0, "no simtest-a GPU in simtest-b's state");
	finish(&w, SIGKILL);
}

int main(void)
{
	char path[1024];

	sim_setup();
	write_nodes();
	snprintf(path, sizeof(path), "%s/nodes", sim_dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/nodes/simtest-a.json", sim_dir);
	sim_write(path, node_a_json);
	snprintf(path, sizeof(path), "%s/nodes/simtest-b.json", sim_dir);
	sim_write(path, node_b_json);
	sim_run(across_processes, NULL, "processes");
	sim_run(sigkill, NULL, "SIGKILL");
	sim_run(main_thread_exits, NULL, "main thread exits");
	sim_run(pid_namespace, NULL, "pid namespace");
	sim_run(two_nodes, NULL, "two nodes");
	return sim_done();
}
