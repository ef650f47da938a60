/* vgpu_slurmconf.c - see vgpu_slurmconf.h */
#include "vgpu_slurmconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vgpu_account.h"
#include "vgpu_size.h"
#include "vgpu_topoconf.h"

/* One GPU type as the inventories show it: the weakest GPU of that type. */
typedef struct seen_type {
	char name[VGPU_NAME_MAX];
	char model[VGPU_MODEL_MAX];
	uint64_t mem_bytes;
	uint64_t reserved_bytes;        /* the most the driver keeps of one */
	uint64_t context_bytes;         /* the largest context measured */
	unsigned sms;
	unsigned count;
} seen_type_t;

static int cmp_inv(const void *a, const void *b)
{
	const vgpu_inventory_t *x = *(const vgpu_inventory_t *const *)a;
	const vgpu_inventory_t *y = *(const vgpu_inventory_t *const *)b;

	return strcmp(x->hostname, y->hostname);
}

static int cmp_gpu(const void *a, const void *b)
{
	const vgpu_gpu_t *x = *(const vgpu_gpu_t *const *)a;
	const vgpu_gpu_t *y = *(const vgpu_gpu_t *const *)b;

	return (x->minor > y->minor) - (x->minor < y->minor);
}

/* The type the accounting uses for gpu: vgpu.conf's GpuType of that name
 * when there is one, else the GPU's own facts. */
static vgpu_gpu_type_t type_for_gpu(const vgpu_conf_t *conf, const vgpu_gpu_t *gpu)
{
	const vgpu_gpu_type_t *ct = vgpu_conf_find_type(conf, gpu->type);
	vgpu_gpu_type_t t;

	if (ct)
		return *ct;
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", gpu->type);
	snprintf(t.model, sizeof(t.model), "%s", gpu->model);
	t.mem_bytes = gpu->mem_bytes;
	t.driver_bytes = gpu->reserved_bytes;
	t.ctx_bytes = gpu->context_bytes;
	t.sms = gpu->sms;
	return t;
}

/* Shards one GPU offers (0 with err set when none). */
static unsigned gpu_shards(const vgpu_conf_t *conf, const vgpu_gpu_t *gpu, vgpu_err_t *err)
{
	vgpu_gpu_type_t t = type_for_gpu(conf, gpu);

	return vgpu_account_gpu_shards(conf, &t, err);
}

/* Sorted views of the inventories and of each one's GPUs. */
typedef struct sorted {
	const vgpu_inventory_t **invs;
	const vgpu_gpu_t ***gpus;
	size_t n;
} sorted_t;

static void sorted_free(sorted_t *s)
{
	size_t i;

	if (s->gpus)
		for (i = 0; i < s->n; i++)
			free(s->gpus[i]);
	free(s->gpus);
	free(s->invs);
	memset(s, 0, sizeof(*s));
}

static int sorted_make(sorted_t *s, const vgpu_inventory_t *invs, size_t n, vgpu_err_t *err)
{
	size_t i, g;

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->invs = calloc(n ? n : 1, sizeof(*s->invs));
	s->gpus = calloc(n ? n : 1, sizeof(*s->gpus));
	if (!s->invs || !s->gpus)
		goto oom;
	for (i = 0; i < n; i++)
		s->invs[i] = &invs[i];
	qsort(s->invs, n, sizeof(*s->invs), cmp_inv);
	for (i = 0; i < n; i++) {
		const vgpu_inventory_t *inv = s->invs[i];

		s->gpus[i] = calloc(inv->ngpus ? inv->ngpus : 1, sizeof(**s->gpus));
		if (!s->gpus[i])
			goto oom;
		for (g = 0; g < inv->ngpus; g++)
			s->gpus[i][g] = &inv->gpus[g];
		qsort(s->gpus[i], inv->ngpus, sizeof(**s->gpus), cmp_gpu);
	}
	return 0;
oom:
	sorted_free(s);
	return vgpu_err_set(err, "out of memory");
}

int vgpu_slurmconf_check(const vgpu_conf_t *conf, const vgpu_inventory_t *invs,
			 size_t ninvs, vgpu_err_t *err)
{
	char have[32], want[32];
	size_t i, j, g;

	if (ninvs == 0)
		return vgpu_err_set(err, "no inventory given");
	for (i = 0; i < ninvs; i++) {
		const vgpu_inventory_t *inv = &invs[i];

		if (inv->hostname[0] == '\0')
			return vgpu_err_set(err, "inventory %zu has no hostname", i + 1);
		for (j = 0; j < i; j++)
			if (strcmp(invs[j].hostname, inv->hostname) == 0)
				return vgpu_err_set(err, "node %s appears in two inventories (%zu and %zu)",
						    inv->hostname, j + 1, i + 1);
		for (g = 0; g < inv->ngpus; g++) {
			const vgpu_gpu_t *gpu = &inv->gpus[g];
			const vgpu_gpu_type_t *ct = vgpu_conf_find_type(conf, gpu->type);

			if (gpu->type[0] == '\0')
				return vgpu_err_set(err, "node %s gpu %u (%s): no type name", inv->hostname,
						    gpu->index, gpu->bus_id);
			for (j = 0; j < g; j++)
				if (inv->gpus[j].minor == gpu->minor)
					return vgpu_err_set(err, "node %s: gpus %u and %u share /dev/nvidia%u",
							    inv->hostname, inv->gpus[j].index,
							    gpu->index, gpu->minor);
			if (gpu->mig_enabled)
				continue;
			if (gpu->mem_bytes == 0 || gpu->sms == 0)
				return vgpu_err_set(err, "node %s gpu %u (%s): memory or SM count unknown; run "
						    "vgpu discover where the driver is loaded, without "
						    "CUDA_VISIBLE_DEVICES",
						    inv->hostname, gpu->index, gpu->type);
			if (ct && gpu->mem_bytes < ct->mem_bytes) {
				vgpu_size_human(gpu->mem_bytes, have, sizeof(have));
				vgpu_size_human(ct->mem_bytes, want, sizeof(want));
				return vgpu_err_set(err, "node %s gpu %u (%s) has %s of memory, less than "
						    "vgpu.conf GpuType=%s Memory= (%s): slices would overlap; "
						    "lower Memory= for that type",
						    inv->hostname, gpu->index, gpu->type, have,
						    ct->name, want);
			}
			if (ct && gpu->mem_bytes - gpu->reserved_bytes < ct->mem_bytes - ct->driver_bytes) {
				vgpu_size_human(gpu->mem_bytes - gpu->reserved_bytes, have, sizeof(have));
				vgpu_size_human(ct->mem_bytes - ct->driver_bytes, want, sizeof(want));
				return vgpu_err_set(err, "node %s gpu %u (%s) offers jobs %s (memory less what the "
						    "driver keeps), less than vgpu.conf GpuType=%s Memory= less "
						    "DriverReserved= (%s): slices would not fit; raise DriverReserved=",
						    inv->hostname, gpu->index, gpu->type, have, ct->name, want);
			}
			if (ct && gpu->context_bytes > vgpu_conf_type_context(ct)) {
				vgpu_size_human(gpu->context_bytes, have, sizeof(have));
				vgpu_size_human(vgpu_conf_type_context(ct), want, sizeof(want));
				return vgpu_err_set(err, "node %s gpu %u (%s): a CUDA context takes %s, more than "
						    "vgpu.conf GpuType=%s ContextMemory%s (%s) charges: raise ContextMemory=",
						    inv->hostname, gpu->index, gpu->type, have, ct->name,
						    ct->ctx_bytes ? "=" : " (default)", want);
			}
			if (ct && gpu->sms < ct->sms)
				return vgpu_err_set(err, "node %s gpu %u (%s) has %u SMs, fewer than "
						    "vgpu.conf GpuType=%s SMs=%u: lower SMs= for that type",
						    inv->hostname, gpu->index, gpu->type, gpu->sms,
						    ct->name, ct->sms);
			if (gpu_shards(conf, gpu, err) == 0)
				return vgpu_err_prefix(err, "node %s gpu %u (%s)", inv->hostname,
						       gpu->index, gpu->type);
		}
	}
	return 0;
}

int vgpu_slurmconf_feature(const char *type, char *buf, size_t len)
{
	size_t i, n = strlen(VGPU_SLURMCONF_FEATURE_PREFIX), t = strlen(type);

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (t == 0 || n + t >= len)
		return -1;
	memcpy(buf, VGPU_SLURMCONF_FEATURE_PREFIX, n);
	for (i = 0; i < t; i++)
		buf[n + i] = (char)tolower((unsigned char)type[i]);
	buf[n + t] = '\0';
	return 0;
}

/* The features field of vgpu_slurmconf_admit. Returns 0, or -1 when it
 * does not fit in len. */
static int request_features(const vgpu_conf_t *conf, const vgpu_request_t *req,
			    const vgpu_gpu_type_t *type, char *buf, size_t len)
{
	char f[VGPU_NAME_MAX + 16];
	size_t i, o = 0, nfit = 0;
	unsigned k;

	buf[0] = '\0';
	if (req->type[0])
		return vgpu_slurmconf_feature(type->name, buf, len);
	for (i = 0; i < conf->ntypes && i < VGPU_CONF_TYPES_MAX; i++) {
		if (vgpu_account_shards(conf, &conf->types[i], req, &k, NULL) != 0)
			continue;
		if (vgpu_slurmconf_feature(conf->types[i].name, f, sizeof(f)) != 0 ||
		    o + strlen(f) + 2 > len)
			return -1;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", nfit ? "|" : "", f);
		nfit++;
	}
	if (nfit == conf->ntypes)
		buf[0] = '\0';
	return 0;
}

int vgpu_slurmconf_admit(const vgpu_conf_t *conf, const vgpu_request_t *req, vgpu_slurmconf_admit_t *out,
			 vgpu_err_t *err)
{
	const vgpu_gpu_type_t *type = NULL;
	unsigned shards = 0;
	char *p;

	memset(out, 0, sizeof(*out));
	if (req->gpus > 1)
		return vgpu_err_set(err, "gpus=%u: a slice is one GPU's share; Slurm 22.05 places "
				    "shards on one GPU per node (ask for gpus=1 or whole GPUs)",
				    req->gpus);
	if (vgpu_account_shards_any(conf, req, &shards, &type, err) != 0)
		return -1;
	vgpu_request_format(req, out->canon, sizeof(out->canon));
	for (p = out->canon; *p; p++)
		if (*p == ',')
			*p = ':';
	if (request_features(conf, req, type, out->features, sizeof(out->features)) != 0) {
		vgpu_err_set(err, "the node features of '%s' do not fit in %zu bytes", out->canon,
			     sizeof(out->features));
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->shards = shards;
	return 0;
}

/* Append ",name:type:count" style pieces into buf. */
static void gres_append(char *buf, size_t len, const char *piece)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? "," : "", piece);
}

static void write_nodes(FILE *out, const vgpu_conf_t *conf, const sorted_t *s,
			const vgpu_cliquemap_t *map)
{
	size_t i, g, k;

	fprintf(out, "GresTypes=gpu,shard\n");
	for (i = 0; i < s->n; i++) {
		const vgpu_inventory_t *inv = s->invs[i];
		char gres[2048] = "";
		char piece[128];
		char feats[VGPU_GPUS_MAX * (VGPU_NAME_MAX + 8)] = "";
		char types[VGPU_GPUS_MAX][VGPU_NAME_MAX];
		unsigned counts[VGPU_GPUS_MAX], sliced[VGPU_GPUS_MAX];
		size_t ntypes = 0, nsliced = 0;
		unsigned long shards = 0;

		for (g = 0; g < inv->ngpus; g++) {
			const vgpu_gpu_t *gpu = s->gpus[i][g];
			for (k = 0; k < ntypes && strcmp(types[k], gpu->type) != 0; k++)
				;
			if (k == ntypes) {
				snprintf(types[k], sizeof(types[k]), "%s", gpu->type);
				counts[k] = 0;
				sliced[k] = 0;
				ntypes++;
			}
			counts[k]++;
			if (!gpu->mig_enabled) {
				unsigned n = gpu_shards(conf, gpu, NULL);

				shards += n;
				sliced[k] += n != 0;
			}
		}
		for (k = 0; k < ntypes; k++) {
			snprintf(piece, sizeof(piece), "gpu:%.*s:%u", (int)(VGPU_NAME_MAX - 1), types[k], counts[k]);
			gres_append(gres, sizeof(gres), piece);
			/* A feature per type the node has slices of: type= placement. */
			if (sliced[k] && vgpu_slurmconf_feature(types[k], piece, sizeof(piece)) == 0) {
				gres_append(feats, sizeof(feats), piece);
				nsliced++;
			}
		}
		/* The NVLink partition holding the node: its name is a Feature. */
		if (vgpu_topoconf_feature(map, inv->hostname))
			gres_append(feats, sizeof(feats), vgpu_topoconf_feature(map, inv->hostname));
		if (shards) {
			snprintf(piece, sizeof(piece), "shard:%lu", shards);
			gres_append(gres, sizeof(gres), piece);
		}
		if (nsliced > 1)
			fprintf(out, "# NodeName=%s: GPUs of %zu types; a type= slice may be placed on "
				"a GPU of the other type (doc/slurm-integration.md)\n", inv->hostname,
				nsliced);
		if (gres[0])
			fprintf(out, "NodeName=%s Gres=%s%s%s\n", inv->hostname, gres,
				feats[0] ? " Features=" : "", feats);
		else
			fprintf(out, "# NodeName=%s has no GPU\n", inv->hostname);
	}
}

/* dev_dir with every "%n" replaced by host, into buf. */
static const char *node_dev_dir(const char *dev_dir, const char *host, char *buf, size_t len)
{
	size_t o = 0;
	const char *p;

	for (p = dev_dir; *p && o + 1 < len; p++) {
		if (p[0] == '%' && p[1] == 'n') {
			size_t n = strnlen(host, len - 1 - o);

			memcpy(buf + o, host, n);
			o += n;
			p++;
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void write_gres(FILE *out, const vgpu_conf_t *conf, const sorted_t *s, int omit_cores,
		       const char *dev_dir_pattern)
{
	char dev_dir[VGPU_PATH_MAX];
	char links[VGPU_GPUS_MAX * 12];
	size_t order[VGPU_GPUS_MAX];
	size_t i, g;

	fprintf(out, "AutoDetect=off\n");
	for (i = 0; i < s->n; i++) {
		const vgpu_inventory_t *inv = s->invs[i];

		node_dev_dir(dev_dir_pattern, inv->hostname, dev_dir, sizeof(dev_dir));
		/* Links= lists the GPUs in the order of the lines below. */
		for (g = 0; g < inv->ngpus; g++)
			order[g] = (size_t)(s->gpus[i][g] - inv->gpus);
		for (g = 0; g < inv->ngpus; g++) {
			const vgpu_gpu_t *gpu = s->gpus[i][g];

			fprintf(out, "NodeName=%s Name=gpu Type=%s File=%s/nvidia%u", inv->hostname,
				gpu->type, dev_dir, gpu->minor);
			if (gpu->cores[0] && !omit_cores)
				fprintf(out, " Cores=%s", gpu->cores);
			if (vgpu_topoconf_links(inv, order, inv->ngpus, order[g], links,
						sizeof(links)) == 0 && links[0])
				fprintf(out, " Links=%s", links);
			fprintf(out, "\n");
		}
		for (g = 0; g < inv->ngpus; g++) {
			const vgpu_gpu_t *gpu = s->gpus[i][g];

			if (gpu->mig_enabled)
				fprintf(out, "# NodeName=%s /dev/nvidia%u: MIG enabled, not sliced\n",
					inv->hostname, gpu->minor);
			else
				fprintf(out, "NodeName=%s Name=shard Count=%u File=%s/nvidia%u\n",
					inv->hostname, gpu_shards(conf, gpu, NULL), dev_dir,
					gpu->minor);
		}
	}
}

static int write_types(FILE *out, const sorted_t *s)
{
	seen_type_t seen[VGPU_CONF_TYPES_MAX];
	size_t nseen = 0, i, g, k;
	char mem[32];
	int rc = 0;

	for (i = 0; i < s->n; i++) {
		for (g = 0; g < s->invs[i]->ngpus; g++) {
			const vgpu_gpu_t *gpu = s->gpus[i][g];

			if (gpu->mig_enabled)
				continue;
			for (k = 0; k < nseen && strcmp(seen[k].name, gpu->type) != 0; k++)
				;
			if (k == nseen) {
				if (nseen == VGPU_CONF_TYPES_MAX) {
					rc = -1;
					continue;
				}
				memset(&seen[k], 0, sizeof(seen[k]));
				snprintf(seen[k].name, sizeof(seen[k].name), "%s", gpu->type);
				snprintf(seen[k].model, sizeof(seen[k].model), "%s", gpu->model);
				seen[k].mem_bytes = gpu->mem_bytes;
				seen[k].sms = gpu->sms;
				nseen++;
			}
			if (gpu->reserved_bytes > seen[k].reserved_bytes)
				seen[k].reserved_bytes = gpu->reserved_bytes;
			if (gpu->context_bytes > seen[k].context_bytes)
				seen[k].context_bytes = gpu->context_bytes;
			if (gpu->mem_bytes < seen[k].mem_bytes)
				seen[k].mem_bytes = gpu->mem_bytes;
			if (gpu->sms < seen[k].sms)
				seen[k].sms = gpu->sms;
			seen[k].count++;
		}
	}
	for (k = 0; k < nseen; k++) {
		char drv[48] = "", ctx[48] = "", v[32];

		/* Whole MiB, memory rounded down and what the driver keeps and a
		 * context takes rounded up: never promise more than the GPU has. */
		vgpu_size_format(seen[k].mem_bytes & ~(uint64_t)0xfffff, mem, sizeof(mem));
		if (seen[k].reserved_bytes) {
			vgpu_size_format((seen[k].reserved_bytes + 0xfffff) & ~(uint64_t)0xfffff, v, sizeof(v));
			snprintf(drv, sizeof(drv), " DriverReserved=%s", v);
		}
		if (seen[k].context_bytes) {
			vgpu_size_format((seen[k].context_bytes + 0xfffff) & ~(uint64_t)0xfffff, v, sizeof(v));
			snprintf(ctx, sizeof(ctx), " ContextMemory=%s", v);
		}
		fprintf(out, "GpuType=%s Memory=%s%s%s SMs=%u Model=\"%s\"   # %u GPU%s\n", seen[k].name,
			mem, drv, ctx, seen[k].sms, seen[k].model, seen[k].count, seen[k].count == 1 ? "" : "s");
	}
	return rc;
}

int vgpu_slurmconf_write(FILE *out, const vgpu_conf_t *conf, const vgpu_inventory_t *invs,
			 size_t ninvs, const vgpu_slurmconf_opts_t *opts, vgpu_err_t *err)
{
	const char *dev_dir = opts->dev_dir ? opts->dev_dir : "/dev";
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	sorted_t s;
	int rc = -1;

	if (vgpu_slurmconf_check(conf, invs, ninvs, err) != 0)
		return -1;
	if (sorted_make(&s, invs, ninvs, err) != 0)
		return -1;
	/* Build everything in memory first: a failure writes nothing. */
	mem = open_memstream(&text, &len);
	if (!mem) {
		vgpu_err_set(err, "out of memory");
		goto out;
	}
	if (opts->preamble)
		fprintf(mem, "# %s\n", opts->preamble);
	if (opts->what & VGPU_SLURMCONF_NODES) {
		if (opts->headers)
			fprintf(mem, "# --- slurm.conf ---\n");
		write_nodes(mem, conf, &s, opts->map);
	}
	if (opts->what & VGPU_SLURMCONF_GRES) {
		if (opts->headers)
			fprintf(mem, "# --- gres.conf (%s accounting) ---\n",
				vgpu_conf_mode_name(conf->mode));
		write_gres(mem, conf, &s, opts->omit_cores, dev_dir);
	}
	if (opts->what & VGPU_SLURMCONF_TYPES) {
		if (opts->headers)
			fprintf(mem, "# --- vgpu.conf ---\n");
		if (write_types(mem, &s) != 0) {
			vgpu_err_set(err, "the inventories hold more than %d GPU types",
				     VGPU_CONF_TYPES_MAX);
			goto out;
		}
	}
	if (fclose(mem) != 0) {
		mem = NULL;
		vgpu_err_set(err, "out of memory");
		goto out;
	}
	mem = NULL;
	if (fwrite(text, 1, len, out) != len || fflush(out) != 0) {
		vgpu_err_set(err, "cannot write the output");
		goto out;
	}
	rc = 0;
out:
	if (mem)
		fclose(mem);
	free(text);
	sorted_free(&s);
	return rc;
}
