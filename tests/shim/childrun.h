/*
 * childrun.h - what test_shim_extra and test_shim_module share: the test
 * re-executes itself ("PROG child OP...") under (or without) the shim; the
 * child prints "op NAME RC" per operation and "cp RC FREE" at each
 * checkpoint, and waits for a "g" on stdin before going on. Include after
 * shimtest.h.
 */
#ifndef VGPU_TEST_CHILDRUN_H
#define VGPU_TEST_CHILDRUN_H

struct run {
	pid_t pid;
	FILE *out;
	int to;
};

/* Start "PROG child OPS..." (this executable) in scenario s. */
static inline void run_start(struct run *r, const struct scen *s, int shim, const char *prog,
			     const char *const *ops)
{
	int o[2], in[2];
	const char *args[64];
	int n = 0;

	if (pipe(o) != 0 || pipe(in) != 0)
		exit(99);
	fflush(stdout);
	r->pid = fork();
	if (r->pid == 0) {
		close(o[0]);
		close(in[1]);
		dup2(o[1], 1);
		dup2(in[0], 0);
		probe_env(s, shim, NULL);
		args[n++] = prog;
		args[n++] = "child";
		while (*ops && n < 63)
			args[n++] = *ops++;
		args[n] = NULL;
		execv("/proc/self/exe", (char *const *)args);
		_exit(127);
	}
	close(o[1]);
	close(in[0]);
	r->out = fdopen(o[0], "r");
	r->to = in[1];
}

/* The child's next line ("op NAME RC" or "cp RC FREE"), in buf; "" at its end. */
static inline const char *run_line(struct run *r, char *buf, size_t len)
{
	if (!fgets(buf, (int)len, r->out))
		return "";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Up to the next checkpoint: the ops' results in rcs (in order, at most
 * max), the checkpoint's free memory in *free_out (UINT64_MAX when its rc
 * was not 0). The number of ops, or -1 when the child ended first. */
static inline int run_to_cp(struct run *r, int *rcs, int max, uint64_t *free_out)
{
	char buf[256];
	int n = 0;

	for (;;) {
		const char *l = run_line(r, buf, sizeof(buf));
		char name[300];
		unsigned long long fr;
		int rc;

		if (!*l)
			return -1;
		if (sscanf(l, "cp %d %llu", &rc, &fr) == 2) {
			*free_out = rc == 0 ? fr : UINT64_MAX;
			return n;
		}
		if (sscanf(l, "op %299s %d", name, &rc) == 2 && n < max)
			rcs[n++] = rc;
	}
}

/* Let the child go on past its checkpoint. */
static inline void run_go(struct run *r)
{
	if (write(r->to, "g", 1) != 1)
		exit(99);
}

/* Close its stdin, read it to the end, reap it: its exit status (128: killed). */
static inline int run_end(struct run *r)
{
	char buf[256];
	int status = 0;

	close(r->to);
	while (*run_line(r, buf, sizeof(buf)))
		;
	fclose(r->out);
	waitpid(r->pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#endif
