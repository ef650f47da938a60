/*
 * vgpu_request.h - the GPU slice request grammar, the one users type.
 *
 *   srun --gres=vgpu:mem=10G ...           (the text after "vgpu:" is parsed here)
 *   srun --vgpu=mem=10G,cores=25 ...
 *   vgpu request 'mem=10G,cores=25,type=h100'
 *
 * Grammar (doc/request.md is the reference):
 *   REQUEST := ITEM { SEP ITEM }
 *   SEP     := "," | ":"           (":" so the request survives inside --gres)
 *   ITEM    := "mem=" SIZE         memory the job's allocations get on one GPU
 *                                  (vgpu_size.h); its first context comes on top
 *            | "mem=" PCT "%"      that percentage (1..100) of what one GPU
 *                                  offers jobs, rounded down to whole shards
 *            | "share=" K "/" N    K/N of one GPU, memory and SMs (1 <= K <= N
 *                                  <= 64), rounded down to whole shards
 *            | "cores=" PCT        share of the GPU's SMs, 1..100, optional "%"
 *            | "ctx=" SIZE         memory charged per CUDA context (at least
 *                                  what a context takes on the GPU type)
 *            | "type=" NAME        GPU type as in gres.conf Type= (e.g. h100)
 *            | "gpus=" COUNT       number of GPUs, each with this slice (1..64)
 * Keys are case-insensitive; each may appear once; at least mem, share or
 * cores; share goes with neither mem nor cores.
 * NAME is 1..31 of [A-Za-z0-9_.-], starting with a letter, folded to lower
 * case.
 */
#ifndef VGPU_REQUEST_H
#define VGPU_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"

#define VGPU_NAME_MAX 32        /* GPU type names, with NUL */
#define VGPU_REQUEST_GPUS_MAX 64
#define VGPU_REQUEST_TEXT_MAX 256 /* longer requests are refused */
#define VGPU_REQUEST_SHARE_MAX 64 /* largest N of share=K/N */

typedef struct vgpu_request {
	uint64_t mem_bytes;             /* 0: not given */
	unsigned mem_pct;               /* mem=P%: 0 not given, else 1..100 */
	unsigned share_num, share_den;  /* share=K/N: 0/0 not given */
	unsigned cores_pct;             /* 0: not given, else 1..100 */
	uint64_t ctx_bytes;             /* ctx=: 0 not given */
	char type[VGPU_NAME_MAX];       /* "": any type */
	unsigned gpus;                  /* 0: not given (one GPU) */
} vgpu_request_t;

/* Parse a request. `where` names its origin in messages ("--gres",
 * "--vgpu", "argument 1"; NULL for none). Returns 0 and fills *req, or -1 with
 * a distinct message naming the offending text for: empty request, empty
 * item, item without '=', unknown key, duplicate key, empty value, bad size
 * (see vgpu_size_parse), percentage or cores out of 1..100, bad share,
 * share with mem or cores, bad type name, gpus out of range, too long, no
 * mem, share or cores. */
int vgpu_request_parse(const char *text, const char *where,
		       vgpu_request_t *req, vgpu_err_t *err);

/* Write the canonical form ("mem=10G,cores=25,ctx=512M,type=h100,gpus=2";
 * "mem=33%", "share=1/3"; fields present only when given, in the order mem,
 * share, cores, ctx, type, gpus) into buf. Parsing the canonical
 * form gives back an equal request. Returns the length (as snprintf). */
int vgpu_request_format(const vgpu_request_t *req, char *buf, size_t len);

/* Check that name is a valid GPU type NAME (1..31 of [A-Za-z0-9_.-],
 * starting with a letter); `what` starts the message ("type",
 * "vgpu.conf:3: GpuType"). Returns 0, or -1 with a message quoting name. */
int vgpu_request_check_name(const char *name, const char *what, vgpu_err_t *err);

/* Whether req asks for a part of the GPU (mem=P% or share=K/N) rather than
 * a number of bytes or SMs. */
int vgpu_request_relative(const vgpu_request_t *req);

#endif
