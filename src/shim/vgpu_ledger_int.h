/*
 * vgpu_ledger_int.h - the ledger's file layout and a view's state, shared by
 * vgpu_ledger.c (slots, reservations, SM schedules) and vgpu_ledger_guard.c
 * (integrity: header checksum, identity of the file, tamper marks). Private
 * to those two files; the module's interface is vgpu_ledger.h.
 */
#ifndef VGPU_LEDGER_INT_H
#define VGPU_LEDGER_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "vgpu_ledger.h"

#define LEDGER_MAGIC UINT64_C(0x34524744454c5056) /* "VPLEDGR4" */
#define OWNED (UINT64_C(1) << 63) /* set in every published owner word */
#define START_MASK UINT64_C(0x7fffffff)

/* The file. Every field after the header is only touched atomically. */
struct ledger_file {
	uint64_t magic;
	uint32_t version;
	uint32_t nslots;
	uint32_t nbuckets;
	_Atomic uint32_t tampered; /* nonzero: a view found the file tampered with (sticky) */
	char uuid[64];
	_Atomic uint32_t hwm; /* slots [0, hwm) may have been claimed */
	_Atomic uint32_t job_sm; /* the job's SM cap, basis points (0: none) */
	_Atomic uint64_t job_cap; /* the job's memory cap (0: none) */
	_Atomic int64_t sm_tat; /* SM pacing: the job's schedule (CLOCK_MONOTONIC ns) */
	uint64_t nonce;  /* random, at creation: each view keeps the one it mapped */
	uint64_t check;  /* header_check() of the fields above it that never change */
	uint64_t pad[1];
	struct {
		_Atomic uint64_t key;  /* the step's key, 0 = never used */
		_Atomic int64_t tat;   /* the step's schedule */
	} bucket[VGPU_LEDGER_STEP_BUCKETS];
	_Atomic uint64_t owner[VGPU_LEDGER_SLOTS];
	_Atomic uint64_t charged[VGPU_LEDGER_SLOTS];
	_Atomic uint64_t step[VGPU_LEDGER_SLOTS]; /* the owner's step key */
	_Atomic uint32_t inflight[VGPU_LEDGER_SLOTS];
};

/* What this view is doing with a slot (process-local: the threads of a
 * process share the description, so its file lock cannot part them). */
enum { MINE_NO = 0, MINE_BUSY = 1, MINE_HELD = 2 };

/* A process's view: the file, its own description and its own step. */
struct vgpu_ledger {
	struct ledger_file *f;
	_Atomic int fd;          /* the description holding the slot locks; -1 after fork */
	dev_t dev;               /* the mapped file, to check a reopened one */
	ino_t ino;
	char path[4200];
	uint64_t nonce;          /* the file's, as mapped */
	_Atomic int broken;      /* this view found tampering: every claim and reservation fails */
	char why[4400];          /* what it found (set once, before broken) */
	_Atomic uint8_t mine[VGPU_LEDGER_SLOTS];
	uint64_t owner_of[VGPU_LEDGER_SLOTS]; /* what this view published in its held slots */
	uint64_t limit;          /* the step's */
	uint64_t key;            /* the step's, never 0 */
	_Atomic int bucket;      /* the step's schedule entry, -1 before the first launch */
	_Atomic int64_t recheck; /* sharing another step's entry until then */
	_Atomic uint32_t cursor; /* where vgpu_ledger_reclaim_some goes on */
};

_Static_assert(sizeof(_Atomic uint64_t) == 8 && sizeof(_Atomic uint32_t) == 4, "plain-sized atomics");

/* FNV-1a of the header fields that never change after creation. */
uint64_t vgpu_ledger_header_check(const struct ledger_file *f);

/* A random nonce for a new file (never 0). */
uint64_t vgpu_ledger_nonce(void);

/* The integrity check of every claim and reservation (vgpu_ledger.h
 * "Integrity"): 0, or -1 with the view and the file marked tampered. */
int vgpu_ledger_intact(struct vgpu_ledger *l);

#endif
