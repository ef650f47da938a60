/*
 * spank_state.c - per-step state directories on a node.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spank_leftover.h"
#include "spank_state.h"
#include "vgpu_proc.h"
#include "vgpu_stepplan.h"

#define REMOVE_DEPTH 32  /* deeper subtrees are moved up to the top and taken from there */
#define REMOVE_PASSES 3  /* rescans when entries change under us */
#define REMOVE_TOP_PASSES 16 /* at the top: also takes what was moved up */
#define NEW_GRACE_SECONDS 60 /* a .new dir without owner may be mid-creation */

/*
 * Remove everything below the directory open at dfd (consumed). Runs as root
 * over acct/, which the job's user can change while we work: every step is
 * relative to a directory fd, symlinks are never followed (O_NOFOLLOW,
 * AT_SYMLINK_NOFOLLOW), a directory is entered only when the fd opened is the
 * inode that was stat'ed, and no other file system is entered. The stack is
 * bounded: a directory found at depth REMOVE_DEPTH is renamed into the top
 * directory (top, -1 at the top itself) and taken from there on a later pass
 * (a user's `mkdir -p a/a/a/...` thousands deep costs passes, not stack, and
 * every call makes progress). Returns 0 when the directory is empty at the
 * end, -1 when entries are left (the next clean-up goes on).
 */
/* Does the directory hold nothing but . and ..? */
static int dir_empty(DIR *d)
{
	struct dirent *de;

	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return 0;
	return 1;
}

static int remove_below(int dfd, dev_t dev, int depth, int top)
{
	static unsigned long moved;
	DIR *d;
	struct dirent *de;
	int pass, rc = -1;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	if (top < 0)
		top = dirfd(d);
	for (pass = 0; pass < (depth == 0 ? REMOVE_TOP_PASSES : REMOVE_PASSES) && rc != 0; pass++) {
		int left = 0;

		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			struct stat st, st2;
			int sub;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
				left += errno != ENOENT;
				continue;
			}
			if (!S_ISDIR(st.st_mode)) {
				if (unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
					left++;
				continue;
			}
			if (st.st_dev != dev) { /* a mount point: never cross */
				left++;
				continue;
			}
			if (depth >= REMOVE_DEPTH) {
				char up[64];

				snprintf(up, sizeof(up), ".vgpu-deep.%ld.%lu", (long)getpid(), ++moved);
				if (renameat(dirfd(d), de->d_name, top, up) != 0 && errno != ENOENT)
					left++;
				continue; /* gone from here; the top's next pass takes it */
			}
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				left++;
				continue;
			}
			if (fstat(sub, &st2) != 0 || st2.st_ino != st.st_ino || st2.st_dev != dev) {
				close(sub);
				left++;
				continue;
			}
			remove_below(sub, dev, depth + 1, top);
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT)
				left++;
		}
		rc = left ? -1 : 0;
		/* at the top, what deeper levels moved here is taken next pass */
		if (depth == 0 && rc == 0 && !dir_empty(d))
			rc = -1;
	}
	closedir(d);
	return rc;
}

int vgpu_spank_state_remove(const char *path, vgpu_err_t *err)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : vgpu_err_set(err, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) != 0)
			return vgpu_err_set(err, "cannot remove %s: %s", path, strerror(errno));
		return 0;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vgpu_err_set(err, "cannot open %s: %s", path, strerror(errno));
	errno = 0;
	if (remove_below(fd, st.st_dev, 0, -1) != 0 || (rmdir(path) != 0 && errno != ENOENT))
		return vgpu_err_set(err, "cannot remove %s: %s", path,
				    errno ? strerror(errno) : "entries keep changing");
	return 0;
}

/* Start time of this process (field 22 of /proc/PID/stat), 0 when /proc
 * cannot tell. */
static unsigned long long self_start(void)
{
	static pid_t pid;
	static unsigned long long cached;
	uint64_t start = 0;

	if (pid != getpid() || !cached) { /* a forked child has its own */
		pid = getpid();
		cached = vgpu_proc_start_time(pid, &start) == VGPU_PROC_ALIVE ? (unsigned long long)start : 0;
	}
	return cached;
}

/* Write text to path, a new file in a directory nobody else writes to yet
 * (a .new directory): created exclusively, mode 0644 whatever the umask. */
static int write_new(const char *path, const char *text, vgpu_err_t *err)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return vgpu_err_set(err, "cannot create %s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) != 0) {
		vgpu_err_set(err, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) != 0)
		return vgpu_err_set(err, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

int vgpu_spank_state_write(const char *path, const char *text, vgpu_err_t *err)
{
	char tmp[1024];
	size_t len = strlen(text);
	int fd, rc = -1;

	/* per writer: two writers of one path never share (and lose) a temp */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return vgpu_err_set(err, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vgpu_err_set(err, "cannot create %s: %s", tmp, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) != 0) {
		vgpu_err_set(err, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		vgpu_err_set(err, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

int vgpu_spank_state_create(const char *state_dir, const char *dir, uid_t uid, gid_t gid,
			    vgpu_err_t *err)
{
	return vgpu_spank_state_create_files(state_dir, dir, uid, gid, NULL, 0, err);
}

int vgpu_spank_state_create_files(const char *state_dir, const char *dir, uid_t uid, gid_t gid,
				  const vgpu_spank_state_file_t *files, size_t nfiles, vgpu_err_t *err)
{
	char tmp[1024], path[1100], target[1100], owner[64];
	struct stat st;
	size_t i;
	int rc = -1;

	if (mkdir(state_dir, 0755) != 0 && errno != EEXIST)
		return vgpu_err_set(err, "StateDir %s: cannot create: %s", state_dir, strerror(errno));
	if (lstat(state_dir, &st) != 0)
		return vgpu_err_set(err, "StateDir %s: %s", state_dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vgpu_err_set(err, "StateDir %s is not a directory", state_dir);
	/* Root works in here: nobody else may be able to rename or plant entries. */
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))))
		return vgpu_err_set(err, "StateDir %s must be owned by root and writable by root "
				    "only (it is uid %ld, mode %04o)", state_dir, (long)st.st_uid,
				    (unsigned)(st.st_mode & 07777));
	/* Filled under a name the cleaner ignores, then renamed: a directory
	 * the cleaner sees always has its owner and its files, complete. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", dir) >= sizeof(tmp))
		return vgpu_err_set(err, "%s: path too long", dir);
	if (vgpu_spank_state_remove(dir, err) != 0 || vgpu_spank_state_remove(tmp, err) != 0)
		return -1;
	if (mkdir(tmp, 0755) != 0 || chmod(tmp, 0755) != 0)
		return vgpu_err_set(err, "cannot create %s: %s", tmp, strerror(errno));
	if (vgpu_stepplan_owner_format((long)getpid(), self_start(), owner, sizeof(owner)) != 0)
		return vgpu_err_set(err, "%s: cannot tell this process's start time from /proc", dir);
	snprintf(path, sizeof(path), "%s/owner", tmp);
	if (write_new(path, owner, err) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/acct", tmp);
	if (uid != (uid_t)-1 &&
	    (mkdir(path, 0700) != 0 || chown(path, uid, gid) != 0 || chmod(path, 0700) != 0)) {
		vgpu_err_set(err, "cannot create %s for uid %ld: %s", path, (long)uid,
			     strerror(errno));
		goto out;
	}
	for (i = 0; i < nfiles; i++) {
		const vgpu_spank_state_file_t *f = &files[i];

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", tmp, f->name) >= sizeof(path) ||
		    (f->link && (size_t)snprintf(target, sizeof(target), "%s/%s", tmp, f->link) >= sizeof(target))) {
			vgpu_err_set(err, "%s/%s: path too long", tmp, f->name);
			goto out;
		}
		if (f->link) {
			if (link(target, path) != 0) {
				vgpu_err_set(err, "cannot link %s to %s: %s", path, target, strerror(errno));
				goto out;
			}
		} else if (f->text) {
			if (write_new(path, f->text, err) != 0)
				goto out;
		} else if (mkdir(path, 0755) != 0 || chmod(path, 0755) != 0) {
			vgpu_err_set(err, "cannot create %s: %s", path, strerror(errno));
			goto out;
		}
	}
	if (rename(tmp, dir) != 0) {
		vgpu_err_set(err, "cannot rename %s to %s: %s", tmp, dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		vgpu_spank_state_remove(tmp, NULL);
	return rc;
}

/* Is name JOB.STEP.NODE (vgpu_stepplan_name)? Returns 0 no, 1 yes, 2
 * yes+.new (a directory being filled). */
static int step_name(const char *name)
{
	unsigned long job, node;
	int k = vgpu_stepplan_name(name, &job, &node);

	return k == 1 ? 1 : k == 11 ? 2 : 0;
}

/* Is name job.JOB.NODE? Then *job and *node. Returns 0 no, 1 yes, 2
 * yes+.new. */
static int job_name(const char *name, unsigned long *job, unsigned long *node)
{
	int k = vgpu_stepplan_name(name, job, node);

	return k == 2 ? 1 : k == 12 ? 2 : 0;
}

/* Read "PID START" from dir/owner; 1 when that process still runs, 0 when
 * not (or no owner), and *has_owner whether an owner was read. */
static int owner_alive(const char *state_dir, const char *name, int *has_owner)
{
	char path[1024], buf[64];
	long pid = 0;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	*has_owner = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/owner", state_dir, name) >= sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	if (vgpu_stepplan_owner_parse(buf, (size_t)n, &pid, &start) != 0)
		return 0;
	*has_owner = 1;
	/* unknown (a /proc that hides it) counts as alive: never remove a live
	 * step's directory, never let a whole GPU beside a live slice */
	return vgpu_proc_alive((pid_t)pid, start, VGPU_PROC_START_ALL) != VGPU_PROC_DEAD;
}

int vgpu_spank_state_job_steps(const char *state_dir, unsigned long job, unsigned long node, const char *except)
{
	struct dirent *de;
	DIR *d = opendir(state_dir);
	int live = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		unsigned long j = 0, n = 0;
		int has;

		if (vgpu_stepplan_name(de->d_name, &j, &n) != 1 || (except && strcmp(de->d_name, except) == 0) ||
		    j != job || n != node)
			continue;
		live += owner_alive(state_dir, de->d_name, &has);
	}
	closedir(d);
	return live;
}

int vgpu_spank_state_clean(const char *state_dir, const char *keep, vgpu_spank_leftover_say_t say, void *ctx)
{
	struct dirent *de;
	DIR *d = opendir(state_dir);
	int removed = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;
		unsigned long job = 0, node = 0;
		int has_owner = 0, kind = step_name(de->d_name), jkind = 0;

		if (!kind)
			jkind = job_name(de->d_name, &job, &node);
		if ((!kind && !jkind) || (keep && strcmp(de->d_name, keep) == 0))
			continue;
		if (kind && owner_alive(state_dir, de->d_name, &has_owner))
			continue; /* its slurmstepd still runs */
		/* A job's directory lives while a step of the job on this node
		 * does (the caller holds the StateDir lock). */
		if (jkind == 1 && vgpu_spank_state_job_steps(state_dir, job, node, NULL) > 0)
			continue;
		/* No step of the job is left (its slurmstepd was killed?): what
		 * still holds its GPU memory is killed, and while something does,
		 * its ledgers stay (the memory is taken). */
		if (jkind == 1) {
			char what[128];

			snprintf(path, sizeof(path), "%s/%s", state_dir, de->d_name);
			snprintf(what, sizeof(what), "job %lu (node index %lu), no step of it left on this node: ", job,
				 node);
			if (vgpu_spank_leftover_reap(path, what, say, ctx) != 0)
				continue;
		}
		if (jkind == 2)
			owner_alive(state_dir, de->d_name, &has_owner);
		snprintf(path, sizeof(path), "%s/%s", state_dir, de->d_name);
		/* A .new directory gets its owner file right after mkdir: without
		 * one it may be mid-creation, unless it is old. */
		if ((kind == 2 || jkind == 2) && !has_owner &&
		    (lstat(path, &st) != 0 || time(NULL) - st.st_mtime < NEW_GRACE_SECONDS))
			continue;
		if (vgpu_spank_state_remove(path, NULL) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

int vgpu_spank_state_lock(const char *state_dir, vgpu_err_t *err)
{
	int fd;

	if (mkdir(state_dir, 0755) != 0 && errno != EEXIST)
		return vgpu_err_set(err, "StateDir %s: cannot create: %s", state_dir, strerror(errno));
	fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vgpu_err_set(err, "StateDir %s: %s", state_dir, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			vgpu_err_set(err, "StateDir %s: cannot lock: %s", state_dir, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

void vgpu_spank_state_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int vgpu_spank_state_job(const char *state_dir, const char *dir, uid_t uid, gid_t gid, vgpu_err_t *err)
{
	char acct[1100];
	struct stat st;

	if ((size_t)snprintf(acct, sizeof(acct), "%s/acct", dir) >= sizeof(acct))
		return vgpu_err_set(err, "%s: path too long", dir);
	if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	    lstat(acct, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid) {
		int fd;

		if ((st.st_mode & 07777) == 0700)
			return 0; /* made by an earlier step of the job */
		/* The job's user changed its mode: put it back rather than throw
		 * away the ledgers the job's live steps have mapped. */
		fd = open(acct, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == uid && fchmod(fd, 0700) == 0) {
			close(fd);
			return 0;
		}
		if (fd >= 0)
			close(fd);
	}
	return vgpu_spank_state_create(state_dir, dir, uid, gid, err);
}

/* Read dir/file of StateDir entry `name` into buf (len bytes, NUL-ended):
 * its length, or -1 with errno. */
static ssize_t read_entry_file(const char *state_dir, const char *name, const char *file, char *buf, size_t len)
{
	char path[1024];
	ssize_t n;
	int fd, e;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", state_dir, name, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	e = errno;
	close(fd);
	errno = e;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int vgpu_spank_state_view(const char *state_dir, vgpu_stepplan_view_t *v)
{
	struct dirent *de;
	DIR *d;

	vgpu_stepplan_view_init(v, state_dir);
	d = opendir(state_dir);
	if (!d) {
		if (errno == ENOENT)
			return 0; /* nothing made yet: nothing runs */
		vgpu_stepplan_view_fail(v, "StateDir %s cannot be listed: %s", state_dir, strerror(errno));
		return -1;
	}
	for (;;) {
		vgpu_stepplan_entry_t e;
		char buf[VGPU_STEPPLAN_FILE_MAX];
		vgpu_err_t err;
		ssize_t n;
		int kind, has;

		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				vgpu_stepplan_view_fail(v, "StateDir %s cannot be listed: %s", state_dir, strerror(errno));
			break;
		}
		memset(&e, 0, sizeof(e));
		kind = vgpu_stepplan_name(de->d_name, &e.job, &e.node);
		if (kind != 1 && kind != 2)
			continue; /* .new directories are not published yet */
		snprintf(e.name, sizeof(e.name), "%.63s", de->d_name); /* a name that classifies is short */
		e.kind = kind == 1 ? VGPU_STEPPLAN_STEPDIR : VGPU_STEPPLAN_JOBDIR;
		if (kind == 1) {
			e.alive = owner_alive(state_dir, de->d_name, &has);
			n = read_entry_file(state_dir, de->d_name, "gpu", buf, sizeof(buf));
			if (n < 0)
				snprintf(e.gpus_why, sizeof(e.gpus_why), "StateDir %.200s/%.63s/gpu: %s", state_dir, de->d_name,
					 strerror(errno));
			else if (vgpu_stepplan_gpus_parse(buf, (size_t)n, de->d_name, &e.gpus, &err) != 0)
				snprintf(e.gpus_why, sizeof(e.gpus_why), "StateDir %.200s/%.280s", state_dir, err.msg);
			else
				e.gpus_ok = 1;
			if (!has && n < 0 && errno == ENOENT)
				continue; /* removed while we looked */
		}
		if (vgpu_stepplan_view_add(v, &e) != 0)
			break;
	}
	closedir(d);
	return v->complete ? 0 : -1;
}

ssize_t vgpu_spank_state_read(const char *state_dir, const char *name, const char *file, char *buf, size_t len)
{
	return read_entry_file(state_dir, name, file, buf, len);
}
