/*
 * shim_dl.c - the shim's loader entry points: what its dlopen, dlmopen,
 * dlsym, dlvsym (asm in shim_stubs.c, which land here) and dlerror do.
 *
 *  - dlopen/dlmopen(LM_ID_BASE) of the CUDA driver or NVML give the shim's own
 *    handle. The driver is recognised by what the file is, before the
 *    loader maps it (so none of its constructors runs): its name
 *    (libcuda.so*, libnvidia-ml.so*), else the file the name leads to (a
 *    path as given, /proc/self/fd/N included; a bare name through the
 *    objects already loaded, then the caller's search path as the loader
 *    walks it; $ORIGIN, $LIB, $PLATFORM expanded as it does): the same
 *    device and inode as the real driver/NVML, or the
 *    ELF identity of a driver (shim_dlelf.c). Symlinks, hard links and
 *    copies at any path all end at the shim.
 *  - dlmopen into another namespace: the driver itself is redirected to the
 *    shim (in the base namespace: a program that isolates the driver this
 *    way still gets a working driver API); anything else is loaded there and
 *    refused when that namespace then holds a driver or an object that can
 *    load libraries itself (nothing of the shim is in that namespace).
 *  - dlsym/dlvsym for a loader entry point (dlopen, dlmopen, dlsym, dlvsym),
 *    whatever the handle and version, give the shim's own, so libc's cannot
 *    be reached by symbol lookup; only the shim itself and an interposer
 *    below it that defines the name (sanitizer runtimes, profilers chaining
 *    with RTLD_NEXT) get the next definition. cu and nvml names looked up in
 *    an explicit handle give the shim's export when the answer would lie in
 *    another copy of the driver.
 *  - dlerror: the reason for a refusal, else libc's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"
#include "shim_dl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

void *vgpu_shim_real_dlmopen, *vgpu_shim_real_dlsym, *vgpu_shim_real_dlvsym;
static void *real_dlerror;
static int real_found;
char vgpu_shim_dl_null[1];

/* The reason for the last refusal in this thread, for dlerror(). */
static __thread char dl_error[512];

static int ensure_real(void);
static void *refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void *refuse(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dl_error, sizeof(dl_error), fmt, ap);
	va_end(ap);
	SHIM_WARN("%s", dl_error);
	return VGPU_SHIM_DL_NULL;
}

char *dlerror(void) __attribute__((visibility("default")));
char *dlerror(void)
{
	static __thread char out[sizeof(dl_error)];
	char *(*real)(void);

	ensure_real();
	real = (char *(*)(void))__atomic_load_n(&real_dlerror, __ATOMIC_ACQUIRE);

	if (dl_error[0]) {
		memcpy(out, dl_error, sizeof(out));
		dl_error[0] = '\0';
		if (real)
			real(); /* libc's own pending message is older: drop it */
		return out;
	}
	return real ? real() : NULL;
}

/* ---- the real functions --------------------------------------------------- *
 * dlsym and dlvsym are called by the sanitizer runtimes while they set up
 * their interceptors, before they can run instrumented code or let an
 * intercepted function be called: this file and shim_dlelf.c are built
 * without instrumentation (mk/shim.mk), and what dlsym/dlvsym run before
 * passing a call on (the real functions found, the name tested, the
 * caller's object found) calls no libc function but dladdr1, which no
 * sanitizer intercepts, and no pthread_once. */

static struct link_map *self_map;

struct link_map *vgpu_shim_self_map(void)
{
	struct link_map *lm = __atomic_load_n(&self_map, __ATOMIC_ACQUIRE);
	Dl_info info;

	if (!lm && dladdr1((void *)vgpu_shim_self_map, &info, (void **)&lm, RTLD_DL_LINKMAP) && lm)
		__atomic_store_n(&self_map, lm, __ATOMIC_RELEASE);
	return lm;
}

/* Do the NUL-terminated a and b hold the same string (prefix: a starts
 * with b)? (Not strcmp: see above.) */
static int same(const char *a, const char *b, int prefix)
{
	while (*a && *a == *b)
		a++, b++;
	return *b == '\0' && (prefix || *a == '\0');
}

/* dlsym and dlvsym cannot be looked up with dlsym (that would be ours):
 * they are read from the symbol tables of the objects after the shim, as
 * RTLD_NEXT would find them. The rest through them. Idempotent: racing
 * first callers store the same values. */
static void find_real(void)
{
	struct link_map *self = vgpu_shim_self_map();
	void *(*sym)(void *, const char *);
	void *p;

	for (struct link_map *lm = self ? self->l_next : NULL; lm; lm = lm->l_next) {
		if (!vgpu_shim_real_dlsym && (p = vgpu_shim_dlelf_mem_sym(lm, "dlsym")) != NULL)
			__atomic_store_n(&vgpu_shim_real_dlsym, p, __ATOMIC_RELEASE);
		if (!vgpu_shim_real_dlvsym && (p = vgpu_shim_dlelf_mem_sym(lm, "dlvsym")) != NULL)
			__atomic_store_n(&vgpu_shim_real_dlvsym, p, __ATOMIC_RELEASE);
	}
	if (!vgpu_shim_real_dlsym || !vgpu_shim_real_dlvsym)
		return;
	/* the real dlsym called from here: RTLD_NEXT is what follows the shim */
	sym = (void *(*)(void *, const char *))vgpu_shim_real_dlsym;
	__atomic_store_n(&vgpu_shim_real_dlmopen, sym(RTLD_NEXT, "dlmopen"), __ATOMIC_RELEASE);
	__atomic_store_n(&real_dlerror, sym(RTLD_NEXT, "dlerror"), __ATOMIC_RELEASE);
	if (!__atomic_load_n(&vgpu_shim_real_dlopen, __ATOMIC_ACQUIRE))
		__atomic_store_n(&vgpu_shim_real_dlopen, sym(RTLD_NEXT, "dlopen"), __ATOMIC_RELEASE);
	__atomic_store_n(&real_found, 1, __ATOMIC_RELEASE);
}

static int ensure_real(void)
{
	if (!__atomic_load_n(&real_found, __ATOMIC_ACQUIRE))
		find_real();
	return __atomic_load_n(&real_found, __ATOMIC_ACQUIRE) ? 0 : -1;
}

void *vgpu_shim_dl_real_dlopen(void)
{
	void *p = __atomic_load_n(&vgpu_shim_real_dlopen, __ATOMIC_ACQUIRE);

	if (!p && ensure_real() == 0)
		p = __atomic_load_n(&vgpu_shim_real_dlopen, __ATOMIC_ACQUIRE);
	return p;
}

/* ---- what a file is ------------------------------------------------------ */

static pthread_once_t real_files_once = PTHREAD_ONCE_INIT;
static struct stat real_cuda, real_nvml;
static int have_cuda, have_nvml;

static void stat_real_files(void)
{
	have_cuda = vgpu_shim.ok && stat(vgpu_shim.desc.cuda_path, &real_cuda) == 0;
	have_nvml = vgpu_shim.ok && stat(vgpu_shim.desc.nvml_path, &real_nvml) == 0;
}

int vgpu_shim_dl_real_file(const struct stat *st)
{
	pthread_once(&real_files_once, stat_real_files);
	if (have_cuda && st->st_dev == real_cuda.st_dev && st->st_ino == real_cuda.st_ino)
		return VGPU_SHIM_DL_CUDA;
	if (have_nvml && st->st_dev == real_nvml.st_dev && st->st_ino == real_nvml.st_ino)
		return VGPU_SHIM_DL_NVML;
	return VGPU_SHIM_DL_OTHER;
}

/* The kind of the file at path; -1 when it is no library the loader would
 * take (absent, not a regular file, not a native ELF shared object). */
static int file_kind(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), k = -1;
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		k = vgpu_shim_dl_real_file(&st);
		if (k == VGPU_SHIM_DL_OTHER)
			k = vgpu_shim_dlelf_fd_kind(fd);
	}
	close(fd);
	return k;
}

static int loaded_kind(const struct link_map *lm)
{
	struct stat st;

	if (lm->l_name && lm->l_name[0] == '/' && stat(lm->l_name, &st) == 0 && vgpu_shim_dl_real_file(&st))
		return vgpu_shim_dl_real_file(&st);
	return vgpu_shim_dlelf_mem_kind(lm);
}

static struct link_map *map_of(void *addr)
{
	struct link_map *lm = NULL;
	Dl_info info;

	if (!addr || !dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP))
		return NULL;
	return lm;
}

/* A bare name as the loader finds it for caller: the first native ELF
 * library in the caller's search path (its RPATH, LD_LIBRARY_PATH, its
 * RUNPATH, the system directories; dlinfo RTLD_DI_SERINFO). Its kind, and
 * its path in path; -1 when none is found there. */
static int search(const char *name, void *caller, char *path, size_t len)
{
	struct link_map *lm = map_of(caller);
	union {
		Dl_serinfo si;
		char b[8192];
	} sbuf;
	Dl_serinfo size, *si = &sbuf.si;
	int k = -1;

	if (!lm)
		lm = map_of((void *)search); /* the shim's: the same global paths */
	if (!lm || dlinfo(lm, RTLD_DI_SERINFOSIZE, &size) != 0)
		return -1;
	if (size.dls_size > sizeof(sbuf) && !(si = malloc(size.dls_size)))
		return -1;
	si->dls_size = size.dls_size;
	si->dls_cnt = size.dls_cnt;
	if (dlinfo(lm, RTLD_DI_SERINFO, si) == 0) {
		for (unsigned int i = 0; i < si->dls_cnt && k < 0; i++) {
			int n = snprintf(path, len, "%s/%s", si->dls_serpath[i].dls_name, name);

			if (n > 0 && (size_t)n < len)
				k = file_kind(path);
		}
	}
	if (si != &sbuf.si)
		free(si);
	return k;
}

/* The value of a dynamic string token at *p ($NAME or ${NAME}; *p at the
 * '$'), advancing *p past it; NULL for no token the loader knows. */
static const char *dst_value(const char **p, const char *origin, const char *lib)
{
	static const char *const names[] = { "ORIGIN", "LIB", "PLATFORM" };
	const char *q = *p + 1;
	int brace = *q == '{';

	q += brace;
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(names[i]);
		const char *end = q + n;

		if (strncmp(q, names[i], n) != 0 || (brace && *end != '}') ||
		    (!brace && (*end == '_' || (*end >= 'A' && *end <= 'Z') || (*end >= 'a' && *end <= 'z') ||
				(*end >= '0' && *end <= '9'))))
			continue;
		*p = end + brace;
		if (i == 0)
			return origin;
		if (i == 1)
			return lib;
		return (const char *)getauxval(AT_PLATFORM);
	}
	return NULL;
}

static int file_or_search(const char *file, void *caller)
{
	char path[4096];
	int k = strchr(file, '/') ? file_kind(file) : search(file, caller, path, sizeof(path));

	return k > 0 ? k : VGPU_SHIM_DL_OTHER;
}

/* A name with $ORIGIN, $LIB or $PLATFORM, expanded as the loader does for
 * the caller ($ORIGIN: the caller's directory; $LIB: each value glibc is
 * built with on Debian and others, x86_64 and aarch64): the kind of the
 * first expansion that is a driver. */
static int dst_kind(const char *file, void *caller)
{
	static const char *const libs[] = { "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu", "lib64", "lib" };
	struct link_map *lm = map_of(caller);
	char origin[4096], out[4096];
	ssize_t n;

	if (lm && lm->l_name && lm->l_name[0] == '/')
		snprintf(origin, sizeof(origin), "%s", lm->l_name);
	else if ((n = readlink("/proc/self/exe", origin, sizeof(origin) - 1)) > 0)
		origin[n] = '\0';
	else
		origin[0] = '\0';
	if (strrchr(origin, '/'))
		*strrchr(origin, '/') = '\0';
	for (size_t v = 0; v < sizeof(libs) / sizeof(libs[0]); v++) {
		size_t len = 0;
		int k;

		for (const char *p = file; *p && len + 1 < sizeof(out);) {
			const char *val = *p == '$' ? dst_value(&p, origin, libs[v]) : NULL;

			if (val) {
				size_t m = strlen(val);

				if (len + m >= sizeof(out))
					break;
				memcpy(out + len, val, m);
				len += m;
			} else {
				out[len++] = *p++;
			}
		}
		out[len] = '\0';
		if ((k = file_or_search(out, caller)) != VGPU_SHIM_DL_OTHER)
			return k;
	}
	return VGPU_SHIM_DL_OTHER;
}

/* What the loader would load for file when caller asks: VGPU_SHIM_DL_*. */
static int driver_file(const char *file, void *caller)
{
	const char *base = strrchr(file, '/');
	void *h;
	int k;

	base = base ? base + 1 : file;
	if (strncmp(base, "libcuda.so", 10) == 0)
		return VGPU_SHIM_DL_CUDA;
	if (strncmp(base, "libnvidia-ml.so", 15) == 0)
		return VGPU_SHIM_DL_NVML;
	if (strchr(file, '$'))
		return dst_kind(file, caller);
	if (strchr(file, '/'))
		return file_or_search(file, caller);
	/* a bare name: an object loaded under that name or soname first */
	h = ((void *(*)(const char *, int))vgpu_shim_real_dlopen)(file, RTLD_LAZY | RTLD_NOLOAD);
	if (h) {
		struct link_map *lm = NULL;

		k = dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm ? loaded_kind(lm) : VGPU_SHIM_DL_OTHER;
		dlclose(h);
		return k;
	}
	return file_or_search(file, caller);
}

/* The shim's own handle (each call takes a reference, as dlopen does). */
static void *shim_handle(int mode)
{
	void *(*real)(const char *, int) = (void *(*)(const char *, int))vgpu_shim_real_dlopen;
	struct link_map *lm = NULL, *self = vgpu_shim_self_map();
	void *h = real("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD | (mode & RTLD_GLOBAL));

	if (h && (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || lm != self)) {
		dlclose(h);
		h = NULL;
	}
	if (!h && self && self->l_name && self->l_name[0])
		h = real(self->l_name, RTLD_LAZY | RTLD_NOLOAD | (mode & RTLD_GLOBAL));
	return h;
}

static const char *kind_name(int k)
{
	return k == VGPU_SHIM_DL_NVML ? "NVML" : "CUDA driver";
}

void *vgpu_shim_dlopen_redirect(const char *file, int mode, void *caller)
{
	void *h;
	int k;

	dl_error[0] = '\0';
	if (!vgpu_shim_dl_real_dlopen())
		return refuse("slurm-vgpu shim: libc's dlopen was not found; dlopen(\"%s\") refused",
			      file ? file : "(null)");
	if (!file || vgpu_shim_from_real(caller))
		return NULL;
	k = driver_file(file, caller);
	if (k == VGPU_SHIM_DL_OTHER)
		return NULL;
	h = shim_handle(mode);
	SHIM_DEBUG("dlopen(\"%s\"): the %s -> %s", file, kind_name(k), h ? "the shim" : "refused");
	return h ? h
		 : refuse("slurm-vgpu shim: dlopen(\"%s\") is the %s, but the shim's own handle cannot be had: refused",
			  file, kind_name(k));
}

/* Objects of lm's namespace that escape the shim: a driver, or one that
 * can load libraries itself. NULL when none. */
static const char *namespace_escape(struct link_map *lm, char *why, size_t len)
{
	while (lm && lm->l_prev)
		lm = lm->l_prev;
	for (; lm; lm = lm->l_next) {
		const char *name = lm->l_name && lm->l_name[0] ? lm->l_name : "(main)";
		int k = loaded_kind(lm);

		if (k != VGPU_SHIM_DL_OTHER) {
			snprintf(why, len, "it would hold the %s (%s)", kind_name(k), name);
			return why;
		}
		if (!vgpu_shim_dlelf_mem_sym(lm, "dlopen") && vgpu_shim_dlelf_mem_imports_loader(lm)) {
			snprintf(why, len,
				 "%s there calls the loader (dlopen/dlsym) and could load the driver later",
				 name);
			return why;
		}
	}
	return NULL;
}

void *vgpu_shim_dlmopen_redirect(Lmid_t lmid, const char *file, int mode, void *caller)
{
	void *(*real)(Lmid_t, const char *, int);
	struct link_map *lm = NULL;
	char path[4096], why[600];
	const char *what = file;
	void *h;
	int k;

	if (!vgpu_shim_dl_real_dlopen() || ensure_real() != 0 || !vgpu_shim_real_dlmopen)
		return refuse("slurm-vgpu shim: libc's dlmopen was not found; dlmopen(\"%s\") refused",
			      file ? file : "(null)");
	if (lmid == LM_ID_BASE)
		return vgpu_shim_dlopen_redirect(file, mode, caller);
	dl_error[0] = '\0';
	if (!file || vgpu_shim_from_real(caller))
		return NULL;
	k = driver_file(file, caller);
	if (k != VGPU_SHIM_DL_OTHER) {
		h = shim_handle(mode);
		SHIM_DEBUG("dlmopen(%ld, \"%s\"): the %s -> %s", (long)lmid, file, kind_name(k),
			   h ? "the shim" : "refused");
		return h ? h
			 : refuse("slurm-vgpu shim: dlmopen(\"%s\") is the %s, but the shim's own handle cannot be had: refused",
				  file, kind_name(k));
	}
	/* Loaded here, not by a tail jump (its namespace must be checked
	 * after): a bare name is first resolved as the caller's loader would. */
	if (!strchr(file, '/') && search(file, caller, path, sizeof(path)) >= 0)
		what = path;
	real = (void *(*)(Lmid_t, const char *, int))vgpu_shim_real_dlmopen;
	h = real(lmid, what, mode);
	if (!h)
		return VGPU_SHIM_DL_NULL; /* libc's dlerror says why */
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm) {
		dlclose(h);
		return refuse("slurm-vgpu shim: dlmopen(\"%s\"): its namespace cannot be checked: refused",
			      file);
	}
	if (namespace_escape(lm, why, sizeof(why))) {
		dlclose(h);
		return refuse("slurm-vgpu shim: dlmopen(\"%s\") into another namespace refused: %s, where the slice is not "
			      "enforced",
			      file, why);
	}
	return h;
}

/* ---- symbol lookup --------------------------------------------------------- */

/* The shim's own loader entry point of that name, or NULL. */
static void *own_entry(const char *name)
{
	if (name[0] != 'd' || name[1] != 'l')
		return NULL;
	if (same(name, "dlopen", 0))
		return (void *)vgpu_shim_dl_dlopen;
	if (same(name, "dlmopen", 0))
		return (void *)vgpu_shim_dl_dlmopen;
	if (same(name, "dlsym", 0))
		return (void *)vgpu_shim_dl_dlsym;
	if (same(name, "dlvsym", 0))
		return (void *)vgpu_shim_dl_dlvsym;
	return NULL;
}

/* Is lm an object after the shim in the base namespace's load order? */
static int below_self(const struct link_map *lm)
{
	struct link_map *self = vgpu_shim_self_map();

	for (const struct link_map *p = self ? self->l_next : NULL; p; p = p->l_next)
		if (p == lm)
			return 1;
	return 0;
}

/* The answer for a loader name: NULL (pass on) for the shim itself and for
 * an interposer below it that defines the name, the shim's own otherwise. */
static void *loader_name(const char *name, void *mine, void *caller)
{
	struct link_map *lm = map_of(caller);

	if (lm && (lm == vgpu_shim_self_map() || (below_self(lm) && vgpu_shim_dlelf_mem_sym(lm, name))))
		return NULL;
	return mine;
}

/* A cu or nvml symbol found at p in an explicit handle: the shim's export of
 * name when p lies in a driver object that is not the shim. */
static void *driver_symbol(void *p, const char *name)
{
	struct link_map *lm = map_of(p), *self = vgpu_shim_self_map();
	void *mine;

	if (!p)
		return VGPU_SHIM_DL_NULL;
	if (!lm || lm == self || loaded_kind(lm) == VGPU_SHIM_DL_OTHER)
		return p;
	mine = vgpu_shim_dlelf_mem_sym(self, name);
	SHIM_DEBUG("dlsym(\"%s\") in %s: the shim's", name, lm->l_name);
	return mine ? mine
		    : refuse("slurm-vgpu shim: %s of %s is a driver entry point the shim does not have: refused",
			     name, lm->l_name);
}

static int driver_name(const char *name)
{
	return (name[0] == 'c' && name[1] == 'u') || same(name, "nvml", 1);
}

/* dlsym (version NULL) and dlvsym. */
static void *sym_redirect(void *handle, const char *name, const char *version, void *caller)
{
	void *mine, *p;

	if (ensure_real() != 0)
		return refuse("slurm-vgpu shim: libc's dlsym/dlvsym was not found");
	if (!name)
		return NULL;
	if ((mine = own_entry(name)) != NULL)
		return loader_name(name, mine, caller);
	/* the shim's own handle (glibc's handles are link_maps) answers with
	 * the shim's exports first: nothing to check (the common case) */
	if (handle == RTLD_DEFAULT || handle == RTLD_NEXT || handle == (void *)vgpu_shim_self_map() ||
	    !driver_name(name) || map_of(caller) == vgpu_shim_self_map() || vgpu_shim_from_real(caller))
		return NULL;
	dl_error[0] = '\0';
	p = version ? ((void *(*)(void *, const char *, const char *))vgpu_shim_real_dlvsym)(handle, name,
											     version)
		    : ((void *(*)(void *, const char *))vgpu_shim_real_dlsym)(handle, name);
	return driver_symbol(p, name);
}

void *vgpu_shim_dlsym_redirect(void *handle, const char *name, void *caller)
{
	return sym_redirect(handle, name, NULL, caller);
}

void *vgpu_shim_dlvsym_redirect(void *handle, const char *name, const char *version, void *caller)
{
	return sym_redirect(handle, name, version ? version : "", caller);
}
