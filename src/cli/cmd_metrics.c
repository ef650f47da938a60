/*
 * cmd_metrics.c - `vgpu metrics`: OpenMetrics for Prometheus. Gathers the
 * controller's view (the model of `vgpu show`), this node's StateDir (the
 * plugins' counter files, each slice step's description and its job's
 * ledger) and hands them to the core (src/lib/vgpu_metrics.h), which builds
 * the text. Prints it, writes it for node_exporter's textfile collector
 * (--textfile DIR), or serves it over HTTP (--listen). doc/metrics.md.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "cli_util.h"
#include "cmd_show.h"
#include "vgpu_cliquemap.h"
#include "vgpu_cmd.h"
#include "vgpu_ledger.h"
#include "vgpu_metrics.h"
#include "vgpu_stepdesc.h"

typedef struct metrics_opts {
	const char *conf_path;
	const char *node;       /* only this node's GPUs from slurmctld */
	const char *state_dir;  /* overrides vgpu.conf's */
	const char *textfile;   /* node_exporter textfile directory */
	const char *listen;     /* [ADDR:]PORT */
	int no_slurm, no_local;
	int format;             /* -1: the output's default */
} metrics_opts_t;

static void metrics_usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu metrics [OPTIONS]\n\n"
		"Print OpenMetrics for Prometheus: per GPU and slice from slurmctld, and\n"
		"from this node's StateDir the plugins' counters and the memory each slice\n"
		"and step holds (the shim's ledgers). doc/metrics.md lists the metrics.\n\n"
		"  -c, --conf FILE        vgpu.conf to use (default %s)\n"
		"  -n, --node NAME        only this node's GPUs from slurmctld\n"
		"      --state-dir DIR    read counters and ledgers here (default: vgpu.conf StateDir)\n"
		"      --no-slurm         do not ask slurmctld (node-local figures only)\n"
		"      --no-local         do not read StateDir (slurmctld's view only)\n"
		"      --format FMT       openmetrics (default on stdout and HTTP when asked for)\n"
		"                         or prometheus (text 0.0.4; default for --textfile)\n"
		"      --textfile DIR     write DIR/slurm_vgpu.prom atomically (node_exporter's\n"
		"                         --collector.textfile.directory), then exit\n"
		"      --listen [ADDR:]PORT  serve GET /metrics over HTTP until stopped\n"
		"  -h, --help             this text\n",
		VGPU_CONF_PATH);
}

static int parse_opts(int argc, char **argv, metrics_opts_t *o)
{
	static const struct option longopts[] = {
		{ "conf", required_argument, NULL, 'c' },     { "node", required_argument, NULL, 'n' },
		{ "state-dir", required_argument, NULL, 'S' }, { "textfile", required_argument, NULL, 'T' },
		{ "listen", required_argument, NULL, 'L' },    { "format", required_argument, NULL, 'F' },
		{ "no-slurm", no_argument, NULL, 'N' },        { "no-local", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
	};
	int c;

	o->format = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->conf_path = optarg; break;
		case 'n': o->node = optarg; break;
		case 'S': o->state_dir = optarg; break;
		case 'T': o->textfile = optarg; break;
		case 'L': o->listen = optarg; break;
		case 'N': o->no_slurm = 1; break;
		case 'l': o->no_local = 1; break;
		case 'F':
			if (strcmp(optarg, "openmetrics") == 0)
				o->format = VGPU_METRICS_OPENMETRICS;
			else if (strcmp(optarg, "prometheus") == 0)
				o->format = VGPU_METRICS_PROMETHEUS;
			else {
				fprintf(stderr, "vgpu metrics: --format: '%s' is not openmetrics or prometheus\n",
					optarg);
				return 2;
			}
			break;
		case 'h': metrics_usage(stdout); return 0;
		default:
			fprintf(stderr, "vgpu metrics: unknown option or missing value: '%s'\n", argv[optind - 1]);
			metrics_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vgpu metrics: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->textfile && o->listen) {
		fprintf(stderr, "vgpu metrics: --textfile and --listen exclude each other\n");
		return 2;
	}
	return -1;
}

/* ---- slurmctld ------------------------------------------------------------ */

/* The per-partition families from the clique map of vgpu.conf (CliqueMap=)
 * and the controller's view, as `vgpu show partitions` builds them. */
static int gather_parts(vgpu_metrics_t *m, const node_info_msg_t *nodes, const job_info_msg_t *jobs,
			const vgpu_conf_t *conf)
{
	vgpu_cliquemap_t map = { 0 };
	vgpu_partview_t pv = { 0 };
	vgpu_pv_node_t *pn = NULL;
	vgpu_pv_job_t *pj = NULL;
	size_t npn = 0, npj = 0;
	vgpu_err_t err;
	int rc = -1;

	if (vgpu_cliquemap_load(conf->cliquemap_path, &map, &err) != 0) {
		fprintf(stderr, "vgpu metrics: %s\n", err.msg);
		return -1;
	}
	if (vgpu_show_cli_partview_inputs(nodes, jobs, conf, &pn, &npn, &pj, &npj) == 0) {
		if (vgpu_partview_build(&map, pn, npn, pj, npj, &pv, &err) != 0 ||
		    vgpu_metrics_add_parts(m, &pv, &err) != 0)
			fprintf(stderr, "vgpu metrics: %s\n", err.msg);
		else
			rc = 0;
	}
	vgpu_partview_free(&pv);
	free(pn);
	free(pj);
	vgpu_cliquemap_free(&map);
	return rc;
}

static int gather_slurm(vgpu_metrics_t *m, const metrics_opts_t *o, const vgpu_conf_t *conf)
{
	node_info_msg_t *nodes = NULL;
	job_info_msg_t *jobs = NULL;
	vgpu_show_node_t *model = malloc(sizeof(*model));
	vgpu_err_t err;
	int rc = -1, shown = 0;

	if (!model || vgpu_show_cli_load(&nodes, &jobs, NULL) != 0)
		goto out;
	for (uint32_t i = 0; i < nodes->record_count; i++) {
		const char *name = nodes->node_array[i].name;

		if (!name || (o->node && strcmp(o->node, name) != 0))
			continue;
		shown++;
		if (vgpu_show_cli_node(model, nodes, i, jobs, conf) != 0)
			goto out;
		if (vgpu_metrics_add_node(m, model, &err) != 0) {
			fprintf(stderr, "vgpu metrics: %s\n", err.msg);
			goto out;
		}
	}
	if (o->node && !shown) {
		fprintf(stderr, "vgpu metrics: --node: slurmctld knows no node '%s'\n", o->node);
		goto out;
	}
	/* NVLink partitions: cluster-wide figures, not one node's. */
	rc = o->node || !conf->cliquemap_path[0] ? 0 : gather_parts(m, nodes, jobs, conf);
out:
	free(model);
	if (jobs)
		slurm_free_job_info_msg(jobs);
	if (nodes)
		slurm_free_node_info_msg(nodes);
	return rc;
}

/* ---- StateDir: step descriptions and ledgers ------------------------------ */

/* JOB.STEP.NODE or JOB.batch.NODE (digits): a step directory. */
static int step_dir_name(const char *s, char *job, size_t joblen)
{
	const char *p = s;
	size_t n = 0;

	while (isdigit((unsigned char)*p))
		p++;
	n = (size_t)(p - s);
	if (n == 0 || n >= joblen || *p++ != '.')
		return 0;
	memcpy(job, s, n);
	job[n] = '\0';
	if (strncmp(p, "batch", 5) == 0)
		p += 5;
	else if (isdigit((unsigned char)*p))
		while (isdigit((unsigned char)*p))
			p++;
	else
		return 0;
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == '\0';
}

typedef struct seen {
	char (*v)[VGPU_STEPDESC_PATH_MAX + 64];
	size_t n, cap;
} seen_t;

/* 1 when key was seen before (else it is remembered), -1 on OOM. */
static int seen_before(seen_t *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], key) == 0)
			return 1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	snprintf(s->v[s->n++], sizeof(s->v[0]), "%s", key);
	return 0;
}

/* One step directory: its limits and what its job's ledger holds. Returns
 * the number of things that could not be read. */
static unsigned gather_step(vgpu_metrics_t *m, const char *state_dir, const char *name, const char *job,
			    seen_t *seen)
{
	char path[VGPU_PATH_MAX + 300], host[VGPU_SHOW_NODE_MAX], idx[16];
	static vgpu_stepdesc_t d;
	unsigned bad = 0, index;
	vgpu_err_t err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/gpu", state_dir, name);
	if (!(f = fopen(path, "re")))
		return 1; /* a step being made or removed */
	if (fscanf(f, "%u %63s", &index, host) != 2) {
		fclose(f);
		return 1;
	}
	fclose(f);
	snprintf(idx, sizeof(idx), "%u", index);
	snprintf(path, sizeof(path), "%s/%s/step.desc", state_dir, name);
	if (access(path, F_OK) != 0)
		return 0; /* a whole-GPU step's record: no slice */
	if (vgpu_stepdesc_load(path, &d, &err) != 0) {
		fprintf(stderr, "vgpu metrics: %s\n", err.msg);
		return 1;
	}
	for (size_t g = 0; g < d.ngpus; g++) {
		const vgpu_stepdesc_gpu_t *gpu = &d.gpus[g];
		const char *l[] = { "node", host, "gpu", idx, "jobid", job, "step", d.step, NULL };
		struct vgpu_ledger_step st = { d.step, gpu->mem_bytes, 0, 0 };
		struct vgpu_ledger *led = NULL;
		char lpath[VGPU_STEPDESC_PATH_MAX + 64], lerr[VGPU_ERR_MAX];
		int r;

		if (vgpu_metrics_add(m, VGPU_M_STEP_MEMORY_LIMIT, l, (double)gpu->mem_bytes, &err) != 0 ||
		    vgpu_metrics_add(m, VGPU_M_STEP_SM_LIMIT, l, gpu->sm_bp / 10000.0, &err) != 0) {
			bad++;
			continue;
		}
		snprintf(lpath, sizeof(lpath), "%s/%s" VGPU_LEDGER_SUFFIX, d.acct_dir, gpu->uuid);
		if (access(lpath, F_OK) != 0)
			continue; /* no process has used the GPU yet: nothing held */
		if (vgpu_ledger_open(d.acct_dir, gpu->uuid, &st, &led, lerr, sizeof(lerr)) != 0) {
			fprintf(stderr, "vgpu metrics: %s\n", lerr);
			bad++;
			continue;
		}
		vgpu_metrics_add(m, VGPU_M_STEP_MEMORY_USED, l, (double)vgpu_ledger_used(led), NULL);
		r = seen_before(seen, lpath); /* the job's ledger: once for all its steps */
		if (r == 0) {
			const char *jl[] = { "node", host, "gpu", idx, "jobid", job, NULL };

			vgpu_metrics_add(m, VGPU_M_SLICE_MEMORY_USED, jl, (double)vgpu_ledger_job_used(led), NULL);
			if (vgpu_ledger_job_cap(led))
				vgpu_metrics_add(m, VGPU_M_SLICE_MEMORY_CAP, jl, (double)vgpu_ledger_job_cap(led), NULL);
		} else if (r < 0) {
			bad++;
		}
		vgpu_ledger_close(led);
	}
	return bad;
}

/* Under the StateDir lock (a job's last step removes its ledgers under it,
 * and opening a ledger would create a missing one). */
static unsigned gather_ledgers(vgpu_metrics_t *m, const char *state_dir)
{
	seen_t seen = { 0 };
	unsigned bad = 0;
	struct dirent *de;
	DIR *d;
	int fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : 1;
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			close(fd);
			return 1;
		}
	if (!(d = opendir(state_dir))) {
		close(fd);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		char job[16];

		if (step_dir_name(de->d_name, job, sizeof(job)))
			bad += gather_step(m, state_dir, de->d_name, job, &seen);
	}
	closedir(d);
	close(fd);
	free(seen.v);
	return bad;
}

/* ---- one scrape ----------------------------------------------------------- */

static char *scrape(const metrics_opts_t *o, vgpu_metrics_format_t fmt, size_t *len)
{
	vgpu_metrics_t *m = vgpu_metrics_new();
	const char *source;
	vgpu_conf_t conf;
	vgpu_err_t err;
	unsigned bad;
	char *text;

	if (!m) {
		fprintf(stderr, "vgpu metrics: out of memory\n");
		return NULL;
	}
	if (vgpu_cli_load_conf("metrics", o->conf_path, &conf, &source) != 0) {
		vgpu_metrics_free(m);
		return NULL;
	}
	if (!o->no_slurm) {
		const char *l[] = { "source", "slurmctld", NULL };

		vgpu_metrics_add(m, VGPU_M_SCRAPE_ERRORS, l, gather_slurm(m, o, &conf) != 0, NULL);
	}
	if (!o->no_local) {
		const char *sd = o->state_dir ? o->state_dir : conf.state_dir;
		const char *lc[] = { "source", "counters", NULL }, *ll[] = { "source", "ledgers", NULL };

		char cdir[VGPU_PATH_MAX + 16];

		if (vgpu_metrics_counter_dir(sd, cdir, sizeof(cdir)) != 0) {
			fprintf(stderr, "vgpu metrics: StateDir '%s': no counter directory beside it\n", sd);
			bad = 1;
		} else if (vgpu_metrics_add_counters(m, cdir, &bad, &err) != 0) {
			fprintf(stderr, "vgpu metrics: %s\n", err.msg);
			bad++;
		} else if (bad) {
			fprintf(stderr, "vgpu metrics: %s\n", err.msg);
		}
		vgpu_metrics_add(m, VGPU_M_SCRAPE_ERRORS, lc, bad, NULL);
		vgpu_metrics_add(m, VGPU_M_SCRAPE_ERRORS, ll, gather_ledgers(m, sd), NULL);
	}
	text = vgpu_metrics_render(m, fmt, len);
	vgpu_metrics_free(m);
	if (!text)
		fprintf(stderr, "vgpu metrics: out of memory\n");
	return text;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* DIR/slurm_vgpu.prom through a temporary file node_exporter ignores (it
 * reads *.prom only) and a rename. */
static int write_textfile(const char *dir, const char *text, size_t len)
{
	char tmp[4200], path[4200];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.slurm_vgpu.prom.%d", dir, (int)getpid());
	snprintf(path, sizeof(path), "%s/slurm_vgpu.prom", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "vgpu metrics: --textfile: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	if (write_all(fd, text, len) != 0 || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "vgpu metrics: --textfile: writing %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- HTTP ----------------------------------------------------------------- */

/* A listening socket for [ADDR:]PORT (ADDR default: every address). */
static int listen_on(const char *spec)
{
	char host[256] = "", port[32];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	int fd = -1, one = 1, r;

	if (colon) {
		size_t n = (size_t)(colon - spec);

		if (n >= sizeof(host))
			n = sizeof(host) - 1;
		memcpy(host, spec, n);
		host[n] = '\0';
		if (host[0] == '[' && n > 1 && host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = '\0';
		}
	}
	snprintf(port, sizeof(port), "%s", colon ? colon + 1 : spec);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
		fprintf(stderr, "vgpu metrics: --listen '%s': %s\n", spec, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fprintf(stderr, "vgpu metrics: --listen '%s': cannot bind: %s\n", spec, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Read the request head (bounded; a client silent for 10 s is dropped). */
static int read_head(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	buf[n] = '\0';
	return n ? 0 : -1;
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[512];
	int k = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, type, len);

	if (write_all(fd, head, (size_t)k) == 0 && body)
		write_all(fd, body, len);
}

/* One request: GET / HEAD of /metrics. Prometheus asks for OpenMetrics in
 * its Accept header; other clients get the 0.0.4 text format, unless
 * --format says which. */
static void handle(int fd, const metrics_opts_t *o)
{
	struct timeval tv = { 10, 0 };
	char req[8192], *sp, *path;
	vgpu_metrics_format_t fmt;
	const char *accept;
	size_t len = 0;
	char *text;
	int head;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_head(fd, req, sizeof(req)) != 0)
		return;
	head = strncmp(req, "HEAD ", 5) == 0;
	if (strncmp(req, "GET ", 4) != 0 && !head) {
		respond(fd, "405 Method Not Allowed", "text/plain", "GET /metrics only\n", 18);
		return;
	}
	path = req + (head ? 5 : 4);
	sp = strpbrk(path, " ?\r\n");
	if (!sp || (size_t)(sp - path) != 8 || strncmp(path, "/metrics", 8) != 0) {
		respond(fd, "404 Not Found", "text/plain", "see /metrics\n", 13);
		return;
	}
	accept = strcasestr(req, "\naccept:");
	fmt = o->format >= 0 ? (vgpu_metrics_format_t)o->format
	      : accept && strstr(accept, "application/openmetrics-text") ? VGPU_METRICS_OPENMETRICS
									  : VGPU_METRICS_PROMETHEUS;
	if (!(text = scrape(o, fmt, &len))) {
		respond(fd, "500 Internal Server Error", "text/plain", "vgpu metrics failed: see its stderr\n", 36);
		return;
	}
	respond(fd, "200 OK", vgpu_metrics_content_type(fmt), head ? NULL : text, len);
	free(text);
}

/* Serve until killed; one request at a time (a scrape is one controller
 * query and a scan of StateDir). */
static int serve(const metrics_opts_t *o)
{
	int lfd = listen_on(o->listen);

	if (lfd < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "vgpu metrics: serving http://%s/metrics\n", o->listen);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "vgpu metrics: accept: %s\n", strerror(errno));
			close(lfd);
			return 1;
		}
		handle(fd, o);
		close(fd);
	}
}

int vgpu_cmd_metrics(int argc, char **argv)
{
	metrics_opts_t o = { 0 };
	char *text;
	size_t len = 0;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) >= 0)
		return rc;
	if (o.listen)
		return serve(&o);
	text = scrape(&o, o.format >= 0 ? (vgpu_metrics_format_t)o.format
					: o.textfile ? VGPU_METRICS_PROMETHEUS : VGPU_METRICS_OPENMETRICS,
		      &len);
	if (!text)
		return 1;
	if (o.textfile)
		rc = write_textfile(o.textfile, text, len) == 0 ? 0 : 1;
	else
		rc = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : 1;
	free(text);
	return rc;
}
