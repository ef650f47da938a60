/*
 * vgpu_metrics.h - metrics for Prometheus (Slurm-free): the exposition
 * text of `vgpu metrics`, built from the models behind `vgpu show`
 * (vgpu_show.h) and `vgpu show partitions` (vgpu_partview.h), what the
 * shim's ledgers hold, and the plugins' counters; and the counter files
 * those counters live in.
 *
 * Exposition (doc/metrics.md has every family): samples are added in any
 * order and rendered grouped by family, in the fixed family order of the
 * table in vgpu_metrics.c, as OpenMetrics 1.0 text (`# TYPE`, `# UNIT`,
 * `# HELP`, counters' family names without `_total`, `# EOF`) or as the
 * Prometheus text format 0.0.4 (what node_exporter's textfile collector
 * reads: no UNIT, no EOF, counters named with `_total`). Label values are
 * escaped as both formats demand (backslash, double quote, newline).
 *
 * Counters (vgpu_metrics_count.c): one file per place that counts, in the
 * counter directory beside the StateDir of vgpu.conf (vgpu_metrics_counter_dir:
 * StateDir + "-metrics", so StateDir itself holds only step state):
 * DIR/metrics.SOURCE.counters (SOURCE: the node's name for the SPANK plugin
 * in slurmstepd, the host's for job_submit in slurmctld). Lines "COUNTER
 * REASON VALUE" after a first line "# slurm-vgpu counters 1"; an increment
 * reads the file, adds one and replaces it (written whole to a temporary
 * file, then renamed) under an flock of DIR/metrics.lock, so concurrent
 * steps never lose a count and a reader never sees half a file. A file lost
 * (a reboot clears a tmpfs) restarts at zero, which Prometheus reads as a
 * counter reset.
 */
#ifndef VGPU_METRICS_H
#define VGPU_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"
#include "vgpu_partview.h"
#include "vgpu_show.h"

/* The families, in the order they are rendered. */
typedef enum vgpu_metric {
	VGPU_M_GPU_SHARDS,              /* node gpu type */
	VGPU_M_GPU_SHARDS_USED,
	VGPU_M_GPU_SHARDS_FREE,
	VGPU_M_GPU_WHOLE_HELD,
	VGPU_M_GPU_WHOLE_HOLDER,        /* node gpu job user: 1 */
	VGPU_M_GPU_LIMITS_KNOWN,
	VGPU_M_GPU_MEMORY_USABLE,
	VGPU_M_GPU_MEMORY_RESERVED,
	VGPU_M_GPU_MEMORY_FREE,
	VGPU_M_GPU_SM_RESERVED,
	VGPU_M_GPU_SM_FREE,
	VGPU_M_SLICE_SHARDS,            /* node gpu job user */
	VGPU_M_SLICE_MEMORY_LIMIT,
	VGPU_M_SLICE_SM_LIMIT,
	VGPU_M_SLICE_MEMORY_USED,       /* node gpu job (the job's ledger) */
	VGPU_M_SLICE_MEMORY_CAP,
	VGPU_M_STEP_MEMORY_LIMIT,       /* node gpu job step */
	VGPU_M_STEP_SM_LIMIT,
	VGPU_M_STEP_MEMORY_USED,
	VGPU_M_PART_NODES,              /* partition */
	VGPU_M_PART_NODES_UP,
	VGPU_M_PART_NODES_FREE,
	VGPU_M_PART_GPUS,
	VGPU_M_PART_GPUS_FREE,
	VGPU_M_PART_GPUS_WHOLE,
	VGPU_M_PART_GPUS_SLICED,
	VGPU_M_PART_JOBS,
	VGPU_M_PART_FRAGMENTATION,
	VGPU_M_PARTS_FREE,              /* no labels */
	VGPU_M_JOBS_SPANNING,
	VGPU_M_JOBS_WAITING,
	VGPU_M_STEPS_STARTED,           /* node (counter) */
	VGPU_M_STEPS_REFUSED,           /* node reason (counter) */
	VGPU_M_JOBS_REFUSED,            /* node reason (counter) */
	VGPU_M_SCRAPE_ERRORS,           /* source: parts of the view that could not be read */
	VGPU_M_COUNT
} vgpu_metric_t;

typedef enum vgpu_metrics_format {
	VGPU_METRICS_OPENMETRICS = 0,   /* application/openmetrics-text; version=1.0.0 */
	VGPU_METRICS_PROMETHEUS = 1,    /* text/plain; version=0.0.4 */
} vgpu_metrics_format_t;

typedef struct vgpu_metrics vgpu_metrics_t;

/* A new, empty set of samples, or NULL (out of memory). */
vgpu_metrics_t *vgpu_metrics_new(void);

/* Free m (NULL is fine). */
void vgpu_metrics_free(vgpu_metrics_t *m);

/* The family name of id as OpenMetrics names it (a counter's without
 * `_total`, which its samples and the 0.0.4 TYPE line add); NULL for an
 * id out of range. */
const char *vgpu_metrics_name(vgpu_metric_t id);

/* Add one sample of family id: labels is NULL or an array of name, value
 * pairs ended by a NULL name; value a finite number. A second sample with
 * the same label values is refused (it would be a duplicate series).
 * Returns 0, or -1 (bad id, NaN/infinite value, a label name that is not
 * [a-zA-Z_][a-zA-Z0-9_]*, a duplicate, out of memory) with err. */
int vgpu_metrics_add(vgpu_metrics_t *m, vgpu_metric_t id, const char *const *labels, double value,
		     vgpu_err_t *err);

/* Add the per-GPU and per-slice families of one node's model (after
 * vgpu_show_node_finish). Memory and SM figures only where the model knows
 * the limits. Returns 0 or -1 with err. */
int vgpu_metrics_add_node(vgpu_metrics_t *m, const vgpu_show_node_t *node, vgpu_err_t *err);

/* Add the per-partition families of a view (vgpu_partview_build).
 * Fragmentation only where known. 0 or -1 with err. */
int vgpu_metrics_add_parts(vgpu_metrics_t *m, const vgpu_partview_t *pv, vgpu_err_t *err);

/* Render every family with samples (families without any are left out)
 * into a malloc'ed NUL-terminated text (*len bytes). NULL when out of
 * memory. */
char *vgpu_metrics_render(const vgpu_metrics_t *m, vgpu_metrics_format_t format, size_t *len);

/* The Content-Type header value of format. */
const char *vgpu_metrics_content_type(vgpu_metrics_format_t format);

/* Escape a label value into out (backslash -> \\, " -> \", newline -> \n);
 * returns the length the escaped text needs (without the NUL), as snprintf
 * does: out holds it whole when the result is below outlen. */
size_t vgpu_metrics_escape(const char *value, char *out, size_t outlen);

/* ---- counters (vgpu_metrics_count.c) ---------------------------------- */

#define VGPU_METRICS_REASON_MAX 48
#define VGPU_METRICS_COUNTERS_MAX 64
#define VGPU_METRICS_FILE_MAX 16384
#define VGPU_METRICS_SOURCE_MAX 64

/* What a counter counts (the COUNTER word of the file). */
typedef enum vgpu_counter {
	VGPU_C_STEPS_STARTED = 0,       /* "steps_started": slice steps set up by SPANK */
	VGPU_C_STEPS_REFUSED = 1,       /* "steps_refused": steps whose tasks SPANK ended */
	VGPU_C_JOBS_REFUSED = 2,        /* "jobs_refused": submissions job_submit refused */
} vgpu_counter_t;

typedef struct vgpu_counter_entry {
	vgpu_counter_t counter;
	char reason[VGPU_METRICS_REASON_MAX]; /* [a-z0-9_]+, "-" when the counter has no reason */
	uint64_t value;
} vgpu_counter_entry_t;

typedef struct vgpu_counters {
	size_t n;
	vgpu_counter_entry_t v[VGPU_METRICS_COUNTERS_MAX];
} vgpu_counters_t;

/* Parse a counter file's text (len bytes; name is used in messages as
 * "NAME:LINE: ..."). Unknown counters, bad reasons, bad or duplicate
 * entries, a missing or other first line: errors. 0 or -1 with err. */
int vgpu_metrics_counters_parse(const char *text, size_t len, const char *name, vgpu_counters_t *c,
				vgpu_err_t *err);

/* Format c as a counter file into buf (NUL-terminated); returns the length,
 * or -1 when it does not fit. Parsing the result gives c back. */
int vgpu_metrics_counters_format(const vgpu_counters_t *c, char *buf, size_t len);

/* Add one to (counter, reason) in c (a new entry at 1 when missing); 0, or
 * -1 when the reason is not [a-z0-9_]+ (or "-") or c is full. */
int vgpu_metrics_counters_bump(vgpu_counters_t *c, vgpu_counter_t counter, const char *reason);

/* The counter directory of a StateDir: "STATEDIR-metrics" (trailing slashes
 * dropped) into buf. 0, or -1 when it does not fit or state_dir is "" or /. */
int vgpu_metrics_counter_dir(const char *state_dir, char *buf, size_t len);

/* Add one to (counter, reason) in DIR/metrics.SOURCE.counters (dir: a
 * counter directory; source NULL: this host's name), creating DIR (0755,
 * one level) and the file (0644)
 * when missing, atomically as the header says. A file that does not parse
 * is replaced by one holding this count alone (and said in err, rc 1).
 * Returns 0, 1, or -1 (nothing written) with err. */
int vgpu_metrics_count(const char *dir, const char *source, vgpu_counter_t counter,
		       const char *reason, vgpu_err_t *err);

/* The SPANK plugin's hook, one call at the end of step set-up: a refused
 * step (a whole GPU holding other jobs' slices) counts steps_refused
 * "whole_gpu_on_slices", a failed one "not_enforceable", an active slice
 * step steps_started; anything else nothing (no file touched). StateDir
 * comes from vgpu.conf at conf_path (counted in its counter directory). Never fails the caller: errors are
 * returned (-1) for it to ignore. */
int vgpu_metrics_note_step(const char *conf_path, const char *node, int active, int failed,
			   int refused);

/* job_submit's hook for a refused submission or change: jobs_refused
 * REASON ("request", "placement", "modify") in the StateDir of vgpu.conf at
 * conf_path, counted under this host's name. Called under slurmctld's job
 * write lock: one vgpu.conf parse and one small file replaced, refusals
 * only. -1 on error, to be ignored. */
int vgpu_metrics_note_job(const char *conf_path, const char *reason);

/* Add the samples of the counter files in dir, a counter directory
 * (metrics.*.counters), to m, labelled node=SOURCE. Files that cannot be
 * read or parsed are skipped and counted in *bad (and the last such error
 * is in err). 0, or -1 when dir cannot be listed (a missing one is not an
 * error: nothing counted yet). */
int vgpu_metrics_add_counters(vgpu_metrics_t *m, const char *dir, unsigned *bad, vgpu_err_t *err);

#endif
