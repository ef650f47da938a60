/* vgpu_ledger.c - see vgpu_ledger.h */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "vgpu_ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEDGER_MAGIC UINT64_C(0x31524744454c5056) /* "VPLEDGR1" */
#define RECLAIMING (UINT64_C(1) << 63)
#define START_MASK UINT64_C(0x7fffffff)
#define RETRIES 2000 /* reservations re-tried while racing ones are in flight */

/* The file. Every field after the header is only touched atomically. */
struct ledger_file {
	uint64_t magic;
	uint32_t version;
	uint32_t nslots;
	uint64_t limit;
	char uuid[64];
	_Atomic uint32_t hwm; /* slots [0, hwm) may have been claimed */
	uint32_t pad0;
	_Atomic int64_t sm_tat; /* SM pacing: the step's schedule (CLOCK_MONOTONIC ns) */
	uint32_t pad[4];
	_Atomic uint64_t owner[VGPU_LEDGER_SLOTS];
	_Atomic uint64_t charged[VGPU_LEDGER_SLOTS];
	_Atomic uint32_t inflight[VGPU_LEDGER_SLOTS];
};

struct vgpu_ledger {
	struct ledger_file *f;
};

_Static_assert(sizeof(_Atomic uint64_t) == 8 && sizeof(_Atomic uint32_t) == 4, "plain-sized atomics");

/* ---- identities ----------------------------------------------------------- */

/* State and start time of pid from /proc: 0 alive, 1 gone (or a zombie),
 * -1 unreadable for another reason. */
static int proc_stat(pid_t pid, uint64_t *start)
{
	char path[64], buf[1024];
	const char *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? 1 : -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n == 0 || errno == ESRCH ? 1 : -1;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	if (*p == 'Z' || *p == 'X' || *p == 'x')
		return 1;
	for (field = 3; field < 22 && *p; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

static uint64_t make_ident(pid_t pid, uint64_t start)
{
	return (uint64_t)(uint32_t)pid | (start & START_MASK) << 32;
}

uint64_t vgpu_ledger_self(void)
{
	pid_t pid = getpid();
	uint64_t start = 0;

	if (proc_stat(pid, &start) != 0)
		return 0;
	return make_ident(pid, start);
}

int vgpu_ledger_alive(uint64_t ident)
{
	pid_t pid = (pid_t)(uint32_t)(ident & 0xffffffffu);
	uint64_t start = 0;
	int rc;

	if (pid <= 0)
		return 0;
	rc = proc_stat(pid, &start);
	if (rc < 0)
		return 1;
	return rc == 0 && make_ident(pid, start) == (ident & ~RECLAIMING);
}

/* ---- file ----------------------------------------------------------------- */

static int check_file(const struct ledger_file *f, const char *uuid, uint64_t limit, const char *path, char *err,
		      size_t errlen)
{
	if (f->magic != LEDGER_MAGIC || f->version != VGPU_LEDGER_VERSION || f->nslots != VGPU_LEDGER_SLOTS) {
		snprintf(err, errlen, "%s: not a version %d ledger of %d slots", path, VGPU_LEDGER_VERSION,
			 VGPU_LEDGER_SLOTS);
		return -1;
	}
	if (strncmp(f->uuid, uuid, sizeof(f->uuid)) != 0) {
		snprintf(err, errlen, "%s: belongs to %.*s", path, (int)sizeof(f->uuid), f->uuid);
		return -1;
	}
	if (f->limit != limit) {
		snprintf(err, errlen, "%s: limit %llu differs from the step's %llu", path, (unsigned long long)f->limit,
			 (unsigned long long)limit);
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
static int create_file(const char *dir, const char *path, const char *uuid, uint64_t limit, char *err, size_t errlen)
{
	char tmp[4200];
	struct ledger_file *f;
	int fd, rc = -1;

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
	if (ftruncate(fd, (off_t)sizeof(struct ledger_file)) != 0 || !(f = map_file(fd))) {
		snprintf(err, errlen, "%s: cannot size or map: %s", tmp, strerror(errno));
		goto out;
	}
	f->version = VGPU_LEDGER_VERSION;
	f->nslots = VGPU_LEDGER_SLOTS;
	f->limit = limit;
	snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
	f->magic = LEDGER_MAGIC;
	munmap(f, sizeof(*f));
	if (fsync(fd) != 0) {
		snprintf(err, errlen, "%s: cannot sync: %s", tmp, strerror(errno));
		goto out;
	}
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

int vgpu_ledger_open(const char *dir, const char *uuid, uint64_t limit, struct vgpu_ledger **out, char *err,
		     size_t errlen)
{
	char path[4200];
	struct vgpu_ledger *l;
	struct ledger_file *f = NULL;
	struct stat st;
	int fd = -1, tries;

	*out = NULL;
	if (limit == 0 || limit > VGPU_LEDGER_MAX_LIMIT || !uuid[0] || strlen(uuid) >= sizeof(f->uuid) ||
	    strchr(uuid, '/')) {
		snprintf(err, errlen, "ledger of '%s': bad uuid or limit %llu", uuid, (unsigned long long)limit);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, uuid, VGPU_LEDGER_SUFFIX) >= sizeof(path)) {
		snprintf(err, errlen, "ledger directory path is too long");
		return -1;
	}
	for (tries = 0; tries < 2 && fd < 0; tries++) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create_file(dir, path, uuid, limit, err, errlen) < 0)
			return -1;
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_size != (off_t)sizeof(struct ledger_file)) {
		snprintf(err, errlen, "%s: size %lld, expected %zu", path, (long long)st.st_size,
			 sizeof(struct ledger_file));
		close(fd);
		return -1;
	}
	f = map_file(fd);
	close(fd);
	if (!f) {
		snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
		return -1;
	}
	if (check_file(f, uuid, limit, path, err, errlen) != 0) {
		munmap(f, sizeof(*f));
		return -1;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "%s: out of memory", path);
		munmap(f, sizeof(*f));
		return -1;
	}
	l->f = f;
	*out = l;
	return 0;
}

void vgpu_ledger_close(struct vgpu_ledger *l)
{
	if (!l)
		return;
	munmap(l->f, sizeof(*l->f));
	free(l);
}

uint64_t vgpu_ledger_limit(const struct vgpu_ledger *l)
{
	return l->f->limit;
}

/* ---- slots ---------------------------------------------------------------- */

static uint32_t hwm(const struct ledger_file *f)
{
	uint32_t n = atomic_load((_Atomic uint32_t *)&f->hwm);

	return n < VGPU_LEDGER_SLOTS ? n : VGPU_LEDGER_SLOTS;
}

/* Zero slot i and free it; the caller holds its owner word (RECLAIMING|me). */
static void wipe(struct ledger_file *f, uint32_t i)
{
	atomic_store(&f->charged[i], 0);
	atomic_store(&f->inflight[i], 0);
	atomic_store(&f->owner[i], 0);
}

/* Reclaim slot i if its owner (or its reclaimer) is dead; 1 when freed. */
static int reclaim_slot(struct ledger_file *f, uint32_t i, uint64_t me)
{
	uint64_t v = atomic_load(&f->owner[i]);

	if (v == 0 || (v & ~RECLAIMING) == me || vgpu_ledger_alive(v))
		return 0;
	if (!atomic_compare_exchange_strong(&f->owner[i], &v, me | RECLAIMING))
		return 0; /* someone else got there first */
	wipe(f, i);
	return 1;
}

int vgpu_ledger_reclaim(struct vgpu_ledger *l, uint64_t me)
{
	uint32_t n = hwm(l->f);
	int freed = 0;

	if (me == 0)
		me = vgpu_ledger_self();
	if (me == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		freed += reclaim_slot(l->f, i, me);
	return freed;
}

int vgpu_ledger_claim(struct vgpu_ledger *l, uint64_t me)
{
	struct ledger_file *f = l->f;
	uint32_t n = hwm(f), top;

	if (me == 0 || (me & RECLAIMING))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (atomic_load(&f->owner[i]) == me) { /* ours before an exec() */
			atomic_store(&f->charged[i], 0);
			atomic_store(&f->inflight[i], 0);
			return (int)i;
		}
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < VGPU_LEDGER_SLOTS; i++) {
			uint64_t zero = 0;

			if (atomic_load(&f->owner[i]) != 0 || !atomic_compare_exchange_strong(&f->owner[i], &zero, me))
				continue;
			top = atomic_load(&f->hwm);
			while (top < i + 1 && !atomic_compare_exchange_weak(&f->hwm, &top, i + 1))
				;
			return (int)i;
		}
		if (pass == 0 && vgpu_ledger_reclaim(l, me) == 0)
			break;
	}
	return -1;
}

/* Sum of the charged words of all slots. */
static uint64_t sum(const struct ledger_file *f)
{
	uint32_t n = hwm(f);
	uint64_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += atomic_load((_Atomic uint64_t *)&f->charged[i]);
	return s;
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

	if (slot < 0 || slot >= VGPU_LEDGER_SLOTS || bytes > f->limit)
		return 1;
	for (int attempt = 0; attempt < RETRIES; attempt++) {
		uint64_t total;

		atomic_fetch_add(&f->inflight[slot], 1);
		atomic_fetch_add(&f->charged[slot], bytes);
		total = sum(f);
		if (total <= f->limit) {
			atomic_fetch_sub(&f->inflight[slot], 1);
			return 0;
		}
		atomic_fetch_sub(&f->charged[slot], bytes);
		atomic_fetch_sub(&f->inflight[slot], 1);
		/* Over the limit: free what dead processes hold, and retry
		 * while a racing reservation may be what pushed us over or
		 * has been taken back since. */
		if (!reclaimed) {
			reclaimed = 1;
			if (vgpu_ledger_reclaim(l, atomic_load(&f->owner[slot]) & ~RECLAIMING) > 0)
				continue;
		}
		if (!others_inflight(f, slot) && sum(f) + bytes > f->limit)
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
	return sum(l->f);
}

uint64_t vgpu_ledger_slot_bytes(const struct vgpu_ledger *l, int slot)
{
	if (slot < 0 || slot >= VGPU_LEDGER_SLOTS)
		return 0;
	return atomic_load(&l->f->charged[slot]);
}

int vgpu_ledger_procs(const struct vgpu_ledger *l, struct vgpu_ledger_proc *procs, int max)
{
	const struct ledger_file *f = l->f;
	uint32_t n = hwm(f);
	int count = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = atomic_load((_Atomic uint64_t *)&f->owner[i]);
		uint64_t b = atomic_load((_Atomic uint64_t *)&f->charged[i]);

		if (v == 0 || (v & RECLAIMING) || b == 0 || !vgpu_ledger_alive(v))
			continue;
		if (count < max) {
			procs[count].pid = (pid_t)(uint32_t)(v & 0xffffffffu);
			procs[count].bytes = b;
		}
		count++;
	}
	return count;
}

int64_t vgpu_ledger_sm_pace(struct vgpu_ledger *l, int64_t now, int64_t cost, int64_t tau)
{
	_Atomic int64_t *tat = &l->f->sm_tat;
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
