/*
 * vgpu_slurmcheck.h - what slurm-vgpu checks about the Slurm it runs under
 * (Slurm-free; the plugins and `vgpu conf --slurm-conf` are thin over it):
 *
 *  - the release a plugin was built for against the release that loaded
 *    it. Slurm refuses cli_filter and job_submit plugins of another release
 *    to the micro version, SPANK plugins of another major.minor, with one
 *    terse line ("Incompatible Slurm plugin ... version (22.05.8)"); the
 *    plugins say at load which release they need and what to do;
 *  - SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ (Slurm 23.11+), which
 *    lets Slurm split one job's shards over several GPUs (also small
 *    requests: shard:50 ran as 30 on GPU 0 + 20 on GPU 1): a slice then
 *    has no GPU of its own and cannot be enforced. Found in a
 *    SelectTypeParameters value, in slurm.conf text, and in a slice step's
 *    GPU list (two GPUs);
 *  - whether a GRES string asks for a slice (shard or vgpu items).
 *
 * Release numbers are SLURM_VERSION_NUMBER's encoding: major << 16 |
 * minor << 8 | micro (22.05.8 = 0x160508).
 */
#ifndef VGPU_SLURMCHECK_H
#define VGPU_SLURMCHECK_H

#include <stddef.h>

#include "vgpu_error.h"

#define VGPU_SLURMCHECK_NUM(a, b, c) (((unsigned)(a) << 16) | ((unsigned)(b) << 8) | (unsigned)(c))

/* Bytes (with NUL) of a release message; enough for every message here. */
#define VGPU_SLURMCHECK_MSG_MAX 640

/* The release in text ("22.05.8", "slurm 22.05.8\n" as Slurm's
 * print_slurm_version writes it, "25.05.0-0rc1"): an optional first word
 * and blanks, then MAJOR.MINOR.MICRO, each 0-255; anything after MICRO
 * that does not start with a digit is ignored. 0 with *num, or -1 with err
 * ("Slurm release 'x': expected MAJOR.MINOR.MICRO such as 22.05.8"). */
int vgpu_slurmcheck_release_parse(const char *text, unsigned *num, vgpu_err_t *err);

/* "22.05.8" (minor with two digits, as Slurm writes it) of num into buf
 * (len bytes). Returns buf. */
const char *vgpu_slurmcheck_release_text(unsigned num, char *buf, size_t len);

/* How a plugin's release must match the running Slurm. */
typedef enum vgpu_slurmcheck_match {
	VGPU_SLURMCHECK_EXACT,          /* cli_filter, job_submit: to the micro */
	VGPU_SLURMCHECK_MAJOR_MINOR     /* SPANK */
} vgpu_slurmcheck_match_t;

/* A Slurm release as a plugin can know it: `release` (0: unknown) and the
 * API version (slurm_api_version(): current << 16 | age << 8 | revision,
 * one `current` per major.minor; 0: unknown). */
typedef struct vgpu_slurmcheck_slurm {
	unsigned release;
	long api;
} vgpu_slurmcheck_slurm_t;

/* Does the Slurm that loaded plugin `plugin` ("cli_filter/vgpu") take a
 * plugin built for `built`? Compared by release when both are known, else
 * by API `current` (which differs between major.minor releases only).
 * Returns 0 when it does or cannot be told, 1 when it does not, with the
 * sentence to print in msg (len bytes; VGPU_SLURMCHECK_MSG_MAX suffices):
 * "cli_filter/vgpu: built for Slurm 22.05.8 but loaded into Slurm 24.11.5:
 * Slurm refuses cli_filter and job_submit plugins of another release (to
 * the micro version); rebuild slurm-vgpu against this Slurm's headers ...". */
int vgpu_slurmcheck_release_match(const char *plugin, const vgpu_slurmcheck_slurm_t *built,
				  const vgpu_slurmcheck_slurm_t *running, vgpu_slurmcheck_match_t match,
				  char *msg, size_t len);

/* The Slurm of this process, told without Slurm's headers: its API version
 * (slurm_api_version()) and its release (the text print_slurm_version()
 * writes, "slurm 24.11.5", read by pointing glibc's stdout at a memory
 * stream for the call), both found with dlsym in the global scope, where
 * every Slurm program has libslurmfull. 0 in each field that is not there
 * (a program without Slurm). A thread writing to stdout at that moment
 * loses its text: call it once, while a plugin is loaded. */
void vgpu_slurmcheck_running(vgpu_slurmcheck_slurm_t *out);

/* The load-time check of a plugin, for its constructor (it runs inside
 * dlopen, before Slurm checks plugin_version and refuses with one terse
 * line, and before init()): compares `built` with vgpu_slurmcheck_running
 * as `match` requires; on a mismatch prints the release message once,
 * through slurm_error when the process has it (a client's goes to its
 * stderr, a daemon's to its log) and, in Slurm's daemons or without
 * slurm_error, on stderr; then makes the object holding `self` (an address
 * inside the plugin) stay loaded (RTLD_NODELETE), so that Slurm opening it
 * again (plugin_peek) does not run the constructor again. Returns 1 when it
 * printed, 0 otherwise. */
int vgpu_slurmcheck_plugin_loaded(const char *plugin, vgpu_slurmcheck_match_t match,
				  const vgpu_slurmcheck_slurm_t *built, const void *self);

/* Is `prog` (a program's short name) one of Slurm's daemons (slurmctld,
 * slurmd, slurmstepd, slurmdbd, slurmrestd, slurmscriptd: "slurm" and a
 * lower-case letter), whose log is not their stderr? 1 or 0. Clients
 * (srun, sbatch, salloc, ...) log to stderr. */
int vgpu_slurmcheck_is_daemon(const char *prog);

/* The SelectTypeParameters item that lets one job's shards span GPUs. */
#define VGPU_SLURMCHECK_MULTI_SHARING "MULTIPLE_SHARING_GRES_PJ"

/* Why a slice is refused under it: one sentence that names the setting,
 * for every layer's message. */
#define VGPU_SLURMCHECK_MULTI_SHARING_WHY                                                     \
	"this cluster's slurm.conf has SelectTypeParameters=...," VGPU_SLURMCHECK_MULTI_SHARING  \
	", which lets Slurm split one job's shards over several GPUs, so a GPU slice "          \
	"(--gres=shard, --gres=vgpu) would have no GPU of its own: slurm-vgpu refuses slices "  \
	"until the administrator removes " VGPU_SLURMCHECK_MULTI_SHARING                        \
	" from SelectTypeParameters"

/* Does a SelectTypeParameters value ("CR_Core,MULTIPLE_SHARING_GRES_PJ":
 * items separated by ',', blanks around them and case ignored, as Slurm
 * reads them) hold VGPU_SLURMCHECK_MULTI_SHARING? 1 or 0 (NULL: 0). */
int vgpu_slurmcheck_multi_sharing(const char *value);

/* Does a GRES or TRES string ask for a slice: an item (separated by ',' or
 * ';'; a leading "gres:" or "gres/" dropped) named shard or vgpu, e.g.
 * "shard:10", "gres/shard:h100:10", "vgpu:mem=10G", "gpu:1,shard"? 1 or 0
 * (NULL, "", "(null)": 0). */
int vgpu_slurmcheck_gres_slice(const char *gres);

/* How many GPUs a GPU list names: Slurm's indices ("0", "0,1", ranges
 * "0-3"), or CUDA_VISIBLE_DEVICES's indices or UUIDs ("GPU-...,MIG-...").
 * 0 for NULL or ""; -1 for a list it cannot read (an empty entry, a range
 * that is not LOW-HIGH with LOW <= HIGH <= 65535). */
int vgpu_slurmcheck_gpu_count(const char *list);

/* A slice step's GPU variables (NULL or "": unset). */
typedef struct vgpu_slurmcheck_step_env {
	const char *step_gpus;          /* SLURM_STEP_GPUS */
	const char *job_gpus;           /* SLURM_JOB_GPUS (batch step) */
	const char *cuda_visible;       /* CUDA_VISIBLE_DEVICES */
} vgpu_slurmcheck_step_env_t;

/* The one GPU a step holding shards sits on: SLURM_STEP_GPUS, else
 * SLURM_JOB_GPUS, one index 0-1023. Refused (-1 with err) when any of the
 * three variables names two or more GPUs (MULTIPLE_SHARING_GRES_PJ spread
 * the step's shards: "SLURM_STEP_GPUS='0,1': this step's shards are on 2
 * GPUs: " + VGPU_SLURMCHECK_MULTI_SHARING_WHY), when neither Slurm variable
 * is set, or when the index cannot be read. 0 with *index. */
int vgpu_slurmcheck_slice_gpu(const vgpu_slurmcheck_step_env_t *env, unsigned *index,
			      vgpu_err_t *err);

/* What vgpu_slurmcheck_conf_scan found in a slurm.conf. */
#define VGPU_SLURMCHECK_FINDINGS 16
typedef struct vgpu_slurmcheck_conf {
	int multi_sharing;              /* a SelectTypeParameters line holds it */
	unsigned select_lines;          /* SelectTypeParameters lines seen */
	unsigned nwarn;                 /* findings[] that are warnings (first) */
	unsigned nfind;                 /* findings kept (at most FINDINGS) */
	unsigned dropped;               /* findings beyond FINDINGS */
	char findings[VGPU_SLURMCHECK_FINDINGS][VGPU_ERR_MAX];
} vgpu_slurmcheck_conf_t;

/* Scan slurm.conf text (len bytes; NULs end nothing) named `name` in the
 * findings, each "NAME:LINE: ...": a warning for every SelectTypeParameters
 * line holding MULTIPLE_SHARING_GRES_PJ ("NAME:12:
 * SelectTypeParameters=CR_Core,MULTIPLE_SHARING_GRES_PJ: " + why), then
 * notes: an Include line ("not followed: check that file too"). slurm.conf
 * syntax: KEY=VALUE words separated by blanks, keys in any case, '#' to the
 * end of the line a comment ("\#" is not), a '\' at the end of a line joins
 * the next, a value in double quotes may hold blanks. Always succeeds. */
void vgpu_slurmcheck_conf_scan(const char *text, size_t len, const char *name,
			       vgpu_slurmcheck_conf_t *rep);

#endif
