/*
 * test_shim_nvml - what NVML monitoring clients see inside a slice
 * (doc/shim.md, "What a step sees"): another user's process on the same GPU
 * (outside the step: 64 MiB, a context and 10 s of SM work queued through the
 * simulator's shared state) is listed and counted without the shim (the
 * control) and is neither listed (compute lists v1/v3, per-process samples)
 * nor counted in the GPU's utilisation under it; the step's own process is
 * listed with what it holds (16 MiB and its context). The probe is this program run with "probe",
 * the shim preloaded (or the simulator first on the library path).
 */
#include "shimtest.h"

#include <time.h>

#include "sim_state.h"
#include "vgpu_cuda_abi.h"

#define SYM(h, name) vgpu_pfn_##name name = (vgpu_pfn_##name)dlsym(h, #name)

/* Allocate 16 MiB on CUDA device 0, then print what NVML says of GPU 0. */
static int probe(void)
{
	void *cu = dlopen("libcuda.so.1", RTLD_NOW), *nv = dlopen("libnvidia-ml.so.1", RTLD_NOW);
	vgpu_nvmlProcessInfo_v1_t v1[8];
	vgpu_nvmlProcessInfo_t v3[8];
	vgpu_nvmlProcessUtilizationSample_t smp[8];
	vgpu_nvmlUtilization_t u = { 77, 77 };
	vgpu_CUcontext ctx = NULL;
	vgpu_CUdeviceptr p = 0;
	vgpu_nvmlDevice_t d = NULL;
	unsigned int n1 = 8, n3 = 8, ns = 8;
	int rc1, rc3, rcs, rcu;

	if (!cu || !nv)
		return 2;
	SYM(cu, cuInit);
	SYM(cu, cuDevicePrimaryCtxRetain);
	SYM(cu, cuCtxSetCurrent);
	SYM(cu, cuMemAlloc_v2);
	SYM(nv, nvmlInit);
	SYM(nv, nvmlDeviceGetHandleByIndex);
	SYM(nv, nvmlDeviceGetComputeRunningProcesses);
	SYM(nv, nvmlDeviceGetComputeRunningProcesses_v3);
	SYM(nv, nvmlDeviceGetProcessUtilization);
	SYM(nv, nvmlDeviceGetUtilizationRates);
	if (cuInit(0) != 0 || cuDevicePrimaryCtxRetain(&ctx, 0) != 0 || cuCtxSetCurrent(ctx) != 0 ||
	    cuMemAlloc_v2(&p, 16 * MIB) != 0)
		return 3;
	if (nvmlInit() != 0 || nvmlDeviceGetHandleByIndex(0, &d) != 0)
		return 4;
	rc1 = nvmlDeviceGetComputeRunningProcesses(d, &n1, v1);
	rc3 = nvmlDeviceGetComputeRunningProcesses_v3(d, &n3, v3);
	rcs = nvmlDeviceGetProcessUtilization(d, smp, &ns, 0);
	rcu = nvmlDeviceGetUtilizationRates(d, &u);
	printf("self: %d\n", (int)getpid());
	printf("v1: %d %u", rc1, n1);
	for (unsigned int i = 0; rc1 == 0 && i < n1; i++)
		printf(" %u:%llu", v1[i].pid, v1[i].usedGpuMemory >> 20);
	printf("\nv3: %d %u", rc3, n3);
	for (unsigned int i = 0; rc3 == 0 && i < n3; i++)
		printf(" %u:%llu", v3[i].pid, v3[i].usedGpuMemory >> 20);
	printf("\nsamples: %d %u", rcs, ns);
	for (unsigned int i = 0; rcs == 0 && i < ns; i++)
		printf(" %u:%u", smp[i].pid, smp[i].smUtil);
	printf("\nutil: %d %u\n", rcu, u.gpu);
	return 0;
}

/* Another user's process: 64 MiB, a context and 10 s of SM work on node
 * GPU 0, straight through the simulator's state; says "ready" on fd and
 * waits to be killed. */
static pid_t other_user(const struct scen *s)
{
	int fd[2];
	pid_t pid;

	if (pipe(fd) != 0)
		exit(99);
	pid = fork();
	if (pid == 0) {
		struct vgpu_sim_state *st = NULL;
		struct timespec ts;
		char err[512];
		uint64_t end;

		close(fd[0]);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (vgpu_sim_state_open(s->state, &s->node.gpus[0], &st, err, sizeof(err)) != 0 ||
		    vgpu_sim_state_charge(st, 64 * MIB, 1) != 0 ||
		    vgpu_sim_state_run(st, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
				       10000000000ull, &end) != 0)
			_exit(1);
		if (write(fd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fd[1]);
	{
		char c = 0;

		if (read(fd[0], &c, 1) != 1 || c != 'r') {
			fprintf(stderr, "the other user's process failed\n");
			exit(99);
		}
	}
	close(fd[0]);
	return pid;
}

/* Run this program as the probe (shim or not) with the scenario. */
static int run_probe(const struct scen *s, int shim, char **out)
{
	int o[2], status = 0;
	pid_t pid;

	if (pipe(o) != 0)
		exit(99);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(o[0]);
		dup2(o[1], 1);
		probe_env(s, shim, NULL);
		execl(build_path("tests/shim/test_shim_nvml"), "test_shim_nvml", "probe", (char *)NULL);
		_exit(127);
	}
	close(o[1]);
	*out = slurp(o[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	struct scen s;
	char *out = NULL, want[128];
	pid_t other;
	int self, rc;

	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe();
	scen_init(&s, "sim/nodes/h100x8.json", "nvml");
	scen_gpu(&s, 0, 8 * GIB, gpu_ctx(&s, 0));
	s.desc.gpus[0].sm_bp = 2500; /* sm=25 */
	scen_write(&s);
	other = other_user(&s);

	rc = run_probe(&s, 0, &out);
	check(rc == 0, "control (no shim): the probe runs (exit %d)", rc);
	snprintf(want, sizeof(want), "%d:%llu", (int)other, 64ull);
	check(strstr(line_of(out, "v1: ", 0), want) != NULL && strncmp(line_of(out, "v1: ", 0), "0 2 ", 4) == 0,
	      "control: v1 lists both processes, the other with 64 MiB ('%s')", line_of(out, "v1: ", 0));
	check(strncmp(line_of(out, "v3: ", 0), "0 2 ", 4) == 0, "control: v3 lists both ('%s')",
	      line_of(out, "v3: ", 0));
	check(strncmp(line_of(out, "samples: ", 0), "0 2 ", 4) == 0, "control: two processes sampled ('%s')",
	      line_of(out, "samples: ", 0));
	check(strcmp(line_of(out, "util: ", 0), "0 100") == 0, "control: the GPU is 100%% busy ('%s')",
	      line_of(out, "util: ", 0));
	free(out);

	rc = run_probe(&s, 1, &out);
	check(rc == 0, "shim: the probe runs (exit %d)", rc);
	self = atoi(line_of(out, "self: ", 0));
	snprintf(want, sizeof(want), "0 1 %d:%llu", self, (unsigned long long)((16 * MIB + gpu_ctx(&s, 0)) >> 20));
	check(strcmp(line_of(out, "v1: ", 0), want) == 0,
	      "shim: v1 lists only the step's process, 16 MiB and its context ('%s')",
	      line_of(out, "v1: ", 0));
	check(strcmp(line_of(out, "v3: ", 0), want) == 0, "shim: v3 likewise ('%s')", line_of(out, "v3: ", 0));
	snprintf(want, sizeof(want), "0 1 %d:0", self);
	check(strcmp(line_of(out, "samples: ", 0), want) == 0,
	      "shim: only the step's process is sampled, idle ('%s')", line_of(out, "samples: ", 0));
	check(strcmp(line_of(out, "util: ", 0), "0 0") == 0,
	      "shim: the slice's utilisation leaves out the other user's work ('%s')", line_of(out, "util: ", 0));
	free(out);

	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	scen_free(&s);
	return done();
}
