/* vgpu_proc.c - see vgpu_proc.h */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "vgpu_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STAT_MAX 2048   /* a stat line is ~300 bytes; comm is at most 64 */
#define STATUS_MAX 8192 /* "Threads:" is about 1 KiB into status */

int vgpu_proc_parse_stat(const char *text, size_t len, char *state, uint64_t *start)
{
	const char *p = NULL, *end = text + len;
	uint64_t v = 0;
	int field;

	for (const char *q = text; q < end; q++) /* the LAST ')': comm may hold any byte */
		if (*q == ')')
			p = q;
	if (!p || end - p < 3 || p[1] != ' ')
		return -1;
	p += 2; /* field 3, the state */
	*state = *p;
	for (field = 3; field < 22; field++) {
		while (p < end && *p != ' ')
			p++;
		if (p >= end)
			return -1;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p < end && *p != ' ' && *p != '\n')
		return -1;
	*start = v;
	return 0;
}

/* Read /proc/PID/NAME into buf (at most cap - 1 bytes, NUL-terminated).
 * Returns the length, or -1 with errno set. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	size_t got = 0;
	int fd, saved;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	while (got < cap - 1) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* What a failed read of /proc/PID/... means. */
static int failed(pid_t pid, int err)
{
	if (err == ENOENT || err == ESRCH) {
		/* Gone, unless /proc hides other users' processes (hidepid=2):
		 * the kernel still knows a live pid. */
		if (kill(pid, 0) == 0 || errno == EPERM)
			return VGPU_PROC_UNKNOWN;
		return VGPU_PROC_DEAD;
	}
	return VGPU_PROC_UNKNOWN; /* EACCES (hidepid=1), EMFILE, ... */
}

/* A zombie with other threads still running (its main thread called
 * pthread_exit) is alive; one with a single thread has exited. */
static int zombie(pid_t pid)
{
	char buf[STATUS_MAX];
	const char *p;
	ssize_t n = read_proc(pid, "status", buf, sizeof(buf));
	long threads = 0;

	if (n < 0)
		return failed(pid, errno);
	p = strstr(buf, "\nThreads:");
	if (!p)
		return VGPU_PROC_UNKNOWN;
	for (p += 9; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p >= '0' && *p <= '9' && threads < 1000000000L; p++)
		threads = threads * 10 + (*p - '0');
	if (threads < 1)
		return VGPU_PROC_UNKNOWN;
	return threads == 1 ? VGPU_PROC_DEAD : VGPU_PROC_ALIVE;
}

int vgpu_proc_start_time(pid_t pid, uint64_t *start)
{
	char buf[STAT_MAX], state;
	uint64_t t;
	ssize_t n;
	int rc;

	if (pid <= 0)
		return VGPU_PROC_DEAD;
	n = read_proc(pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return failed(pid, errno);
	if (n == 0) /* the process went away while we read */
		return failed(pid, ESRCH);
	if (vgpu_proc_parse_stat(buf, (size_t)n, &state, &t) != 0)
		return VGPU_PROC_UNKNOWN;
	if (state == 'X' || state == 'x')
		return VGPU_PROC_DEAD;
	rc = state == 'Z' ? zombie(pid) : VGPU_PROC_ALIVE;
	if (rc == VGPU_PROC_ALIVE)
		*start = t;
	return rc;
}

int vgpu_proc_alive(pid_t pid, uint64_t start, uint64_t mask)
{
	char buf[STAT_MAX], state;
	uint64_t t;
	ssize_t n;

	if (pid <= 0)
		return VGPU_PROC_DEAD;
	n = read_proc(pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return failed(pid, errno);
	if (n == 0)
		return failed(pid, ESRCH);
	if (vgpu_proc_parse_stat(buf, (size_t)n, &state, &t) != 0)
		return VGPU_PROC_UNKNOWN;
	if ((t & mask) != (start & mask))
		return VGPU_PROC_DEAD; /* the pid now names another process */
	if (state == 'X' || state == 'x')
		return VGPU_PROC_DEAD;
	return state == 'Z' ? zombie(pid) : VGPU_PROC_ALIVE;
}
