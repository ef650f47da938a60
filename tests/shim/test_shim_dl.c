/*
 * test_shim_dl - the loader's routes to the driver library (doc/shim.md "The
 * driver library"). tests/shim/dlprobe reaches the simulated CUDA driver
 * through one route and allocates 4 GiB through what it got, in a step with
 * a 2 GiB slice. Each route is run twice:
 *  - without the shim (the control): the route really reaches the driver
 *    (the 4 GiB are allocated), so the check below it can fail;
 *  - under the shim: the route ends at the shim (or is refused, with a
 *    dlerror() reason) and the 4 GiB are CUDA_ERROR_OUT_OF_MEMORY.
 * Routes: a symlink, a copy, a hard link, /proc/self/fd/N, a bare name on
 * LD_LIBRARY_PATH that is a symlink, libc's dlopen reached through
 * dlsym(RTLD_NEXT) (held before too: RTLD_NEXT from the program is the
 * shim), dlvsym (both versions), dlsym on libc's handle, libc's dlsym
 * through dlvsym, a second library's dlopen, $ORIGIN in the name, a copy
 * that a RTLD_DEEPBIND library loads with libc's dlopen (its handle is the
 * copy's; what the program looks up in it is the shim's), dlmopen(LM_ID_NEWLM) of the
 * driver and of a copy (also through dlvsym), and dlmopen of a library that
 * would load the driver inside its namespace. Also: other libraries are
 * left alone (dlopen, dlmopen), a copy of NVML gives the shim.
 */
#include "shimtest.h"

#include <limits.h>

#define SLICE (2 * GIB)
#define ASK "4294967296"

#if defined(__aarch64__)
#define BASE_VERSION "GLIBC_2.17"
#else
#define BASE_VERSION "GLIBC_2.2.5"
#endif

static char real_cuda[PATH_MAX], real_nvml[PATH_MAX];

/* The sanitizer runtimes refuse RTLD_DEEPBIND and do not follow a program
 * into another link-map namespace (a second libc there, without them): in
 * those builds the routes that need either are skipped. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NO_NAMESPACES "the sanitizer runtimes support neither RTLD_DEEPBIND nor dlmopen namespaces"
#else
#define NO_NAMESPACES ""
#endif

static int skip_namespaces(const char *what)
{
	if (!NO_NAMESPACES[0])
		return 0;
	printf("ok %d # SKIP %s: %s\n", ++t_n, what, NO_NAMESPACES);
	return 1;
}

/* Run dlprobe ARGS (with or without the shim); its two answers. */
static void run(struct scen *s, int shim, const char *const *extra, const char *const *args, char *handle,
		char *alloc)
{
	char *out = NULL;

	probe_run(s, shim, extra, args, &out, NULL);
	snprintf(handle, 600, "%s", line_of(out, "handle: ", 0));
	snprintf(alloc, 64, "%s", line_of(out, "alloc: ", 0));
	free(out);
}

/* The route args must reach the driver without the shim and end at the
 * shim under it (REFUSED: a NULL handle with the shim's reason; LOOKUP: the
 * handle is another object's, but what is looked up in it is the shim's;
 * NS: the route needs RTLD_DEEPBIND or a namespace). */
enum { SHIM = 0, REFUSED = 1, LOOKUP = 2, NS = 4 };

static void held(struct scen *s, const char *what, const char *const *extra, const char *const *args, int how)
{
	char handle[600], alloc[64];

	if ((how & NS) && skip_namespaces(what))
		return;
	how &= ~NS;

	run(s, 0, extra, args, handle, alloc);
	check(strcmp(alloc, "0") == 0,
	      "%s: without the shim the route reaches the driver (4 GiB allocated: alloc %s, %s)", what,
	      alloc, handle);
	run(s, 1, extra, args, handle, alloc);
	if (how == LOOKUP)
		check(strcmp(handle, "shim") != 0, "%s: under the shim the handle is not the shim's (%s)",
		      what, handle);
	else if (how == REFUSED)
		check(strncmp(handle, "null ", 5) == 0 && strstr(handle, "slurm-vgpu") != NULL,
		      "%s: under the shim it is refused, and dlerror() says why (%s)", what, handle);
	else
		check(strcmp(handle, "shim") == 0, "%s: under the shim it gives the shim (%s)", what, handle);
	check(strcmp(alloc, "0") != 0, "%s: under the shim 4 GiB of a 2 GiB slice are not had (alloc %s)",
	      what, alloc);
}

static void link_or_copy(const char *from, const char *to, int symbolic)
{
	if (symbolic ? symlink(from, to) != 0 : link(from, to) != 0) {
		fprintf(stderr, "%s %s -> %s: %s\n", symbolic ? "symlink" : "link", from, to, strerror(errno));
		exit(99);
	}
}

/* A hard link to the real driver: beside the test in the build tree when
 * $TMPDIR is another file system. Its path in buf; 0 when made. */
static int hard_link(const struct scen *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s/hard.so", s->dir);
	if (link(real_cuda, buf) == 0)
		return 0;
	snprintf(buf, len, "%s", build_path("tests/shim/dl-hardlink.so"));
	unlink(buf);
	return link(real_cuda, buf);
}

int main(void)
{
	char sym[700], copy[700], nvcopy[700], lp[700], lpenv[720], hard[1100], helper[1100], origin[2048];
	struct scen s;

	scen_init(&s, "sim/nodes/a100x2.json", "dl");
	scen_gpu(&s, 0, SLICE, gpu_ctx(&s, 0));
	scen_write(&s);
	probe_program = "tests/shim/dlprobe";
	if (!realpath(s.desc.cuda_path, real_cuda) || !realpath(s.desc.nvml_path, real_nvml)) {
		fprintf(stderr, "the simulated driver is not built: %s\n", s.desc.cuda_path);
		return 99;
	}
	snprintf(helper, sizeof(helper), "%s", build_path("tests/shim/.libs/libdlhelper.so"));
	snprintf(sym, sizeof(sym), "%s/libsym.so", s.dir);
	link_or_copy(real_cuda, sym, 1);
	snprintf(copy, sizeof(copy), "%s/libcopy.so", s.dir);
	copy_file(real_cuda, copy);
	snprintf(nvcopy, sizeof(nvcopy), "%s/libnvcopy.so", s.dir);
	copy_file(real_nvml, nvcopy);
	snprintf(lp, sizeof(lp), "%s/lp", s.dir);
	mkdir(lp, 0700);
	snprintf(lpenv, sizeof(lpenv), "%s/libroute.so", lp);
	link_or_copy(real_cuda, lpenv, 1);
	snprintf(lpenv, sizeof(lpenv), "LD_LIBRARY_PATH=%s", lp);
	/* $ORIGIN is the probe's directory: up from there to the copy */
	{
		char probe[PATH_MAX];
		size_t len;

		if (!realpath(build_path("tests/shim/dlprobe"), probe))
			return 99;
		len = (size_t)snprintf(origin, sizeof(origin), "$ORIGIN");
		for (char *c = strchr(probe + 1, '/'); c && len + 3 < sizeof(origin); c = strchr(c + 1, '/'))
			len += (size_t)snprintf(origin + len, sizeof(origin) - len, "/..");
		snprintf(origin + len, sizeof(origin) - len, "%s", copy);
	}

	{
		const char *a[] = { "open", sym, ASK, NULL };
		held(&s, "dlopen of a symlink to the driver", NULL, a, SHIM);
	}
	{
		const char *a[] = { "open", copy, ASK, NULL };
		held(&s, "dlopen of a copy of the driver", NULL, a, SHIM);
	}
	if (hard_link(&s, hard, sizeof(hard)) == 0) {
		const char *a[] = { "open", hard, ASK, NULL };
		held(&s, "dlopen of a hard link to the driver", NULL, a, SHIM);
		if (strncmp(hard, s.dir, strlen(s.dir)) != 0)
			unlink(hard);
	} else {
		printf("ok %d # SKIP a hard link to %s cannot be made: %s\n", ++t_n, real_cuda,
		       strerror(errno));
	}
	{
		const char *a[] = { "fd", real_cuda, ASK, NULL };
		held(&s, "dlopen of /proc/self/fd/N open on the driver", NULL, a, SHIM);
	}
	{
		const char *a[] = { "open", "libroute.so", ASK, NULL }, *env[] = { lpenv, NULL };
		held(&s, "dlopen of a bare name on LD_LIBRARY_PATH, a symlink to the driver", env, a, SHIM);
	}
	{
		const char *a[] = { "next", real_cuda, ASK, NULL };
		held(&s, "libc's dlopen through dlsym(RTLD_NEXT), by path", NULL, a, SHIM);
	}
	{
		const char *a[] = { "vsym", "GLIBC_2.34", real_cuda, ASK, NULL };
		held(&s, "libc's dlopen through dlvsym(RTLD_NEXT, GLIBC_2.34)", NULL, a, SHIM);
	}
	{
		const char *a[] = { "vsym", BASE_VERSION, real_cuda, ASK, NULL };
		held(&s, "libc's dlopen through dlvsym(RTLD_NEXT, " BASE_VERSION ")", NULL, a, SHIM);
	}
	{
		const char *a[] = { "libc", copy, ASK, NULL };
		held(&s, "dlsym(libc's handle, dlopen) of a copy", NULL, a, SHIM);
	}
	{
		const char *a[] = { "vdlsym", "GLIBC_2.34", real_cuda, ASK, NULL };
		held(&s, "libc's dlsym through dlvsym(RTLD_NEXT, GLIBC_2.34) asked for libc's dlopen", NULL,
		     a, SHIM);
	}
	{
		const char *a[] = { "helper", helper, copy, ASK, NULL };
		held(&s, "a second library's dlopen of a copy", NULL, a, SHIM);
	}
	{
		const char *a[] = { "open", origin, ASK, NULL };
		held(&s, "dlopen of $ORIGIN/... naming a copy", NULL, a, SHIM);
	}
	{
		const char *a[] = { "dhelper", helper, copy, ASK, NULL };
		held(&s, "a copy loaded by a RTLD_DEEPBIND library's dlopen (libc's), used through dlsym",
		     NULL, a, LOOKUP | NS);
	}
	{
		const char *a[] = { "mopen", real_cuda, ASK, NULL };
		held(&s, "dlmopen(LM_ID_NEWLM) of the driver", NULL, a, SHIM | NS);
	}
	{
		const char *a[] = { "mopen", copy, ASK, NULL };
		held(&s, "dlmopen(LM_ID_NEWLM) of a copy", NULL, a, SHIM | NS);
	}
	{
		const char *a[] = { "vmopen", "GLIBC_2.34", copy, ASK, NULL };
		held(&s, "libc's dlmopen through dlvsym(RTLD_NEXT, GLIBC_2.34)", NULL, a, SHIM | NS);
	}
	{
		const char *a[] = { "mhelper", helper, copy, ASK, NULL };
		held(&s, "dlmopen(LM_ID_NEWLM) of a library that loads the driver there", NULL, a,
		     REFUSED | NS);
	}
	/* what is not the driver is left alone */
	{
		const char *a[] = { "open", helper, ASK, NULL }, *b[] = { "mopen", "libm.so.6", ASK, NULL },
			   *c[] = { "open", "libm.so.6", ASK, NULL }, *n[] = { "open", nvcopy, ASK, NULL };
		char handle[600], alloc[64];

		run(&s, 1, NULL, a, handle, alloc);
		check(strcmp(handle, "other") == 0, "another library by path is itself (%s)", handle);
		run(&s, 1, NULL, c, handle, alloc);
		check(strcmp(handle, "other") == 0, "another library by bare name is itself (%s)", handle);
		if (!skip_namespaces("dlmopen(LM_ID_NEWLM) of a library that loads nothing")) {
			run(&s, 1, NULL, b, handle, alloc);
			check(strcmp(handle, "other") == 0,
			      "dlmopen(LM_ID_NEWLM) of a library that loads nothing is allowed (%s)", handle);
		}
		run(&s, 1, NULL, n, handle, alloc);
		check(strcmp(handle, "shim") == 0, "dlopen of a copy of NVML gives the shim (%s)", handle);
	}
	scen_free(&s);
	return done();
}
