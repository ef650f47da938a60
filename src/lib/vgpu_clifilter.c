/*
 * vgpu_clifilter.c - the clients' admission of --gres=vgpu:REQUEST
 * (vgpu_clifilter.h), the one admission path: for
 * plugins/cli_filter/cli_filter_vgpu.c. The unit test
 * (tests/unit/test_clifilter.c) and tests/e2e/0215 check its messages.
 */
#include <stdio.h>
#include <string.h>

#include "vgpu_admit.h"
#include "vgpu_clifilter.h"
#include "vgpu_request.h"
#include "vgpu_slurmconf.h"

const char *const vgpu_clifilter_gpu_options[VGPU_CLIFILTER_NGPUOPTS] = {
	"gpus", "gpus-per-node", "gpus-per-task", "gpus-per-socket"
};

/* A bounded string being built: text in buf (size len), pos its length; a
 * failed append leaves full set and the text as it was. */
typedef struct strbuf {
	char *buf;
	size_t len, pos;
	int full;
} strbuf_t;

static void sb_init(strbuf_t *sb, char *buf, size_t len)
{
	sb->buf = buf;
	sb->len = len;
	sb->pos = 0;
	sb->full = 0;
	buf[0] = '\0';
}

static void sb_add(strbuf_t *sb, const char *s, size_t n)
{
	if (sb->full || n >= sb->len - sb->pos) {
		sb->full = 1;
		return;
	}
	memcpy(sb->buf + sb->pos, s, n);
	sb->pos += n;
	sb->buf[sb->pos] = '\0';
}

static void sb_str(strbuf_t *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/* The user's --export list without its VGPU_REQUEST items (a hetjob's
 * later component inherits the earlier one's list, with its request) and
 * empty items, or "NONE" when nothing else was in it (srun then exports no
 * other variable, as with a list of names only). */
static void sb_export_rest(strbuf_t *sb, const char *list)
{
	const char *p = list;
	int n = 0;

	while (*p) {
		size_t len = strcspn(p, ",");

		if (len > 0 &&
		    !(len >= 12 && strncmp(p, "VGPU_REQUEST", 12) == 0 && (len == 12 || p[12] == '='))) {
			sb_str(sb, n++ ? "," : "");
			sb_add(sb, p, len);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (n == 0)
		sb_str(sb, "NONE");
}

/* The refusal of a value that does not fit. */
static int too_long(const char *option, vgpu_err_t *err)
{
	return vgpu_err_set(err, "--%s: the value with the vgpu request would be longer than %d "
			    "bytes", option, VGPU_CLIFILTER_OPT_MAX - 1);
}

static int is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "key=": letters, then '='. */
static int is_key_item(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_letter(s[i]))
		i++;
	return i > 0 && i < n && s[i] == '=';
}

static int name_is(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(s, name, n) == 0;
}

/* The vgpu request into out->req (*found set to 1 when there is a vgpu
 * item), the other items (*nothers of them, empty ones included) joined by
 * ',' into out->gres, the last
 * gpu/shard/mps name among them into gpuname ("" when none). Returns 0, or
 * -1 with err (vgpu twice, or no room). */
static int split_gres(const char *gres, vgpu_clifilter_out_t *out, int *found, int *nothers,
		      char *gpuname, size_t gpulen, vgpu_err_t *err)
{
	strbuf_t req, others;
	const char *p = gres;
	int after_vgpu = 0;

	sb_init(&req, out->req, sizeof(out->req));
	sb_init(&others, out->gres, sizeof(out->gres));
	*found = *nothers = 0;
	gpuname[0] = '\0';
	while (*p) {
		const char *item;
		size_t n, name;

		if (*p == ',') {
			p++;
			continue;
		}
		item = p;
		n = strcspn(p, ",");
		p += n;
		if (n >= 5 && memcmp(item, "gres", 4) == 0 && (item[4] == ':' || item[4] == '/')) {
			item += 5;
			n -= 5;
		}
		name = 0;
		while (name < n && item[name] != ':' && item[name] != '=')
			name++;
		if (name_is(item, name, "vgpu")) {
			if (*found)
				return vgpu_err_set(err, "--gres: vgpu given twice");
			*found = 1;
			/* what follows "vgpu" and its separator */
			if (n > 5)
				sb_add(&req, item + 5, n - 5);
			after_vgpu = 1;
		} else if (after_vgpu && is_key_item(item, n)) {
			sb_add(&req, ",", 1);
			sb_add(&req, item, n);
		} else {
			after_vgpu = 0;
			if ((*nothers)++ > 0)
				sb_add(&others, ",", 1);
			sb_add(&others, item, n);
			if (name_is(item, name, "gpu") || name_is(item, name, "shard") ||
			    name_is(item, name, "mps"))
				snprintf(gpuname, gpulen, "%.*s", (int)name, item);
		}
	}
	if (*found && (req.full || others.full))
		return too_long("gres", err);
	return 0;
}

/* The user's constraint with feats ("": none needed) AND-ed to it, into
 * out->constraint (set_constraint 1 when it differs from the user's). 0, or
 * -1 with err. */
static int add_constraint(const char *user, const char *feats, vgpu_clifilter_out_t *out,
			  vgpu_err_t *err)
{
	strbuf_t sb;
	int user_or = user && strchr(user, '|'), feats_or = strchr(feats, '|') != NULL;

	if (!*feats)
		return 0;
	sb_init(&sb, out->constraint, sizeof(out->constraint));
	if (!user || !*user) {
		sb_str(&sb, feats);
	} else if (strpbrk(user, "()[]*!")) {
		return vgpu_err_set(err, "--constraint '%s' cannot be combined with the GPU type "
				    "constraint '%s' this slice needs (Slurm 22.05 cannot nest "
				    "parentheses or combine brackets or counts with it): use a plain "
				    "list of features joined by & or |", user, feats);
	} else {
		sb_str(&sb, user_or ? "(" : "");
		sb_str(&sb, user);
		sb_str(&sb, user_or ? ")&" : "&");
		sb_str(&sb, feats_or ? "(" : "");
		sb_str(&sb, feats);
		sb_str(&sb, feats_or ? ")" : "");
	}
	if (sb.full)
		return too_long("constraint", err);
	out->set_constraint = !user || strcmp(user, out->constraint) != 0;
	return 0;
}

int vgpu_clifilter_run(const vgpu_clifilter_in_t *in, const vgpu_conf_t *conf,
		       vgpu_clifilter_out_t *out, vgpu_err_t *err)
{
	char gpuname[8];
	vgpu_slurmconf_admit_t ans;
	vgpu_request_t req;
	strbuf_t sb;
	char num[24];
	int found, nothers, i;

	out->gres[0] = out->constraint[0] = out->comment[0] = out->export_env[0] = '\0';
	out->req[0] = out->canon[0] = '\0';
	out->set_constraint = out->set_comment = out->set_export = 0;
	out->shards = 0;
	if (!in->gres || !*in->gres)
		return VGPU_CLIFILTER_NONE;
	if (split_gres(in->gres, out, &found, &nothers, gpuname, sizeof(gpuname), err) != 0)
		return VGPU_CLIFILTER_REFUSED;
	if (!found) {
		out->gres[0] = out->req[0] = '\0';
		return VGPU_CLIFILTER_NONE;
	}
	if (gpuname[0])
		return vgpu_err_set(err, "--gres=vgpu cannot be combined with --gres=%s (a slice is "
				    "part of one GPU)", gpuname);
	for (i = 0; i < VGPU_CLIFILTER_NGPUOPTS; i++) {
		const char *v = in->gpus[i];

		if (v && *v && strcmp(v, "0") != 0)
			return vgpu_err_set(err, "--gres=vgpu cannot be combined with --%s (a slice is "
					    "part of one GPU)", vgpu_clifilter_gpu_options[i]);
	}
	/* The request first, then vgpu.conf, then the accounting: a
	 * malformed request is refused even where vgpu.conf cannot be read. */
	if (vgpu_request_parse(out->req, "--gres=vgpu", &req, err) != 0)
		return VGPU_CLIFILTER_REFUSED;
	if (!conf)
		return VGPU_CLIFILTER_NEED_CONF;
	if (vgpu_slurmconf_admit(conf, &req, &ans, err) != 0)
		return VGPU_CLIFILTER_REFUSED;
	out->shards = ans.shards;
	snprintf(out->canon, sizeof(out->canon), "%s", ans.canon);
	if (add_constraint(in->constraint, ans.features, out, err) != 0)
		return VGPU_CLIFILTER_REFUSED;
	/* out->gres holds the other items: add the shards */
	sb.buf = out->gres;
	sb.len = sizeof(out->gres);
	sb.pos = strlen(out->gres);
	sb.full = 0;
	snprintf(num, sizeof(num), "shard:%lu", out->shards);
	sb_str(&sb, nothers > 0 ? "," : "");
	sb_str(&sb, num);
	if (sb.full)
		return too_long("gres", err);
	if (in->client == VGPU_CLIFILTER_SBATCH) {
		/* job_submit/vgpu moves it into the batch environment */
		sb_init(&sb, out->comment, sizeof(out->comment));
		sb_str(&sb, VGPU_ADMIT_COMMENT_TAG);
		sb_str(&sb, out->canon);
		sb_str(&sb, "]");
		sb_str(&sb, in->comment ? in->comment : "");
		if (sb.full)
			return too_long("comment", err);
		out->set_comment = 1;
	} else if (in->client != VGPU_CLIFILTER_SALLOC) {
		/* srun, other clients: ':' separators in canon, as Slurm splits
		 * the export list at ','. srun (22.05's launch/slurm
		 * _build_user_env) stops at a NONE token, so the request goes
		 * first, and any VGPU_REQUEST item of the list (a hetjob's
		 * earlier component's) is dropped, as a later one would win; other clients (scrontab: env_merge_filter) apply the
		 * tokens in order after ALL, so it goes last there. */
		const char *user = in->export_env && *in->export_env ? in->export_env : "ALL";

		sb_init(&sb, out->export_env, sizeof(out->export_env));
		if (in->client == VGPU_CLIFILTER_SRUN) {
			sb_str(&sb, "VGPU_REQUEST=");
			sb_str(&sb, out->canon);
			sb_str(&sb, ",");
			sb_export_rest(&sb, user);
		} else {
			sb_str(&sb, user);
			sb_str(&sb, ",VGPU_REQUEST=");
			sb_str(&sb, out->canon);
		}
		if (sb.full)
			return too_long("export", err);
		out->set_export = 1;
	}
	return VGPU_CLIFILTER_CHANGED;
}

vgpu_clifilter_client_t vgpu_clifilter_client(const char *progname)
{
	if (progname && strcmp(progname, "srun") == 0)
		return VGPU_CLIFILTER_SRUN;
	if (progname && strcmp(progname, "sbatch") == 0)
		return VGPU_CLIFILTER_SBATCH;
	if (progname && strcmp(progname, "salloc") == 0)
		return VGPU_CLIFILTER_SALLOC;
	return VGPU_CLIFILTER_OTHER;
}
