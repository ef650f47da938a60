/* vgpu_file.c - see vgpu_file.h */
#include "vgpu_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
