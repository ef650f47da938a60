/*
 * vgpu_gresconf.h - what a site's gres.conf says about the NVLink links
 * between one node's GPUs (Slurm-free; `vgpu show` reads the file beside
 * slurm.conf with it).
 *
 * gres.conf lines are blank-separated KEY=value pairs, keys in any case,
 * `#` to the end of the line a comment, a trailing `\` joining the next
 * line. A line with Name=gpu is one record; NodeName= (a Slurm hostlist)
 * says which nodes it is for, and a record without it is for every node
 * that reads the file. A record stands for as many GPUs as its File= names
 * ("/dev/nvidia[0-3]" is four), else for Count= (default 1); MultipleFiles=
 * is one GPU. Links= is a comma list with one count per GPU of the node,
 * -1 in the GPU's own place: Slurm's slurmd orders a node's GPUs by File=
 * and then by that place (gres_gpu.c, _sort_gpu_by_links_order), so the
 * place of the -1 is the GPU's index. AutoDetect= other than "off" on a
 * line without NodeName= (or on one naming the node) means Slurm may take
 * links from the driver: then what the file says is not the whole truth.
 */
#ifndef VGPU_GRESCONF_H
#define VGPU_GRESCONF_H

#include <stddef.h>

#include "vgpu_error.h"

#define VGPU_GRESCONF_GPUS_MAX 64
#define VGPU_GRESCONF_NOTE_MAX 512

typedef struct vgpu_gresconf_links {
	unsigned ngpus;         /* GPUs the file gives the node */
	int known;              /* every GPU has a row: links[][] valid */
	char note[VGPU_GRESCONF_NOTE_MAX]; /* why not known ("file:line: ..."), or "" */
	/* links[i][j]: NVLink links from GPU i to GPU j as the file says
	 * (-1 on the diagonal; 0 or less: none, PCIe only). */
	int links[VGPU_GRESCONF_GPUS_MAX][VGPU_GRESCONF_GPUS_MAX];
} vgpu_gresconf_links_t;

/* Read gres.conf text (len bytes, not NUL-terminated; `file` names it in
 * messages) for node `node` into *out. Returns 0 when the text parses:
 * out->known says whether it gives every GPU of the node its links, and
 * out->note why not ("gres.conf:4: Links=-1,12 has 2 entries, the node has
 * 4 GPUs"). Returns -1 with err ("gres.conf:7: ...") on a line that is not
 * gres.conf syntax (a word without '=', an empty key, Include, a bad
 * hostlist, a Links= entry that is not a number, more than
 * VGPU_GRESCONF_GPUS_MAX GPUs); *out is then zeroed. */
int vgpu_gresconf_node_links(const char *text, size_t len, const char *file, const char *node,
			     vgpu_gresconf_links_t *out, vgpu_err_t *err);

#endif
