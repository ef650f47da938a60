/*
 * sim_nvml_telemetry.c - the simulated NVML's process lists and live
 * telemetry: what monitoring clients (nvtop, gpustat and other pynvml
 * users, DCGM-style exporters) ask besides memory.
 *
 * Processes: the compute list comes from the shared state (every process
 * holding a context or memory on the GPU), in the three struct versions a
 * real libnvidia-ml.so.1 exports (the bare name takes the 16-byte v1
 * struct). Graphics and MPS lists are empty: the simulator has neither.
 *
 * Telemetry (doc/simulator.md, "Telemetry"): temperatures, power, clocks and
 * the performance state are taken from a per-model table (matched on the GPU
 * name) and switch between the model's idle and busy values by one rule:
 * the GPU is busy while SM work is queued on it (any process). Fans are
 * NOT_SUPPORTED, as on the passively cooled data-centre boards modelled.
 * Per-process utilisation comes from each process's booked SM time.
 * PCIe: the model's link (generation, width) at full speed, busy or idle;
 * throughput 0 idle and a fixed share of the link while SM work is queued.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define VGPU_NVML_DECLARE_PROTOTYPES 1
#include "vgpu_nvml_abi.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "sim_nvml.h"

/* ---- the per-model table ------------------------------------------------ */

struct model {
	const char *match;                  /* substring of the GPU name; NULL: the default */
	unsigned int tdp_w, min_limit_w;     /* default (= enforced) power limit, lowest settable */
	unsigned int idle_w;                 /* draw with nothing queued */
	unsigned int sm_max, sm_idle;        /* graphics/SM clock, MHz */
	unsigned int mem_mhz;                /* memory clock (fixed) */
	unsigned int video_max, video_idle;  /* video clock */
	unsigned int temp_idle, temp_busy;   /* GPU core, C */
	unsigned int t_shutdown, t_slowdown, t_gpu_max, t_mem_max; /* thresholds; 0: not supported */
	unsigned int idle_pstate;
	unsigned int pcie_gen, pcie_width; /* the board's PCIe link: generation, lanes */
};

/* Approximations of what these boards report (SXM5 H100, SXM4 A100, PCIe
 * L40S); chosen here, not measured: a test must not take them as a card's. */
static const struct model models[] = {
	{ "H100", 700, 200, 72, 1980, 345, 2619, 1755, 765, 31, 66, 92, 89, 87, 95, 0, 5, 16 },
	{ "A100", 400, 100, 58, 1410, 210, 1593, 1290, 585, 30, 62, 92, 89, 85, 95, 0, 4, 16 },
	{ "L40S", 350, 100, 36, 2520, 210, 9001, 1965, 765, 28, 70, 94, 91, 89, 0, 8, 4, 16 },
	{ NULL, 300, 100, 40, 1500, 300, 1500, 1200, 600, 30, 65, 92, 89, 85, 0, 8, 4, 16 },
};

static const struct model *model_of(const struct vgpu_sim_gpu *g)
{
	size_t i;

	for (i = 0; models[i].match; i++)
		if (strstr(g->name, models[i].match))
			break;
	return &models[i];
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Look up the device and whether SM work is queued on it now. */
static vgpu_nvmlReturn_t dev_busy(vgpu_nvmlDevice_t device, const void *out, const struct vgpu_sim_gpu **g,
				  const struct model **m, int *busy)
{
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, g);
	uint64_t now = mono_ns(), done = 0, until = 0;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!out)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*m = model_of(*g);
	if (busy) {
		rc = vgpu_sim_nvml_busy(*g, now, &done, &until);
		*busy = until > now;
	}
	return rc;
}

/* ---- process lists -------------------------------------------------------- */

/* Fill infos (entries of stride bytes: 16 for v1, 24 for v2/v3) with the
 * GPU's compute processes, or with none (graphics, MPS). */
static vgpu_nvmlReturn_t proc_list(vgpu_nvmlDevice_t device, unsigned int *infoCount, void *infos, size_t stride,
				   int compute)
{
	struct vgpu_sim_proc_info procs[VGPU_SIM_MAX_PROCS];
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);
	unsigned char *out = infos;
	uint64_t used;
	int n = 0;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!infoCount || (*infoCount > 0 && !infos))
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	rc = vgpu_sim_nvml_usage(g, &used, procs, VGPU_SIM_MAX_PROCS, &n);
	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!compute || n < 0)
		n = 0;
	if (n > VGPU_SIM_MAX_PROCS)
		n = VGPU_SIM_MAX_PROCS;
	if ((unsigned int)n > *infoCount) {
		*infoCount = (unsigned int)n;
		return VGPU_NVML_ERROR_INSUFFICIENT_SIZE;
	}
	for (int i = 0; i < n; i++, out += stride) {
		vgpu_nvmlProcessInfo_t e = { (unsigned int)procs[i].pid, procs[i].bytes, 0xFFFFFFFFu, 0xFFFFFFFFu };

		memcpy(out, &e, stride); /* v1 is v2's first 16 bytes */
	}
	*infoCount = (unsigned int)n;
	return VGPU_NVML_SUCCESS;
}

#define V1 sizeof(vgpu_nvmlProcessInfo_v1_t)
#define V2 sizeof(vgpu_nvmlProcessInfo_t)

vgpu_nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(vgpu_nvmlDevice_t device, unsigned int *infoCount,
						       vgpu_nvmlProcessInfo_v1_t *infos)
{
	return proc_list(device, infoCount, infos, V1, 1);
}

vgpu_nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							  vgpu_nvmlProcessInfo_v2_t *infos)
{
	return proc_list(device, infoCount, infos, V2, 1);
}

vgpu_nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							  vgpu_nvmlProcessInfo_t *infos)
{
	return proc_list(device, infoCount, infos, V2, 1);
}

vgpu_nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							vgpu_nvmlProcessInfo_v1_t *infos)
{
	return proc_list(device, infoCount, infos, V1, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							   vgpu_nvmlProcessInfo_v2_t *infos)
{
	return proc_list(device, infoCount, infos, V2, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							   vgpu_nvmlProcessInfo_t *infos)
{
	return proc_list(device, infoCount, infos, V2, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetMPSComputeRunningProcesses(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							  vgpu_nvmlProcessInfo_v1_t *infos)
{
	return proc_list(device, infoCount, infos, V1, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetMPSComputeRunningProcesses_v2(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							     vgpu_nvmlProcessInfo_v2_t *infos)
{
	return proc_list(device, infoCount, infos, V2, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetMPSComputeRunningProcesses_v3(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							     vgpu_nvmlProcessInfo_t *infos)
{
	return proc_list(device, infoCount, infos, V2, 0);
}

/* ---- per-process utilisation ---------------------------------------------- */

/* What this process saw at its last sample of each GPU: per process the SM
 * ns booked and the share computed then. */
static struct {
	pthread_mutex_t lock;
	uint64_t t[VGPU_SIM_MAX_GPUS];
	int n[VGPU_SIM_MAX_GPUS];
	struct {
		pid_t pid;
		uint64_t sm_ns;
		unsigned int pct;
	} seen[VGPU_SIM_MAX_GPUS][VGPU_SIM_MAX_PROCS];
} pu = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void pu_atfork_child(void)
{
	pthread_mutex_init(&pu.lock, NULL);
}

__attribute__((constructor)) static void telemetry_ctor(void)
{
	pthread_atfork(NULL, NULL, pu_atfork_child);
}

/* The share of the GPU process p had: since this process's previous sample
 * (at least 1 ms before; closer calls repeat the previous answer), its SM
 * ns over the time passed; at the first sight of p, its share of all the SM
 * work booked on the GPU while work is queued, else 0. */
static unsigned int pu_share(int gi, const struct vgpu_sim_proc_info *p, uint64_t total, int busy, uint64_t now,
			     int fresh)
{
	for (int k = 0; k < pu.n[gi]; k++) {
		if (pu.seen[gi][k].pid != p->pid)
			continue;
		if (!fresh)
			return pu.seen[gi][k].pct;
		if (p->sm_ns >= pu.seen[gi][k].sm_ns) {
			uint64_t pct = (p->sm_ns - pu.seen[gi][k].sm_ns) * 100 / (now - pu.t[gi]);

			return pct > 100 ? 100 : (unsigned int)pct;
		}
	}
	return busy && total ? (unsigned int)(p->sm_ns * 100 / total) : 0;
}

vgpu_nvmlReturn_t nvmlDeviceGetProcessUtilization(vgpu_nvmlDevice_t device,
						  vgpu_nvmlProcessUtilizationSample_t *utilization,
						  unsigned int *processSamplesCount, unsigned long long lastSeenTimeStamp)
{
	struct vgpu_sim_proc_info procs[VGPU_SIM_MAX_PROCS];
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	vgpu_nvmlReturn_t rc = dev_busy(device, processSamplesCount, &g, &m, NULL);
	uint64_t used, total = 0, now, done = 0, until = 0, stamp;
	struct timespec rt;
	int n = 0, gi, fresh;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	rc = vgpu_sim_nvml_usage(g, &used, procs, VGPU_SIM_MAX_PROCS, &n);
	now = mono_ns();
	if (rc == VGPU_NVML_SUCCESS)
		rc = vgpu_sim_nvml_busy(g, now, &done, &until);
	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (n > VGPU_SIM_MAX_PROCS)
		n = VGPU_SIM_MAX_PROCS;
	clock_gettime(CLOCK_REALTIME, &rt);
	stamp = (uint64_t)rt.tv_sec * 1000000ull + (uint64_t)rt.tv_nsec / 1000;
	if (n == 0 || stamp <= lastSeenTimeStamp)
		return VGPU_NVML_ERROR_NOT_FOUND; /* no sample newer than the caller's */
	if (!utilization || *processSamplesCount < (unsigned int)n) {
		*processSamplesCount = (unsigned int)n;
		return VGPU_NVML_ERROR_INSUFFICIENT_SIZE;
	}
	gi = vgpu_sim_nvml_index(g);
	for (int i = 0; i < n; i++)
		total += procs[i].sm_ns;
	pthread_mutex_lock(&pu.lock);
	fresh = !pu.t[gi] || now - pu.t[gi] >= 1000000;
	for (int i = 0; i < n; i++) {
		memset(&utilization[i], 0, sizeof(utilization[i]));
		utilization[i].pid = (unsigned int)procs[i].pid;
		utilization[i].timeStamp = stamp;
		utilization[i].smUtil = pu_share(gi, &procs[i], total, until > now, now, fresh && pu.t[gi]);
	}
	if (fresh) {
		for (int i = 0; i < n; i++) {
			pu.seen[gi][i].pid = procs[i].pid;
			pu.seen[gi][i].sm_ns = procs[i].sm_ns;
			pu.seen[gi][i].pct = utilization[i].smUtil;
		}
		pu.n[gi] = n;
		pu.t[gi] = now;
	}
	pthread_mutex_unlock(&pu.lock);
	*processSamplesCount = (unsigned int)n;
	return VGPU_NVML_SUCCESS;
}

/* ---- temperatures, power, clocks, fans, performance state ----------------- */

vgpu_nvmlReturn_t nvmlDeviceGetTemperature(vgpu_nvmlDevice_t device, vgpu_nvmlTemperatureSensors_t sensorType,
					   unsigned int *temp)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	int busy = 0;
	vgpu_nvmlReturn_t rc = dev_busy(device, temp, &g, &m, &busy);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (sensorType != VGPU_NVML_TEMPERATURE_GPU)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*temp = busy ? m->temp_busy : m->temp_idle;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetTemperatureThreshold(vgpu_nvmlDevice_t device,
						    vgpu_nvmlTemperatureThresholds_t thresholdType, unsigned int *temp)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	vgpu_nvmlReturn_t rc = dev_busy(device, temp, &g, &m, NULL);
	unsigned int v = 0;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	switch (thresholdType) {
	case VGPU_NVML_TEMPERATURE_THRESHOLD_SHUTDOWN:
		v = m->t_shutdown;
		break;
	case VGPU_NVML_TEMPERATURE_THRESHOLD_SLOWDOWN:
		v = m->t_slowdown;
		break;
	case VGPU_NVML_TEMPERATURE_THRESHOLD_MEM_MAX:
		v = m->t_mem_max;
		break;
	case VGPU_NVML_TEMPERATURE_THRESHOLD_GPU_MAX:
		v = m->t_gpu_max;
		break;
	case VGPU_NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_MIN:
	case VGPU_NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_CURR:
	case VGPU_NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_MAX:
	case VGPU_NVML_TEMPERATURE_THRESHOLD_GPS_CURR:
		return VGPU_NVML_ERROR_NOT_SUPPORTED; /* no acoustic limits, no GPS on these boards */
	default:
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	}
	if (!v)
		return VGPU_NVML_ERROR_NOT_SUPPORTED;
	*temp = v;
	return VGPU_NVML_SUCCESS;
}

/* Busy: idle draw plus 80% of the way to the limit. Milliwatts. */
vgpu_nvmlReturn_t nvmlDeviceGetPowerUsage(vgpu_nvmlDevice_t device, unsigned int *power)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	int busy = 0;
	vgpu_nvmlReturn_t rc = dev_busy(device, power, &g, &m, &busy);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	*power = 1000 * (busy ? m->idle_w + (m->tdp_w - m->idle_w) * 4 / 5 : m->idle_w);
	return VGPU_NVML_SUCCESS;
}

/* The limit nobody changed: current = default = enforced = the model's. */
static vgpu_nvmlReturn_t power_limit(vgpu_nvmlDevice_t device, unsigned int *limit)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	vgpu_nvmlReturn_t rc = dev_busy(device, limit, &g, &m, NULL);

	if (rc == VGPU_NVML_SUCCESS)
		*limit = m->tdp_w * 1000;
	return rc;
}

vgpu_nvmlReturn_t nvmlDeviceGetPowerManagementLimit(vgpu_nvmlDevice_t device, unsigned int *limit)
{
	return power_limit(device, limit);
}

vgpu_nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(vgpu_nvmlDevice_t device, unsigned int *defaultLimit)
{
	return power_limit(device, defaultLimit);
}

vgpu_nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(vgpu_nvmlDevice_t device, unsigned int *limit)
{
	return power_limit(device, limit);
}

vgpu_nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(vgpu_nvmlDevice_t device, unsigned int *minLimit,
							       unsigned int *maxLimit)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	vgpu_nvmlReturn_t rc = dev_busy(device, minLimit, &g, &m, NULL);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!maxLimit)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*minLimit = m->min_limit_w * 1000;
	*maxLimit = m->tdp_w * 1000;
	return VGPU_NVML_SUCCESS;
}

static vgpu_nvmlReturn_t clock_of(vgpu_nvmlDevice_t device, vgpu_nvmlClockType_t type, unsigned int *out, int max)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	int busy = 1;
	vgpu_nvmlReturn_t rc = dev_busy(device, out, &g, &m, max ? NULL : &busy);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	switch (type) {
	case VGPU_NVML_CLOCK_GRAPHICS:
	case VGPU_NVML_CLOCK_SM:
		*out = busy ? m->sm_max : m->sm_idle;
		break;
	case VGPU_NVML_CLOCK_MEM:
		*out = m->mem_mhz;
		break;
	case VGPU_NVML_CLOCK_VIDEO:
		*out = busy ? m->video_max : m->video_idle;
		break;
	default:
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	}
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetClockInfo(vgpu_nvmlDevice_t device, vgpu_nvmlClockType_t type, unsigned int *clk)
{
	return clock_of(device, type, clk, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetMaxClockInfo(vgpu_nvmlDevice_t device, vgpu_nvmlClockType_t type, unsigned int *clk)
{
	return clock_of(device, type, clk, 1);
}

vgpu_nvmlReturn_t nvmlDeviceGetFanSpeed(vgpu_nvmlDevice_t device, unsigned int *speed)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	vgpu_nvmlReturn_t rc = dev_busy(device, speed, &g, &m, NULL);

	return rc != VGPU_NVML_SUCCESS ? rc : VGPU_NVML_ERROR_NOT_SUPPORTED;
}

vgpu_nvmlReturn_t nvmlDeviceGetFanSpeed_v2(vgpu_nvmlDevice_t device, unsigned int fan, unsigned int *speed)
{
	(void)fan;
	return nvmlDeviceGetFanSpeed(device, speed);
}

vgpu_nvmlReturn_t nvmlDeviceGetNumFans(vgpu_nvmlDevice_t device, unsigned int *numFans)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	vgpu_nvmlReturn_t rc = dev_busy(device, numFans, &g, &m, NULL);

	if (rc == VGPU_NVML_SUCCESS)
		*numFans = 0;
	return rc;
}

vgpu_nvmlReturn_t nvmlDeviceGetPerformanceState(vgpu_nvmlDevice_t device, vgpu_nvmlPstates_t *pState)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	int busy = 0;
	vgpu_nvmlReturn_t rc = dev_busy(device, pState, &g, &m, &busy);

	if (rc == VGPU_NVML_SUCCESS)
		*pState = busy ? VGPU_NVML_PSTATE_0 : (vgpu_nvmlPstates_t)m->idle_pstate;
	return rc;
}

/* No video engines are simulated: idle, over a one-second sample period. */
static vgpu_nvmlReturn_t codec(vgpu_nvmlDevice_t device, unsigned int *utilization, unsigned int *samplingPeriodUs)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	vgpu_nvmlReturn_t rc = dev_busy(device, utilization, &g, &m, NULL);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!samplingPeriodUs)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*utilization = 0;
	*samplingPeriodUs = 1000000;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetEncoderUtilization(vgpu_nvmlDevice_t device, unsigned int *utilization,
						  unsigned int *samplingPeriodUs)
{
	return codec(device, utilization, samplingPeriodUs);
}

vgpu_nvmlReturn_t nvmlDeviceGetDecoderUtilization(vgpu_nvmlDevice_t device, unsigned int *utilization,
						  unsigned int *samplingPeriodUs)
{
	return codec(device, utilization, samplingPeriodUs);
}

/* ---- PCIe link and throughput ------------------------------------------ */

/* One lane's payload rate per direction, KB/s (1000 bytes), for generations
 * 1 to 6: 2.5 and 5 GT/s with 8b/10b coding, 8, 16 and 32 GT/s with
 * 128b/130b, 64 GT/s counted as twice gen 5 (its FLIT overhead ignored). */
static const unsigned int lane_kBps[] = { 0, 250000, 500000, 984615, 1969231, 3938462, 7876923 };

/* The link the model's board trains to: the simulated platform supports
 * what the GPU does, and the link never drops to a lower speed when idle (a
 * data-centre board held in P0; doc/simulator.md). */
static vgpu_nvmlReturn_t pcie_link(vgpu_nvmlDevice_t device, unsigned int *out, int width)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	vgpu_nvmlReturn_t rc = dev_busy(device, out, &g, &m, NULL);

	if (rc == VGPU_NVML_SUCCESS)
		*out = width ? m->pcie_width : m->pcie_gen;
	return rc;
}

vgpu_nvmlReturn_t nvmlDeviceGetMaxPcieLinkGeneration(vgpu_nvmlDevice_t device, unsigned int *maxLinkGen)
{
	return pcie_link(device, maxLinkGen, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetGpuMaxPcieLinkGeneration(vgpu_nvmlDevice_t device, unsigned int *maxLinkGenDevice)
{
	return pcie_link(device, maxLinkGenDevice, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetMaxPcieLinkWidth(vgpu_nvmlDevice_t device, unsigned int *maxLinkWidth)
{
	return pcie_link(device, maxLinkWidth, 1);
}

vgpu_nvmlReturn_t nvmlDeviceGetCurrPcieLinkGeneration(vgpu_nvmlDevice_t device, unsigned int *currLinkGen)
{
	return pcie_link(device, currLinkGen, 0);
}

vgpu_nvmlReturn_t nvmlDeviceGetCurrPcieLinkWidth(vgpu_nvmlDevice_t device, unsigned int *currLinkWidth)
{
	return pcie_link(device, currLinkWidth, 1);
}

/* KB/s: 0 idle; while SM work is queued, RX (host to GPU) a twentieth and
 * TX (GPU to host) a fiftieth of what the link carries per direction. */
vgpu_nvmlReturn_t nvmlDeviceGetPcieThroughput(vgpu_nvmlDevice_t device, vgpu_nvmlPcieUtilCounter_t counter,
					      unsigned int *value)
{
	const struct vgpu_sim_gpu *g = NULL;
	const struct model *m = NULL;
	int busy = 0;
	vgpu_nvmlReturn_t rc = dev_busy(device, value, &g, &m, &busy);
	unsigned long long link;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (counter != VGPU_NVML_PCIE_UTIL_TX_BYTES && counter != VGPU_NVML_PCIE_UTIL_RX_BYTES)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	link = (unsigned long long)lane_kBps[m->pcie_gen] * m->pcie_width;
	*value = !busy ? 0 : (unsigned int)(counter == VGPU_NVML_PCIE_UTIL_RX_BYTES ? link / 20 : link / 50);
	return VGPU_NVML_SUCCESS;
}
