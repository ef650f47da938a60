/*
 * gpuinfo - what a program sees of its node's GPUs through the two driver
 * libraries a CUDA application loads: libnvidia-ml.so.1 and libcuda.so.1,
 * opened by soname (so LD_LIBRARY_PATH decides which driver answers; on a
 * devcluster node it is the simulated one, serving $VGPU_SIM_DIR/
 * $SLURMD_NODENAME.json). The end-to-end tests run it as a Slurm job.
 *
 * Prints one fact per line:
 *   node NAME                   SLURMD_NODENAME, or "-"
 *   nvml.count N                every GPU of the node (NVML ignores CUDA_VISIBLE_DEVICES)
 *   nvml.uuid I UUID
 *   cuda.count N                the GPUs CUDA shows (CUDA_VISIBLE_DEVICES applies)
 *   cuda.uuid I UUID            in NVML's form, GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
 *   cuda.mem I FREE TOTAL       cuMemGetInfo_v2 in the device's primary context, bytes
 * Exit status 0 when every call succeeded; 1 with a line on stderr naming
 * the call otherwise.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_cuda_abi.h"
#include "vgpu_nvml_abi.h"

/* sym: NAME from library H, or NULL with a message. */
static void *sym(void *h, const char *lib, const char *name)
{
	void *p = dlsym(h, name);

	if (!p)
		fprintf(stderr, "gpuinfo: %s: no symbol %s\n", lib, name);
	return p;
}

#define LOAD(h, lib, name) \
	vgpu_pfn_##name name = (vgpu_pfn_##name)sym(h, lib, #name); \
	if (!name) \
		goto out

/* nvml: print the NVML facts; 0 on success, -1 on a failed call. */
static int nvml(void)
{
	const char *lib = "libnvidia-ml.so.1";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	unsigned int n = 0, i;
	int rc = -1, inited = 0;
	vgpu_nvmlReturn_t r;

	if (!h) {
		fprintf(stderr, "gpuinfo: dlopen %s: %s\n", lib, dlerror());
		return -1;
	}
	{
		LOAD(h, lib, nvmlInit_v2);
		LOAD(h, lib, nvmlShutdown);
		LOAD(h, lib, nvmlDeviceGetCount_v2);
		LOAD(h, lib, nvmlDeviceGetHandleByIndex_v2);
		LOAD(h, lib, nvmlDeviceGetUUID);

		if ((r = nvmlInit_v2()) != VGPU_NVML_SUCCESS) {
			fprintf(stderr, "gpuinfo: nvmlInit_v2: error %d\n", (int)r);
			goto out;
		}
		inited = 1;
		if ((r = nvmlDeviceGetCount_v2(&n)) != VGPU_NVML_SUCCESS) {
			fprintf(stderr, "gpuinfo: nvmlDeviceGetCount_v2: error %d\n", (int)r);
			goto shutdown;
		}
		printf("nvml.count %u\n", n);
		for (i = 0; i < n; i++) {
			vgpu_nvmlDevice_t dev;
			char uuid[VGPU_NVML_DEVICE_UUID_V2_BUFFER_SIZE];

			if ((r = nvmlDeviceGetHandleByIndex_v2(i, &dev)) != VGPU_NVML_SUCCESS ||
			    (r = nvmlDeviceGetUUID(dev, uuid, sizeof(uuid))) != VGPU_NVML_SUCCESS) {
				fprintf(stderr, "gpuinfo: NVML GPU %u: error %d\n", i, (int)r);
				goto shutdown;
			}
			printf("nvml.uuid %u %s\n", i, uuid);
		}
		rc = 0;
shutdown:
		if (inited)
			nvmlShutdown();
	}
out:
	dlclose(h);
	return rc;
}

/* uuid_str: the 16 bytes of U as GPU-8-4-4-4-12 lower-case hex. */
static void uuid_str(const vgpu_CUuuid *u, char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)u->bytes;

	snprintf(buf, len,
		 "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* cuda: print the CUDA driver facts; 0 on success, -1 on a failed call. */
static int cuda(void)
{
	const char *lib = "libcuda.so.1";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	int n = 0, i, rc = -1;
	vgpu_CUresult r;

	if (!h) {
		fprintf(stderr, "gpuinfo: dlopen %s: %s\n", lib, dlerror());
		return -1;
	}
	{
		LOAD(h, lib, cuInit);
		LOAD(h, lib, cuDeviceGetCount);
		LOAD(h, lib, cuDeviceGet);
		LOAD(h, lib, cuDeviceGetUuid_v2);
		LOAD(h, lib, cuDevicePrimaryCtxRetain);
		LOAD(h, lib, cuDevicePrimaryCtxRelease_v2);
		LOAD(h, lib, cuCtxSetCurrent);
		LOAD(h, lib, cuMemGetInfo_v2);

		if ((r = cuInit(0)) != VGPU_CUDA_SUCCESS) {
			fprintf(stderr, "gpuinfo: cuInit: error %d\n", (int)r);
			goto out;
		}
		if ((r = cuDeviceGetCount(&n)) != VGPU_CUDA_SUCCESS) {
			fprintf(stderr, "gpuinfo: cuDeviceGetCount: error %d\n", (int)r);
			goto out;
		}
		printf("cuda.count %d\n", n);
		for (i = 0; i < n; i++) {
			vgpu_CUdevice dev;
			vgpu_CUuuid u;
			vgpu_CUcontext ctx;
			size_t mfree = 0, mtotal = 0;
			char s[64];

			if ((r = cuDeviceGet(&dev, i)) != VGPU_CUDA_SUCCESS ||
			    (r = cuDeviceGetUuid_v2(&u, dev)) != VGPU_CUDA_SUCCESS) {
				fprintf(stderr, "gpuinfo: CUDA device %d: error %d\n", i, (int)r);
				goto out;
			}
			uuid_str(&u, s, sizeof(s));
			printf("cuda.uuid %d %s\n", i, s);
			if ((r = cuDevicePrimaryCtxRetain(&ctx, dev)) != VGPU_CUDA_SUCCESS) {
				fprintf(stderr, "gpuinfo: cuDevicePrimaryCtxRetain(%d): error %d\n", i, (int)r);
				goto out;
			}
			if ((r = cuCtxSetCurrent(ctx)) == VGPU_CUDA_SUCCESS)
				r = cuMemGetInfo_v2(&mfree, &mtotal);
			cuCtxSetCurrent(NULL);
			cuDevicePrimaryCtxRelease_v2(dev);
			if (r != VGPU_CUDA_SUCCESS) {
				fprintf(stderr, "gpuinfo: cuMemGetInfo_v2 on device %d: error %d\n", i, (int)r);
				goto out;
			}
			printf("cuda.mem %d %zu %zu\n", i, mfree, mtotal);
		}
		rc = 0;
	}
out:
	dlclose(h);
	return rc;
}

int main(void)
{
	const char *node = getenv("SLURMD_NODENAME");
	int rc;

	printf("node %s\n", node && *node ? node : "-");
	rc = nvml();
	if (cuda() != 0)
		rc = -1;
	return rc == 0 ? 0 : 1;
}
