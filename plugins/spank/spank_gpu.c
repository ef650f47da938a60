/*
 * spank_gpu.c - driver library paths and GPU identity for the launcher.
 */
#include "config.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spank_gpu.h"
#include "vgpu_inventory.h"
#include "vgpu_nvml_abi.h"

int vgpu_spank_gpu_libpath(const char *name, char *out, size_t len, vgpu_err_t *err)
{
	struct link_map *map = NULL;
	void *h;
	int rc = -1;

	h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		return vgpu_err_set(err, "cannot load '%s': %s", name, e ? e : "unknown error");
	}
	if (dlinfo(h, RTLD_DI_LINKMAP, &map) != 0 || !map || !map->l_name || map->l_name[0] != '/') {
		vgpu_err_set(err, "'%s' loaded, but the loader gives no absolute path for it", name);
		goto out;
	}
	if (strlen(map->l_name) >= len) {
		vgpu_err_set(err, "path of '%s' is too long: %s", name, map->l_name);
		goto out;
	}
	snprintf(out, len, "%s", map->l_name);
	rc = 0;
out:
	dlclose(h);
	return rc;
}

int vgpu_spank_gpu_lookup(const char *nvml, unsigned index, char *uuid, size_t uuid_len,
			  char *model, size_t model_len, vgpu_err_t *err)
{
	vgpu_pfn_nvmlInit_v2 init;
	vgpu_pfn_nvmlShutdown shutdown;
	vgpu_pfn_nvmlDeviceGetHandleByIndex_v2 by_index;
	vgpu_pfn_nvmlDeviceGetUUID get_uuid;
	vgpu_pfn_nvmlDeviceGetName get_name;
	vgpu_nvmlDevice_t dev;
	vgpu_nvmlReturn_t r;
	char u[VGPU_NVML_DEVICE_UUID_V2_BUFFER_SIZE], n[VGPU_NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	void *h;
	int rc = -1, inited = 0;

	h = dlopen(nvml, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		return vgpu_err_set(err, "cannot load NVML '%s': %s", nvml, e ? e : "unknown error");
	}
	init = (vgpu_pfn_nvmlInit_v2)dlsym(h, "nvmlInit_v2");
	shutdown = (vgpu_pfn_nvmlShutdown)dlsym(h, "nvmlShutdown");
	by_index = (vgpu_pfn_nvmlDeviceGetHandleByIndex_v2)dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
	get_uuid = (vgpu_pfn_nvmlDeviceGetUUID)dlsym(h, "nvmlDeviceGetUUID");
	get_name = (vgpu_pfn_nvmlDeviceGetName)dlsym(h, "nvmlDeviceGetName");
	if (!init || !shutdown || !by_index || !get_uuid || !get_name) {
		vgpu_err_set(err, "NVML '%s' lacks nvmlInit_v2, nvmlDeviceGetHandleByIndex_v2, "
			     "nvmlDeviceGetUUID or nvmlDeviceGetName", nvml);
		goto out;
	}
	if ((r = init()) != VGPU_NVML_SUCCESS) {
		vgpu_err_set(err, "nvmlInit_v2 failed (NVML error %d)", (int)r);
		goto out;
	}
	inited = 1;
	if ((r = by_index(index, &dev)) != VGPU_NVML_SUCCESS) {
		vgpu_err_set(err, "GPU %u: nvmlDeviceGetHandleByIndex_v2 failed (NVML error %d)",
			     index, (int)r);
		goto out;
	}
	if ((r = get_uuid(dev, u, sizeof(u))) != VGPU_NVML_SUCCESS ||
	    (r = get_name(dev, n, sizeof(n))) != VGPU_NVML_SUCCESS) {
		vgpu_err_set(err, "GPU %u: nvmlDeviceGetUUID/GetName failed (NVML error %d)", index,
			     (int)r);
		goto out;
	}
	u[sizeof(u) - 1] = n[sizeof(n) - 1] = '\0';
	if (strlen(u) >= uuid_len || strlen(n) >= model_len) {
		vgpu_err_set(err, "GPU %u: UUID or model name too long", index);
		goto out;
	}
	snprintf(uuid, uuid_len, "%s", u);
	snprintf(model, model_len, "%s", n);
	rc = 0;
out:
	if (inited)
		shutdown();
	dlclose(h);
	return rc;
}

const vgpu_gpu_type_t *vgpu_spank_gpu_type(const vgpu_conf_t *conf, const char *model,
					   vgpu_err_t *err)
{
	const vgpu_gpu_type_t *t;
	char name[VGPU_NAME_MAX];
	size_t i;

	for (i = 0; i < conf->ntypes; i++)
		if (conf->types[i].model[0] && strcmp(conf->types[i].model, model) == 0)
			return &conf->types[i];
	if (vgpu_inventory_type_name(model, name, sizeof(name)) == 0 &&
	    (t = vgpu_conf_find_type(conf, name)) != NULL)
		return t;
	if (conf->ntypes == 1)
		return &conf->types[0];
	vgpu_err_set(err, "GPU model '%s' matches no GpuType of vgpu.conf (%zu types)", model,
		     conf->ntypes);
	return NULL;
}
