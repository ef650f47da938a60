/*
 * simnode_dump - print what the simulator reads from a node file, one fact
 * per line, for tests/sim/0010-simnode.sh. Exit 1 with the parser's message
 * on stderr when the file is not valid.
 */
#include <stdio.h>

#include "sim_node.h"

int main(int argc, char **argv)
{
	static struct vgpu_sim_node n;
	char err[512], pci[32];

	if (argc != 2) {
		fprintf(stderr, "usage: simnode_dump NODE.json\n");
		return 2;
	}
	if (vgpu_sim_node_load(argv[1], &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("hostname %s\ndriver %s\ncuda %d\nnvml %s\ngpus %d\nswitches %d\np2p %d\n", n.hostname,
	       n.driver_version, n.cuda_version, n.nvml_version, n.ngpus, n.nswitches, n.pcie_p2p);
	for (int i = 0; i < n.ngpus; i++) {
		const struct vgpu_sim_gpu *g = &n.gpus[i];
		int links = 0;

		for (int l = 0; l < g->nvlinks; l++)
			links += g->links[l].kind != VGPU_SIM_LINK_NONE;
		printf("gpu %d %s %s \"%s\" mem=%llu reserved=%llu context=%llu sms=%d cc=%d.%d minor=%u mig=%d/%d "
		       "nvlinks=%d/%d fabric=%d clique=%u\n",
		       i, g->uuid, vgpu_sim_pci_format(&g->pci, false, pci, sizeof(pci)), g->name,
		       (unsigned long long)g->memory_bytes, (unsigned long long)g->reserved_bytes,
		       (unsigned long long)g->context_bytes, g->sms, g->cc_major, g->cc_minor, g->minor, g->mig_capable,
		       g->mig_enabled, links, g->nvlinks, g->fabric.present ? g->fabric.state : -1, g->fabric.clique_id);
	}
	return 0;
}
