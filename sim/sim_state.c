/*
 * sim_state.c - a simulated GPU's device memory shared across processes
 * (see sim_state.h for the model).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_state.h"
#include "vgpu_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC 0x5354534d49535056ull /* "VPSIMSTS" little-endian */
#define STATE_LAYOUT 4 /* 3: liveness by record locks; 4: groups and high-water marks */

struct proc_rec {
	int32_t pid; /* 0: free; else the owner's pid in its own pid namespace (display only) */
	uint32_t contexts;
	uint32_t group; /* its process's VGPU_SIM_GROUP (high-water marks) */
	uint32_t pad;
	uint64_t start_time; /* display only */
	uint64_t bytes;
	uint64_t sm_ns; /* SM time of the work it has queued (full-GPU ns) */
};

/* The file's layout. Changing it means bumping STATE_LAYOUT. */
struct state_file {
	uint64_t magic;
	uint32_t layout;
	uint32_t size;
	char uuid[48];
	uint64_t capacity; /* memory_bytes - reserved_bytes */
	pthread_mutex_t lock;
	uint64_t busy_until; /* CLOCK_MONOTONIC ns at which the queued work ends */
	uint64_t busy_total; /* SM ns of all work ever queued */
	uint64_t peak_used; /* the most the GPU's used memory ever was */
	uint64_t peak_group[VGPU_SIM_GROUPS]; /* the most each group's records held at once */
	struct proc_rec procs[VGPU_SIM_MAX_PROCS];
};

struct vgpu_sim_state {
	struct state_file *f;
	uint64_t capacity;
	int fd;             /* this handle's description: holds its record's lock; -1 if lost */
	dev_t dev;          /* the mapped file, to check a reopened one */
	ino_t ino;
	char path[4096];
	pid_t pid;          /* getpid() when fd was opened: a change means fork */
	uint64_t start_time;
	int slot;           /* this handle's record, or -1 */
	uint32_t group;     /* VGPU_SIM_GROUP when the handle was opened */
};

/* Lock the table. A previous owner that died is recovered from: every
 * update is one store into a record, and dead records are reaped next. */
static int state_lock(struct state_file *f)
{
	int rc = pthread_mutex_lock(&f->lock);

	if (rc == EOWNERDEAD)
		rc = pthread_mutex_consistent(&f->lock);
	return rc == 0 ? 0 : -1;
}

static void state_unlock(struct state_file *f)
{
	pthread_mutex_unlock(&f->lock);
}

/* F_OFD_SETLK (F_WRLCK / F_UNLCK) on record i's byte, past the end of the
 * file. */
static int rec_lock(int fd, short type, int i)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl)); /* l_pid must be 0 for OFD locks */
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)(sizeof(struct state_file) + (size_t)i);
	fl.l_len = 1;
	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* In a forked child (another pid), the handle's description is the
 * parent's, and so are its locks: close the child's copy (the parent's
 * locks stay), open the child's own and forget the parent's record. The
 * table's lock is held. */
static void refresh_identity(struct vgpu_sim_state *st)
{
	pid_t pid = getpid();
	uint64_t start = 0;
	struct stat sb;

	if (pid == st->pid)
		return;
	if (st->fd >= 0)
		close(st->fd); /* the child's copy: the parent's locks stay */
	st->fd = open(st->path, O_RDWR | O_CLOEXEC);
	if (st->fd >= 0 && (fstat(st->fd, &sb) != 0 || sb.st_dev != st->dev || sb.st_ino != st->ino)) {
		close(st->fd); /* replaced since it was mapped */
		st->fd = -1;
	}
	st->pid = pid;
	st->start_time = vgpu_proc_start_time(pid, &start) == VGPU_PROC_ALIVE ? start : 0;
	st->slot = -1;
}

/* Free the records of dead processes; the lock is held. A record's owner is
 * alive iff its byte is locked (by its handle's description), whatever its
 * pid says: a process exiting or exec'ing drops the lock, in any pid
 * namespace; a process whose main thread called pthread_exit beside live
 * threads keeps it. An fcntl error keeps the record. */
static void reap(struct vgpu_sim_state *st)
{
	struct state_file *f = st->f;

	if (st->fd < 0)
		return;
	for (int i = 0; i < VGPU_SIM_MAX_PROCS; i++) {
		if (f->procs[i].pid == 0 || i == st->slot || rec_lock(st->fd, F_WRLCK, i) != 0)
			continue;
		memset(&f->procs[i], 0, sizeof(f->procs[i])); /* a real driver has freed it */
		rec_lock(st->fd, F_UNLCK, i);
	}
}

static uint64_t used_bytes(const struct state_file *f)
{
	uint64_t used = 0;

	for (int i = 0; i < VGPU_SIM_MAX_PROCS; i++)
		if (f->procs[i].pid != 0)
			used += f->procs[i].bytes;
	return used;
}

/* Raise the high-water marks after a charge to a record of group g: the
 * GPU's used memory and group g's total only grow by charges, so checking
 * after each one (under the table's lock) sees every peak. */
static void update_peaks(struct state_file *f, uint32_t g)
{
	uint64_t used = 0, in_g = 0;

	for (int i = 0; i < VGPU_SIM_MAX_PROCS; i++) {
		if (f->procs[i].pid == 0)
			continue;
		used += f->procs[i].bytes;
		if (f->procs[i].group == g)
			in_g += f->procs[i].bytes;
	}
	if (used > f->peak_used)
		f->peak_used = used;
	if (g < VGPU_SIM_GROUPS && in_g > f->peak_group[g])
		f->peak_group[g] = in_g;
}

/* VGPU_SIM_GROUP: a number below VGPU_SIM_GROUPS; anything else is 0. */
static uint32_t env_group(void)
{
	const char *v = getenv("VGPU_SIM_GROUP");
	char *end;
	unsigned long g;

	if (!v || !*v)
		return 0;
	errno = 0;
	g = strtoul(v, &end, 10);
	return errno == 0 && *end == '\0' && v[0] >= '0' && v[0] <= '9' && g < VGPU_SIM_GROUPS ? (uint32_t)g : 0;
}

/* This handle's record, claimed if needed (a free one whose lock this
 * handle takes); -1 when the table is full or the handle has no
 * description. The table's lock is held. */
static int my_slot(struct vgpu_sim_state *st, int claim)
{
	struct state_file *f = st->f;

	if (st->slot >= 0 && f->procs[st->slot].pid == st->pid)
		return st->slot;
	st->slot = -1;
	if (!claim || st->fd < 0)
		return -1;
	for (int i = 0; i < VGPU_SIM_MAX_PROCS; i++) {
		if (f->procs[i].pid != 0 || rec_lock(st->fd, F_WRLCK, i) != 0)
			continue;
		f->procs[i].start_time = st->start_time;
		f->procs[i].bytes = 0;
		f->procs[i].contexts = 0;
		f->procs[i].sm_ns = 0;
		f->procs[i].group = st->group;
		f->procs[i].pid = st->pid; /* last: a slot with a pid is complete */
		st->slot = i;
		return i;
	}
	return -1;
}

int vgpu_sim_state_charge(struct vgpu_sim_state *st, uint64_t bytes, unsigned int contexts)
{
	struct state_file *f = st->f;
	int rc = -1, slot;

	if (state_lock(f) != 0)
		return -1;
	refresh_identity(st);
	reap(st);
	if (bytes > st->capacity || used_bytes(f) > st->capacity - bytes) {
		rc = 1;
		goto out;
	}
	slot = my_slot(st, 1);
	if (slot < 0)
		goto out;
	f->procs[slot].bytes += bytes;
	f->procs[slot].contexts += contexts;
	update_peaks(f, f->procs[slot].group);
	rc = 0;
out:
	state_unlock(f);
	return rc;
}

void vgpu_sim_state_uncharge(struct vgpu_sim_state *st, uint64_t bytes, unsigned int contexts)
{
	struct state_file *f = st->f;
	struct proc_rec *r;
	int slot;

	if (state_lock(f) != 0)
		return;
	refresh_identity(st);
	slot = my_slot(st, 0);
	if (slot >= 0) {
		r = &f->procs[slot];
		r->bytes -= bytes < r->bytes ? bytes : r->bytes;
		r->contexts -= contexts < r->contexts ? contexts : r->contexts;
		if (r->bytes == 0 && r->contexts == 0) {
			r->pid = 0;
			rec_lock(st->fd, F_UNLCK, slot);
			st->slot = -1;
		}
	}
	state_unlock(f);
}

int vgpu_sim_state_query(struct vgpu_sim_state *st, uint64_t *used, struct vgpu_sim_proc_info *procs, int max,
			 int *nprocs)
{
	struct state_file *f = st->f;
	int n = 0;

	if (state_lock(f) != 0)
		return -1;
	refresh_identity(st);
	reap(st);
	*used = used_bytes(f);
	for (int i = 0; i < VGPU_SIM_MAX_PROCS; i++) {
		const struct proc_rec *r = &f->procs[i];

		if (r->pid == 0)
			continue;
		if (n < max) {
			procs[n].pid = r->pid;
			procs[n].contexts = r->contexts;
			procs[n].bytes = r->bytes;
			procs[n].sm_ns = r->sm_ns;
		}
		n++;
	}
	state_unlock(f);
	*nprocs = n;
	return 0;
}

int vgpu_sim_state_run(struct vgpu_sim_state *st, uint64_t now, uint64_t ns, uint64_t *end)
{
	struct state_file *f = st->f;
	uint64_t start;
	int slot;

	if (state_lock(f) != 0)
		return -1;
	refresh_identity(st);
	start = f->busy_until > now ? f->busy_until : now;
	*end = start + ns;
	if (ns) {
		f->busy_until = *end;
		f->busy_total += ns;
		slot = my_slot(st, 1);
		if (slot >= 0)
			f->procs[slot].sm_ns += ns;
	}
	state_unlock(f);
	return 0;
}

int vgpu_sim_state_busy(struct vgpu_sim_state *st, uint64_t now, uint64_t *done, uint64_t *until)
{
	struct state_file *f = st->f;

	if (state_lock(f) != 0)
		return -1;
	*until = f->busy_until;
	*done = f->busy_total - (f->busy_until > now ? f->busy_until - now : 0);
	state_unlock(f);
	return 0;
}

int vgpu_sim_state_peaks(struct vgpu_sim_state *st, uint64_t *peak_used, uint64_t *peak_group, int ngroups)
{
	struct state_file *f = st->f;

	if (state_lock(f) != 0)
		return -1;
	*peak_used = f->peak_used;
	for (int g = 0; g < ngroups; g++)
		peak_group[g] = g < VGPU_SIM_GROUPS ? f->peak_group[g] : 0;
	state_unlock(f);
	return 0;
}

int vgpu_sim_state_test_hold(struct vgpu_sim_state *st)
{
	return state_lock(st->f);
}

/* Build a complete state file under a temporary name and link it to path.
 * Losing the race to another process is success. */
static int create_file(const char *dir, const char *path, const struct vgpu_sim_gpu *gpu, uint64_t capacity,
		       char *err, size_t errlen)
{
	char tmp[4096];
	struct state_file *f = MAP_FAILED;
	pthread_mutexattr_t attr;
	int fd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, gpu->uuid);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a state file: %s", dir, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0666) != 0 || ftruncate(fd, (off_t)sizeof(*f)) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", tmp, strerror(errno));
		goto out;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	rc = pthread_mutex_init(&f->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc != 0) {
		snprintf(err, errlen, "%s: pthread_mutex_init: %s", tmp, strerror(rc));
		rc = -1;
		goto out;
	}
	f->layout = STATE_LAYOUT;
	f->size = (uint32_t)sizeof(*f);
	snprintf(f->uuid, sizeof(f->uuid), "%s", gpu->uuid);
	f->capacity = capacity;
	f->magic = STATE_MAGIC;
	/* No msync: other processes see the file through the page cache; a
	 * simulated GPU need not survive a power cut (and msync is disk I/O
	 * for every process that races to create the file). */
	if (link(tmp, path) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	if (f != MAP_FAILED)
		munmap(f, sizeof(*f));
	close(fd);
	unlink(tmp);
	return rc;
}

static int check_file(const char *path, const struct state_file *f, const struct vgpu_sim_gpu *gpu,
		      uint64_t capacity, char *err, size_t errlen)
{
	if (f->magic != STATE_MAGIC || f->layout != STATE_LAYOUT || f->size != sizeof(*f)) {
		snprintf(err, errlen, "%s: not a state file of layout %d (remove it)", path, STATE_LAYOUT);
		return -1;
	}
	if (strcmp(f->uuid, gpu->uuid) != 0 || f->capacity != capacity) {
		snprintf(err, errlen, "%s: made for another GPU (%.48s, %llu bytes usable; remove it)", path,
			 f->uuid, (unsigned long long)f->capacity);
		return -1;
	}
	return 0;
}

int vgpu_sim_state_open(const char *dir, const struct vgpu_sim_gpu *gpu, struct vgpu_sim_state **out,
			char *err, size_t errlen)
{
	uint64_t capacity = gpu->memory_bytes - gpu->reserved_bytes;
	struct vgpu_sim_state *st = NULL;
	struct state_file *f = MAP_FAILED;
	char path[4096];
	struct stat sb;
	int fd = -1, tries;

	if (mkdir(dir, 0777) == 0)
		chmod(dir, 01777);
	else if (errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create the state directory: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.state", dir, gpu->uuid);
	for (tries = 0; tries < 2 && fd < 0; tries++) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (fd < 0 && create_file(dir, path, gpu, capacity, err, errlen) != 0)
			return -1;
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: vanished while being opened", path);
		return -1;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size != (off_t)sizeof(*f)) {
		snprintf(err, errlen, "%s: size %lld, expected %zu (remove it)", path, (long long)sb.st_size,
			 sizeof(*f));
		goto fail;
	}
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	if (check_file(path, f, gpu, capacity, err, errlen) != 0)
		goto fail;
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	st->f = f;
	st->capacity = capacity;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	snprintf(st->path, sizeof(st->path), "%s", path);
	st->slot = -1;
	st->group = env_group();
	/* The record's lock goes on a description of its own, never mapped:
	 * a mapping holds a reference to the description it was made through
	 * and a forked child inherits it, which would keep a lock on it alive
	 * after the parent's death. */
	close(fd);
	st->fd = -1;
	st->pid = 0;
	refresh_identity(st); /* opens st->fd */
	if (st->fd < 0) {
		snprintf(err, errlen, "%s: cannot open it again for the record locks: %s", path, strerror(errno));
		munmap(f, sizeof(*f));
		free(st);
		return -1;
	}
	*out = st;
	return 0;
fail:
	if (f != MAP_FAILED)
		munmap(f, sizeof(*f));
	close(fd);
	return -1;
}

void vgpu_sim_state_close(struct vgpu_sim_state *st)
{
	if (!st)
		return;
	if (st->fd >= 0)
		close(st->fd); /* drops the record's lock: reaped as a dead process's */
	munmap(st->f, sizeof(*st->f));
	free(st);
}
