/* vgpu_metrics.c - see vgpu_metrics.h (the exposition; counters are in
 * vgpu_metrics_count.c). */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_metrics.h"

typedef enum { GAUGE, COUNTER } kind_t;

typedef struct family {
	const char *name;       /* the family's name (a counter's without _total) */
	kind_t kind;
	const char *unit;       /* "" or the unit the name ends with */
	const char *help;
} family_t;

static const family_t families[VGPU_M_COUNT] = {
	[VGPU_M_GPU_SHARDS] = { "vgpu_gpu_shards", GAUGE, "", "Shards the GPU has (gres.conf Name=shard Count)." },
	[VGPU_M_GPU_SHARDS_USED] = { "vgpu_gpu_shards_used", GAUGE, "", "Shards of the GPU held by running jobs (a whole-GPU job holds them all)." },
	[VGPU_M_GPU_SHARDS_FREE] = { "vgpu_gpu_shards_free", GAUGE, "", "Shards of the GPU no running job holds." },
	[VGPU_M_GPU_WHOLE_HELD] = { "vgpu_gpu_whole_held", GAUGE, "", "1 when a job holds the GPU whole (--gres=gpu), else 0." },
	[VGPU_M_GPU_WHOLE_HOLDER] = { "vgpu_gpu_whole_holder", GAUGE, "", "1 for each job holding the GPU whole." },
	[VGPU_M_GPU_LIMITS_KNOWN] = { "vgpu_gpu_limits_known", GAUGE, "", "1 when vgpu.conf gives the GPU's type and shard count (memory and SM figures are known), else 0." },
	[VGPU_M_GPU_MEMORY_USABLE] = { "vgpu_gpu_memory_usable_bytes", GAUGE, "bytes", "Device memory of the GPU that slices are cut from." },
	[VGPU_M_GPU_MEMORY_RESERVED] = { "vgpu_gpu_memory_reserved_bytes", GAUGE, "bytes", "Sum of the memory limits of the slices on the GPU." },
	[VGPU_M_GPU_MEMORY_FREE] = { "vgpu_gpu_memory_free_bytes", GAUGE, "bytes", "Usable memory of the GPU no slice reserves." },
	[VGPU_M_GPU_SM_RESERVED] = { "vgpu_gpu_sm_reserved_ratio", GAUGE, "ratio", "Sum of the SM shares of the slices on the GPU (1 = all SMs)." },
	[VGPU_M_GPU_SM_FREE] = { "vgpu_gpu_sm_free_ratio", GAUGE, "ratio", "SM share of the GPU no slice reserves." },
	[VGPU_M_SLICE_SHARDS] = { "vgpu_slice_shards", GAUGE, "", "Shards a job holds on the GPU." },
	[VGPU_M_SLICE_MEMORY_LIMIT] = { "vgpu_slice_memory_limit_bytes", GAUGE, "bytes", "Device memory limit of a job's slice of the GPU." },
	[VGPU_M_SLICE_SM_LIMIT] = { "vgpu_slice_sm_limit_ratio", GAUGE, "ratio", "SM share of a job's slice of the GPU." },
	[VGPU_M_SLICE_MEMORY_USED] = { "vgpu_slice_memory_used_bytes", GAUGE, "bytes", "Device memory the job's processes hold on the GPU, from the job's ledger on the node." },
	[VGPU_M_SLICE_MEMORY_CAP] = { "vgpu_slice_memory_cap_bytes", GAUGE, "bytes", "The job's memory cap in its ledger on the GPU (set by its batch step)." },
	[VGPU_M_STEP_MEMORY_LIMIT] = { "vgpu_step_memory_limit_bytes", GAUGE, "bytes", "Device memory limit of a step on the GPU (its step description)." },
	[VGPU_M_STEP_SM_LIMIT] = { "vgpu_step_sm_limit_ratio", GAUGE, "ratio", "SM cap of a step on the GPU (its step description)." },
	[VGPU_M_STEP_MEMORY_USED] = { "vgpu_step_memory_used_bytes", GAUGE, "bytes", "Device memory the step's processes hold on the GPU, from the job's ledger." },
	[VGPU_M_PART_NODES] = { "vgpu_partition_nodes", GAUGE, "", "Nodes of the NVLink partition the controller knows." },
	[VGPU_M_PART_NODES_UP] = { "vgpu_partition_nodes_up", GAUGE, "", "Nodes of the partition that take jobs." },
	[VGPU_M_PART_NODES_FREE] = { "vgpu_partition_nodes_free", GAUGE, "", "Nodes of the partition up with every GPU free." },
	[VGPU_M_PART_GPUS] = { "vgpu_partition_gpus", GAUGE, "", "GPUs of the partition." },
	[VGPU_M_PART_GPUS_FREE] = { "vgpu_partition_gpus_free", GAUGE, "", "GPUs of the partition no job holds, whole or in part." },
	[VGPU_M_PART_GPUS_WHOLE] = { "vgpu_partition_gpus_whole", GAUGE, "", "GPUs of the partition held whole." },
	[VGPU_M_PART_GPUS_SLICED] = { "vgpu_partition_gpus_sliced", GAUGE, "", "GPUs of the partition holding slices." },
	[VGPU_M_PART_JOBS] = { "vgpu_partition_jobs", GAUGE, "", "Running multi-node jobs wholly inside the partition." },
	[VGPU_M_PART_FRAGMENTATION] = { "vgpu_partition_fragmentation_gpus", GAUGE, "gpus", "Expected free GPUs of the partition a waiting job could not use (Weng et al., ATC'23); absent when no GPU job waits." },
	[VGPU_M_PARTS_FREE] = { "vgpu_partitions_free", GAUGE, "", "NVLink partitions with every node up and free." },
	[VGPU_M_JOBS_SPANNING] = { "vgpu_jobs_spanning_partitions", GAUGE, "", "Running multi-node jobs over several NVLink partitions." },
	[VGPU_M_JOBS_WAITING] = { "vgpu_jobs_waiting_gpus", GAUGE, "", "Waiting jobs that ask for GPUs or shards (the fragmentation workload)." },
	[VGPU_M_STEPS_STARTED] = { "vgpu_steps_started", COUNTER, "", "Slice steps the SPANK plugin set up on the node." },
	[VGPU_M_STEPS_REFUSED] = { "vgpu_steps_refused", COUNTER, "", "Steps the SPANK plugin did not let run on the node, by reason." },
	[VGPU_M_JOBS_REFUSED] = { "vgpu_jobs_refused", COUNTER, "", "Submissions and changes job_submit/vgpu refused, by reason." },
	[VGPU_M_SCRAPE_ERRORS] = { "vgpu_scrape_errors", GAUGE, "", "Parts of the view this scrape could not read (slurmctld, counter files, ledgers, step descriptions)." },
};

typedef struct sample {
	char *labels;           /* rendered `{a="b",...}` or "" */
	double value;
} sample_t;

struct vgpu_metrics {
	struct {
		sample_t *v;
		size_t n, cap;
	} fam[VGPU_M_COUNT];
};

vgpu_metrics_t *vgpu_metrics_new(void)
{
	return calloc(1, sizeof(vgpu_metrics_t));
}

void vgpu_metrics_free(vgpu_metrics_t *m)
{
	if (!m)
		return;
	for (size_t f = 0; f < VGPU_M_COUNT; f++) {
		for (size_t i = 0; i < m->fam[f].n; i++)
			free(m->fam[f].v[i].labels);
		free(m->fam[f].v);
	}
	free(m);
}

const char *vgpu_metrics_name(vgpu_metric_t id)
{
	return (unsigned)id < VGPU_M_COUNT ? families[id].name : NULL;
}

size_t vgpu_metrics_escape(const char *value, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *p = value; *p; p++) {
		const char *rep = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
		char one[2] = { *p, '\0' };

		for (const char *q = rep ? rep : one; *q; q++, o++)
			if (o + 1 < outlen)
				out[o] = *q;
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	return o;
}

static int label_name_ok(const char *s)
{
	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return 0;
	return 1;
}

/* Render labels into a malloc'ed `{...}` ("" for none); NULL on OOM. */
static char *render_labels(const char *const *labels, vgpu_err_t *err)
{
	size_t need = 1;
	char *s, *o;

	for (size_t i = 0; labels && labels[i]; i += 2) {
		if (!label_name_ok(labels[i]) || !labels[i + 1]) {
			vgpu_err_set(err, "metric label %zu: name '%s' is not [a-zA-Z_][a-zA-Z0-9_]* or has no value",
				     i / 2, labels[i]);
			return NULL;
		}
		need += strlen(labels[i]) + vgpu_metrics_escape(labels[i + 1], NULL, 0) + 5;
	}
	if (!(s = malloc(need + 2))) {
		vgpu_err_set(err, "metrics: out of memory");
		return NULL;
	}
	o = s;
	*o = '\0';
	for (size_t i = 0; labels && labels[i]; i += 2) {
		*o++ = i ? ',' : '{';
		o += sprintf(o, "%s=\"", labels[i]);
		o += vgpu_metrics_escape(labels[i + 1], o, need + 2 - (size_t)(o - s));
		*o++ = '"';
		*o = '\0';
	}
	if (o != s) {
		*o++ = '}';
		*o = '\0';
	}
	return s;
}

int vgpu_metrics_add(vgpu_metrics_t *m, vgpu_metric_t id, const char *const *labels, double value,
		     vgpu_err_t *err)
{
	char *text;

	if (!m || (unsigned)id >= VGPU_M_COUNT)
		return vgpu_err_set(err, "metrics: no family %d", (int)id);
	if (!isfinite(value))
		return vgpu_err_set(err, "metric %s: value is not a finite number", families[id].name);
	if (!(text = render_labels(labels, err)))
		return -1;
	for (size_t i = 0; i < m->fam[id].n; i++) {
		if (strcmp(m->fam[id].v[i].labels, text) == 0) {
			vgpu_err_set(err, "metric %s%s: added twice", families[id].name, text);
			free(text);
			return -1;
		}
	}
	if (m->fam[id].n == m->fam[id].cap) {
		size_t cap = m->fam[id].cap ? m->fam[id].cap * 2 : 16;
		sample_t *v = realloc(m->fam[id].v, cap * sizeof(*v));

		if (!v) {
			free(text);
			return vgpu_err_set(err, "metrics: out of memory");
		}
		m->fam[id].v = v;
		m->fam[id].cap = cap;
	}
	m->fam[id].v[m->fam[id].n].labels = text;
	m->fam[id].v[m->fam[id].n++].value = value;
	return 0;
}

/* ---- from the models ------------------------------------------------------ */

static double ratio(unsigned bp)
{
	return (double)bp / 10000.0;
}

static int add_gpu(vgpu_metrics_t *m, const char *node, const vgpu_show_gpu_t *g, vgpu_err_t *err)
{
	char idx[16];
	const char *l[] = { "node", node, "gpu", idx, "type", g->type[0] ? g->type : "-", NULL };
	int rc = 0;

	snprintf(idx, sizeof(idx), "%u", g->index);
	rc |= vgpu_metrics_add(m, VGPU_M_GPU_SHARDS, l, g->shards_total, err);
	rc |= vgpu_metrics_add(m, VGPU_M_GPU_SHARDS_USED, l, g->shards_used, err);
	rc |= vgpu_metrics_add(m, VGPU_M_GPU_SHARDS_FREE, l,
			       g->shards_used < g->shards_total ? g->shards_total - g->shards_used : 0, err);
	rc |= vgpu_metrics_add(m, VGPU_M_GPU_WHOLE_HELD, l, g->whole ? 1 : 0, err);
	rc |= vgpu_metrics_add(m, VGPU_M_GPU_LIMITS_KNOWN, l, g->known ? 1 : 0, err);
	if (g->known) {
		rc |= vgpu_metrics_add(m, VGPU_M_GPU_MEMORY_USABLE, l, (double)g->mem_usable, err);
		rc |= vgpu_metrics_add(m, VGPU_M_GPU_MEMORY_RESERVED, l, (double)g->mem_reserved, err);
		rc |= vgpu_metrics_add(m, VGPU_M_GPU_MEMORY_FREE, l, (double)vgpu_show_mem_free(g), err);
		rc |= vgpu_metrics_add(m, VGPU_M_GPU_SM_RESERVED, l, ratio(g->sm_reserved), err);
		rc |= vgpu_metrics_add(m, VGPU_M_GPU_SM_FREE, l, ratio(vgpu_show_sm_free(g)), err);
	}
	for (unsigned i = 0; i < g->nholders && rc == 0; i++) {
		const vgpu_show_holder_t *h = &g->holders[i];
		char job[16];
		const char *hl[] = { "node", node, "gpu", idx, "jobid", job, "user", h->user, NULL };

		snprintf(job, sizeof(job), "%" PRIu32, h->job_id);
		if (h->whole) {
			rc |= vgpu_metrics_add(m, VGPU_M_GPU_WHOLE_HOLDER, hl, 1, err);
			continue;
		}
		rc |= vgpu_metrics_add(m, VGPU_M_SLICE_SHARDS, hl, h->shards, err);
		if (h->limits_known) {
			rc |= vgpu_metrics_add(m, VGPU_M_SLICE_MEMORY_LIMIT, hl, (double)h->limits.mem_bytes, err);
			rc |= vgpu_metrics_add(m, VGPU_M_SLICE_SM_LIMIT, hl, ratio(h->limits.sm_share), err);
		}
	}
	return rc ? -1 : 0;
}

int vgpu_metrics_add_node(vgpu_metrics_t *m, const vgpu_show_node_t *node, vgpu_err_t *err)
{
	for (unsigned g = 0; g < node->ngpus; g++)
		if (add_gpu(m, node->name, &node->gpus[g], err) != 0)
			return vgpu_err_prefix(err, "node %s GPU %u", node->name, node->gpus[g].index);
	return 0;
}

int vgpu_metrics_add_parts(vgpu_metrics_t *m, const vgpu_partview_t *pv, vgpu_err_t *err)
{
	int rc = 0;

	for (size_t i = 0; i < pv->nparts && rc == 0; i++) {
		const vgpu_pv_part_t *p = &pv->parts[i];
		const char *l[] = { "partition", p->part ? p->part->name : "none", NULL };

		rc |= vgpu_metrics_add(m, VGPU_M_PART_NODES, l, p->nnodes, err);
		rc |= vgpu_metrics_add(m, VGPU_M_PART_NODES_UP, l, p->nodes_up, err);
		rc |= vgpu_metrics_add(m, VGPU_M_PART_NODES_FREE, l, p->nodes_free, err);
		rc |= vgpu_metrics_add(m, VGPU_M_PART_GPUS, l, p->gpus, err);
		rc |= vgpu_metrics_add(m, VGPU_M_PART_GPUS_FREE, l, p->free, err);
		rc |= vgpu_metrics_add(m, VGPU_M_PART_GPUS_WHOLE, l, p->whole, err);
		rc |= vgpu_metrics_add(m, VGPU_M_PART_GPUS_SLICED, l, p->sliced, err);
		rc |= vgpu_metrics_add(m, VGPU_M_PART_JOBS, l, (double)p->njobs, err);
		if (p->frag_known)
			rc |= vgpu_metrics_add(m, VGPU_M_PART_FRAGMENTATION, l, p->frag, err);
	}
	if (rc == 0)
		rc |= vgpu_metrics_add(m, VGPU_M_PARTS_FREE, NULL, pv->parts_free, err);
	if (rc == 0)
		rc |= vgpu_metrics_add(m, VGPU_M_JOBS_SPANNING, NULL, (double)pv->nspan, err);
	if (rc == 0)
		rc |= vgpu_metrics_add(m, VGPU_M_JOBS_WAITING, NULL, pv->waiting, err);
	return rc ? -1 : 0;
}

/* ---- rendering ------------------------------------------------------------ */

typedef struct out {
	char *s;
	size_t n, cap;
	int oom;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out_t *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(o->s + o->n, o->cap - o->n, fmt, ap);
		va_end(ap);
		if (k < 0) {
			o->oom = 1;
			return;
		}
		if ((size_t)k < o->cap - o->n) {
			o->n += (size_t)k;
			return;
		}
		size_t cap = (o->cap + (size_t)k + 1) * 2;
		char *s = realloc(o->s, cap);

		if (!s) {
			o->oom = 1;
			return;
		}
		o->s = s;
		o->cap = cap;
	}
}

/* A value as both formats read it: integers exactly, others round-trip. */
static void put_value(out_t *o, double v)
{
	char buf[40];

	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		put(o, "%.0f\n", v);
		return;
	}
	/* the shortest of 15..17 digits that reads back as v */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v || prec == 17)
			break;
	}
	put(o, "%s\n", buf);
}

char *vgpu_metrics_render(const vgpu_metrics_t *m, vgpu_metrics_format_t format, size_t *len)
{
	out_t o = { malloc(4096), 0, 4096, 0 };
	int om = format == VGPU_METRICS_OPENMETRICS;

	if (!o.s)
		return NULL;
	o.s[0] = '\0';
	for (size_t f = 0; f < VGPU_M_COUNT; f++) {
		const family_t *fa = &families[f];
		const char *total = fa->kind == COUNTER ? "_total" : "";

		if (!m->fam[f].n)
			continue;
		/* OpenMetrics names a counter family without _total; the 0.0.4
		 * text format names it as its samples are named. */
		put(&o, "# HELP %s%s %s\n", fa->name, om ? "" : total, fa->help);
		put(&o, "# TYPE %s%s %s\n", fa->name, om ? "" : total, fa->kind == COUNTER ? "counter" : "gauge");
		if (om && fa->unit[0])
			put(&o, "# UNIT %s %s\n", fa->name, fa->unit);
		for (size_t i = 0; i < m->fam[f].n; i++) {
			put(&o, "%s%s%s ", fa->name, total, m->fam[f].v[i].labels);
			put_value(&o, m->fam[f].v[i].value);
		}
	}
	if (om)
		put(&o, "# EOF\n");
	if (o.oom) {
		free(o.s);
		return NULL;
	}
	if (len)
		*len = o.n;
	return o.s;
}

const char *vgpu_metrics_content_type(vgpu_metrics_format_t format)
{
	return format == VGPU_METRICS_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
						  : "text/plain; version=0.0.4; charset=utf-8";
}
