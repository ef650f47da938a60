/*
 * test_simnvml - the simulated NVML as monitoring clients call it
 * (doc/simulator.md, "Telemetry"): the unversioned names, the process lists
 * in their three struct versions (strides checked with a sentinel entry),
 * INSUFFICIENT_SIZE with the needed count, per-process utilisation, and
 * temperatures, power, clocks and the performance state idle and while SM
 * work is queued (10 s of it, queued through the shared state, so "busy" does
 * not depend on how fast the test runs), the PCIe link and its throughput
 * (what nvtop needs to list a GPU), with the driver's errors.
 */
#include "simtest.h"

#include <time.h>

#include "sim_state.h"

#define NV(name) LOAD(n, name)

static void nvml_case(void *arg)
{
	char state[600], err[512];
	struct vgpu_sim_node node;
	struct vgpu_sim_state *st = NULL;
	vgpu_nvmlDevice_t d0 = NULL, d0b = NULL, d2 = NULL;
	vgpu_nvmlProcessInfo_v1_t v1[2];
	vgpu_nvmlProcessInfo_t v3[2];
	vgpu_nvmlProcessUtilizationSample_t smp[4];
	vgpu_nvmlPstates_t ps = VGPU_NVML_PSTATE_UNKNOWN;
	unsigned int cnt = 0, v = 0, lo = 0, hi = 0;
	struct timespec ts;
	uint64_t end = 0;
	void *n;

	(void)arg;
	use_node("simtest-a");
	snprintf(state, sizeof(state), "%s/state-nvml", sim_dir);
	setenv("VGPU_SIM_STATE", state, 1);
	n = sim_open("libnvidia-ml.so.1");
	NV(nvmlInit);
	NV(nvmlShutdown);
	NV(nvmlDeviceGetCount);
	NV(nvmlDeviceGetHandleByIndex);
	NV(nvmlDeviceGetHandleByIndex_v2);
	NV(nvmlDeviceGetComputeRunningProcesses);
	NV(nvmlDeviceGetComputeRunningProcesses_v2);
	NV(nvmlDeviceGetGraphicsRunningProcesses_v3);
	NV(nvmlDeviceGetMPSComputeRunningProcesses);
	NV(nvmlDeviceGetProcessUtilization);
	NV(nvmlDeviceGetTemperature);
	NV(nvmlDeviceGetTemperatureThreshold);
	NV(nvmlDeviceGetPowerUsage);
	NV(nvmlDeviceGetEnforcedPowerLimit);
	NV(nvmlDeviceGetPowerManagementLimitConstraints);
	NV(nvmlDeviceGetClockInfo);
	NV(nvmlDeviceGetMaxClockInfo);
	NV(nvmlDeviceGetFanSpeed);
	NV(nvmlDeviceGetNumFans);
	NV(nvmlDeviceGetPerformanceState);
	NV(nvmlDeviceGetEncoderUtilization);
	NV(nvmlDeviceGetMaxPcieLinkGeneration);
	NV(nvmlDeviceGetGpuMaxPcieLinkGeneration);
	NV(nvmlDeviceGetMaxPcieLinkWidth);
	NV(nvmlDeviceGetCurrPcieLinkGeneration);
	NV(nvmlDeviceGetCurrPcieLinkWidth);
	NV(nvmlDeviceGetPcieThroughput);

	CHECK_EQ_INT(nvmlDeviceGetCount(&cnt), VGPU_NVML_ERROR_UNINITIALIZED, "nvmlDeviceGetCount before nvmlInit");
	CHECK_EQ_INT(nvmlInit(), VGPU_NVML_SUCCESS, "the unversioned nvmlInit");
	CHECK_EQ_INT(nvmlDeviceGetCount(&cnt), VGPU_NVML_SUCCESS, "nvmlDeviceGetCount");
	CHECK_EQ_INT(cnt, 3, "three GPUs");
	CHECK_EQ_INT(nvmlDeviceGetHandleByIndex(0, &d0), VGPU_NVML_SUCCESS, "nvmlDeviceGetHandleByIndex(0)");
	CHECK_EQ_INT(nvmlDeviceGetHandleByIndex_v2(0, &d0b), VGPU_NVML_SUCCESS, "nvmlDeviceGetHandleByIndex_v2(0)");
	check(d0 && d0 == d0b, "both versions give the same handle");
	CHECK_EQ_INT(nvmlDeviceGetHandleByIndex(3, &d2), VGPU_NVML_ERROR_INVALID_ARGUMENT, "index 3 of 3");
	CHECK_EQ_INT(nvmlDeviceGetHandleByIndex(2, &d2), VGPU_NVML_SUCCESS, "index 2 (the A100)");

	/* idle */
	CHECK_EQ_INT(nvmlDeviceGetTemperature(d0, VGPU_NVML_TEMPERATURE_GPU, &v), 0, "temperature");
	CHECK_EQ_INT(v, 31, "idle H100 temperature (C)");
	CHECK_EQ_INT(nvmlDeviceGetPowerUsage(d0, &v), 0, "power usage");
	CHECK_EQ_INT(v, 72000, "idle H100 draw (mW)");
	CHECK_EQ_INT(nvmlDeviceGetClockInfo(d0, VGPU_NVML_CLOCK_SM, &v), 0, "SM clock");
	CHECK_EQ_INT(v, 345, "idle SM clock (MHz)");
	CHECK_EQ_INT(nvmlDeviceGetMaxClockInfo(d0, VGPU_NVML_CLOCK_SM, &v), 0, "max SM clock");
	CHECK_EQ_INT(v, 1980, "max SM clock (MHz)");
	CHECK_EQ_INT(nvmlDeviceGetClockInfo(d0, VGPU_NVML_CLOCK_MEM, &v), 0, "memory clock");
	CHECK_EQ_INT(v, 2619, "memory clock (MHz)");
	CHECK_EQ_INT(nvmlDeviceGetClockInfo(d0, (vgpu_nvmlClockType_t)4, &v), VGPU_NVML_ERROR_INVALID_ARGUMENT,
		     "clock type 4");
	CHECK_EQ_INT(nvmlDeviceGetEnforcedPowerLimit(d2, &v), 0, "A100 enforced limit");
	CHECK_EQ_INT(v, 400000, "A100 limit (mW)");
	CHECK_EQ_INT(nvmlDeviceGetPowerManagementLimitConstraints(d0, &lo, &hi), 0, "limit constraints");
	check(lo == 200000 && hi == 700000, "H100 limits 200 W to 700 W (got %u %u)", lo, hi);
	CHECK_EQ_INT(nvmlDeviceGetTemperature(d0, (vgpu_nvmlTemperatureSensors_t)1, &v),
		     VGPU_NVML_ERROR_INVALID_ARGUMENT, "sensor 1");
	CHECK_EQ_INT(nvmlDeviceGetTemperature(d0, VGPU_NVML_TEMPERATURE_GPU, NULL), VGPU_NVML_ERROR_INVALID_ARGUMENT,
		     "temperature into NULL");
	CHECK_EQ_INT(nvmlDeviceGetTemperatureThreshold(d0, VGPU_NVML_TEMPERATURE_THRESHOLD_SLOWDOWN, &v), 0,
		     "slowdown threshold");
	CHECK_EQ_INT(v, 89, "slowdown at 89 C");
	CHECK_EQ_INT(nvmlDeviceGetTemperatureThreshold(d0, VGPU_NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_MIN, &v),
		     VGPU_NVML_ERROR_NOT_SUPPORTED, "acoustic threshold");
	CHECK_EQ_INT(nvmlDeviceGetTemperatureThreshold(d0, (vgpu_nvmlTemperatureThresholds_t)99, &v),
		     VGPU_NVML_ERROR_INVALID_ARGUMENT, "threshold 99");
	CHECK_EQ_INT(nvmlDeviceGetFanSpeed(d0, &v), VGPU_NVML_ERROR_NOT_SUPPORTED, "fan speed (passive board)");
	CHECK_EQ_INT(nvmlDeviceGetNumFans(d0, &v), 0, "fan count");
	CHECK_EQ_INT(v, 0, "no fans");
	CHECK_EQ_INT(nvmlDeviceGetEncoderUtilization(d0, &v, &lo), 0, "encoder utilisation");
	check(v == 0 && lo == 1000000, "encoder idle over 1 s (got %u %u)", v, lo);
	cnt = 4;
	CHECK_EQ_INT(nvmlDeviceGetProcessUtilization(d0, smp, &cnt, 0), VGPU_NVML_ERROR_NOT_FOUND,
		     "no process, no sample");

	/* PCIe: H100 SXM gen 5 x16, A100 gen 4 x16, at full speed even idle */
	CHECK_EQ_INT(nvmlDeviceGetMaxPcieLinkGeneration(d0, &v), 0, "max PCIe generation");
	CHECK_EQ_INT(v, 5, "H100: gen 5");
	CHECK_EQ_INT(nvmlDeviceGetGpuMaxPcieLinkGeneration(d0, &v), 0, "the GPU's max PCIe generation");
	CHECK_EQ_INT(v, 5, "H100 GPU: gen 5");
	CHECK_EQ_INT(nvmlDeviceGetCurrPcieLinkGeneration(d0, &v), 0, "current PCIe generation");
	CHECK_EQ_INT(v, 5, "H100 idle: still gen 5");
	CHECK_EQ_INT(nvmlDeviceGetMaxPcieLinkWidth(d0, &v), 0, "max PCIe width");
	CHECK_EQ_INT(v, 16, "H100: x16");
	CHECK_EQ_INT(nvmlDeviceGetCurrPcieLinkWidth(d0, &v), 0, "current PCIe width");
	CHECK_EQ_INT(v, 16, "H100 idle: x16");
	CHECK_EQ_INT(nvmlDeviceGetMaxPcieLinkGeneration(d2, &v), 0, "the A100's max PCIe generation");
	CHECK_EQ_INT(v, 4, "A100: gen 4");
	CHECK_EQ_INT(nvmlDeviceGetCurrPcieLinkWidth(d2, &v), 0, "the A100's PCIe width");
	CHECK_EQ_INT(v, 16, "A100: x16");
	v = 7;
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d0, VGPU_NVML_PCIE_UTIL_TX_BYTES, &v), 0, "PCIe TX idle");
	CHECK_EQ_INT(v, 0, "no TX while idle");
	v = 7;
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d0, VGPU_NVML_PCIE_UTIL_RX_BYTES, &v), 0, "PCIe RX idle");
	CHECK_EQ_INT(v, 0, "no RX while idle");
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d0, VGPU_NVML_PCIE_UTIL_COUNT, &v), VGPU_NVML_ERROR_INVALID_ARGUMENT,
		     "counter NVML_PCIE_UTIL_COUNT");
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d0, (vgpu_nvmlPcieUtilCounter_t)99, &v),
		     VGPU_NVML_ERROR_INVALID_ARGUMENT, "counter 99");
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d0, VGPU_NVML_PCIE_UTIL_TX_BYTES, NULL),
		     VGPU_NVML_ERROR_INVALID_ARGUMENT, "throughput into NULL");
	CHECK_EQ_INT(nvmlDeviceGetMaxPcieLinkGeneration(d0, NULL), VGPU_NVML_ERROR_INVALID_ARGUMENT,
		     "max generation into NULL");
	CHECK_EQ_INT(nvmlDeviceGetMaxPcieLinkWidth(d0, NULL), VGPU_NVML_ERROR_INVALID_ARGUMENT, "max width into NULL");
	CHECK_EQ_INT(nvmlDeviceGetCurrPcieLinkGeneration(d0, NULL), VGPU_NVML_ERROR_INVALID_ARGUMENT,
		     "current generation into NULL");
	CHECK_EQ_INT(nvmlDeviceGetCurrPcieLinkWidth(NULL, &v), VGPU_NVML_ERROR_INVALID_ARGUMENT, "width of no device");

	/* this process on GPU 0: 4 MiB, one context, 10 s of SM work queued */
	if (!check(vgpu_sim_node_load(getenv("VGPU_SIM_NODE"), &node, err, sizeof(err)) == 0 &&
			   vgpu_sim_state_open(state, &node.gpus[0], &st, err, sizeof(err)) == 0,
		   "open GPU 0's state"))
		return;
	CHECK_EQ_INT(vgpu_sim_state_charge(st, 4 * MIB, 1), 0, "charge 4 MiB and a context");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	CHECK_EQ_INT(vgpu_sim_state_run(st, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
					10000000000ull, &end),
		     0, "queue 10 s of SM work");

	cnt = 0;
	CHECK_EQ_INT(nvmlDeviceGetComputeRunningProcesses(d0, &cnt, NULL), VGPU_NVML_ERROR_INSUFFICIENT_SIZE,
		     "v1 list into no room");
	CHECK_EQ_INT(cnt, 1, "needs 1 entry");
	memset(v1, 0xab, sizeof(v1));
	cnt = 2;
	CHECK_EQ_INT(nvmlDeviceGetComputeRunningProcesses(d0, &cnt, v1), 0, "v1 list");
	check(cnt == 1 && v1[0].pid == (unsigned int)getpid() && v1[0].usedGpuMemory == 4 * MIB,
	      "v1: this process with 4 MiB (got %u: %u %llu)", cnt, v1[0].pid, v1[0].usedGpuMemory);
	check(v1[1].pid == 0xabababab, "v1 entries are 16 bytes: the second is untouched");
	memset(v3, 0xab, sizeof(v3));
	cnt = 2;
	CHECK_EQ_INT(nvmlDeviceGetComputeRunningProcesses_v2(d0, &cnt, v3), 0, "v2 list");
	check(cnt == 1 && v3[0].pid == (unsigned int)getpid() && v3[0].gpuInstanceId == 0xFFFFFFFFu &&
		      v3[0].computeInstanceId == 0xFFFFFFFFu && v3[1].pid == 0xabababab,
	      "v2: 24-byte entries, no MIG instance");
	cnt = 2;
	CHECK_EQ_INT(nvmlDeviceGetGraphicsRunningProcesses_v3(d0, &cnt, v3), 0, "graphics list");
	CHECK_EQ_INT(cnt, 0, "no graphics process");
	cnt = 2;
	CHECK_EQ_INT(nvmlDeviceGetMPSComputeRunningProcesses(d0, &cnt, v1), 0, "MPS list");
	CHECK_EQ_INT(cnt, 0, "no MPS process");
	cnt = 0;
	CHECK_EQ_INT(nvmlDeviceGetComputeRunningProcesses(d2, &cnt, NULL), 0, "the A100's list");
	CHECK_EQ_INT(cnt, 0, "the A100 has no process");

	/* busy */
	CHECK_EQ_INT(nvmlDeviceGetTemperature(d0, VGPU_NVML_TEMPERATURE_GPU, &v), 0, "temperature");
	CHECK_EQ_INT(v, 66, "busy temperature (C)");
	CHECK_EQ_INT(nvmlDeviceGetPowerUsage(d0, &v), 0, "power usage");
	CHECK_EQ_INT(v, 574000, "busy draw: idle + 80% of the way to 700 W (mW)");
	CHECK_EQ_INT(nvmlDeviceGetClockInfo(d0, VGPU_NVML_CLOCK_GRAPHICS, &v), 0, "graphics clock");
	CHECK_EQ_INT(v, 1980, "busy graphics clock (MHz)");
	CHECK_EQ_INT(nvmlDeviceGetPerformanceState(d0, &ps), 0, "performance state");
	CHECK_EQ_INT(ps, VGPU_NVML_PSTATE_0, "P0");
	CHECK_EQ_INT(nvmlDeviceGetTemperature(d2, VGPU_NVML_TEMPERATURE_GPU, &v), 0, "the A100's temperature");
	CHECK_EQ_INT(v, 30, "the A100 is idle (C)");
	/* gen 5 x16 carries 16 x 3938462 KB/s per direction: RX a twentieth, TX a fiftieth */
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d0, VGPU_NVML_PCIE_UTIL_RX_BYTES, &v), 0, "PCIe RX busy");
	CHECK_EQ_INT(v, 3150769, "busy H100 RX (KB/s)");
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d0, VGPU_NVML_PCIE_UTIL_TX_BYTES, &v), 0, "PCIe TX busy");
	CHECK_EQ_INT(v, 1260307, "busy H100 TX (KB/s)");
	CHECK_EQ_INT(nvmlDeviceGetCurrPcieLinkGeneration(d0, &v), 0, "current PCIe generation busy");
	CHECK_EQ_INT(v, 5, "H100 busy: gen 5");
	v = 7;
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d2, VGPU_NVML_PCIE_UTIL_RX_BYTES, &v), 0, "the A100's PCIe RX");
	CHECK_EQ_INT(v, 0, "the idle A100 moves nothing");

	cnt = 0;
	CHECK_EQ_INT(nvmlDeviceGetProcessUtilization(d0, NULL, &cnt, 0), VGPU_NVML_ERROR_INSUFFICIENT_SIZE,
		     "samples into NULL");
	CHECK_EQ_INT(cnt, 1, "one sample needed");
	cnt = 4;
	CHECK_EQ_INT(nvmlDeviceGetProcessUtilization(d0, smp, &cnt, 0), 0, "per-process utilisation");
	check(cnt == 1 && smp[0].pid == (unsigned int)getpid() && smp[0].smUtil == 100 && smp[0].timeStamp > 0,
	      "this process has all the GPU's work (got %u: pid %u sm %u)", cnt, smp[0].pid, smp[0].smUtil);
	cnt = 4;
	CHECK_EQ_INT(nvmlDeviceGetProcessUtilization(d0, smp, &cnt, smp[0].timeStamp + 60000000ull),
		     VGPU_NVML_ERROR_NOT_FOUND, "no sample newer than a minute from now");
	CHECK_EQ_INT(nvmlDeviceGetProcessUtilization(d0, smp, NULL, 0), VGPU_NVML_ERROR_INVALID_ARGUMENT,
		     "count NULL");
	vgpu_sim_state_close(st);
	CHECK_EQ_INT(nvmlShutdown(), 0, "nvmlShutdown");
	CHECK_EQ_INT(nvmlDeviceGetPowerUsage(d0, &v), VGPU_NVML_ERROR_UNINITIALIZED, "after nvmlShutdown");
	CHECK_EQ_INT(nvmlDeviceGetPcieThroughput(d0, VGPU_NVML_PCIE_UTIL_TX_BYTES, &v), VGPU_NVML_ERROR_UNINITIALIZED,
		     "PCIe throughput after nvmlShutdown");
}

int main(void)
{
	sim_setup();
	write_nodes();
	sim_run(nvml_case, NULL, "nvml telemetry");
	return sim_done();
}
