/* vgpu_ledger.c - see vgpu_ledger.h */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "vgpu_ledger.h"
#include "vgpu_proc.h" /* only for the start time shown with a pid */

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_ledger_int.h"

#define RETRIES 2000 /* reservations re-tried while racing ones are in flight */
#define BUCKET_IDLE_NS INT64_C(1000000000) /* a step schedule this far behind is recyclable */

/* The key of a step label: FNV-1a, never 0. */
static uint64_t step_key(const char *label)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		h = (h ^ *p) * UINT64_C(0x100000001b3);
	return h ? h : 1;
}

/* ---- identities ----------------------------------------------------------- */

uint64_t vgpu_ledger_self(void)
{
	pid_t pid = getpid();
	uint64_t start = 0;

	if (vgpu_proc_start_time(pid, &start) != VGPU_PROC_ALIVE)
		start = 0;
	return OWNED | (start & START_MASK) << 32 | (uint64_t)(uint32_t)pid;
}

/* ---- file ----------------------------------------------------------------- */


static int check_file(const struct ledger_file *f, const char *uuid, const char *path, char *err, size_t errlen)
{
	if (f->magic != LEDGER_MAGIC || f->version != VGPU_LEDGER_VERSION || f->nslots != VGPU_LEDGER_SLOTS ||
	    f->nbuckets != VGPU_LEDGER_STEP_BUCKETS) {
		snprintf(err, errlen, "%s: not a version %d ledger of %d slots", path, VGPU_LEDGER_VERSION,
			 VGPU_LEDGER_SLOTS);
		return -1;
	}
	if (strncmp(f->uuid, uuid, sizeof(f->uuid)) != 0) {
		snprintf(err, errlen, "%s: belongs to %.*s", path, (int)sizeof(f->uuid), f->uuid);
		return -1;
	}
	if (f->check != vgpu_ledger_header_check(f)) {
		snprintf(err, errlen, "%s: the header's checksum is wrong: the file was rewritten", path);
		return -1;
	}
	if (atomic_load((_Atomic uint32_t *)&f->tampered) != 0) {
		snprintf(err, errlen, "%s: a process of the job found the ledger tampered with; no more "
			 "memory is given on this GPU to this job", path);
		return -1;
	}
	return 0;
}


/* Map an open file of the right size. */
static struct ledger_file *map_file(int fd)
{
	void *p = mmap(NULL, sizeof(struct ledger_file), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Create the ledger under a temporary name, fill it in, and link it to path;
 * 0 when created, 1 when someone else created it first, -1 on error. */
static int create_file(const char *dir, const char *path, const char *uuid, char *err, size_t errlen)
{
	char tmp[4200];
	struct ledger_file *f;
	int fd, rc = -1, e;

	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", dir, uuid, (int)getpid());
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) { /* left by a dead process of this pid */
		unlink(tmp);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		return -1;
	}
	/* Every block allocated now: a full file system is this refusal,
	 * naming the file, never a SIGBUS at a later store into a hole. */
	e = posix_fallocate(fd, 0, (off_t)sizeof(struct ledger_file));
	if (e != 0) {
		snprintf(err, errlen, "%s: cannot allocate the %zu bytes of a ledger in %s: %s", tmp,
			 sizeof(struct ledger_file), dir, strerror(e));
		goto out;
	}
	if (!(f = map_file(fd))) {
		snprintf(err, errlen, "%s: cannot map: %s", tmp, strerror(errno));
		goto out;
	}
	f->version = VGPU_LEDGER_VERSION;
	f->nslots = VGPU_LEDGER_SLOTS;
	f->nbuckets = VGPU_LEDGER_STEP_BUCKETS;
	snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
	f->magic = LEDGER_MAGIC;
	f->nonce = vgpu_ledger_nonce();
	f->check = vgpu_ledger_header_check(f);
	munmap(f, sizeof(*f));
	/* No fsync: other processes see the file through the page cache, and
	 * StateDir does not outlive the node's jobs. */
	if (link(tmp, path) == 0)
		rc = 0;
	else if (errno == EEXIST)
		rc = 1;
	else
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
out:
	close(fd);
	unlink(tmp);
	return rc;
}

int vgpu_ledger_prepare(const char *dir, const char *uuid, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char path[4200];
	struct stat st;
	int fd;

	if (!uuid[0] || strlen(uuid) >= sizeof(((struct ledger_file *)0)->uuid) || strchr(uuid, '/')) {
		snprintf(err, errlen, "ledger of '%s': bad uuid", uuid);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, uuid, VGPU_LEDGER_SUFFIX) >= sizeof(path)) {
		snprintf(err, errlen, "%s: ledger directory path is too long", dir);
		return -1;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022)) {
		snprintf(err, errlen, "%s: not a directory of uid %d that only its owner may write", dir,
			 (int)geteuid());
		return -1;
	}
	if (create_file(dir, path, uuid, err, errlen) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)sizeof(struct ledger_file) ||
	    fchown(fd, uid, gid) != 0 || fchmod(fd, 0600) != 0) {
		snprintf(err, errlen, "%s: cannot hand the ledger to %d:%d: %s", path, (int)uid, (int)gid,
			 fd < 0 ? strerror(errno) : "not a ledger, or chown/chmod failed");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Lower *word to v (v != 0) unless it is already lower and not 0. */
static void lower_u64(_Atomic uint64_t *word, uint64_t v)
{
	uint64_t cur = atomic_load(word);

	while ((cur == 0 || cur > v) && !atomic_compare_exchange_weak(word, &cur, v))
		;
}

static void lower_u32(_Atomic uint32_t *word, uint32_t v)
{
	uint32_t cur = atomic_load(word);

	while ((cur == 0 || cur > v) && !atomic_compare_exchange_weak(word, &cur, v))
		;
}

static int lock_fd(struct vgpu_ledger *l);

int vgpu_ledger_open(const char *dir, const char *uuid, const struct vgpu_ledger_step *step,
		     struct vgpu_ledger **out, char *err, size_t errlen)
{
	char path[4200];
	struct vgpu_ledger *l;
	struct ledger_file *f = NULL;
	struct stat st;
	int fd = -1, tries;

	*out = NULL;
	if (step->limit == 0 || step->limit > VGPU_LEDGER_MAX_LIMIT || step->job_cap > VGPU_LEDGER_MAX_LIMIT ||
	    step->job_sm_bp > 10000 || !uuid[0] || strlen(uuid) >= sizeof(f->uuid) || strchr(uuid, '/')) {
		snprintf(err, errlen, "ledger of '%s': bad uuid, limit %llu, job cap %llu or job SM cap %u", uuid,
			 (unsigned long long)step->limit, (unsigned long long)step->job_cap, step->job_sm_bp);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, uuid, VGPU_LEDGER_SUFFIX) >= sizeof(path)) {
		snprintf(err, errlen, "ledger directory path is too long");
		return -1;
	}
	for (tries = 0; tries < 2 && fd < 0; tries++) {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW); /* a symlink: ELOOP */
		if (fd < 0 && errno == ENOENT && create_file(dir, path, uuid, err, errlen) < 0)
			return -1;
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)sizeof(struct ledger_file)) {
		snprintf(err, errlen, "%s: size %lld, expected %zu", path, (long long)st.st_size,
			 sizeof(struct ledger_file));
		close(fd);
		return -1;
	}
	f = map_file(fd);
	if (!f) {
		snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (check_file(f, uuid, path, err, errlen) != 0) {
		munmap(f, sizeof(*f));
		close(fd);
		return -1;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "%s: out of memory", path);
		munmap(f, sizeof(*f));
		close(fd);
		return -1;
	}
	l->f = f;
	atomic_init(&l->fd, -1);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->nonce = f->nonce;
	atomic_init(&l->broken, 0);
	snprintf(l->path, sizeof(l->path), "%s", path);
	/* The mapping holds a reference to the description it was made
	 * through, and a forked child inherits the mapping: so the locks go on
	 * a description of their own, opened again, never mapped. */
	close(fd);
	if (lock_fd(l) < 0) {
		snprintf(err, errlen, "%s: cannot open it again for the slot locks: %s", path, strerror(errno));
		munmap(f, sizeof(*f));
		free(l);
		return -1;
	}
	for (size_t i = 0; i < VGPU_LEDGER_SLOTS; i++)
		atomic_init(&l->mine[i], MINE_NO);
	l->limit = step->limit;
	l->key = step_key(step->label ? step->label : "");
	atomic_init(&l->bucket, -1);
	atomic_init(&l->recheck, 0);
	atomic_init(&l->cursor, 0);
	if (step->job_cap)
		lower_u64(&f->job_cap, step->job_cap);
	if (step->job_sm_bp)
		lower_u32(&f->job_sm, step->job_sm_bp);
	*out = l;
	return 0;
}

void vgpu_ledger_close(struct vgpu_ledger *l)
{
	int fd;

	if (!l)
		return;
	fd = atomic_load(&l->fd);
	if (fd >= 0)
		close(fd);
	munmap(l->f, sizeof(*l->f));
	free(l);
}

void vgpu_ledger_atfork_child(struct vgpu_ledger *l)
{
	int fd;

	if (!l)
		return;
	fd = atomic_load(&l->fd);
	if (fd >= 0)
		close(fd); /* the child's copy only: the parent's locks stay */
	atomic_store(&l->fd, -1);
	for (size_t i = 0; i < VGPU_LEDGER_SLOTS; i++)
		atomic_store(&l->mine[i], MINE_NO);
}

uint64_t vgpu_ledger_limit(const struct vgpu_ledger *l)
{
	return l->limit;
}

uint64_t vgpu_ledger_job_cap(const struct vgpu_ledger *l)
{
	return atomic_load((_Atomic uint64_t *)&l->f->job_cap);
}

unsigned vgpu_ledger_job_sm(const struct vgpu_ledger *l)
{
	return atomic_load((_Atomic uint32_t *)&l->f->job_sm);
}

/* ---- slot locks ------------------------------------------------------------ */

/* This view's description, reopened after fork; -1 (errno set) when the
 * file cannot be opened or is no longer the mapped one. */
static int lock_fd(struct vgpu_ledger *l)
{
	int fd = atomic_load(&l->fd), expected = -1;
	struct stat st;

	if (fd >= 0)
		return fd;
	fd = open(l->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_dev != l->dev || st.st_ino != l->ino) {
		close(fd);
		errno = ESTALE; /* replaced since it was mapped */
		return -1;
	}
	if (!atomic_compare_exchange_strong(&l->fd, &expected, fd)) {
		close(fd); /* another thread reopened it first */
		fd = expected;
	}
	return fd;
}

/* F_OFD_SETLK (F_WRLCK or F_UNLCK) or F_OFD_GETLK (into *out) on slot i's
 * byte, past the end of the file. */
static int slot_lock(int fd, int cmd, short type, uint32_t i, struct flock *out)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl)); /* l_pid must be 0 for OFD locks */
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)(sizeof(struct ledger_file) + i);
	fl.l_len = 1;
	if (fcntl(fd, cmd, &fl) != 0)
		return -1;
	if (out)
		*out = fl;
	return 0;
}

/* Take slot i for the calling thread: no other thread of the process is
 * at it and this view does not hold it. */
static int mine_begin(struct vgpu_ledger *l, uint32_t i)
{
	uint8_t v = MINE_NO;

	return atomic_compare_exchange_strong(&l->mine[i], &v, MINE_BUSY);
}

/* ---- slots ---------------------------------------------------------------- */

static uint32_t hwm(const struct ledger_file *f)
{
	uint32_t n = atomic_load((_Atomic uint32_t *)&f->hwm);

	return n < VGPU_LEDGER_SLOTS ? n : VGPU_LEDGER_SLOTS;
}

/* Reclaim slot i if its owner is dead (its byte can be locked); 1 when
 * freed. The wipe runs under the byte lock: the charge, the in-flight
 * count, then the owner word; a reclaimer dying half-way leaves a dead
 * owner for the next one. */
static int reclaim_slot(struct vgpu_ledger *l, uint32_t i)
{
	struct ledger_file *f = l->f;
	int fd, freed = 0;

	if (atomic_load(&f->owner[i]) == 0 || !mine_begin(l, i))
		return 0; /* free, held by this view, or another thread is at it */
	fd = lock_fd(l);
	if (fd >= 0 && slot_lock(fd, F_OFD_SETLK, F_WRLCK, i, NULL) == 0) {
		if (atomic_load(&f->owner[i]) != 0) {
			atomic_store(&f->charged[i], 0);
			atomic_store(&f->inflight[i], 0);
			atomic_store(&f->owner[i], 0);
			freed = 1;
		}
		slot_lock(fd, F_OFD_SETLK, F_UNLCK, i, NULL);
	} /* else locked: alive (an fcntl error: kept on a doubt) */
	atomic_store(&l->mine[i], MINE_NO);
	return freed;
}

int vgpu_ledger_reclaim(struct vgpu_ledger *l)
{
	uint32_t n = hwm(l->f);
	int freed = 0;

	for (uint32_t i = 0; i < n; i++)
		freed += reclaim_slot(l, i);
	return freed;
}

int vgpu_ledger_reclaim_some(struct vgpu_ledger *l, int max)
{
	struct ledger_file *f = l->f;
	uint32_t n = hwm(f), start, i;
	int freed = 0, looked = 0;

	if (n == 0)
		return 0;
	start = (uint32_t)atomic_load_explicit(&l->cursor, memory_order_relaxed) % n;
	for (i = 0; i < n && looked < max; i++) {
		uint32_t k = (start + i) % n;

		if (atomic_load(&f->charged[k]) == 0 || atomic_load(&l->mine[k]) == MINE_HELD)
			continue;
		looked++;
		freed += reclaim_slot(l, k);
	}
	atomic_store_explicit(&l->cursor, (start + i) % n, memory_order_relaxed);
	return freed;
}

int vgpu_ledger_slot_alive(struct vgpu_ledger *l, int slot)
{
	struct flock fl;
	int fd;

	if (slot < 0 || slot >= VGPU_LEDGER_SLOTS || atomic_load(&l->f->owner[slot]) == 0)
		return 0;
	if (atomic_load(&l->mine[slot]) != MINE_NO)
		return 1; /* held by this view (or being claimed or wiped by it) */
	fd = lock_fd(l);
	if (fd < 0 || slot_lock(fd, F_OFD_GETLK, F_WRLCK, (uint32_t)slot, &fl) != 0)
		return 1;
	return fl.l_type != F_UNLCK;
}

/* Take slot i if its byte lock can be had (only_free: and its owner word
 * is 0); 1 when taken, 0 when not, -1 on an error (errno). Under the lock
 * the slot is free or its owner dead: zero it, tag it, publish me last. The
 * step tag is written before any charge; a slot's charge is read before its
 * tag (sums()), so a live slot's bytes are always counted under its own
 * step. */
static int take_slot(struct vgpu_ledger *l, uint32_t i, uint64_t me, int only_free)
{
	struct ledger_file *f = l->f;
	uint32_t top;
	int fd, rc = 0;

	if ((only_free && atomic_load(&f->owner[i]) != 0) || !mine_begin(l, i))
		return 0;
	fd = lock_fd(l);
	if (fd < 0) {
		rc = -1;
	} else if (slot_lock(fd, F_OFD_SETLK, F_WRLCK, i, NULL) != 0) {
		rc = errno == EAGAIN || errno == EACCES ? 0 : -1; /* locked: a live owner */
	} else {
		atomic_store(&f->charged[i], 0);
		atomic_store(&f->inflight[i], 0);
		atomic_store(&f->step[i], l->key);
		atomic_store(&f->owner[i], me);
		l->owner_of[i] = me;
		top = atomic_load(&f->hwm);
		while (top < i + 1 && !atomic_compare_exchange_weak(&f->hwm, &top, i + 1))
			;
		atomic_store(&l->mine[i], MINE_HELD);
		return 1;
	}
	atomic_store(&l->mine[i], MINE_NO);
	return rc;
}

int vgpu_ledger_claim(struct vgpu_ledger *l, uint64_t me)
{
	struct ledger_file *f = l->f;
	uint32_t n = hwm(f);

	if (vgpu_ledger_intact(l) != 0) {
		errno = EIO;
		return -1;
	}
	if (me == 0)
		me = vgpu_ledger_self();
	me |= OWNED;
	for (uint32_t i = 0; i < n; i++)
		if (atomic_load(&l->mine[i]) == MINE_HELD && atomic_load(&f->owner[i]) == me)
			return (int)i;
	/* Free slots first (one fcntl, as a rule); then any slot whose lock
	 * can be had: its owner is dead. */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < VGPU_LEDGER_SLOTS; i++) {
			int rc = take_slot(l, i, me, pass == 0);

			if (rc != 0)
				return rc > 0 ? (int)i : -1;
		}
	errno = ENOSPC;
	return -1;
}

/* The step's and the job's sums of charged words. */
static void sums(const struct ledger_file *f, uint64_t key, uint64_t *step, uint64_t *job)
{
	uint32_t n = hwm(f);
	uint64_t s = 0, j = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t c = atomic_load((_Atomic uint64_t *)&f->charged[i]);

		j += c;
		if (c && atomic_load((_Atomic uint64_t *)&f->step[i]) == key)
			s += c;
	}
	*step = s;
	*job = j;
}

/* Would the step's use and the job's, plus extra, fit? */
static int fits(const struct vgpu_ledger *l, uint64_t extra)
{
	uint64_t step, job, cap = atomic_load((_Atomic uint64_t *)&l->f->job_cap);

	sums(l->f, l->key, &step, &job);
	return step + extra <= l->limit && (cap == 0 || job + extra <= cap);
}

/* Is a reservation of another slot between its add and its decision? */
static int others_inflight(const struct ledger_file *f, int slot)
{
	uint32_t n = hwm(f);

	for (uint32_t i = 0; i < n; i++)
		if ((int)i != slot && atomic_load((_Atomic uint32_t *)&f->inflight[i]) != 0)
			return 1;
	return 0;
}

int vgpu_ledger_reserve(struct vgpu_ledger *l, int slot, uint64_t bytes)
{
	struct ledger_file *f = l->f;
	int reclaimed = 0;

	if (slot < 0 || slot >= VGPU_LEDGER_SLOTS || bytes > l->limit)
		return 1;
	if (vgpu_ledger_intact(l) != 0)
		return 2;
	for (int attempt = 0; attempt < RETRIES; attempt++) {
		atomic_fetch_add(&f->inflight[slot], 1);
		atomic_fetch_add(&f->charged[slot], bytes);
		if (fits(l, 0)) {
			atomic_fetch_sub(&f->inflight[slot], 1);
			return 0;
		}
		/* Take it back clamped at 0: a slot wiped meanwhile (its owner
		 * misjudged dead) must not wrap to 2^64 and poison every sum. */
		vgpu_ledger_release(l, slot, bytes);
		atomic_fetch_sub(&f->inflight[slot], 1);
		/* Over a limit: free what dead processes hold, and retry while
		 * a racing reservation may be what pushed us over or has been
		 * taken back since. */
		if (!reclaimed) {
			reclaimed = 1;
			if (vgpu_ledger_reclaim(l) > 0)
				continue;
		}
		if (!others_inflight(f, slot) && !fits(l, bytes))
			return 1;
		sched_yield();
	}
	return 1;
}

void vgpu_ledger_release(struct vgpu_ledger *l, int slot, uint64_t bytes)
{
	struct ledger_file *f = l->f;
	uint64_t cur;

	if (slot < 0 || slot >= VGPU_LEDGER_SLOTS || bytes == 0)
		return;
	cur = atomic_load(&f->charged[slot]);
	while (!atomic_compare_exchange_weak(&f->charged[slot], &cur, cur > bytes ? cur - bytes : 0))
		;
}

uint64_t vgpu_ledger_used(const struct vgpu_ledger *l)
{
	uint64_t step, job;

	sums(l->f, l->key, &step, &job);
	return step;
}

uint64_t vgpu_ledger_job_used(const struct vgpu_ledger *l)
{
	uint64_t step, job;

	sums(l->f, l->key, &step, &job);
	return job;
}

uint64_t vgpu_ledger_room(const struct vgpu_ledger *l)
{
	uint64_t step, job, cap = vgpu_ledger_job_cap(l), room;

	sums(l->f, l->key, &step, &job);
	room = step < l->limit ? l->limit - step : 0;
	if (cap) {
		uint64_t jroom = job < cap ? cap - job : 0;

		room = jroom < room ? jroom : room;
	}
	return room;
}

uint64_t vgpu_ledger_slot_bytes(const struct vgpu_ledger *l, int slot)
{
	if (slot < 0 || slot >= VGPU_LEDGER_SLOTS)
		return 0;
	return atomic_load(&l->f->charged[slot]);
}

int vgpu_ledger_procs(struct vgpu_ledger *l, struct vgpu_ledger_proc *procs, int max)
{
	const struct ledger_file *f = l->f;
	uint32_t n = hwm(f);
	int count = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = atomic_load((_Atomic uint64_t *)&f->owner[i]);
		uint64_t b = atomic_load((_Atomic uint64_t *)&f->charged[i]);

		if (v == 0 || b == 0 || !vgpu_ledger_slot_alive(l, (int)i))
			continue;
		if (count < max) {
			procs[count].pid = (pid_t)(uint32_t)(v & 0xffffffffu);
			procs[count].bytes = b;
		}
		count++;
	}
	return count;
}

/* ---- SM schedules ------------------------------------------------------------ */

/* The entry of the step's schedule: the one keyed by the step, else a
 * never-used one, else one idle for BUCKET_IDLE_NS (recycled: an idle
 * schedule resets to now anyway), else the step's home entry, shared with
 * another step until now + BUCKET_IDLE_NS (sharing only slows both). */
static int bucket_find(struct vgpu_ledger *l, int64_t now)
{
	struct ledger_file *f = l->f;
	unsigned home = (unsigned)(l->key % VGPU_LEDGER_STEP_BUCKETS);

	for (unsigned i = 0; i < VGPU_LEDGER_STEP_BUCKETS; i++) {
		unsigned e = (home + i) % VGPU_LEDGER_STEP_BUCKETS;
		uint64_t k = atomic_load(&f->bucket[e].key);

		if (k == l->key)
			return (int)e;
		if (k == 0 && atomic_compare_exchange_strong(&f->bucket[e].key, &k, l->key))
			return (int)e;
		if (k == l->key) /* lost the CAS to a process of the same step */
			return (int)e;
	}
	for (unsigned i = 0; i < VGPU_LEDGER_STEP_BUCKETS; i++) {
		unsigned e = (home + i) % VGPU_LEDGER_STEP_BUCKETS;
		uint64_t k = atomic_load(&f->bucket[e].key);

		if (atomic_load(&f->bucket[e].tat) < now - BUCKET_IDLE_NS &&
		    atomic_compare_exchange_strong(&f->bucket[e].key, &k, l->key))
			return (int)e;
	}
	atomic_store(&l->recheck, now + BUCKET_IDLE_NS);
	return (int)home;
}

static int64_t gcra(_Atomic int64_t *tat, int64_t now, int64_t cost, int64_t tau)
{
	int64_t t = atomic_load_explicit(tat, memory_order_relaxed), start;

	for (;;) {
		start = t > now ? t : now;
		if (start - now > tau)
			return start - tau - now;
		if (atomic_compare_exchange_weak_explicit(tat, &t, start + cost, memory_order_relaxed,
							  memory_order_relaxed))
			return 0;
	}
}

int64_t vgpu_ledger_sm_pace(struct vgpu_ledger *l, enum vgpu_ledger_bucket which, int64_t now, int64_t cost,
			    int64_t tau)
{
	struct ledger_file *f = l->f;
	int e;

	if (which == VGPU_LEDGER_SM_JOB)
		return gcra(&f->sm_tat, now, cost, tau);
	e = atomic_load_explicit(&l->bucket, memory_order_relaxed);
	if (e < 0 || (atomic_load_explicit(&f->bucket[e].key, memory_order_relaxed) != l->key &&
		      now >= atomic_load_explicit(&l->recheck, memory_order_relaxed))) {
		e = bucket_find(l, now);
		atomic_store_explicit(&l->bucket, e, memory_order_relaxed);
	}
	return gcra(&f->bucket[e].tat, now, cost, tau);
}
