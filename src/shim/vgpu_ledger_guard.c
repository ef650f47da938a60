/* vgpu_ledger_guard.c - the ledger's integrity checks (vgpu_ledger.h
 * "Integrity"; layout and view: vgpu_ledger_int.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "vgpu_ledger_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* FNV-1a over the header fields that never change after creation. */
uint64_t vgpu_ledger_header_check(const struct ledger_file *f)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	uint64_t w[5] = { f->magic, f->version, f->nslots, f->nbuckets, f->nonce };
	const unsigned char *p = (const unsigned char *)w;

	for (size_t i = 0; i < sizeof(w); i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	p = (const unsigned char *)f->uuid;
	for (size_t i = 0; i < sizeof(f->uuid); i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* A random nonce (never 0). */
uint64_t vgpu_ledger_nonce(void)
{
	uint64_t v = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			v = 0;
		close(fd);
	}
	if (!v) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		v = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (uint64_t)getpid() << 40;
	}
	return v ? v : 1;
}

/* ---- integrity ------------------------------------------------------------ */

/* Set the tampered word of the regular file now at l's path too (a
 * replacement or a re-created file), or put a copy of l's (marked) file
 * there when none is, so that later openers refuse it. */
static void mark_path(const struct vgpu_ledger *l)
{
	uint32_t one = 1;
	struct stat st;
	int fd = open(l->path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0 && errno == ENOENT) {
		fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 && write(fd, l->f, sizeof(*l->f)) != (ssize_t)sizeof(*l->f))
			one = 0; /* a short tombstone is refused for its size anyway */
	}
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == (off_t)sizeof(struct ledger_file) &&
	    pwrite(fd, &one, sizeof(one), (off_t)offsetof(struct ledger_file, tampered)) != (ssize_t)sizeof(one))
		one = 0; /* nothing more to do */
	close(fd);
}

/* Mark this view broken with why (the first reason stays) and the file
 * tampered (so the job's other views and later openers fail too); -1. */
static int tampered(struct vgpu_ledger *l, const char *what)
{
	int expected = 0;

	if (atomic_compare_exchange_strong(&l->broken, &expected, 2)) {
		snprintf(l->why, sizeof(l->why), "%s: %s; no more memory is given on this GPU to this job", l->path,
			 what);
		atomic_store(&l->broken, 1);
	}
	atomic_store(&l->f->tampered, 1);
	mark_path(l);
	return -1;
}

static int same_file(const struct stat *st, const struct vgpu_ledger *l)
{
	return S_ISREG(st->st_mode) && st->st_dev == l->dev && st->st_ino == l->ino &&
	       st->st_size == (off_t)sizeof(struct ledger_file);
}

/* Is the job's ledger still what this view mapped: no process marked it
 * tampered; the header (magic, layout, uuid, nonce, checksum) as created;
 * this view's description still open on it; the path still the same
 * regular file (not deleted, renamed over or a symlink) with a link; the
 * slots this view holds still published as its own. 0, or -1 (the view and
 * the file marked, vgpu_ledger_fault says why). Two stats, no lock. */
int vgpu_ledger_intact(struct vgpu_ledger *l)
{
	struct ledger_file *f = l->f;
	struct stat st;
	uint32_t n = atomic_load(&f->hwm) < VGPU_LEDGER_SLOTS ? atomic_load(&f->hwm) : VGPU_LEDGER_SLOTS;
	int fd;

	if (atomic_load(&l->broken))
		return -1;
	if (atomic_load(&f->tampered))
		return tampered(l, "a process of the job found it tampered with");
	if (f->magic != LEDGER_MAGIC || f->version != VGPU_LEDGER_VERSION || f->nslots != VGPU_LEDGER_SLOTS ||
	    f->nbuckets != VGPU_LEDGER_STEP_BUCKETS || f->nonce != l->nonce || f->check != vgpu_ledger_header_check(f))
		return tampered(l, "its header was rewritten");
	fd = atomic_load(&l->fd);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !same_file(&st, l)))
		return tampered(l, "the descriptor of its slot locks was closed or replaced");
	if (fd >= 0 && st.st_nlink == 0 && lstat(l->path, &st) != 0)
		return tampered(l, "it was deleted");
	if (lstat(l->path, &st) != 0)
		return tampered(l, errno == ENOENT ? "it was deleted or moved" : "it cannot be looked up");
	if (!same_file(&st, l))
		return tampered(l, "it was replaced (another file or a symbolic link)");
	if (st.st_nlink == 0)
		return tampered(l, "it was deleted");
	for (uint32_t i = 0; i < n; i++)
		if (atomic_load(&l->mine[i]) == MINE_HELD &&
		    (atomic_load(&f->owner[i]) != l->owner_of[i] || atomic_load(&f->step[i]) != l->key))
			return tampered(l, "a slot of this process was taken or wiped (its lock "
					"was dropped: a closed descriptor?)");
	return 0;
}

const char *vgpu_ledger_fault(const struct vgpu_ledger *l)
{
	return atomic_load((_Atomic int *)&l->broken) == 1 ? l->why : NULL;
}
