/*
 * fuzz_simnode.c - libFuzzer target for the simulator's node-JSON parser
 * (sim/sim_node.c). Any input must be parsed or refused with a message,
 * without crashing, leaking or reading out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim_node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vgpu_sim_node node;
	char err[512];

	err[0] = '\0';
	if (vgpu_sim_node_parse((const char *)data, size, "fuzz", &node, err, sizeof(err)) != 0 &&
	    (err[0] == '\0' || strlen(err) >= sizeof(err)))
		__builtin_trap(); /* a refusal always says why */
	return 0;
}
