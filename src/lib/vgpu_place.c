/* vgpu_place.c - see vgpu_place.h and doc/nvlink.md ("Placement at submit").
 *
 * One pass: what the job asks for (nodes at least and at most), whether the
 * module has anything to do with it, whether any partition can hold it, and
 * then what the topology plugin in force needs to keep it inside one.
 */
#include "vgpu_place.h"
#include "vgpu_hostlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int vgpu_place_optout(const char *comment)
{
	return comment && strstr(comment, VGPU_PLACE_OPTOUT_TAG) != NULL;
}

const vgpu_cm_partition_t *vgpu_place_largest(const vgpu_cliquemap_t *map)
{
	const vgpu_cm_partition_t *best = NULL;

	if (!map)
		return NULL;
	for (size_t i = 0; i < map->nparts; i++) {
		const vgpu_cm_partition_t *p = &map->parts[i];

		if (p->nnodes > 0 && (!best || p->nnodes > best->nnodes))
			best = p;
	}
	return best;
}

uint32_t vgpu_place_max_switch_wait(const char *params)
{
	static const char key[] = "max_switch_wait=";
	const char *p = params;
	uint32_t found = VGPU_PLACE_SLURM_SWITCH_WAIT;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > sizeof(key) - 1 && strncasecmp(p, key, sizeof(key) - 1) == 0) {
			uint64_t v = 0;
			size_t i = sizeof(key) - 1;

			for (; i < n && p[i] >= '0' && p[i] <= '9' && v <= UINT32_MAX; i++)
				v = v * 10 + (uint64_t)(p[i] - '0');
			if (i == n && v <= UINT32_MAX)
				found = (uint32_t)v;
		}
		p = end ? end + 1 : NULL;
	}
	return found;
}

void vgpu_place_weights(const vgpu_cliquemap_t *map, const unsigned *busy, uint32_t *weight)
{
	for (size_t i = 0; i < map->nparts; i++) {
		size_t n = map->parts[i].nnodes, b = busy[i] < n ? busy[i] : n;

		if (n > VGPU_PLACE_WEIGHT_FREE)
			n = VGPU_PLACE_WEIGHT_FREE;
		if (b > n)
			b = n;
		weight[i] = b == 0 ? VGPU_PLACE_WEIGHT_FREE + (uint32_t)n : (uint32_t)(n - b) + 1;
	}
}

vgpu_place_topo_t vgpu_place_topo_from_name(const char *plugin)
{
	if (!plugin)
		return VGPU_PLACE_TOPO_NONE;
	if (strcmp(plugin, "topology/tree") == 0)
		return VGPU_PLACE_TOPO_TREE;
	if (strcmp(plugin, "topology/block") == 0)
		return VGPU_PLACE_TOPO_BLOCK;
	return VGPU_PLACE_TOPO_NONE;
}

/* A partition's nodes for messages: its hostlist ("n[1-4]"), cut at len;
 * without memory, where they start and end ("n1..n4"). */
static void span_text(const vgpu_cm_partition_t *p, char *buf, size_t len)
{
	const char **names = calloc(p->nnodes, sizeof(*names));
	char *hl = NULL;

	if (names) {
		for (size_t i = 0; i < p->nnodes; i++)
			names[i] = p->nodes[i].name;
		hl = vgpu_hostlist_compress(names, p->nnodes);
	}
	if (hl && strlen(hl) < len)
		snprintf(buf, len, "%s", hl);
	else if (hl)
		snprintf(buf, len, "%.*s...", (int)(len > 4 ? len - 4 : 0), hl);
	else if (p->nnodes == 1)
		snprintf(buf, len, "%.60s", p->nodes[0].name);
	else
		snprintf(buf, len, "%.60s..%.60s", p->nodes[0].name, p->nodes[p->nnodes - 1].name);
	free(hl);
	free(names);
}

/* Nodes the job asks for at least and at most (0 counts mean "not given":
 * one node, or as many as its tasks need at tasks_per_node). */
static void job_nodes(const vgpu_place_job_t *job, uint32_t *lo, uint32_t *hi)
{
	uint32_t n = job->min_nodes;

	if (n == 0 && job->num_tasks > 1 && job->tasks_per_node > 0)
		n = (uint32_t)(((uint64_t)job->num_tasks + job->tasks_per_node - 1) /
			       job->tasks_per_node);
	if (n == 0)
		n = 1;
	*lo = n;
	*hi = job->max_nodes > n ? job->max_nodes : n;
}

static vgpu_place_verdict_t pass(vgpu_place_answer_t *ans, const char *why)
{
	ans->verdict = VGPU_PLACE_PASS;
	snprintf(ans->why, sizeof(ans->why), "%s", why);
	return ans->verdict;
}

/* A refusal changes nothing: fields set before it are cleared. */
static vgpu_place_verdict_t refuse(vgpu_place_answer_t *ans, const vgpu_err_t *err)
{
	ans->verdict = VGPU_PLACE_REFUSE;
	ans->switches = ans->switch_wait = ans->max_nodes = 0;
	ans->features[0] = '\0';
	snprintf(ans->why, sizeof(ans->why), "refused: %.150s", err->msg);
	return ans->verdict;
}

static int by_size(const void *a, const void *b)
{
	const vgpu_cm_partition_t *pa = *(const vgpu_cm_partition_t *const *)a;
	const vgpu_cm_partition_t *pb = *(const vgpu_cm_partition_t *const *)b;

	if (pa->nnodes != pb->nnodes)
		return pa->nnodes < pb->nnodes ? -1 : 1;
	return strcmp(pa->name, pb->name);
}

/* "[a|b|c]" (or "a") over the partitions of at least n nodes, smallest
 * first, into buf. Returns 0, or -1 when none fits or buf is too small. */
static int or_constraint(const vgpu_cliquemap_t *map, uint32_t n, char *buf, size_t len)
{
	const vgpu_cm_partition_t **fit = calloc(map->nparts ? map->nparts : 1, sizeof(*fit));
	size_t nfit = 0, used = 0;
	int rc = -1;

	if (!fit)
		return -1;
	for (size_t i = 0; i < map->nparts; i++)
		if (map->parts[i].nnodes >= n)
			fit[nfit++] = &map->parts[i];
	if (nfit == 0)
		goto out;
	qsort(fit, nfit, sizeof(*fit), by_size);
	for (size_t i = 0; i < nfit; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i == 0 ? (nfit > 1 ? "[" : "") : "|",
				 fit[i]->name);

		if (w < 0 || (size_t)w >= len - used)
			goto out;
		used += (size_t)w;
	}
	if (nfit > 1) {
		if (used + 2 > len)
			goto out;
		buf[used++] = ']';
		buf[used] = '\0';
	}
	rc = 0;
out:
	free(fit);
	return rc;
}

/* topology/block's base block size: given, else the smallest partition's
 * (no base block can be larger). */
static uint32_t block_base(const vgpu_place_block_t *block, const vgpu_cliquemap_t *map)
{
	size_t small = 0;

	if (block && block->base)
		return block->base;
	for (size_t i = 0; i < map->nparts; i++)
		if (map->parts[i].nnodes > 0 && (small == 0 || map->parts[i].nnodes < small))
			small = map->parts[i].nnodes;
	return small > UINT32_MAX ? UINT32_MAX : (uint32_t)small;
}

static int has_text(const char *s)
{
	return s && *s && strcmp(s, "(null)") != 0;
}

/* The segment rules: S fits the largest partition, divides the node count,
 * and needs topology/block. 0 or -1 with err. */
static int check_segment(const vgpu_place_job_t *job, uint32_t lo, uint32_t hi,
			 uint32_t base, vgpu_place_topo_t topo, vgpu_err_t *err)
{
	if (topo != VGPU_PLACE_TOPO_BLOCK)
		return vgpu_err_set(err, "--segment=%u: segments are placed by topology/block, and "
				    "this cluster runs %s: drop --segment (the job is kept inside "
				    "one NVLink partition)", (unsigned)job->segment,
				    topo == VGPU_PLACE_TOPO_TREE ? "topology/tree" :
				    "no topology plugin");
	if (job->segment > base)
		return vgpu_err_set(err, "--segment=%u: topology/block keeps a segment inside one "
				    "NVLink partition only up to its base block size, %u nodes here: ask "
				    "for --segment=S with S <= %u", (unsigned)job->segment,
				    (unsigned)base, (unsigned)base);
	if (lo % job->segment != 0 || hi % job->segment != 0)
		return vgpu_err_set(err, "--segment=%u: the job asks for %u%s%.0u nodes, which is not "
				    "a whole number of %u-node segments: ask for a node count that %u "
				    "divides", (unsigned)job->segment, (unsigned)lo, hi > lo ? "-" : "",
				    hi > lo ? (unsigned)hi : 0u, (unsigned)job->segment,
				    (unsigned)job->segment);
	return 0;
}

static vgpu_place_verdict_t too_big(const vgpu_place_job_t *job, uint32_t lo, uint32_t base,
				    const vgpu_cm_partition_t *big, vgpu_place_topo_t topo,
				    vgpu_place_answer_t *ans, vgpu_err_t *err)
{
	char span[200];
	char seg[128] = "";
	vgpu_err_t e;

	span_text(big, span, sizeof(span));
	if (topo == VGPU_PLACE_TOPO_BLOCK && job->can_segment)
		snprintf(seg, sizeof(seg), ", or for --segment=S with S <= %u dividing %u",
			 (unsigned)base, (unsigned)lo);
	vgpu_err_set(&e, "job asks for %u nodes with GPUs; the largest NVLink partition, %s (%s), "
		     "has %zu nodes: ask for at most %zu nodes%s, or opt out with --comment='%s' "
		     "(the job may then run across partitions, without NVLink between them)",
		     (unsigned)lo, big->name, span, big->nnodes, big->nnodes, seg,
		     VGPU_PLACE_OPTOUT_TAG);
	if (err)
		*err = e;
	return refuse(ans, &e);
}

vgpu_place_verdict_t vgpu_place_decide(const vgpu_place_job_t *job, const vgpu_cliquemap_t *map,
				       vgpu_place_topo_t topo, const vgpu_place_block_t *block,
				       vgpu_place_answer_t *ans, vgpu_err_t *err)
{
	const vgpu_cm_partition_t *big;
	uint32_t lo, hi, base;
	vgpu_err_t e;

	memset(ans, 0, sizeof(*ans));
	job_nodes(job, &lo, &hi);
	ans->nodes = lo;
	big = vgpu_place_largest(map);
	ans->largest = big;
	if (!job->gpus)
		return pass(ans, "no GPUs asked for");
	if (hi <= 1 && job->segment == 0)
		return pass(ans, "one node");
	if (vgpu_place_optout(job->comment))
		return pass(ans, "opted out with " VGPU_PLACE_OPTOUT_TAG);
	if (!big)
		return pass(ans, "the clique map has no NVLink partition");
	base = block_base(block, map);
	if (job->segment > 0) {
		if (check_segment(job, lo, hi, base, topo, &e) != 0) {
			if (err)
				*err = e;
			return refuse(ans, &e);
		}
		return pass(ans, "segments, each inside one NVLink partition (topology/block)");
	}
	if (lo > big->nnodes)
		return too_big(job, lo, base, big, topo, ans, err);
	ans->verdict = VGPU_PLACE_CHANGE;
	if (hi > big->nnodes) {
		ans->max_nodes = (uint32_t)big->nnodes;
		hi = ans->max_nodes;
	}
	switch (topo) {
	case VGPU_PLACE_TOPO_TREE:
		if (job->switches > 1) {
			vgpu_err_set(&e, "--switches=%u would let a job with GPUs on %u%s nodes span "
				     "NVLink partitions: drop --switches (the job is kept inside one "
				     "partition), or opt out with --comment='%s'",
				     (unsigned)job->switches, (unsigned)lo, hi > lo ? "+" : "",
				     VGPU_PLACE_OPTOUT_TAG);
			if (err)
				*err = e;
			return refuse(ans, &e);
		}
		ans->switches = 1;
		ans->switch_wait = VGPU_PLACE_SWITCH_WAIT;
		snprintf(ans->why, sizeof(ans->why), "%u-%u nodes: --switches=1 (one leaf = one "
			 "NVLink partition)", (unsigned)lo, (unsigned)hi);
		break;
	case VGPU_PLACE_TOPO_BLOCK:
		if (block && hi <= block->contained) {
			snprintf(ans->why, sizeof(ans->why), "%u-%u nodes: topology/block keeps jobs "
				 "of up to %u nodes inside one partition", (unsigned)lo, (unsigned)hi,
				 (unsigned)block->contained);
			break;
		}
		/* above what topology/block contains: as without topology */
		/* fall through */
	case VGPU_PLACE_TOPO_NONE:
	default:
		if (has_text(job->features)) {
			snprintf(ans->why, sizeof(ans->why), "%u nodes: the job has its own "
				 "--constraint, which a matching OR cannot join: not contained",
				 (unsigned)lo);
			break;
		}
		if (or_constraint(map, lo, ans->features, sizeof(ans->features)) != 0) {
			ans->features[0] = '\0';
			snprintf(ans->why, sizeof(ans->why), "%u nodes: too many partitions for one "
				 "constraint: not contained", (unsigned)lo);
			break;
		}
		snprintf(ans->why, sizeof(ans->why), "%u-%u nodes: --constraint=%.100s",
			 (unsigned)lo, (unsigned)hi, ans->features);
		break;
	}
	if (!ans->switches && !ans->max_nodes && !ans->features[0])
		ans->verdict = VGPU_PLACE_PASS;
	return ans->verdict;
}
