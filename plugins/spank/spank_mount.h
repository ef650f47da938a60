/*
 * spank_mount.h - the task's private /etc, in which ld.so.preload names the
 * shim (so unsetting LD_PRELOAD does not escape it) while the host's /etc
 * is untouched.
 */
#ifndef VGPU_SPANK_MOUNT_H
#define VGPU_SPANK_MOUNT_H

#include <stddef.h>

/* In the calling task (root, before exec): enter a private mount namespace
 * and lay a read-only overlay over /etc whose upper lower layer is `etc_dir`
 * (holding the step's ld.so.preload). Mounts that were below /etc (bind
 * mounted /etc/hosts, an NFS /etc/slurm, ...) are put back on top of the
 * overlay from a recursive bind of the host's /etc at `host_etc` (a directory
 * to create, in the step's dir). Returns 0, or -1 with a sentence in why:
 * then the task keeps the host's view (LD_PRELOAD alone holds it). */
int vgpu_spank_mount_etc(const char *etc_dir, const char *host_etc, char *why, size_t len);

#endif
