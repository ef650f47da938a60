/*
 * fuzz_dlelf.c - libFuzzer target for the shim's ELF identity reader
 * (src/shim/shim_dlelf.c), which reads files a job's user chooses (any path
 * given to dlopen) to decide whether they are the CUDA driver or NVML.
 *
 * The input is written to a memfd and read through vgpu_shim_dlelf_fd_kind.
 * Invariants (abort() on violation):
 *  - the answer is -1 (no shared object), OTHER, CUDA or NVML;
 *  - a file shorter than an ELF header, or not starting with the ELF
 *    magic, is -1;
 *  - reading is deterministic (the same answer twice).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim_dl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-dlelf", MFD_CLOEXEC), k, again;

	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	k = vgpu_shim_dlelf_fd_kind(fd);
	again = vgpu_shim_dlelf_fd_kind(fd);
	close(fd);
	if (k < -1 || k > VGPU_SHIM_DL_NVML || k != again)
		abort();
	if ((size < sizeof(Elf64_Ehdr) || memcmp(data, ELFMAG, SELFMAG) != 0) && k != -1)
		abort();
	return 0;
}
