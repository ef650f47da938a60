/* spank_leftover.c - see spank_leftover.h */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "spank_leftover.h"

#define LEDGERS_MAX 64
#define LEDGER_SUFFIX ".ledger" /* VGPU_LEDGER_SUFFIX of src/shim/vgpu_ledger.h */

typedef struct {
	dev_t dev;
	ino_t ino;
	char name[80];
} ledger_id_t;

/* The ledgers of acct_dir (dev, inode, name): how many, -1 with errno. */
static int ledgers(const char *acct_dir, ledger_id_t *ids, int max)
{
	struct dirent *de;
	DIR *d = opendir(acct_dir);
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL && n < max) {
		size_t l = strlen(de->d_name), sl = strlen(LEDGER_SUFFIX);
		struct stat st;

		if (l <= sl || strcmp(de->d_name + l - sl, LEDGER_SUFFIX) != 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		ids[n].dev = st.st_dev;
		ids[n].ino = st.st_ino;
		snprintf(ids[n].name, sizeof(ids[n].name), "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* The ledger of ids[0..n) that process pid has a descriptor of, or -1. */
static int holds(pid_t pid, const ledger_id_t *ids, int n)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int hit = -1;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if (!(d = opendir(path)))
		return -1;
	while (hit < 0 && (de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) != 0)
			continue;
		for (int i = 0; i < n; i++)
			if (st.st_dev == ids[i].dev && st.st_ino == ids[i].ino)
				hit = i;
	}
	closedir(d);
	return hit;
}

static void proc_info(vgpu_spank_leftover_t *l)
{
	char path[64], line[256];
	FILE *f;

	l->uid = (uid_t)-1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)l->pid);
	if ((f = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long u;

			if (sscanf(line, "Uid: %lu", &u) == 1) {
				l->uid = (uid_t)u;
				break;
			}
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)l->pid);
	snprintf(l->comm, sizeof(l->comm), "?");
	if ((f = fopen(path, "re"))) {
		if (fgets(l->comm, sizeof(l->comm), f))
			l->comm[strcspn(l->comm, "\n")] = '\0';
		fclose(f);
	}
}

int vgpu_spank_leftover_find(const char *acct_dir, vgpu_spank_leftover_t *out, int max)
{
	ledger_id_t ids[LEDGERS_MAX];
	struct dirent *de;
	DIR *d;
	int n, found = 0;

	n = ledgers(acct_dir, ids, LEDGERS_MAX);
	if (n <= 0)
		return n;
	if (!(d = opendir("/proc")))
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int i;

		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		if ((i = holds((pid_t)pid, ids, n)) < 0)
			continue;
		if (found < max) {
			vgpu_spank_leftover_t *l = &out[found];

			memset(l, 0, sizeof(*l));
			l->pid = (pid_t)pid;
			snprintf(l->ledger, sizeof(l->ledger), "%s", ids[i].name);
			l->dev = ids[i].dev;
			l->ino = ids[i].ino;
			proc_info(l);
		}
		found++;
	}
	closedir(d);
	return found;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int vgpu_spank_leftover_kill(vgpu_spank_leftover_t *l, int n, uid_t job_uid, int wait_ms)
{
	int fds[VGPU_SPANK_LEFTOVER_MAX], left = 0;
	struct timespec t0;

	if (n > VGPU_SPANK_LEFTOVER_MAX)
		n = VGPU_SPANK_LEFTOVER_MAX;
	for (int i = 0; i < n; i++) {
		fds[i] = -1;
		if (l[i].uid != job_uid)
			continue;
#ifdef SYS_pidfd_open
		fds[i] = (int)syscall(SYS_pidfd_open, l[i].pid, 0);
#endif
		if (fds[i] < 0) {
			l[i].gone = errno == ESRCH;
			continue;
		}
		/* the pidfd pins the process: is it still one holding the ledger? */
		{
			ledger_id_t id = { l[i].dev, l[i].ino, "" };

			if (holds(l[i].pid, &id, 1) != 0) {
				l[i].gone = 1;
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
		}
#ifdef SYS_pidfd_send_signal
		if (syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0) == 0)
			l[i].killed = 1;
#endif
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0) {
			left += !l[i].gone;
			continue;
		}
		for (;;) {
			struct pollfd p = { fds[i], POLLIN, 0 };
			long rest = wait_ms - elapsed_ms(&t0);

			if (poll(&p, 1, rest > 0 ? (int)rest : 0) > 0) {
				l[i].gone = 1;
				break;
			}
			if (rest <= 0 || (errno != EINTR && errno != 0))
				break;
		}
		left += !l[i].gone;
		close(fds[i]);
	}
	return left;
}

const char *vgpu_spank_leftover_text(const vgpu_spank_leftover_t *l, uid_t job_uid, char *buf, size_t len)
{
	snprintf(buf, len, "process %ld (%s, uid %ld) held GPU memory (%s): %s", (long)l->pid, l->comm, (long)l->uid,
		 l->ledger,
		 l->uid != job_uid ? "not the job's user, not killed"
		 : l->gone && l->killed ? "killed"
		 : l->gone ? "gone"
			   : "still running after SIGKILL");
	return buf;
}

int vgpu_spank_leftover_reap(const char *job_dir, const char *what, vgpu_spank_leftover_say_t say, void *ctx)
{
	vgpu_spank_leftover_t l[VGPU_SPANK_LEFTOVER_MAX];
	char acct[1100], line[2048], text[320];
	struct stat st;
	int n, left;

	if ((size_t)snprintf(acct, sizeof(acct), "%s/acct", job_dir) >= sizeof(acct) || lstat(acct, &st) != 0)
		return 0; /* no acct/: no ledger, nothing held */
	n = vgpu_spank_leftover_find(acct, l, VGPU_SPANK_LEFTOVER_MAX);
	if (n < 0) {
		snprintf(line, sizeof(line), "%scannot look for processes holding GPU memory (%s): %s", what, acct,
			 strerror(errno));
		if (say)
			say(ctx, line);
		return -1;
	}
	if (n == 0)
		return 0;
	left = vgpu_spank_leftover_kill(l, n, st.st_uid, 2000);
	for (int i = 0; i < n && i < VGPU_SPANK_LEFTOVER_MAX; i++) {
		snprintf(line, sizeof(line), "%s%s", what, vgpu_spank_leftover_text(&l[i], st.st_uid, text, sizeof(text)));
		if (say)
			say(ctx, line);
	}
	if (n > VGPU_SPANK_LEFTOVER_MAX) {
		snprintf(line, sizeof(line), "%s%d more processes held GPU memory, not killed", what,
			 n - VGPU_SPANK_LEFTOVER_MAX);
		if (say)
			say(ctx, line);
		left += n - VGPU_SPANK_LEFTOVER_MAX;
	}
	return left;
}
