/*
 * spank_state.c - per-step state directories on a node.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spank_state.h"

#define REMOVE_DEPTH 32  /* deeper trees are left for the next clean-up */
#define REMOVE_PASSES 3  /* rescans when entries change under us */
#define NEW_GRACE_SECONDS 60 /* a .new dir without owner may be mid-creation */

/*
 * Remove everything below the directory open at dfd (consumed). Runs as root
 * over acct/, which the job's user can change while we work: every step is
 * relative to a directory fd, symlinks are never followed (O_NOFOLLOW,
 * AT_SYMLINK_NOFOLLOW), a directory is entered only when the fd opened is the
 * inode that was stat'ed, and no other file system is entered. Returns 0 when
 * the directory is empty at the end, -1 when entries are left, -2 when the
 * tree is deeper than REMOVE_DEPTH (given up at once, no retries).
 */
static int remove_below(int dfd, dev_t dev, int depth)
{
	DIR *d;
	struct dirent *de;
	int pass, rc = -1;

	if (depth > REMOVE_DEPTH) {
		close(dfd);
		errno = ELOOP;
		return -2;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	for (pass = 0; pass < REMOVE_PASSES && rc != 0; pass++) {
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
			if (remove_below(sub, dev, depth + 1) == -2) {
				rc = -2;
				goto out;
			}
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT)
				left++;
		}
		rc = left ? -1 : 0;
	}
out:
	closedir(d);
	if (rc == -2)
		errno = ELOOP;
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
	if (remove_below(fd, st.st_dev, 0) != 0 || (rmdir(path) != 0 && errno != ENOENT))
		return vgpu_err_set(err, "cannot remove %s: %s", path,
				    errno ? strerror(errno) : "entries keep changing");
	return 0;
}

/* Start time of pid (field 22 of /proc/PID/stat), 0 when gone or a zombie. */
static unsigned long long proc_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2; /* field 3 */
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		start = strtoull(p, NULL, 10);
	return start;
}

int vgpu_spank_state_write(const char *path, const char *text, vgpu_err_t *err)
{
	char tmp[1024];
	size_t len = strlen(text);
	int fd, rc = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
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
	char tmp[1024], path[1100], owner[64];
	struct stat st;
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
	 * the cleaner sees always has its owner. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", dir) >= sizeof(tmp))
		return vgpu_err_set(err, "%s: path too long", dir);
	if (vgpu_spank_state_remove(dir, err) != 0 || vgpu_spank_state_remove(tmp, err) != 0)
		return -1;
	if (mkdir(tmp, 0755) != 0 || chmod(tmp, 0755) != 0)
		return vgpu_err_set(err, "cannot create %s: %s", tmp, strerror(errno));
	snprintf(owner, sizeof(owner), "%ld %llu\n", (long)getpid(), proc_start((long)getpid()));
	snprintf(path, sizeof(path), "%s/owner", tmp);
	if (vgpu_spank_state_write(path, owner, err) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/acct", tmp);
	if (mkdir(path, 0700) != 0 || chown(path, uid, gid) != 0 || chmod(path, 0700) != 0) {
		vgpu_err_set(err, "cannot create %s for uid %ld: %s", path, (long)uid,
			     strerror(errno));
		goto out;
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

/* Is name JOB.STEP.NODE (digits, digits or "batch", digits), optionally
 * with ".new" (a directory being filled)? Returns 0 no, 1 yes, 2 yes+.new. */
static int step_name(const char *name)
{
	const char *p = name;
	int part;

	for (part = 0; part < 3; part++) {
		const char *start = p;

		if (part == 1 && strncmp(p, "batch", 5) == 0)
			p += 5;
		else
			while (isdigit((unsigned char)*p))
				p++;
		if (p == start)
			return 0;
		if (part < 2 && *p++ != '.')
			return 0;
	}
	if (*p == '\0')
		return 1;
	return strcmp(p, ".new") == 0 ? 2 : 0;
}

int vgpu_spank_state_clean(const char *state_dir, const char *keep)
{
	struct dirent *de;
	DIR *d = opendir(state_dir);
	int removed = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[1024], buf[64];
		long pid = 0;
		unsigned long long start = 0;
		ssize_t n;
		struct stat st;
		int fd, kind = step_name(de->d_name);

		if (!kind || (keep && strcmp(de->d_name, keep) == 0))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/owner", state_dir, de->d_name) >=
		    sizeof(path))
			continue;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = '\0';
				if (sscanf(buf, "%ld %llu", &pid, &start) != 2)
					pid = 0;
			}
		}
		if (pid > 0 && start != 0 && proc_start(pid) == start)
			continue; /* its slurmstepd still runs */
		snprintf(path, sizeof(path), "%s/%s", state_dir, de->d_name);
		/* A .new directory gets its owner file right after mkdir: without
		 * one it may be mid-creation, unless it is old. */
		if (kind == 2 && pid == 0 &&
		    (lstat(path, &st) != 0 || time(NULL) - st.st_mtime < NEW_GRACE_SECONDS))
			continue;
		if (vgpu_spank_state_remove(path, NULL) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
