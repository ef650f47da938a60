/*
 * test_shim_race - several processes of one step racing allocations and
 * frees on one slice, through the shim, against the simulated GPU:
 *  - a monitor samples the SIMULATED GPU's physical usage the whole time
 *    (the simulator's NVML, no shim): it never exceeds the slice;
 *  - then 30 racers are SIGKILLed at random moments (each replaced); the
 *    slice's accounting stays exact: a new process is offered exactly the
 *    slice less its own context, NVML lists only it, and once it is gone the
 *    simulated GPU is empty;
 *  - two steps of one job share the job's ledger: racers of the batch step
 *    (limit L = the job's cap) and of an srun step (its own limit L, or a
 *    smaller one) together never hold more than L on the simulated GPU, the
 *    smaller step never more than its own limit, also with SIGKILLs (and a
 *    control run with a ledger per step, the old layout, does exceed L).
 */
#include "shimtest.h"

#include <poll.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#define RACERS 6

struct monitor {
	pid_t pid;
	int stop_fd, result_fd;
};

struct sample {
	uint64_t max;
	uint64_t max_watch; /* the most the watched pids held together */
	long samples;
	int ok;
};

/* Pids whose physical usage the monitor adds up (one step's racers), in
 * memory shared with the monitor; 0 = unused entry. */
static _Atomic pid_t *watch;

/* Sample the simulated GPU's used memory until told to stop. */
static struct monitor monitor_start(const struct scen *s, const char *uuid)
{
	struct monitor m;
	int stop[2], res[2];

	if (pipe(stop) != 0 || pipe(res) != 0)
		exit(99);
	fflush(stdout);
	m.pid = fork();
	if (m.pid == 0) {
		struct sample r = { 0, 0, 0, 0 };
		vgpu_pfn_nvmlInit_v2 init;
		vgpu_pfn_nvmlDeviceGetHandleByUUID byuuid;
		vgpu_pfn_nvmlDeviceGetMemoryInfo_v2 mem;
		vgpu_pfn_nvmlDeviceGetComputeRunningProcesses_v3 procs;
		vgpu_nvmlDevice_t d;
		struct pollfd pfd = { stop[0], POLLIN, 0 };
		void *h;

		close(stop[1]);
		close(res[0]);
		setenv("VGPU_SIM_NODE", s->node_path, 1);
		setenv("VGPU_SIM_STATE", s->state, 1);
		h = dlopen(build_path("sim/.libs/libnvidia-ml.so.1"), RTLD_NOW | RTLD_LOCAL);
		init = h ? (vgpu_pfn_nvmlInit_v2)dlsym(h, "nvmlInit_v2") : NULL;
		byuuid = h ? (vgpu_pfn_nvmlDeviceGetHandleByUUID)dlsym(h, "nvmlDeviceGetHandleByUUID") : NULL;
		mem = h ? (vgpu_pfn_nvmlDeviceGetMemoryInfo_v2)dlsym(h, "nvmlDeviceGetMemoryInfo_v2") : NULL;
		procs = h ? (vgpu_pfn_nvmlDeviceGetComputeRunningProcesses_v3)dlsym(
				    h, "nvmlDeviceGetComputeRunningProcesses_v3")
			  : NULL;
		if (init && procs && init() == VGPU_NVML_SUCCESS && byuuid(uuid, &d) == VGPU_NVML_SUCCESS) {
			r.ok = 1;
			while (poll(&pfd, 1, 0) == 0) {
				vgpu_nvmlMemory_v2_t m2 = { .version = VGPU_NVML_MEMORY_V2 };
				vgpu_nvmlProcessInfo_t info[64];
				unsigned int n = 64;
				uint64_t w = 0;

				if (mem(d, &m2) != VGPU_NVML_SUCCESS) {
					r.ok = 0;
					break;
				}
				r.max = m2.used > r.max ? m2.used : r.max;
				r.samples++;
				if (!watch || procs(d, &n, info) != VGPU_NVML_SUCCESS)
					continue;
				for (unsigned int i = 0; i < n; i++)
					for (int j = 0; j < RACERS; j++)
						if (atomic_load(&watch[j]) == (pid_t)info[i].pid)
							w += info[i].usedGpuMemory;
				r.max_watch = w > r.max_watch ? w : r.max_watch;
			}
		}
		if (write(res[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(stop[0]);
	close(res[1]);
	m.stop_fd = stop[1];
	m.result_fd = res[0];
	return m;
}

static struct sample monitor_stop(struct monitor *m)
{
	struct sample r = { 0, 0, 0, 0 };

	close(m->stop_fd);
	if (read(m->result_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		r.ok = 0;
	close(m->result_fd);
	waitpid(m->pid, NULL, 0);
	return r;
}

/* A racer; desc: another step's description (NULL: the scenario's). */
static pid_t racer_of(const struct scen *s, const char *desc, int i, int rounds, int *fd)
{
	static const char *const modes[] = { "direct", "dlopen", "getproc" };
	static char seed[RACERS * 64][16], n[RACERS * 64][16], env[700];
	static int k;
	const char *argv[] = { modes[i % 3], "init", "race", n[k], seed[k], "268435456", NULL };
	const char *extra[] = { env, NULL };

	snprintf(n[k], sizeof(n[k]), "%d", rounds);
	snprintf(seed[k], sizeof(seed[k]), "%d", i + 1);
	snprintf(env, sizeof(env), "VGPU_STEP_DESC=%s", desc ? desc : s->desc_path);
	k = (k + 1) % (RACERS * 64);
	return probe_start(s, 1, extra, argv, fd, NULL);
}

static pid_t racer(const struct scen *s, int i, int rounds, int *fd)
{
	return racer_of(s, NULL, i, rounds, fd);
}

/* A new process of the step: offered exactly the slice less its context,
 * listed alone by NVML; afterwards the simulated GPU is empty. */
static void exact(const struct scen *s, const char *when)
{
	const char *argv[] = { "dlopen", "init", "info", "nvmlprocs", s->desc.gpus[0].uuid, NULL };
	const char *procs;
	char what[256], *out;

	probe_run(s, 1, NULL, argv, &out, NULL);
	snprintf(what, sizeof(what), "%s: a new process is offered the slice less its context", when);
	CHECK_U64(info_free(out, 0, NULL), s->desc.gpus[0].mem_bytes - gpu_ctx(s, 0), what);
	procs = line_of(out, "nvmlprocs: ", 0);
	check(strncmp(procs, "0 ", 2) == 0 && strchr(procs, ':') == strrchr(procs, ':'),
	      "%s: NVML lists only that process (%s)", when, procs);
	free(out);
	snprintf(what, sizeof(what), "%s: then the simulated GPU is empty", when);
	CHECK_U64(phys_query(s, s->desc.gpus[0].uuid, 0).used, 0, what);
}

static void race(void)
{
	struct scen s;
	struct monitor m;
	struct sample r;
	int fds[RACERS], ok = 0, oom = 0, other = 0, refused_ctx = 0;
	pid_t pids[RACERS];

	scen_init(&s, "sim/nodes/a100x2.json", "race");
	scen_gpu(&s, 0, 4 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	m = monitor_start(&s, s.desc.gpus[0].uuid);
	for (int i = 0; i < RACERS; i++)
		pids[i] = racer(&s, i, 400, &fds[i]);
	for (int i = 0; i < RACERS; i++) {
		char *out = slurp(fds[i]);
		int a = 0, b = 0, c = -1;

		waitpid(pids[i], NULL, 0);
		if (strcmp(line_of(out, "ctx 0: ", 0), "2") == 0) {
			/* started when the others held the slice: no room for its context */
			refused_ctx++;
			free(out);
			continue;
		}
		if (sscanf(line_of(out, "race: ok ", 0), "%d oom %d other %d", &a, &b, &c) != 3)
			c = -1;
		ok += a;
		oom += b;
		other += c < 0 ? 1 : c;
		if (c != 0)
			diag("racer %d: %s", i, out);
		free(out);
	}
	r = monitor_stop(&m);
	check(r.ok && r.samples > 0, "the simulated GPU was sampled %ld times", r.samples);
	check(r.max <= 4 * GIB, "racing processes never held more than the slice on the simulated GPU (peak %llu MiB)",
	      (unsigned long long)(r.max >> 20));
	check(ok > 0 && oom > 0, "allocations succeeded (%d) and the slice was reached (%d refused)", ok, oom);
	CHECK_U64(other, 0, "no other error than out of memory");
	check(refused_ctx < RACERS, "%d of %d racers got a context (the others found the slice full)", RACERS - refused_ctx,
	      RACERS);
	exact(&s, "after the race");
	scen_free(&s);
}

static void kills(void)
{
	struct timespec ts = { 0, 0 };
	struct scen s;
	struct monitor m;
	struct sample r;
	int fds[RACERS], killed = 0;
	pid_t pids[RACERS];

	scen_init(&s, "sim/nodes/a100x2.json", "kill");
	scen_gpu(&s, 0, 4 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	m = monitor_start(&s, s.desc.gpus[0].uuid);
	srand(7);
	for (int i = 0; i < RACERS; i++)
		pids[i] = racer(&s, i, 100000000, &fds[i]);
	for (int round = 0; round < 30; round++) {
		int k = rand() % RACERS, status;

		ts.tv_nsec = (rand() % 30 + 5) * 1000000L; /* 5..35 ms */
		nanosleep(&ts, NULL);
		kill(pids[k], SIGKILL);
		waitpid(pids[k], &status, 0);
		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		close(fds[k]);
		pids[k] = racer(&s, round, 100000000, &fds[k]);
	}
	for (int i = 0; i < RACERS; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
		close(fds[i]);
	}
	r = monitor_stop(&m);
	CHECK_U64(killed, 30, "racers SIGKILLed in the middle of their work");
	check(r.ok && r.max <= 4 * GIB, "the simulated GPU never held more than the slice (peak %llu MiB, %ld samples)",
	      (unsigned long long)(r.max >> 20), r.samples);
	exact(&s, "after 30 SIGKILLs");
	scen_free(&s);
}

/* Two steps of job 9 on one GPU: the scenario's description is the batch
 * step's (limit = the job's cap `cap`, jobmem= cap), desc_b an srun step's
 * (limit lim_b, no job cap: it learns the cap from the shared ledger).
 * Even racers are the batch step's, odd ones step B's (watched). With
 * kills, 30 racers are SIGKILLed on the way (each replaced). */
/* Returns the peak physical use seen (the control's result; main checks it). */
static uint64_t job(const char *name, uint64_t cap, uint64_t lim_b, int kills, int control)
{
	struct timespec ts = { 0, 0 };
	struct scen s;
	struct monitor m;
	struct sample r;
	vgpu_stepdesc_t b;
	vgpu_err_t err;
	char desc_b[700], what[300];
	int fds[RACERS], ok[2] = { 0, 0 }, oom = 0, other = 0, killed = 0;
	pid_t pids[RACERS];

	scen_init(&s, "sim/nodes/a100x2.json", name);
	scen_gpu(&s, 0, cap, gpu_ctx(&s, 0));
	snprintf(s.desc.step, sizeof(s.desc.step), "9.batch");
	s.desc.gpus[0].job_mem_bytes = cap;
	scen_write(&s);
	b = s.desc;
	snprintf(b.step, sizeof(b.step), "9.0");
	b.gpus[0].mem_bytes = lim_b;
	b.gpus[0].job_mem_bytes = 0;
	if (control) { /* the old layout: step B with a ledger of its own */
		snprintf(b.acct_dir, sizeof(b.acct_dir), "%s/acct-b", s.dir);
		mkdir(b.acct_dir, 0700);
	}
	snprintf(desc_b, sizeof(desc_b), "%s/stepB.desc", s.dir);
	if (vgpu_stepdesc_write(desc_b, &b, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(99);
	}
	watch = mmap(NULL, RACERS * sizeof(*watch), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (watch == MAP_FAILED)
		exit(99);
	memset((void *)watch, 0, RACERS * sizeof(*watch));
	m = monitor_start(&s, s.desc.gpus[0].uuid);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = racer_of(&s, i % 2 ? desc_b : NULL, i, kills ? 100000000 : 400, &fds[i]);
		if (i % 2)
			atomic_store(&watch[i], pids[i]);
	}
	srand(11);
	for (int round = 0; kills && round < 30; round++) {
		int k = rand() % RACERS, status;

		ts.tv_nsec = (rand() % 30 + 5) * 1000000L; /* 5..35 ms */
		nanosleep(&ts, NULL);
		kill(pids[k], SIGKILL);
		waitpid(pids[k], &status, 0);
		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		close(fds[k]);
		pids[k] = racer_of(&s, k % 2 ? desc_b : NULL, round, 100000000, &fds[k]);
		if (k % 2)
			atomic_store(&watch[k], pids[k]);
	}
	for (int i = 0; i < RACERS; i++) {
		char *out;
		int a = 0, o = 0, c = -1;

		if (kills) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			close(fds[i]);
			continue;
		}
		out = slurp(fds[i]);
		waitpid(pids[i], NULL, 0);
		if (strcmp(line_of(out, "ctx 0: ", 0), "2") == 0) {
			free(out); /* no room for its context */
			continue;
		}
		if (sscanf(line_of(out, "race: ok ", 0), "%d oom %d other %d", &a, &o, &c) != 3)
			c = -1;
		ok[i % 2] += a;
		oom += o;
		other += c < 0 ? 1 : c;
		if (c != 0)
			diag("racer %d: %s", i, out);
		free(out);
	}
	r = monitor_stop(&m);
	check(r.ok && r.samples > 0, "%s: the simulated GPU was sampled %ld times", name, r.samples);
	if (control) {
		munmap((void *)watch, RACERS * sizeof(*watch));
		watch = NULL;
		scen_free(&s);
		return r.max;
	}
	check(r.max <= cap, "%s: both steps together never held more than the job's %llu MiB on the simulated GPU "
	      "(peak %llu MiB)", name, (unsigned long long)(cap >> 20), (unsigned long long)(r.max >> 20));
	check(r.max_watch > 0 && r.max_watch <= lim_b, "%s: step 9.0 alone never held more than its %llu MiB "
	      "(peak %llu MiB)", name, (unsigned long long)(lim_b >> 20), (unsigned long long)(r.max_watch >> 20));
	if (kills) {
		CHECK_U64(killed, 30, "racers of both steps SIGKILLed in the middle of their work");
	} else {
		/* Which step wins the race for the job's room depends on the
		 * scheduler (on a loaded machine one step's racers can fill the
		 * cap before the other's have a context): that both steps held
		 * memory is the max_watch check above. */
		check(ok[0] + ok[1] > 0 && oom > 0, "%s: the steps allocated (%d, %d) and the limits were "
		      "reached (%d refused)", name, ok[0], ok[1], oom);
		CHECK_U64(other, 0, "no other error than out of memory");
	}
	snprintf(what, sizeof(what), "%s: afterwards", name);
	exact(&s, what);
	munmap((void *)watch, RACERS * sizeof(*watch));
	watch = NULL;
	scen_free(&s);
	return r.max;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	race();
	kills();
	/* The control needs the two steps' racers to overlap in time; on a
	 * loaded 2-CPU machine they can run nearly one after the other (seen:
	 * peak 3112 MiB during a parallel `make check`), so a control that saw
	 * no overrun is run once more before it counts. */
	uint64_t peak = job("job-control", 4 * GIB, 4 * GIB, 0, 1);
	if (peak <= 4 * GIB) {
		diag("job-control: no overrun seen (peak %llu MiB): once more", (unsigned long long)(peak >> 20));
		peak = job("job-control-again", 4 * GIB, 4 * GIB, 0, 1);
	}
	check(peak > 4 * GIB, "job-control: with a ledger per step, the two steps together held more than the job's "
	      "4096 MiB (peak %llu MiB): the test can see the overrun", (unsigned long long)(peak >> 20));
	job("job-same-limits", 4 * GIB, 4 * GIB, 0, 0);
	job("job-smaller-step", 4 * GIB, 2 * GIB, 0, 0);
	job("job-kills", 4 * GIB, 2 * GIB, 1, 0);
	return done();
}
