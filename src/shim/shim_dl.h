/*
 * shim_dl.h - how the shim recognises the CUDA driver and NVML by what they
 * are (shim_dlelf.c: device and inode of the real files, the ELF identity of
 * any other file or loaded object) and its loader entry points (shim_dl.c:
 * dlopen, dlmopen, dlsym, dlvsym, dlerror; the asm in shim_stubs.c lands
 * in the *_redirect functions). doc/shim.md "The driver library" has the
 * design and what is not held.
 */
#ifndef VGPU_SHIM_DL_H
#define VGPU_SHIM_DL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What a file or object is. */
enum { VGPU_SHIM_DL_OTHER = 0, VGPU_SHIM_DL_CUDA = 1, VGPU_SHIM_DL_NVML = 2 };

/* ---- shim_dlelf.c ---------------------------------------------------------- */

/* The kind of the open file fd, from its ELF identity alone: CUDA when its
 * DT_SONAME starts with "libcuda.so" or it defines cuInit, NVML when the
 * soname starts with "libnvidia-ml.so" or it defines nvmlInit_v2/nvmlInit,
 * OTHER for another library; -1 when it is no shared object the loader
 * would take (not ELF, another class or machine, unreadable tables).
 * Reads with pread only; no malloc; never runs the file's code. */
int vgpu_shim_dlelf_fd_kind(int fd);

/* The same identity for an object already loaded (base address and dynamic
 * section from its link_map). */
int vgpu_shim_dlelf_mem_kind(const struct link_map *lm);

/* The address of the definition of name in the loaded object lm (its own
 * dynamic symbol table only, not its dependencies), or NULL. */
void *vgpu_shim_dlelf_mem_sym(const struct link_map *lm, const char *name);

/* Does the loaded object lm import (reference undefined) one of the loader
 * entry points dlopen, dlmopen, dlsym, dlvsym? */
int vgpu_shim_dlelf_mem_imports_loader(const struct link_map *lm);

/* ---- shim_dl.c ------------------------------------------------------------- */

/* Is the file st describes the real CUDA driver or NVML the step
 * description names (same device and inode)? VGPU_SHIM_DL_CUDA/_NVML or
 * OTHER. */
int vgpu_shim_dl_real_file(const struct stat *st);

/* Called by the asm wrappers (shim_stubs.c). Each returns NULL for "pass the
 * call on unchanged to the real function" (a tail jump, so the real one sees
 * the program's return address), VGPU_SHIM_DL_NULL for "return NULL"
 * (dlerror() then says why), or the value to return. */
void *vgpu_shim_dlmopen_redirect(Lmid_t lmid, const char *file, int mode, void *caller);
void *vgpu_shim_dlsym_redirect(void *handle, const char *name, void *caller);
void *vgpu_shim_dlvsym_redirect(void *handle, const char *name, const char *version, void *caller);
extern char vgpu_shim_dl_null[] __attribute__((visibility("hidden")));
#define VGPU_SHIM_DL_NULL ((void *)vgpu_shim_dl_null)
/* The real functions the wrappers jump to (next definition after the shim). */
extern void *vgpu_shim_real_dlmopen, *vgpu_shim_real_dlsym, *vgpu_shim_real_dlvsym;

/* The shim's own wrappers (hidden aliases defined in shim_stubs.c), which
 * dlsym/dlvsym hand out for the loader's names. */
void *vgpu_shim_dl_dlopen(const char *file, int mode) __attribute__((visibility("hidden")));
void *vgpu_shim_dl_dlmopen(Lmid_t lmid, const char *file, int mode) __attribute__((visibility("hidden")));
void *vgpu_shim_dl_dlsym(void *handle, const char *name) __attribute__((visibility("hidden")));
void *vgpu_shim_dl_dlvsym(void *handle, const char *name, const char *version)
	__attribute__((visibility("hidden")));

/* libc's dlopen (the next definition after the shim), found once. */
void *vgpu_shim_dl_real_dlopen(void);

/* From shim_main.c: did the call at caller come from the real driver or
 * the real NVML (their own loads are never redirected)? The shim's own
 * link_map. */
int vgpu_shim_from_real(void *caller);
struct link_map *vgpu_shim_self_map(void);

#endif
