/* vgpu_metrics_count.c - the plugins' counter files (see vgpu_metrics.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgpu_conf.h"
#include "vgpu_file.h"
#include "vgpu_metrics.h"

#define HEADER "# slurm-vgpu counters 1"
#define PREFIX "metrics."
#define SUFFIX ".counters"

static const char *const counter_names[] = { "steps_started", "steps_refused", "jobs_refused" };
static const vgpu_metric_t counter_family[] = { VGPU_M_STEPS_STARTED, VGPU_M_STEPS_REFUSED,
						VGPU_M_JOBS_REFUSED };

static int reason_ok(const char *r)
{
	size_t n = 0;

	if (strcmp(r, "-") == 0)
		return 1;
	for (; r[n]; n++)
		if (!((r[n] >= 'a' && r[n] <= 'z') || (r[n] >= '0' && r[n] <= '9') || r[n] == '_'))
			return 0;
	return n > 0 && n < VGPU_METRICS_REASON_MAX;
}

/* The source part of a file name: a node or host name, no '/', no leading
 * '.', bounded. */
static int source_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < VGPU_METRICS_SOURCE_MAX && s[0] != '.' && !strchr(s, '/') && !strchr(s, '\n');
}

static vgpu_counter_entry_t *find(vgpu_counters_t *c, vgpu_counter_t counter, const char *reason)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].counter == counter && strcmp(c->v[i].reason, reason) == 0)
			return &c->v[i];
	return NULL;
}

int vgpu_metrics_counters_parse(const char *text, size_t len, const char *name, vgpu_counters_t *c,
				vgpu_err_t *err)
{
	size_t pos = 0;
	unsigned line = 0;

	c->n = 0;
	while (pos < len) {
		char buf[160], word[32], reason[VGPU_METRICS_REASON_MAX + 16], value[32], extra[2];
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		vgpu_counter_entry_t *e;
		unsigned k;
		char *end;

		line++;
		if (n >= sizeof(buf) || memchr(text + pos, '\0', n))
			return vgpu_err_set(err, "%s:%u: line too long or not text", name, line);
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (line == 1) {
			if (strcmp(buf, HEADER) != 0)
				return vgpu_err_set(err, "%s:1: not a counter file (first line is not '%s')", name,
						    HEADER);
			continue;
		}
		if (buf[0] == '\0')
			continue;
		if (sscanf(buf, "%31s %63s %31s %1s", word, reason, value, extra) != 3)
			return vgpu_err_set(err, "%s:%u: expected 'COUNTER REASON VALUE'", name, line);
		for (k = 0; k < sizeof(counter_names) / sizeof(counter_names[0]); k++)
			if (strcmp(word, counter_names[k]) == 0)
				break;
		if (k == sizeof(counter_names) / sizeof(counter_names[0]))
			return vgpu_err_set(err, "%s:%u: unknown counter '%s'", name, line, word);
		if (!reason_ok(reason))
			return vgpu_err_set(err, "%s:%u: reason '%s' is not [a-z0-9_]+ or '-'", name, line, reason);
		errno = 0;
		uint64_t v = strtoull(value, &end, 10);
		if (value[0] < '0' || value[0] > '9' || *end || errno)
			return vgpu_err_set(err, "%s:%u: value '%s' is not a count", name, line, value);
		if (find(c, (vgpu_counter_t)k, reason))
			return vgpu_err_set(err, "%s:%u: %s %s given twice", name, line, word, reason);
		if (c->n == VGPU_METRICS_COUNTERS_MAX)
			return vgpu_err_set(err, "%s:%u: more than %d counters", name, line,
					    VGPU_METRICS_COUNTERS_MAX);
		e = &c->v[c->n++];
		e->counter = (vgpu_counter_t)k;
		snprintf(e->reason, sizeof(e->reason), "%.*s", (int)sizeof(e->reason) - 1, reason);
		e->value = v;
	}
	if (line == 0)
		return vgpu_err_set(err, "%s: empty (not a counter file)", name);
	return 0;
}

int vgpu_metrics_counters_format(const vgpu_counters_t *c, char *buf, size_t len)
{
	size_t o;
	int k = snprintf(buf, len, "%s\n", HEADER);

	if (k < 0 || (size_t)k >= len)
		return -1;
	o = (size_t)k;
	for (size_t i = 0; i < c->n; i++) {
		const vgpu_counter_entry_t *e = &c->v[i];

		if ((unsigned)e->counter >= sizeof(counter_names) / sizeof(counter_names[0]))
			return -1;
		k = snprintf(buf + o, len - o, "%s %s %" PRIu64 "\n", counter_names[e->counter], e->reason,
			     e->value);
		if (k < 0 || (size_t)k >= len - o)
			return -1;
		o += (size_t)k;
	}
	return (int)o;
}

int vgpu_metrics_counters_bump(vgpu_counters_t *c, vgpu_counter_t counter, const char *reason)
{
	vgpu_counter_entry_t *e;

	if ((unsigned)counter >= sizeof(counter_names) / sizeof(counter_names[0]) || !reason || !reason_ok(reason))
		return -1;
	if ((e = find(c, counter, reason))) {
		e->value++;
		return 0;
	}
	if (c->n == VGPU_METRICS_COUNTERS_MAX)
		return -1;
	e = &c->v[c->n++];
	e->counter = counter;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	e->value = 1;
	return 0;
}

/* Write text to path through path.tmp and rename; 0 or -1 with err. */
static int replace_file(const char *path, const char *text, size_t len, vgpu_err_t *err)
{
	char tmp[VGPU_PATH_MAX + 256];
	size_t done = 0;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return vgpu_err_set(err, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vgpu_err_set(err, "%s: cannot create: %s", tmp, strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			vgpu_err_set(err, "%s: cannot write: %s", tmp, w < 0 ? strerror(errno) : "no progress");
			close(fd);
			unlink(tmp);
			return -1;
		}
		done += (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		vgpu_err_set(err, "%s: cannot write or rename to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int vgpu_metrics_count(const char *state_dir, const char *source, vgpu_counter_t counter,
		       const char *reason, vgpu_err_t *err)
{
	char host[VGPU_METRICS_SOURCE_MAX], path[VGPU_PATH_MAX + 128], lock[VGPU_PATH_MAX + 32];
	char text[VGPU_METRICS_FILE_MAX];
	static vgpu_counters_t c;       /* 3 KB: not on a daemon thread's stack */
	char *old = NULL;
	size_t oldlen = 0;
	int fd, rc = 0, k;

	if (!source) {
		if (gethostname(host, sizeof(host) - 1) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		source = host;
	}
	if (!state_dir || !state_dir[0])
		return vgpu_err_set(err, "metrics counter: no directory");
	if (!source_ok(source))
		return vgpu_err_set(err, "metrics counter: source '%s' cannot name a file", source);
	if (!reason || !reason_ok(reason))
		return vgpu_err_set(err, "metrics counter: reason '%s' is not [a-z0-9_]+", reason ? reason : "");
	if ((size_t)snprintf(path, sizeof(path), "%s/" PREFIX "%s" SUFFIX, state_dir, source) >= sizeof(path) ||
	    (size_t)snprintf(lock, sizeof(lock), "%s/metrics.lock", state_dir) >= sizeof(lock))
		return vgpu_err_set(err, "counter directory %s: path too long", state_dir);
	if (mkdir(state_dir, 0755) != 0 && errno != EEXIST)
		return vgpu_err_set(err, "counter directory %s: cannot create: %s", state_dir, strerror(errno));
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vgpu_err_set(err, "%s: cannot open: %s", lock, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			vgpu_err_set(err, "%s: cannot lock: %s", lock, strerror(errno));
			close(fd);
			return -1;
		}
	}
	c.n = 0;
	if (access(path, F_OK) == 0) {
		vgpu_err_t perr;

		if (vgpu_file_read(path, VGPU_METRICS_FILE_MAX, &old, &oldlen, &perr) != 0 ||
		    vgpu_metrics_counters_parse(old, oldlen, path, &c, &perr) != 0) {
			/* Keep counting: a bad file restarts at zero (a reset). */
			vgpu_err_set(err, "%s; replaced", perr.msg);
			c.n = 0;
			rc = 1;
		}
	}
	free(old);
	if (vgpu_metrics_counters_bump(&c, counter, reason) != 0) {
		rc = vgpu_err_set(err, "%s: no room for %s %s", path, counter_names[counter], reason);
		goto out;
	}
	if ((k = vgpu_metrics_counters_format(&c, text, sizeof(text))) < 0) {
		rc = vgpu_err_set(err, "%s: counters do not fit %d bytes", path, VGPU_METRICS_FILE_MAX);
		goto out;
	}
	if (replace_file(path, text, (size_t)k, err) != 0)
		rc = -1;
out:
	close(fd);
	return rc;
}

int vgpu_metrics_counter_dir(const char *state_dir, char *buf, size_t len)
{
	size_t n = state_dir ? strlen(state_dir) : 0;

	while (n > 1 && state_dir[n - 1] == '/')
		n--;
	if (n == 0 || (n == 1 && state_dir[0] == '/'))
		return -1;
	if ((size_t)snprintf(buf, len, "%.*s-metrics", (int)n, state_dir) >= len)
		return -1;
	return 0;
}

int vgpu_metrics_note_step(const char *conf_path, const char *node, int active, int failed, int refused)
{
	static vgpu_conf_t conf;        /* large: one slurmstepd per step, one call */
	const char *reason = refused ? "whole_gpu_on_slices" : failed ? "not_enforceable" : active ? "-" : NULL;
	char dir[VGPU_PATH_MAX + 16];

	if (!reason || !conf_path || vgpu_conf_load(conf_path, &conf, NULL) != 0 ||
	    vgpu_metrics_counter_dir(conf.state_dir, dir, sizeof(dir)) != 0)
		return -1;
	return vgpu_metrics_count(dir, node, refused || failed ? VGPU_C_STEPS_REFUSED
								   : VGPU_C_STEPS_STARTED, reason, NULL) < 0
		       ? -1
		       : 0;
}

int vgpu_metrics_note_job(const char *conf_path, const char *reason)
{
	static vgpu_conf_t conf;        /* large: not on slurmctld's thread stack */
	char dir[VGPU_PATH_MAX + 16];

	if (!conf_path || vgpu_conf_load(conf_path, &conf, NULL) != 0 ||
	    vgpu_metrics_counter_dir(conf.state_dir, dir, sizeof(dir)) != 0)
		return -1;
	return vgpu_metrics_count(dir, NULL, VGPU_C_JOBS_REFUSED, reason, NULL) < 0 ? -1 : 0;
}

int vgpu_metrics_add_counters(vgpu_metrics_t *m, const char *state_dir, unsigned *bad, vgpu_err_t *err)
{
	static const size_t pl = sizeof(PREFIX) - 1, sl = sizeof(SUFFIX) - 1;
	vgpu_counters_t *c = malloc(sizeof(*c));
	struct dirent *de;
	DIR *d;

	*bad = 0;
	if (!c)
		return vgpu_err_set(err, "metrics: out of memory");
	if (!(d = opendir(state_dir))) {
		free(c);
		if (errno == ENOENT)
			return 0;
		return vgpu_err_set(err, "counter directory %s: cannot list: %s", state_dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char source[VGPU_METRICS_SOURCE_MAX], path[VGPU_PATH_MAX + 300];
		char *text = NULL;
		size_t len = 0;

		if (n <= pl + sl || n - pl - sl >= sizeof(source) || strncmp(de->d_name, PREFIX, pl) != 0 ||
		    strcmp(de->d_name + n - sl, SUFFIX) != 0)
			continue;
		memcpy(source, de->d_name + pl, n - pl - sl);
		source[n - pl - sl] = '\0';
		snprintf(path, sizeof(path), "%s/%s", state_dir, de->d_name);
		if (vgpu_file_read(path, VGPU_METRICS_FILE_MAX, &text, &len, err) != 0 ||
		    vgpu_metrics_counters_parse(text, len, path, c, err) != 0) {
			free(text);
			(*bad)++;
			continue;
		}
		free(text);
		for (size_t i = 0; i < c->n; i++) {
			const vgpu_counter_entry_t *e = &c->v[i];
			const char *l[] = { "node", source, "reason", e->reason, NULL };

			if (strcmp(e->reason, "-") == 0)
				l[2] = NULL;
			if (vgpu_metrics_add(m, counter_family[e->counter], l, (double)e->value, err) != 0)
				(*bad)++;
		}
	}
	closedir(d);
	free(c);
	return 0;
}
