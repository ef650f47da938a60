/*
 * shim_track.c - what the process holds on the GPU: one record per device
 * allocation, array, VMM handle, VMM mapping, context and pool, so a free
 * gives back exactly what its allocation charged.
 *
 * An open-addressing hash table keyed by (kind, key), linear probing with
 * tombstones, grown at half load: O(1) expected per operation. One
 * process-private mutex guards it (allocations come from many threads); it
 * is never held while calling the driver, except by callers that take it
 * explicitly with vgpu_track_lock() around a short multi-step update.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TOMB (-1) /* kind of a deleted record */
#define MIN_CAP 256

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct vgpu_track *tab;
static size_t cap, used, live; /* used counts live records and tombstones */

static size_t hash(int kind, uint64_t key)
{
	uint64_t h = key ^ ((uint64_t)(unsigned)kind << 56);

	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return (size_t)h;
}

/* Index of (kind, key), or SIZE_MAX. Lock held. */
static size_t find(int kind, uint64_t key)
{
	if (!cap)
		return SIZE_MAX;
	for (size_t i = hash(kind, key) & (cap - 1), n = 0; n < cap; i = (i + 1) & (cap - 1), n++) {
		if (tab[i].kind == 0)
			return SIZE_MAX;
		if (tab[i].kind == kind && tab[i].key == key)
			return i;
	}
	return SIZE_MAX;
}

/* Put t in the first empty or deleted place of its probe chain. Lock held,
 * room guaranteed. */
static void place(struct vgpu_track *t_tab, size_t t_cap, const struct vgpu_track *t)
{
	size_t i = hash(t->kind, t->key) & (t_cap - 1);

	while (t_tab[i].kind > 0)
		i = (i + 1) & (t_cap - 1);
	t_tab[i] = *t;
}

/* Make room for one more record. Lock held. */
static int grow(void)
{
	struct vgpu_track *n;
	size_t ncap;

	if ((used + 1) * 2 <= cap)
		return 0;
	ncap = cap ? (live * 4 > cap ? cap * 2 : cap) : MIN_CAP; /* mostly tombstones: rehash in place size */
	n = calloc(ncap, sizeof(*n));
	if (!n)
		return -1;
	for (size_t i = 0; i < cap; i++)
		if (tab[i].kind > 0)
			place(n, ncap, &tab[i]);
	free(tab);
	tab = n;
	cap = ncap;
	used = live;
	return 0;
}

int vgpu_track_add(const struct vgpu_track *t)
{
	int rc = -1;

	pthread_mutex_lock(&lock);
	if (t->kind > 0 && find(t->kind, t->key) == SIZE_MAX && grow() == 0) {
		size_t i = hash(t->kind, t->key) & (cap - 1);

		while (tab[i].kind > 0)
			i = (i + 1) & (cap - 1);
		used += tab[i].kind == 0;
		tab[i] = *t;
		live++;
		rc = 0;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int vgpu_track_take(int kind, uint64_t key, struct vgpu_track *out)
{
	size_t i;

	pthread_mutex_lock(&lock);
	i = find(kind, key);
	if (i != SIZE_MAX) {
		if (out)
			*out = tab[i];
		memset(&tab[i], 0, sizeof(tab[i]));
		tab[i].kind = TOMB;
		live--;
	}
	pthread_mutex_unlock(&lock);
	return i == SIZE_MAX ? -1 : 0;
}

int vgpu_track_get(int kind, uint64_t key, struct vgpu_track *out)
{
	size_t i;

	pthread_mutex_lock(&lock);
	i = find(kind, key);
	if (i != SIZE_MAX)
		*out = tab[i];
	pthread_mutex_unlock(&lock);
	return i == SIZE_MAX ? -1 : 0;
}

int vgpu_track_put(const struct vgpu_track *t)
{
	size_t i;

	pthread_mutex_lock(&lock);
	i = find(t->kind, t->key);
	if (i != SIZE_MAX)
		tab[i] = *t;
	pthread_mutex_unlock(&lock);
	return i == SIZE_MAX ? -1 : 0;
}

int vgpu_track_drop_ctx(uintptr_t ctx)
{
	int n = 0;

	if (!ctx)
		return 0;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < cap; i++) {
		if (tab[i].kind <= 0 || tab[i].ctx != ctx)
			continue;
		if (tab[i].gpu >= 0)
			vgpu_shim_uncharge(tab[i].gpu, tab[i].bytes);
		memset(&tab[i], 0, sizeof(tab[i]));
		tab[i].kind = TOMB;
		live--;
		n++;
	}
	pthread_mutex_unlock(&lock);
	return n;
}

void vgpu_track_reset(void)
{
	pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

	lock = fresh; /* it may have been held by another thread of the parent */
	free(tab);
	tab = NULL;
	cap = used = live = 0;
}

void vgpu_track_lock(void)
{
	pthread_mutex_lock(&lock);
}

void vgpu_track_unlock(void)
{
	pthread_mutex_unlock(&lock);
}
