/*
 * spank_gpu.c - driver library paths and GPU identity for the launcher.
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spank_gpu.h"
#include "vgpu_inventory.h"
#include "vgpu_nvml_abi.h"
#include "vgpu_slurmgres.h"

#if defined(__x86_64__)
#define LIB_MACHINE EM_X86_64
#define CACHE_FLAGS 0x0303 /* FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 */
#elif defined(__aarch64__)
#define LIB_MACHINE EM_AARCH64
#define CACHE_FLAGS 0x0a03 /* FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64 */
#endif

#ifdef LIB_MACHINE
/* Is path a shared object this process could load (an ELF file of its class
 * and machine)? The test the loader makes before it takes a candidate. */
static int loadable(const char *path)
{
	ElfW(Ehdr) eh;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, &eh, sizeof(eh));
	close(fd);
	return n == (ssize_t)sizeof(eh) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	       eh.e_ident[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) &&
	       eh.e_type == ET_DYN && eh.e_machine == LIB_MACHINE;
}

/* name in the directories of LD_LIBRARY_PATH, as the loader searches them
 * (':' or ';' separated). 0 with out, 1 not there, -1 when only the loader
 * can tell (a relative or too long entry before it was found). */
static int search_env(const char *name, char *out, size_t len)
{
	const char *p = getenv("LD_LIBRARY_PATH");

	while (p && *p) {
		size_t dl = strcspn(p, ":;");
		char path[4096];

		if (p[0] != '/' || dl + strlen(name) + 2 > sizeof(path))
			return -1;
		snprintf(path, sizeof(path), "%.*s/%s", (int)dl, p, name);
		if (loadable(path))
			return (size_t)snprintf(out, len, "%s", path) < len ? 0 : -1;
		p += dl;
		if (*p)
			p++;
	}
	return 1;
}

/* /etc/ld.so.cache, mapped, searched by vgpu_spank_gpu_cache_find. */
static int search_cache(const char *name, char *out, size_t len)
{
	struct stat st;
	const unsigned char *c;
	int fd, rc;

	fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_size < 48 || st.st_size > (64 << 20)) {
		close(fd);
		return -1;
	}
	c = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (c == MAP_FAILED)
		return -1;
	rc = vgpu_spank_gpu_cache_find(c, (size_t)st.st_size, name, out, len);
	munmap((void *)c, (size_t)st.st_size);
	return rc;
}
#endif

#ifndef CACHE_FLAGS
#define CACHE_FLAGS (-1) /* no entry matches: the loader is asked */
#endif

/* ld.so.cache ("glibc-ld.so.cache1.1": a 48-byte header whose bytes 20..23
 * are nlibs, then nlibs entries of 24 bytes {int32 flags, uint32 key,
 * uint32 value, uint32, uint64 hwcap}; key and value are offsets of strings
 * from the start). The first entry for this ABI without hwcap subdirectory,
 * as the loader picks. */
int vgpu_spank_gpu_cache_find(const unsigned char *c, size_t size, const char *name, char *out,
			      size_t len)
{
	static const char magic[] = "glibc-ld.so.cache1.1";
	uint32_t nlibs, i;

	if (size < 48 || memcmp(c, magic, sizeof(magic) - 1) != 0)
		return -1; /* an old format: the loader's answer is asked instead */
	memcpy(&nlibs, c + 20, 4);
	if (nlibs > (size - 48) / 24)
		return -1;
	for (i = 0; i < nlibs; i++) {
		const unsigned char *e = c + 48 + (size_t)i * 24;
		int32_t flags;
		uint32_t key, value;
		uint64_t hwcap;
		const char *k, *v;

		memcpy(&flags, e, 4);
		memcpy(&key, e + 4, 4);
		memcpy(&value, e + 8, 4);
		memcpy(&hwcap, e + 16, 8);
		if (flags != CACHE_FLAGS || hwcap != 0 || key >= size || value >= size)
			continue;
		k = (const char *)c + key;
		v = (const char *)c + value;
		if (!memchr(k, '\0', size - key) || !memchr(v, '\0', size - value) || strcmp(k, name) != 0)
			continue;
		if (v[0] == '/' && strlen(v) < len) {
			snprintf(out, len, "%s", v);
			return 0;
		}
		return -1;
	}
	return -1;
}

/* The loader's own answer: dlopen + dlinfo. */
static int ask_loader(const char *name, char *out, size_t len, vgpu_err_t *err)
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

int vgpu_spank_gpu_libpath(const char *name, char *out, size_t len, vgpu_err_t *err)
{
#ifdef LIB_MACHINE
	if (name[0] == '/') {
		if (strlen(name) < len && loadable(name)) {
			snprintf(out, len, "%s", name);
			return 0;
		}
	} else if (!strchr(name, '/')) {
		int r = search_env(name, out, len);

		if (r == 0 || (r == 1 && search_cache(name, out, len) == 0))
			return 0;
	}
#endif
	return ask_loader(name, out, len, err);
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

int vgpu_spank_gpu_job_shards(const char *detail, unsigned index, unsigned *count)
{
	vgpu_slurmgres_t g;
	uint64_t n = 0;
	unsigned i;

	if (index >= VGPU_SLURMGRES_IDX_MAX || vgpu_slurmgres_parse(detail, &g, NULL) != 0)
		return -1;
	for (i = 0; i < g.nitems; i++) {
		const vgpu_slurmgres_item_t *it = &g.items[i];

		if (strcmp(it->name, "shard") != 0)
			continue;
		if (!it->has_count)
			return -1; /* not what slurmctld prints: "shard:TYPE(IDX:0)" */
		if (it->count == 0)
			continue;
		if (it->has_gpu_count)                          /* 23.11 on: exact */
			n += it->gpu_count[index];
		else if (it->idx_mask == UINT64_C(1) << index)  /* 22.05: all on this GPU */
			n += it->count;
		else if (!it->has_idx || (it->idx_mask >> index & 1))
			return -1; /* no GPU given, or a split over several not given */
	}
	if (n == 0 || n > 1000000)
		return -1;
	*count = (unsigned)n;
	return 0;
}
