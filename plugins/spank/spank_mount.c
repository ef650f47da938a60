/* spank_mount.c - see spank_mount.h */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "spank_mount.h"

#define SUBMOUNTS_MAX 64
#define MOUNTINFO_LINE 4096

/* Decode the octal escapes (\040 ...) of a mountinfo field in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The mount points strictly below /etc, in mountinfo order (parents first),
 * as malloc'ed strings in out; returns how many, or -1 when there are more
 * than max or mountinfo cannot be read. */
static int etc_submounts(char **out, int max)
{
	char line[MOUNTINFO_LINE];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok = strtok_r(line, " ", &save);
		int field;

		/* field 5 is the mount point */
		for (field = 1; tok && field < 5; field++)
			tok = strtok_r(NULL, " ", &save);
		if (!tok)
			continue;
		unescape(tok);
		if (strncmp(tok, "/etc/", 5) != 0 || tok[5] == '\0')
			continue;
		if (n == max) {
			n = -1;
			break;
		}
		out[n] = strdup(tok);
		if (!out[n]) {
			n = -1;
			break;
		}
		n++;
	}
	fclose(f);
	return n;
}

int vgpu_spank_mount_etc(const char *etc_dir, const char *host_etc, char *why, size_t len)
{
	char *subs[SUBMOUNTS_MAX];
	char opts[2 * 4096], src[4096];
	int nsubs = 0, i, rc = -1;

	if (strpbrk(etc_dir, ",:\\ ")) {
		snprintf(why, len, "%s has a character overlayfs options cannot carry", etc_dir);
		return -1;
	}
	if ((size_t)snprintf(opts, sizeof(opts), "lowerdir=%s:/etc", etc_dir) >= sizeof(opts)) {
		snprintf(why, len, "%s: path too long", etc_dir);
		return -1;
	}
	if (unshare(CLONE_NEWNS) != 0) {
		snprintf(why, len, "unshare(CLONE_NEWNS): %s", strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		snprintf(why, len, "making mounts private: %s", strerror(errno));
		return -1;
	}
	nsubs = etc_submounts(subs, SUBMOUNTS_MAX);
	if (nsubs < 0) {
		snprintf(why, len, "cannot list the mounts below /etc (more than %d?)", SUBMOUNTS_MAX);
		return -1;
	}
	if (nsubs > 0) {
		if (mkdir(host_etc, 0700) != 0 && errno != EEXIST) {
			snprintf(why, len, "cannot create %s: %s", host_etc, strerror(errno));
			goto out;
		}
		if (mount("/etc", host_etc, NULL, MS_BIND | MS_REC, NULL) != 0) {
			snprintf(why, len, "bind of /etc on %s: %s", host_etc, strerror(errno));
			goto out;
		}
	}
	/* Two lower layers, no upper: a read-only /etc that shows the step's
	 * ld.so.preload over the host's. */
	if (mount("overlay", "/etc", "overlay", MS_RDONLY, opts) != 0) {
		snprintf(why, len, "overlay mount of /etc (%s): %s", opts, strerror(errno));
		goto out;
	}
	/* The overlay hides what was mounted below /etc: put it back. */
	for (i = 0; i < nsubs; i++) {
		snprintf(src, sizeof(src), "%s/%s", host_etc, subs[i] + 5);
		if (mount(src, subs[i], NULL, MS_BIND, NULL) != 0) {
			snprintf(why, len, "restoring the mount %s: %s", subs[i], strerror(errno));
			umount2("/etc", MNT_DETACH);
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < nsubs; i++)
		free(subs[i]);
	return rc;
}
