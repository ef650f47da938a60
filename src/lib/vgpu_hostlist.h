/*
 * vgpu_hostlist.h - Slurm hostlist syntax without Slurm: "n[1-4,7],gpu[01-02]"
 * <-> the host names it stands for. Used by the clique map, `vgpu conf` and
 * the views, which run where no libslurm is (admin hosts, tests, fuzzers).
 *
 * The syntax handled is the one slurm.conf NodeName= and `scontrol show
 * hostnames` use: items separated by commas or blanks (empty ones skipped),
 * each a prefix, bracketed range lists "[a-b,c]" (a range takes the width of
 * its low bound: "[01-10]"; several lists give their product:
 * "r[1-2]n[1-4]"), and a suffix. Compared with scontrol of 22.05.8 and
 * 26.05.5 in tests/unit/test_hostlist.c.
 */
#ifndef VGPU_HOSTLIST_H
#define VGPU_HOSTLIST_H

#include <stddef.h>

#include "vgpu_error.h"

#define VGPU_HOSTLIST_MAX 65536 /* names one hostlist may expand to */

/* Expand text (NUL-terminated) into *names (*n of them, malloc'ed, in the
 * order written; duplicates kept). Messages quote the bad part ("hostlist
 * 'n[3-1]': range 3-1 goes backwards"). Returns 0, or -1 with *names NULL. */
int vgpu_hostlist_expand(const char *text, char ***names, size_t *n, vgpu_err_t *err);

/* The shortest-form hostlist of names (n of them), in the order given,
 * consecutive numbers with one prefix and width folded into ranges:
 * {n1,n2,n3,n7} -> "n[1-3,7]". Malloc'ed; NULL on OOM. */
char *vgpu_hostlist_compress(const char *const *names, size_t n);

/* Free what vgpu_hostlist_expand returned. */
void vgpu_hostlist_free(char **names, size_t n);

#endif
