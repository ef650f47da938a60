/*
 * vgpu_stepdesc.h - the per-step description: what the slice enforcement
 * shim (libvgpu-shim.so) enforces in one job step's processes.
 *
 * The Slurm launcher writes it (vgpu_stepdesc_write) before the step's tasks
 * start; the shim reads it ONCE when it is loaded (path in $VGPU_STEP_DESC)
 * and keeps it as an immutable structure. Text, versioned, strict:
 *
 *   vgpu-step 2                             <- first line that is not blank/comment
 *   # comment
 *   step=4242.0                             <- the step's label (optional; its key in the ledger)
 *   acct=/run/slurm-vgpu/job.4242.0/acct    <- the JOB's accounting directory (shared by its steps)
 *   cuda=/usr/lib/x86_64-linux-gnu/libcuda.so.1         <- real driver (absolute)
 *   nvml=/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1    <- real NVML (absolute)
 *   log=warn                                <- off|error|warn|info|debug (default warn)
 *   logfile=stderr                          <- "stderr" or an absolute path (default stderr)
 *   gpu uuid=GPU-8c3e...-... mem=10737418240 sm=5000 ctx=314572800
 *   job uuid=GPU-8c3e...-... mem=10737418240 sm=5000   <- the job's cap on that GPU (optional)
 *
 * One `gpu` line per GPU of the step: uuid (GPU-/MIG- + 8-4-4-4-12 hex),
 * mem = the slice's device memory in bytes (> 0), sm = SM cap in basis
 * points (1..10000, default 10000), ctx = device memory charged for each
 * CUDA context a process creates on it (0 <= ctx < mem, default 0).
 * At most one `job` line per GPU, after its gpu line: the job's cap on that
 * GPU when the launcher knows it (the batch step, which holds the job's
 * whole allocation): mem >= the gpu line's mem, sm (optional, 0 = not
 * known) >= its sm. mem values are at most VGPU_STEPDESC_MEM_MAX. Version 2
 * added the job line; version 1 is refused.
 * Scalar values run to the end of the line. Unknown keys, duplicates,
 * missing required keys (acct, cuda, nvml, one gpu), bad values: errors
 * "NAME:LINE: ...". Trailing spaces and a CR before the newline are ignored.
 */
#ifndef VGPU_STEPDESC_H
#define VGPU_STEPDESC_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"

#define VGPU_STEPDESC_VERSION 2         /* the format version this code reads and writes */
#define VGPU_STEPDESC_MEM_MAX (UINT64_C(1) << 50) /* bytes of a slice (1 PiB; the ledger's bound) */
#define VGPU_STEPDESC_MAX_GPUS 16
#define VGPU_STEPDESC_PATH_MAX 512      /* bytes of a path, with NUL */
#define VGPU_STEPDESC_LABEL_MAX 64      /* bytes of the step label, with NUL */
#define VGPU_STEPDESC_UUID_LEN 40       /* "GPU-" + 36 */
#define VGPU_STEPDESC_LINE_MAX 1024     /* bytes of one line, with NUL */
#define VGPU_STEPDESC_FILE_MAX 65536    /* vgpu_stepdesc_load reads at most this */
#define VGPU_STEPDESC_SM_FULL 10000u    /* sm= of a whole GPU */
#define VGPU_STEPDESC_ENV "VGPU_STEP_DESC"
/* Where a task of a Slurm step finds its description in its private /etc
 * (the launcher's read-only overlay; see doc/shim.md, threat model). When
 * this file exists the shim reads it and ignores VGPU_STEP_DESC, so a user
 * cannot point the shim at a description of their own. */
#define VGPU_STEPDESC_PINNED "/etc/vgpu-step.desc"

typedef enum vgpu_log_level {
	VGPU_LOG_OFF = 0,
	VGPU_LOG_ERROR = 1,
	VGPU_LOG_WARN = 2,
	VGPU_LOG_INFO = 3,
	VGPU_LOG_DEBUG = 4,
} vgpu_log_level_t;

typedef struct vgpu_stepdesc_gpu {
	char uuid[VGPU_STEPDESC_UUID_LEN + 1];  /* as written ("GPU-..." / "MIG-...") */
	uint64_t mem_bytes;                     /* slice memory limit, > 0 */
	unsigned sm_bp;                         /* SM cap, basis points 1..10000 */
	uint64_t ctx_bytes;                     /* charged per CUDA context, < mem_bytes */
	uint64_t job_mem_bytes;                 /* the job's cap on this GPU, 0 = unknown */
	unsigned job_sm_bp;                     /* the job's SM cap, 0 = unknown */
} vgpu_stepdesc_gpu_t;

typedef struct vgpu_stepdesc {
	unsigned version;
	char step[VGPU_STEPDESC_LABEL_MAX];     /* "" when not given */
	char acct_dir[VGPU_STEPDESC_PATH_MAX];
	char cuda_path[VGPU_STEPDESC_PATH_MAX];
	char nvml_path[VGPU_STEPDESC_PATH_MAX];
	vgpu_log_level_t log_level;
	char log_file[VGPU_STEPDESC_PATH_MAX];  /* "" = stderr */
	size_t ngpus;
	vgpu_stepdesc_gpu_t gpus[VGPU_STEPDESC_MAX_GPUS];
} vgpu_stepdesc_t;

/* Fill d with the defaults: version 2, log warn to stderr, everything else
 * empty/zero (not yet valid: acct, cuda, nvml and a gpu are required). */
void vgpu_stepdesc_init(vgpu_stepdesc_t *d);

/* Parse len bytes of text (need not be NUL-terminated) into *d; name names
 * the input in messages. Returns 0, or -1 with "NAME:LINE: ..." in err and
 * *d as vgpu_stepdesc_init leaves it. */
int vgpu_stepdesc_parse(const char *text, size_t len, const char *name, vgpu_stepdesc_t *d,
			vgpu_err_t *err);

/* Read and parse the file at path (at most VGPU_STEPDESC_FILE_MAX bytes).
 * Same contract; open/read errors name the path. Needs nothing but libc
 * (open, read, malloc), so the shim can call it from its constructor. */
int vgpu_stepdesc_load(const char *path, vgpu_stepdesc_t *d, vgpu_err_t *err);

/* Check that d is something vgpu_stepdesc_parse would accept (required
 * fields present, values in range, strings terminated, no newline or
 * control character, no duplicate GPU). Returns 0 or -1 with err. */
int vgpu_stepdesc_check(const vgpu_stepdesc_t *d, vgpu_err_t *err);

/* Format d (checked first) into buf of len bytes, NUL-terminated. Returns
 * the length written (without the NUL), or -1 with err when d is invalid or
 * buf is too small. vgpu_stepdesc_parse of the result gives d back. */
int vgpu_stepdesc_format(const vgpu_stepdesc_t *d, char *buf, size_t len, vgpu_err_t *err);

/* Write d to path atomically (a temporary file in the same directory,
 * renamed over path), mode 0644. Returns 0 or -1 with err. */
int vgpu_stepdesc_write(const char *path, const vgpu_stepdesc_t *d, vgpu_err_t *err);

/* The GPU of d whose uuid equals uuid (hex compared case-insensitively),
 * or NULL. */
const vgpu_stepdesc_gpu_t *vgpu_stepdesc_find_gpu(const vgpu_stepdesc_t *d, const char *uuid);

/* Name of a level ("warn"), or "?" ; and back: 0 with *out, or -1. */
const char *vgpu_stepdesc_level_name(vgpu_log_level_t level);
int vgpu_stepdesc_level_parse(const char *text, vgpu_log_level_t *out);

/* Is text a GPU or MIG UUID ("GPU-" or "MIG-" + 8-4-4-4-12 hex digits)? */
int vgpu_stepdesc_uuid_valid(const char *text);

#endif
