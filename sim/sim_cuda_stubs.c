/*
 * sim_cuda_stubs.c - the simulated libcuda.so.1 exports every entry point a
 * real CUDA 13.0 driver exports (src/include/vgpu_cuda_exports.def, from
 * cudaTypedefs.h and NVIDIA's stub library). Those the simulator does not
 * implement return CUDA_ERROR_NOT_SUPPORTED: they are defined here WEAK, so
 * the implementations in the other sim_cuda*.c files replace them at link
 * time. This file also holds the table cuGetProcAddress answers from (it
 * may name every symbol: no prototype is in scope here).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>

#include "vgpu_cuda_abi.h"
#include "sim_procs.h"

#define X(sym, base, ver, pt)                              \
	int sym(void) __attribute__((weak));               \
	int sym(void)                                      \
	{                                                  \
		return VGPU_CUDA_ERROR_NOT_SUPPORTED;      \
	}
#include "vgpu_cuda_exports.def"
#undef X

#define X(sym, base, ver, pt) { #base, ver, sizeof(#pt) > 1, (void *)sym },
static const struct simcu_proc procs[] = {
#include "vgpu_cuda_exports.def"
};
#undef X

const struct simcu_proc *vgpu_simcu_procs(size_t *n)
{
	*n = sizeof(procs) / sizeof(procs[0]);
	return procs;
}
