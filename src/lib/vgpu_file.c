/* vgpu_file.c - see vgpu_file.h */
#include "vgpu_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int vgpu_file_read(const char *path, size_t max, char **buf, size_t *len, vgpu_err_t *err)
{
	char *b = NULL;
	size_t used = 0;
	int fd, rc = -1;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vgpu_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	b = malloc(max + 1);
	if (!b) {
		vgpu_err_set(err, "%s: cannot read: out of memory", path);
		goto out;
	}
	/* Up to max + 1 bytes: one more than allowed tells a file too large. */
	while (used <= max) {
		ssize_t n = read(fd, b + used, max + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			vgpu_err_set(err, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max) {
		vgpu_err_set(err, "%s: file is too large (more than %zu bytes)", path, max);
		goto out;
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

int vgpu_file_write_tmp(const char *path, const char *text, size_t len, char **tmp,
			vgpu_err_t *err)
{
	const char *slash = strrchr(path, '/');
	size_t off = 0, dlen = slash ? (size_t)(slash - path) + 1 : 0, plen = strlen(path) + 16;
	int fd = -1, rc = -1;

	*tmp = malloc(plen);
	if (!*tmp)
		return vgpu_err_set(err, "%s: cannot write: out of memory", path);
	snprintf(*tmp, plen, "%.*s.%s.tmp.XXXXXX", (int)dlen, path, path + dlen);
	if ((fd = mkstemp(*tmp)) < 0) {
		vgpu_err_set(err, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vgpu_err_set(err, "%s: cannot write: %s", path, n < 0 ? strerror(errno) : "no progress");
			goto out;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		vgpu_err_set(err, "%s: cannot write: sync: %s", path, strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		vgpu_err_set(err, "%s: cannot write: close: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return rc;
}

int vgpu_file_write_atomic(const char *path, const char *text, size_t len, vgpu_err_t *err)
{
	char *tmp;
	int rc = 0;

	if (vgpu_file_write_tmp(path, text, len, &tmp, err) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		rc = vgpu_err_set(err, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}
