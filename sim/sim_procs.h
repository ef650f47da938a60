/*
 * sim_procs.h - the table the simulated cuGetProcAddress answers from: one
 * row per exported entry point (sim_cuda_stubs.c).
 */
#ifndef VGPU_SIM_PROCS_H
#define VGPU_SIM_PROCS_H

#include <stddef.h>

struct simcu_proc {
	const char *base; /* the name cuGetProcAddress is asked for */
	int version;      /* the CUDA version that selects this symbol */
	int per_thread;   /* a _ptds / _ptsz variant */
	void *fn;
};

/* All rows; *n gets their count. */
const struct simcu_proc *vgpu_simcu_procs(size_t *n);

#endif
