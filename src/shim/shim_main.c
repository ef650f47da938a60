/*
 * shim_main.c - libvgpu-shim.so's constructor (reads the step description,
 * once), its logger, the lazy loading of the real driver and NVML behind the
 * export tables, and fork handling (the loader entry points: shim_dl.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"
#include "shim_dl.h"
#include "vgpu_elfid.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct vgpu_shim_conf vgpu_shim;
int vgpu_shim_log_level = VGPU_LOG_WARN;
__thread int vgpu_shim_depth __attribute__((tls_model("initial-exec")));
void *vgpu_shim_real_dlopen;

/* The shim's identity, an ELF note the SPANK plugin reads from the file
 * (vgpu_elfid.h) to check that plugstack.conf's shim= is this build's shim
 * without loading it. In a .note section, so the linker puts it in a
 * PT_NOTE segment; `used` keeps it although nothing refers to it. */
static const struct {
	uint32_t namesz, descsz, type;
	char name[(sizeof(VGPU_ELFID_NOTE_NAME) + 3) & ~(size_t)3];
	char desc[(sizeof(VGPU_ELFID_IDENTITY) + 3) & ~(size_t)3];
} shim_identity __attribute__((section(".note.slurm-vgpu"), aligned(4), used)) = {
	sizeof(VGPU_ELFID_NOTE_NAME), sizeof(VGPU_ELFID_IDENTITY), VGPU_ELFID_NOTE_TYPE,
	VGPU_ELFID_NOTE_NAME, VGPU_ELFID_IDENTITY,
};

#define X(n, ...) #n,
const char *const vgpu_shim_cuda_names[VGPU_SHIM_NCUDA] = {
#include "vgpu_cuda_exports.def"
};
const char *const vgpu_shim_nvml_names[VGPU_SHIM_NNVML] = {
#include "nvml_exports.def"
};
#undef X

/* The hook markers: an undefined one fails the link (see shim.h). */
#define X(n) extern const char vgpu_shim_hooked_##n __attribute__((visibility("hidden")));
VGPU_SHIM_CUDA_HOOKS(X)
VGPU_SHIM_NVML_HOOKS(X)
#undef X
#define X(n) { VGPU_SHIM_IDX_##n, &vgpu_shim_hooked_##n },
static const struct {
	int idx;
	const char *marker;
} cuda_hooks[] = { VGPU_SHIM_CUDA_HOOKS(X) }, nvml_hooks[] = { VGPU_SHIM_NVML_HOOKS(X) };
#undef X

int vgpu_shim_cuda_hooked(int idx)
{
	for (size_t i = 0; i < sizeof(cuda_hooks) / sizeof(cuda_hooks[0]); i++)
		if (cuda_hooks[i].idx == idx && *cuda_hooks[i].marker)
			return 1;
	return 0;
}

int vgpu_shim_nvml_hooked(int idx)
{
	for (size_t i = 0; i < sizeof(nvml_hooks) / sizeof(nvml_hooks[0]); i++)
		if (nvml_hooks[i].idx == idx && *nvml_hooks[i].marker)
			return 1;
	return 0;
}

/* ---- logging -------------------------------------------------------------- */

static int log_fd = -1;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

/* The log destination: the step's log file (never the program's stdout),
 * else stderr. */
static void open_log(void)
{
	const char *path = vgpu_shim.ok ? vgpu_shim.desc.log_file : "";
	struct stat a, b;
	int fd;

	log_fd = 2;
	if (!path[0])
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd >= 0 && fd < 3) { /* never one of the standard descriptors */
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		close(fd);
		fd = high;
	}
	if (fd >= 0 && fstat(fd, &a) == 0 && fstat(1, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		close(fd); /* the program's stdout: refuse */
		fd = -1;
	}
	if (fd >= 0)
		log_fd = fd;
}

/* Write without letting a closed pipe kill the program: SIGPIPE is blocked
 * around the write, and one it raised is taken back (unless the program had
 * one pending already). */
static void quiet_write(const char *buf, size_t n)
{
	sigset_t pipe_set, old, pending;
	int was_pending;
	ssize_t w;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	do
		w = write(log_fd, buf, n);
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void vgpu_shim_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "", "error", "warning", "info", "debug" };
	char buf[1024];
	va_list ap;
	int n, m;

	pthread_once(&log_once, open_log);
	n = snprintf(buf, sizeof(buf), "vgpu-shim[%d]%s%s: %s: ", (int)getpid(), vgpu_shim.desc.step[0] ? " " : "",
		     vgpu_shim.desc.step, names[level > 0 && level <= VGPU_LOG_DEBUG ? level : 0]);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m < (int)(sizeof(buf) - (size_t)n - 1) ? m : (int)(sizeof(buf) - (size_t)n - 2);
	buf[n++] = '\n';
	quiet_write(buf, (size_t)n);
}

/* ---- the real libraries -------------------------------------------------- */

/* What an entry point does when its real library is unusable, or when the
 * real library lacks it. */
static int cuda_unusable(void)
{
	return VGPU_CUDA_ERROR_NOT_INITIALIZED;
}
static int cuda_missing(void)
{
	return VGPU_CUDA_ERROR_NOT_FOUND;
}
static int nvml_unusable(void)
{
	return VGPU_NVML_ERROR_LIBRARY_NOT_FOUND;
}
static int nvml_missing(void)
{
	return VGPU_NVML_ERROR_FUNCTION_NOT_FOUND;
}

struct real_lib {
	const char *what;
	pthread_once_t once;
	void *handle;
	struct link_map *map;
	int ok;
	void **table;
	const char *const *names;
	void *const *self;
	int n;
	void *unusable; /* cuda_unusable or nvml_unusable */
	void *missing;
};

static struct real_lib cuda_lib = { "CUDA driver",	  PTHREAD_ONCE_INIT,	 NULL,
				    NULL,		  0,			 vgpu_shim_cuda_table,
				    vgpu_shim_cuda_names, vgpu_shim_cuda_self,	 VGPU_SHIM_NCUDA,
				    (void *)cuda_unusable, (void *)cuda_missing };
static struct real_lib nvml_lib = { "NVML",		  PTHREAD_ONCE_INIT,	 NULL,
				    NULL,		  0,			 vgpu_shim_nvml_table,
				    vgpu_shim_nvml_names, vgpu_shim_nvml_self,	 VGPU_SHIM_NNVML,
				    (void *)nvml_unusable, (void *)nvml_missing };
static __thread int loading __attribute__((tls_model("initial-exec")));

/* real driver address -> export index, sorted by address (cuGetProcAddress) */
struct addr_idx {
	void *real;
	int idx;
	int hooked;
};
static struct addr_idx *cuda_by_addr;
static int cuda_by_addr_n;
static void **self_sorted; /* the shim's own exports, by address */

static int addr_cmp(const void *a, const void *b)
{
	const struct addr_idx *x = a, *y = b;

	if (x->real != y->real)
		return (uintptr_t)x->real < (uintptr_t)y->real ? -1 : 1;
	/* Aliases (one function, two names): hooked names first. */
	return y->hooked - x->hooked;
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

static void *resolve_one(struct real_lib *lib, int i);

/* Built on the first cuGetProcAddress (a program that never asks does not
 * pay for it at start-up). */
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void index_cuda(void)
{
	int n = 0;

	cuda_by_addr = calloc(VGPU_SHIM_NCUDA, sizeof(*cuda_by_addr));
	if (!cuda_by_addr)
		return;
	for (int i = 0; i < VGPU_SHIM_NCUDA; i++) {
		void *p = resolve_one(&cuda_lib, i);

		if (p != (void *)cuda_missing && p != (void *)cuda_unusable)
			cuda_by_addr[n++] = (struct addr_idx){ p, i, vgpu_shim_cuda_hooked(i) };
	}
	qsort(cuda_by_addr, (size_t)n, sizeof(*cuda_by_addr), addr_cmp);
	cuda_by_addr_n = n;
	self_sorted = malloc(VGPU_SHIM_NCUDA * sizeof(*self_sorted));
	if (self_sorted) {
		memcpy(self_sorted, vgpu_shim_cuda_self, VGPU_SHIM_NCUDA * sizeof(*self_sorted));
		qsort(self_sorted, VGPU_SHIM_NCUDA, sizeof(*self_sorted), ptr_cmp);
	}
}

int vgpu_shim_cuda_is_self(void *p)
{
	if (vgpu_shim_load_cuda() == 0)
		pthread_once(&index_once, index_cuda);
	return p && self_sorted && bsearch(&p, self_sorted, VGPU_SHIM_NCUDA, sizeof(*self_sorted), ptr_cmp);
}

void *vgpu_shim_cuda_self_of(void *real)
{
	int lo = 0, hi = cuda_by_addr_n;

	if (!real || vgpu_shim_load_cuda() != 0)
		return NULL;
	pthread_once(&index_once, index_cuda);
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if ((uintptr_t)cuda_by_addr[mid].real < (uintptr_t)real)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* The first of equal addresses is a hooked name when there is one. */
	if (lo < cuda_by_addr_n && cuda_by_addr[lo].real == real)
		return vgpu_shim_cuda_self[cuda_by_addr[lo].idx];
	return NULL;
}

static void fill(struct real_lib *lib, void *fn)
{
	for (int i = 0; i < lib->n; i++)
		__atomic_store_n(&lib->table[i], fn, __ATOMIC_RELEASE);
}

static void load(struct real_lib *lib, const char *path)
{
	void *(*real_dlopen)(const char *, int) = (void *(*)(const char *, int))vgpu_shim_dl_real_dlopen();
	const char *why = NULL;
	void *h = NULL;

	if (!vgpu_shim.ok) {
		SHIM_ERROR("%s; %s calls fail in this process", vgpu_shim.error, lib->what);
		fill(lib, lib->unusable);
		return;
	}
	if (real_dlopen)
		h = real_dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		why = real_dlopen ? dlerror() : "no dlopen";
		why = why ? why : "unknown error";
	} else if (dlsym(h, lib->names[0]) == lib->self[0]) {
		why = "that is this shim, not the real library";
	}
	if (why) {
		SHIM_ERROR("cannot load the %s %s: %s; its calls fail in this process", lib->what, path, why);
		fill(lib, lib->unusable);
		return;
	}
	if (dlinfo(h, RTLD_DI_LINKMAP, &lib->map) != 0)
		lib->map = NULL;
	/* Slots are resolved one by one on first call (resolve_one), so a
	 * program's start-up does not pay for hundreds of dlsym. */
	lib->handle = h;
	lib->ok = 1;
	SHIM_INFO("%s %s loaded", lib->what, path);
}

/* Point slot i of a loaded library at its real function (or at the
 * "missing" stub) and return that. Idempotent; racing callers store the
 * same value. */
static void *resolve_one(struct real_lib *lib, int i)
{
	void *p = dlsym(lib->handle, lib->names[i]);

	p = p ? p : lib->missing;
	__atomic_store_n(&lib->table[i], p, __ATOMIC_RELEASE);
	return p;
}

static void load_cuda_once(void)
{
	load(&cuda_lib, vgpu_shim.desc.cuda_path);
}

static void load_nvml_once(void)
{
	load(&nvml_lib, vgpu_shim.desc.nvml_path);
}

int vgpu_shim_load_cuda(void)
{
	if (loading)
		return -1; /* the real driver's own initialisation calling back */
	loading = 1;
	pthread_once(&cuda_lib.once, load_cuda_once);
	loading = 0;
	return cuda_lib.ok ? 0 : -1;
}

int vgpu_shim_load_nvml(void)
{
	if (loading)
		return -1;
	loading = 1;
	pthread_once(&nvml_lib.once, load_nvml_once);
	loading = 0;
	return nvml_lib.ok ? 0 : -1;
}

int vgpu_shim_nvml_real(int idx)
{
	void *p;

	if (idx < 0 || idx >= VGPU_SHIM_NNVML || !nvml_lib.ok)
		return 0;
	p = resolve_one(&nvml_lib, idx);
	return p != nvml_lib.missing && p != nvml_lib.unusable;
}

void *vgpu_shim_resolve(void **slot)
{
	if (slot >= vgpu_shim_cuda_table && slot < vgpu_shim_cuda_table + VGPU_SHIM_NCUDA) {
		if (loading)
			return (void *)cuda_unusable;
		if (vgpu_shim_load_cuda() == 0)
			return resolve_one(&cuda_lib, (int)(slot - vgpu_shim_cuda_table));
	} else if (slot >= vgpu_shim_nvml_table && slot < vgpu_shim_nvml_table + VGPU_SHIM_NNVML) {
		if (loading)
			return (void *)nvml_unusable;
		if (vgpu_shim_load_nvml() == 0)
			return resolve_one(&nvml_lib, (int)(slot - vgpu_shim_nvml_table));
	} else {
		return (void *)cuda_unusable;
	}
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* ---- what shim_dl.c needs ------------------------------------------------ */

int vgpu_shim_from_real(void *caller)
{
	struct link_map *lm = NULL;
	Dl_info info;

	if (!caller || !dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return 0;
	return (cuda_lib.map && lm == cuda_lib.map) || (nvml_lib.map && lm == nvml_lib.map);
}

/* ---- constructor and fork ---------------------------------------------- */

static void atfork_child(void)
{
	vgpu_track_reset();
	vgpu_shim_acct_atfork_child();
	vgpu_shim_ctx_atfork_child();
	vgpu_shim_mem_atfork_child();
	vgpu_shim_sm_atfork_child();
}

__attribute__((constructor)) static void shim_init(void)
{
	/* The launcher's copy in the task's private /etc wins over the
	 * environment, which the job's user controls. */
	const char *path = access(VGPU_STEPDESC_PINNED, R_OK) == 0 ?
				   VGPU_STEPDESC_PINNED :
				   getenv(VGPU_STEPDESC_ENV); /* the only getenv of the shim */
	vgpu_err_t err;

	if (!path || !path[0]) {
		snprintf(vgpu_shim.error, sizeof(vgpu_shim.error), "%s is not set: no step description",
			 VGPU_STEPDESC_ENV);
	} else if (vgpu_stepdesc_load(path, &vgpu_shim.desc, &err) != 0) {
		snprintf(vgpu_shim.error, sizeof(vgpu_shim.error), "%s", err.msg);
	} else {
		vgpu_shim.ok = 1;
		vgpu_shim_log_level = (int)vgpu_shim.desc.log_level;
		vgpu_shim_sm_init();
	}
	vgpu_shim_self_map();
	vgpu_shim_dl_real_dlopen();
	pthread_atfork(NULL, NULL, atfork_child);
}
