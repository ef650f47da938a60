/*
 * dlprobe.c - the program test_shim_dl runs under the shim: it reaches a
 * library through one of the loader's routes, says what it got, and, when
 * that is a CUDA driver, allocates through it.
 *
 *   dlprobe ROUTE ARG... BYTES
 *   open PATH              dlopen(PATH)
 *   fd PATH                open(PATH), dlopen("/proc/self/fd/N")
 *   next PATH              dlsym(RTLD_NEXT, "dlopen"), then that (PATH)
 *   vsym VERSION PATH      dlvsym(RTLD_NEXT, "dlopen", VERSION), then that
 *   libc PATH              dlsym(dlopen("libc.so.6"), "dlopen"), then that
 *   vdlsym VERSION PATH    dlvsym(RTLD_NEXT, "dlsym", VERSION) asked for
 *                          libc's "dlopen", then that
 *   mopen PATH             dlmopen(LM_ID_NEWLM, PATH)
 *   vmopen VERSION PATH    dlvsym(RTLD_NEXT, "dlmopen", VERSION), then that
 *                          (LM_ID_NEWLM, PATH)
 *   helper LIB PATH        dlopen(LIB), its dlhelper_open(PATH)
 *   mhelper LIB PATH       dlmopen(LM_ID_NEWLM, LIB), its dlhelper_open(PATH)
 *   dhelper LIB PATH       dlopen(LIB, RTLD_DEEPBIND), its dlhelper_open(PATH)
 *                          (its dlopen binds to libc's, not the shim's)
 * Prints "handle: shim|other|null[ DLERROR]"; then, for a handle that has
 * cuMemAlloc_v2: cuInit, device 0's primary context, one cuMemAlloc_v2
 * of BYTES: "alloc: RC" (RC the CUresult; "alloc: none" otherwise).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void *(*open_fn)(const char *, int);
typedef void *(*mopen_fn)(Lmid_t, const char *, int);
typedef void *(*sym_fn)(void *, const char *);
typedef int (*init_fn)(unsigned int);
typedef int (*retain_fn)(void **, int);
typedef int (*set_fn)(void *);
typedef int (*alloc_fn)(unsigned long long *, size_t);

static void *route(int argc, char **argv)
{
	const char *r = argv[1];
	char fdpath[64];
	void *libc, *h;

	if (strcmp(r, "open") == 0 && argc > 2)
		return dlopen(argv[2], RTLD_NOW);
	if (strcmp(r, "fd") == 0 && argc > 2) {
		int fd = open(argv[2], O_RDONLY);

		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		return fd < 0 ? NULL : dlopen(fdpath, RTLD_NOW);
	}
	if (strcmp(r, "next") == 0 && argc > 2) {
		open_fn o = (open_fn)dlsym(RTLD_NEXT, "dlopen");

		return o ? o(argv[2], RTLD_NOW) : NULL;
	}
	if (strcmp(r, "vsym") == 0 && argc > 3) {
		open_fn o = (open_fn)dlvsym(RTLD_NEXT, "dlopen", argv[2]);

		return o ? o(argv[3], RTLD_NOW) : NULL;
	}
	if (strcmp(r, "libc") == 0 && argc > 2) {
		open_fn o;

		libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
		o = libc ? (open_fn)dlsym(libc, "dlopen") : NULL;
		return o ? o(argv[2], RTLD_NOW) : NULL;
	}
	if (strcmp(r, "vdlsym") == 0 && argc > 3) {
		sym_fn s = (sym_fn)dlvsym(RTLD_NEXT, "dlsym", argv[2]);
		open_fn o;

		libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
		o = s && libc ? (open_fn)s(libc, "dlopen") : NULL;
		return o ? o(argv[3], RTLD_NOW) : NULL;
	}
	if (strcmp(r, "mopen") == 0 && argc > 2)
		return dlmopen(LM_ID_NEWLM, argv[2], RTLD_NOW);
	if (strcmp(r, "vmopen") == 0 && argc > 3) {
		mopen_fn m = (mopen_fn)dlvsym(RTLD_NEXT, "dlmopen", argv[2]);

		return m ? m(LM_ID_NEWLM, argv[3], RTLD_NOW) : NULL;
	}
	if ((strcmp(r, "helper") == 0 || strcmp(r, "mhelper") == 0 || strcmp(r, "dhelper") == 0) && argc > 3) {
		open_fn o;

		h = r[0] == 'm' ? dlmopen(LM_ID_NEWLM, argv[2], RTLD_NOW)
				: dlopen(argv[2], RTLD_NOW | (r[0] == 'd' ? RTLD_DEEPBIND : 0));
		o = h ? (open_fn)dlsym(h, "dlhelper_open") : NULL;
		return o ? o(argv[3], RTLD_NOW) : NULL;
	}
	fprintf(stderr, "dlprobe: unknown route or missing argument: %s\n", r);
	exit(99);
}

int main(int argc, char **argv)
{
	void *h, *self;
	alloc_fn alloc;
	const char *err;
	char why[1024];

	if (argc < 3) {
		fprintf(stderr, "usage: dlprobe ROUTE ARG... BYTES\n");
		return 99;
	}
	dlerror();
	h = route(argc - 1, argv);
	err = h ? NULL : dlerror();
	/* the next dl call may free what dlerror returned */
	snprintf(why, sizeof(why), "%s%s", err ? " " : "", err ? err : "");
	self = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	printf("handle: %s%s\n", !h ? "null" : h == self ? "shim" : "other", why);
	alloc = h ? (alloc_fn)dlsym(h, "cuMemAlloc_v2") : NULL;
	if (alloc) {
		init_fn init = (init_fn)dlsym(h, "cuInit");
		retain_fn retain = (retain_fn)dlsym(h, "cuDevicePrimaryCtxRetain");
		set_fn set = (set_fn)dlsym(h, "cuCtxSetCurrent");
		unsigned long long p = 0;
		void *ctx = NULL;
		int rc = init && retain && set ? init(0) : -1;

		if (rc == 0)
			rc = retain(&ctx, 0);
		if (rc == 0)
			rc = set(ctx);
		if (rc == 0)
			rc = alloc(&p, (size_t)strtoull(argv[argc - 1], NULL, 10));
		printf("alloc: %d\n", rc);
	} else {
		printf("alloc: none\n");
	}
	fflush(stdout);
	return 0;
}
