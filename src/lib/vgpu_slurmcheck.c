/*
 * vgpu_slurmcheck.c - checks of the Slurm slurm-vgpu runs under: plugin
 * release, MULTIPLE_SHARING_GRES_PJ, a slice step's GPU list
 * (vgpu_slurmcheck.h).
 */
#include "config.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vgpu_slurmcheck.h"

/* Highest index a Slurm GPU variable may name (SLURM_STEP_GPUS). */
#define SLICE_INDEX_MAX 1023u
/* Highest GPU number of a range in a GPU list, and a cap on the count. */
#define RANGE_MAX 65535ul
#define COUNT_CAP (1l << 20)

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Up to 3 decimal digits 0-255 at *p; advances *p. 0 or -1. */
static int release_part(const char **p, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	while (isdigit((unsigned char)**p)) {
		if (++n > 3)
			return -1;
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	if (n == 0 || v > 255)
		return -1;
	*out = v;
	return 0;
}

int vgpu_slurmcheck_release_parse(const char *text, unsigned *num, vgpu_err_t *err)
{
	const char *p = text;
	unsigned a, b, c;
	char q[80];

	if (!p)
		return vgpu_err_set(err, "Slurm release: none given");
	while (is_blank(*p))
		p++;
	if (!isdigit((unsigned char)*p)) {     /* "slurm 22.05.8" */
		while (*p && !is_blank(*p))
			p++;
		while (is_blank(*p))
			p++;
	}
	if (release_part(&p, &a) != 0 || *p++ != '.' || release_part(&p, &b) != 0 || *p++ != '.' ||
	    release_part(&p, &c) != 0)
		return vgpu_err_set(err, "Slurm release '%s': expected MAJOR.MINOR.MICRO such as 22.05.8",
				    vgpu_err_quote(q, sizeof(q), text, 40));
	*num = VGPU_SLURMCHECK_NUM(a, b, c);
	return 0;
}

const char *vgpu_slurmcheck_release_text(unsigned num, char *buf, size_t len)
{
	if (len)
		snprintf(buf, len, "%u.%02u.%u", (num >> 16) & 0xffu, (num >> 8) & 0xffu, num & 0xffu);
	return buf;
}

int vgpu_slurmcheck_release_match(const char *plugin, const vgpu_slurmcheck_slurm_t *built,
				  const vgpu_slurmcheck_slurm_t *running, vgpu_slurmcheck_match_t match,
				  char *msg, size_t len)
{
	unsigned mask = match == VGPU_SLURMCHECK_EXACT ? 0xffffffu : 0xffff00u;
	char b[32], r[32], need[160];

	if (msg && len)
		msg[0] = '\0';
	if (!built || !running)
		return 0;
	vgpu_slurmcheck_release_text(built->release, b, sizeof(b));
	vgpu_slurmcheck_release_text(running->release, r, sizeof(r));
	if (match == VGPU_SLURMCHECK_EXACT)
		snprintf(need, sizeof(need), "Slurm refuses cli_filter and job_submit plugins built for "
			 "another release, to the micro version");
	else
		snprintf(need, sizeof(need), "Slurm refuses SPANK plugins built for another major "
			 "release (this one needs Slurm %u.%02u.x)", (built->release >> 16) & 0xffu,
			 (built->release >> 8) & 0xffu);
#define REBUILD "rebuild slurm-vgpu against this Slurm's headers (its libslurm-dev: configure && " \
		"make && make install) and install the new plugins"
	if (built->release && running->release) {
		if ((built->release & mask) == (running->release & mask))
			return 0;
		if (msg && len)
			snprintf(msg, len, "%s: built for Slurm %s but loaded into Slurm %s: %s; " REBUILD,
				 plugin ? plugin : "vgpu", b, r, need);
		return 1;
	}
	if (built->api > 0 && running->api > 0 && (built->api >> 16) != (running->api >> 16)) {
		if (msg && len)
			snprintf(msg, len, "%s: built for Slurm %s (API %ld) but loaded into a Slurm of API "
				 "%ld, another release: %s; " REBUILD, plugin ? plugin : "vgpu",
				 built->release ? b : "(unknown)", built->api >> 16, running->api >> 16, need);
		return 1;
	}
#undef REBUILD
	return 0;
}

/* dlsym of a function, without the object-to-function pointer warning. */
static void *lookup(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

void vgpu_slurmcheck_running(vgpu_slurmcheck_slurm_t *out)
{
	void *api = lookup("slurm_api_version"), *print = lookup("print_slurm_version");
	long (*api_fn)(void);
	void (*print_fn)(void);
	char text[128];
	FILE *mem, *saved;

	out->release = 0;
	out->api = 0;
	if (api) {
		memcpy(&api_fn, &api, sizeof(api));
		out->api = api_fn();
	}
	if (!print)
		return;
	memcpy(&print_fn, &print, sizeof(print));
	memset(text, 0, sizeof(text));
	fflush(stdout);
	mem = fmemopen(text, sizeof(text) - 1, "w");
	if (!mem)
		return;
	/* glibc's stdout is a variable that may be assigned (its manual,
	 * "Standard Streams"); print_slurm_version is printf("%s %s\n",
	 * "slurm", SLURM_VERSION_STRING) in every release. */
	saved = stdout;
	stdout = mem;
	print_fn();
	stdout = saved;
	fclose(mem);
	if (vgpu_slurmcheck_release_parse(text, &out->release, NULL) != 0)
		out->release = 0;
}

int vgpu_slurmcheck_plugin_loaded(const char *plugin, vgpu_slurmcheck_match_t match,
				  const vgpu_slurmcheck_slurm_t *built, const void *self)
{
	vgpu_slurmcheck_slurm_t running;
	char msg[VGPU_SLURMCHECK_MSG_MAX];
	void *er = lookup("slurm_error"), *h;
	void (*error_fn)(const char *fmt, ...);
	Dl_info info;

	vgpu_slurmcheck_running(&running);
	if (vgpu_slurmcheck_release_match(plugin, built, &running, match, msg, sizeof(msg)) == 0)
		return 0;
	if (!er || vgpu_slurmcheck_is_daemon(program_invocation_short_name)) {
		fprintf(stderr, "%s: error: %s\n", program_invocation_short_name, msg);
		fflush(stderr);
	}
	if (er) {
		memcpy(&error_fn, &er, sizeof(er));
		error_fn("%s", msg);
	}
	if (self && dladdr(self, &info) && info.dli_fname &&
	    (h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE)))
		dlclose(h);
	return 1;
}

int vgpu_slurmcheck_is_daemon(const char *prog)
{
	return prog && strncmp(prog, "slurm", 5) == 0 && prog[5] >= 'a' && prog[5] <= 'z';
}

int vgpu_slurmcheck_multi_sharing(const char *value)
{
	const char *p = value;
	size_t n = strlen(VGPU_SLURMCHECK_MULTI_SHARING);

	while (p && *p) {
		const char *end = strchr(p, ','), *e;

		if (!end)
			end = p + strlen(p);
		while (p < end && is_blank(*p))
			p++;
		e = end;
		while (e > p && is_blank(e[-1]))
			e--;
		if ((size_t)(e - p) == n && strncasecmp(p, VGPU_SLURMCHECK_MULTI_SHARING, n) == 0)
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}

int vgpu_slurmcheck_gres_slice(const char *gres)
{
	const char *p = gres;

	while (p && *p) {
		size_t len = strcspn(p, ",;"), name;
		const char *item = p;

		while (len && is_blank(*item)) {
			item++;
			len--;
		}
		if (len >= 5 && (strncmp(item, "gres:", 5) == 0 || strncmp(item, "gres/", 5) == 0)) {
			item += 5;
			len -= 5;
		}
		for (name = 0; name < len && item[name] != ':' && item[name] != '=' && !is_blank(item[name]);
		     name++)
			;
		if ((name == 5 && strncmp(item, "shard", 5) == 0) ||
		    (name == 4 && strncmp(item, "vgpu", 4) == 0))
			return 1;
		p = item + len;
		if (*p)
			p++;
	}
	return 0;
}

/* A decimal number of at most 5 digits at p (up to end), into *v; the
 * position after it, or NULL. */
static const char *gpu_number(const char *p, const char *end, unsigned long *v)
{
	int n = 0;

	*v = 0;
	while (p < end && isdigit((unsigned char)*p)) {
		if (++n > 5)
			return NULL;
		*v = *v * 10 + (unsigned long)(*p - '0');
		p++;
	}
	return n ? p : NULL;
}

int vgpu_slurmcheck_gpu_count(const char *list)
{
	const char *p = list;
	long count = 0;

	if (!p || !*p)
		return 0;
	for (;;) {
		const char *end = p + strcspn(p, ",");

		if (end == p)
			return -1;      /* an empty entry: "0,,1", ",0", "0," */
		if (isdigit((unsigned char)*p)) {
			unsigned long lo, hi;
			const char *q = gpu_number(p, end, &lo);

			if (!q || lo > RANGE_MAX)
				return -1;
			hi = lo;
			if (q < end && (*q != '-' || !(q = gpu_number(q + 1, end, &hi)) || hi > RANGE_MAX ||
					hi < lo))
				return -1;
			if (q != end)
				return -1;
			count += (long)(hi - lo + 1);
		} else {
			count++;        /* "GPU-<uuid>", "MIG-<uuid>" */
		}
		if (count > COUNT_CAP)
			count = COUNT_CAP;
		if (!*end)
			break;
		p = end + 1;
	}
	return (int)count;
}

int vgpu_slurmcheck_slice_gpu(const vgpu_slurmcheck_step_env_t *env, unsigned *index,
			      vgpu_err_t *err)
{
	const char *names[3] = { "SLURM_STEP_GPUS", "SLURM_JOB_GPUS", "CUDA_VISIBLE_DEVICES" };
	const char *vals[3];
	const char *var, *val;
	char q[80], *end;
	unsigned long v;
	int i, n;

	vals[0] = env ? env->step_gpus : NULL;
	vals[1] = env ? env->job_gpus : NULL;
	vals[2] = env ? env->cuda_visible : NULL;
	for (i = 0; i < 3; i++) {
		if (!vals[i] || !vals[i][0])
			continue;
		n = vgpu_slurmcheck_gpu_count(vals[i]);
		if (n >= 2)
			return vgpu_err_set(err, "%s='%s': this step's shards are on %d GPUs: %s", names[i],
					    vgpu_err_quote(q, sizeof(q), vals[i], 40), n,
					    VGPU_SLURMCHECK_MULTI_SHARING_WHY);
	}
	var = names[0];
	val = vals[0];
	if (!val || !val[0]) {
		var = names[1];
		val = vals[1];
	}
	if (!val || !val[0])
		return vgpu_err_set(err, "the step holds shards but neither SLURM_STEP_GPUS nor "
				    "SLURM_JOB_GPUS is set");
	errno = 0;
	v = strtoul(val, &end, 10);
	if (!isdigit((unsigned char)val[0]) || errno || *end != '\0' || v > SLICE_INDEX_MAX)
		return vgpu_err_set(err, "%s='%s': expected one GPU index (shards of one GPU)", var,
				    vgpu_err_quote(q, sizeof(q), val, 40));
	*index = (unsigned)v;
	return 0;
}

/* The findings being gathered: warnings first, notes after. */
typedef struct scan {
	vgpu_slurmcheck_conf_t *rep;
	const char *name;
	unsigned nnote;
	char notes[VGPU_SLURMCHECK_FINDINGS][VGPU_ERR_MAX];
} scan_t;

static void finding(scan_t *s, int warn, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* One finding, "NAME:LINE: " + fmt. */
static void finding(scan_t *s, int warn, unsigned line, const char *fmt, ...)
{
	vgpu_slurmcheck_conf_t *rep = s->rep;
	char text[VGPU_ERR_MAX] = { 0 }, q[96];  /* copied whole: no stack bytes in it */
	va_list ap;
	size_t o;

	if (rep->nwarn + s->nnote >= VGPU_SLURMCHECK_FINDINGS) {
		rep->dropped++;
		return;
	}
	o = (size_t)snprintf(text, sizeof(text), "%s:%u: ", vgpu_err_quote(q, sizeof(q), s->name, 80),
			     line);
	if (o < sizeof(text)) {
		va_start(ap, fmt);
		vsnprintf(text + o, sizeof(text) - o, fmt, ap);
		va_end(ap);
	}
	if (warn)
		memcpy(rep->findings[rep->nwarn++], text, sizeof(text));
	else
		memcpy(s->notes[s->nnote++], text, sizeof(text));
}

/* Strip one pair of surrounding double quotes from [*p, *e). */
static void unquote(char **p, char **e)
{
	if (*e - *p >= 2 && **p == '"' && (*e)[-1] == '"') {
		(*p)++;
		(*e)--;
	}
}

/* One logical line (comments still in it), NUL-terminated at buf[n]. */
static void scan_line(scan_t *s, char *buf, size_t n, unsigned line)
{
	size_t k;
	int inq = 0, first = 1, include = 0;
	char *p = buf, *end;

	for (k = 0; k < n; k++) {
		if (buf[k] == '"')
			inq = !inq;
		else if (buf[k] == '#' && !inq && (k == 0 || buf[k - 1] != '\\')) {
			buf[k] = '\0';
			n = k;
			break;
		}
	}
	end = buf + n;
	while (p < end) {
		char *w, *we, *eq;
		char q[160];

		while (p < end && is_blank(*p))
			p++;
		if (p >= end)
			break;
		w = p;
		inq = 0;
		while (p < end && (inq || !is_blank(*p))) {
			if (*p == '"')
				inq = !inq;
			p++;
		}
		we = p;
		if (p < end)
			*p++ = '\0';
		else
			*we = '\0';
		if (include) {          /* the word after Include */
			unquote(&w, &we);
			*we = '\0';
			finding(s, 0, line, "Include %s is not followed by this check: look for "
				"SelectTypeParameters in that file too", vgpu_err_quote(q, sizeof(q), w, 120));
			include = 0;
			first = 0;
			continue;
		}
		eq = memchr(w, '=', (size_t)(we - w));
		if (first && !eq && strcasecmp(w, "include") == 0) {
			include = 1;
			continue;
		}
		first = 0;
		if (eq && (size_t)(eq - w) == strlen("SelectTypeParameters") &&
		    strncasecmp(w, "SelectTypeParameters", (size_t)(eq - w)) == 0) {
			char *v = eq + 1;

			unquote(&v, &we);
			*we = '\0';
			s->rep->select_lines++;
			if (vgpu_slurmcheck_multi_sharing(v)) {
				s->rep->multi_sharing = 1;
				finding(s, 1, line, "SelectTypeParameters=%s: %s",
					vgpu_err_quote(q, sizeof(q), v, 120), VGPU_SLURMCHECK_MULTI_SHARING_WHY);
			}
		}
	}
}

void vgpu_slurmcheck_conf_scan(const char *text, size_t len, const char *name,
			       vgpu_slurmcheck_conf_t *rep)
{
	scan_t s;
	char *buf;
	size_t i = 0;
	unsigned line = 1, k;

	memset(rep, 0, sizeof(*rep));
	memset(&s, 0, sizeof(s));
	s.rep = rep;
	s.name = name ? name : "slurm.conf";
	buf = malloc(len + 1);
	if (!buf) {
		finding(&s, 0, 0, "cannot scan %zu bytes: out of memory", len);
		goto out;
	}
	while (i < len) {
		size_t n = 0;
		unsigned start = line;

		while (i < len && text[i] != '\n') {
			if (text[i] == '\\' && i + 1 < len && text[i + 1] == '\n') {
				i += 2;         /* a continued line */
				line++;
				continue;
			}
			if (text[i] == '\\' && i + 2 < len && text[i + 1] == '\r' && text[i + 2] == '\n') {
				i += 3;
				line++;
				continue;
			}
			buf[n++] = text[i] ? text[i] : ' ';
			i++;
		}
		if (i < len) {          /* the '\n' */
			i++;
			line++;
		}
		buf[n] = '\0';
		scan_line(&s, buf, n, start);
	}
	free(buf);
out:
	for (k = 0; k < s.nnote; k++)
		memcpy(rep->findings[rep->nwarn + k], s.notes[k], sizeof(s.notes[k]));
	rep->nfind = rep->nwarn + s.nnote;
}
