/*
 * test_dlelf - the shim's ELF identity reader (src/shim/shim_dlelf.c) on
 * files of known identity: the fuzz seeds (tests/fuzz/corpus/dlelf: a
 * library with a GNU hash table, one with soname libcuda.so.1, one that
 * defines cuInit with a SysV hash table only, one with soname
 * libnvidia-ml.so.1 and both tables, a bare ELF header, a linker script),
 * the built shim and simulated driver/NVML, NVIDIA's stub libcuda.so and
 * libcudart.so where the CUDA toolkit is installed, and libc (which
 * exports neither entry point). TAP.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim_dl.h"

static int n, failed;
static char path_buf[2048];

static void expect(const char *dir, const char *file, int want)
{
	char path[2048];
	int fd, k;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	k = fd < 0 ? -2 : vgpu_shim_dlelf_fd_kind(fd);
	if (fd >= 0)
		close(fd);
	n++;
	failed += k != want;
	printf("%sok %d - %s: kind %d, want %d\n", k == want ? "" : "not ", n, file, k, want);
}

int main(void)
{
	const char *src = getenv("VGPU_SRCDIR"), *build = getenv("VGPU_BUILDDIR");
	char corpus[1024], shim[1024], sim[1024];

	snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/dlelf", src ? src : "..");
	snprintf(shim, sizeof(shim), "%s/src/shim/.libs", build ? build : ".");
	snprintf(sim, sizeof(sim), "%s/sim/.libs", build ? build : ".");
	expect(corpus, "01-other-gnuhash", VGPU_SHIM_DL_OTHER);
	expect(corpus, "02-cuda-soname", VGPU_SHIM_DL_CUDA);
	expect(corpus, "03-cuinit-sysvhash", VGPU_SHIM_DL_CUDA);
	expect(corpus, "04-nvml-soname-both", VGPU_SHIM_DL_NVML);
	expect(corpus, "05-header-only", -1);
	expect(corpus, "06-linker-script", -1);
	expect(shim, "libcuda.so.1", VGPU_SHIM_DL_CUDA);
	expect(sim, "libcuda.so.1", VGPU_SHIM_DL_CUDA);
	expect(sim, "libnvidia-ml.so.1", VGPU_SHIM_DL_NVML);
	/* NVIDIA's own files, where the CUDA toolkit is installed: the stub
	 * driver (soname libcuda.so.1) and the runtime (which is no driver) */
	{
		const char *cuda = getenv("VGPU_CUDA_DIR") ? getenv("VGPU_CUDA_DIR") : "/usr/local/cuda";
		char stubs[1024], lib[1024];

		snprintf(stubs, sizeof(stubs), "%s/lib64/stubs", cuda);
		snprintf(lib, sizeof(lib), "%s/lib64", cuda);
		snprintf(path_buf, sizeof(path_buf), "%s/libcuda.so", stubs);
		if (access(path_buf, R_OK) == 0) {
			expect(stubs, "libcuda.so", VGPU_SHIM_DL_CUDA);
			expect(lib, "libcudart.so", VGPU_SHIM_DL_OTHER);
		} else {
			printf("ok %d # SKIP NVIDIA's stub libcuda.so and libcudart.so: no CUDA toolkit at %s\n",
			       ++n, cuda);
		}
	}
#if defined(__x86_64__)
	expect("/lib/x86_64-linux-gnu", "libc.so.6", VGPU_SHIM_DL_OTHER);
#elif defined(__aarch64__)
	expect("/lib/aarch64-linux-gnu", "libc.so.6", VGPU_SHIM_DL_OTHER);
#endif
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
