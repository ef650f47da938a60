/*
 * vgpu_clifilter.h - the clients' admission of --gres=vgpu:REQUEST, without
 * Slurm: the one admission path, for the C cli_filter plugin
 * (plugins/cli_filter/cli_filter_vgpu.c, CliFilterPlugins=vgpu).
 *
 * The plugin reads the options below from Slurm (slurm_option_get), calls
 * vgpu_clifilter_run, and writes back what it says to change. The rules
 * (doc/slurm-integration.md, "Admission"):
 *   - the --gres list is split at ','; a leading "gres:" or "gres/" of an
 *     item is dropped; an item "key=value" right after the vgpu item (or
 *     after such an item) continues the request (Slurm split
 *     --gres=vgpu:mem=10G,cores=25 at the ',');
 *   - vgpu twice, vgpu beside a gpu/shard/mps item, vgpu with any --gpus*
 *     option set (not "" and not "0") are refused;
 *   - the request goes through vgpu_request_parse ("--gres=vgpu") and
 *     vgpu_slurmconf_admit; their messages are the refusal's;
 *   - --constraint gets the GPU-type features (AND-ed with the user's; a
 *     user constraint with ( ) [ ] * ! cannot be combined: refused);
 *   - --gres becomes the other items and "shard:N";
 *   - sbatch: --comment becomes "[vgpu-request:CANONICAL]" (the marker
 *     VGPU_ADMIT_COMMENT_TAG job_submit/vgpu takes off) + the user's
 *     comment; salloc: nothing; srun: --export becomes
 *     "VGPU_REQUEST=CANONICAL," + the user's list without VGPU_REQUEST
 *     items (or "ALL"; "NONE" if nothing else was in it) (first: srun
 *     stops at a NONE token), other clients: the user's (or "ALL") +
 *     ",VGPU_REQUEST=CANONICAL".
 * No allocation: every value lives in the caller's vgpu_clifilter_out_t.
 */
#ifndef VGPU_CLIFILTER_H
#define VGPU_CLIFILTER_H

#include <stddef.h>

#include "vgpu_conf.h"
#include "vgpu_error.h"

/* Bytes (with NUL) of each value the filter writes, and of the vgpu request
 * text it gathers. A value that would be longer is refused (16 KiB of
 * --export or --gres is far beyond real use). */
#define VGPU_CLIFILTER_OPT_MAX 16384

typedef enum vgpu_clifilter_client {
	VGPU_CLIFILTER_SRUN,
	VGPU_CLIFILTER_SBATCH,
	VGPU_CLIFILTER_SALLOC,
	VGPU_CLIFILTER_OTHER            /* scrontab, anything else: as srun */
} vgpu_clifilter_client_t;

/* The --gpus* options that cannot go with a slice, in the order they are
 * checked (the first one set is named in the refusal). */
#define VGPU_CLIFILTER_NGPUOPTS 4
extern const char *const vgpu_clifilter_gpu_options[VGPU_CLIFILTER_NGPUOPTS];

/* The options the filter reads, as slurm_option_get gives them (NULL: not
 * set). gpus[i] is the value of vgpu_clifilter_gpu_options[i]. */
typedef struct vgpu_clifilter_in {
	vgpu_clifilter_client_t client;
	const char *gres;
	const char *constraint;
	const char *comment;
	const char *export_env;         /* --export */
	const char *gpus[VGPU_CLIFILTER_NGPUOPTS];
} vgpu_clifilter_in_t;

/* What to set. gres is set whenever vgpu_clifilter_run returns CHANGED; the
 * others only where their set_* flag is 1. req is the vgpu request text
 * gathered from --gres (for messages and tests); shards and canon are what
 * vgpu_slurmconf_admit answered. */
typedef struct vgpu_clifilter_out {
	char gres[VGPU_CLIFILTER_OPT_MAX];
	char constraint[VGPU_CLIFILTER_OPT_MAX];
	char comment[VGPU_CLIFILTER_OPT_MAX];
	char export_env[VGPU_CLIFILTER_OPT_MAX];
	int set_constraint, set_comment, set_export;
	char req[VGPU_CLIFILTER_OPT_MAX];
	unsigned long shards;
	char canon[VGPU_CLIFILTER_OPT_MAX];
} vgpu_clifilter_out_t;

#define VGPU_CLIFILTER_REFUSED (-1)    /* err says why; submit nothing */
#define VGPU_CLIFILTER_NONE 0          /* no vgpu item: change nothing */
#define VGPU_CLIFILTER_CHANGED 1       /* set out's values */
#define VGPU_CLIFILTER_NEED_CONF 2     /* conf was NULL and is needed now */

/* Apply the rules above to in. conf may be NULL: the request is then
 * checked as far as it can be without vgpu.conf, and a request that gets
 * that far returns NEED_CONF (so a caller loads vgpu.conf only for jobs
 * with a vgpu item, and a malformed request is refused with the parser's
 * message even when vgpu.conf cannot be read).
 * Returns VGPU_CLIFILTER_{NONE,CHANGED,NEED_CONF}, or REFUSED with err
 * holding the message (the plugin prints it after "vgpu: "). out
 * is always reset first; its values are meaningful only after CHANGED. */
int vgpu_clifilter_run(const vgpu_clifilter_in_t *in, const vgpu_conf_t *conf,
		       vgpu_clifilter_out_t *out, vgpu_err_t *err);

/* The client of a program name (program_invocation_short_name): "srun",
 * "sbatch", "salloc"; anything else is OTHER. */
vgpu_clifilter_client_t vgpu_clifilter_client(const char *progname);

#endif
