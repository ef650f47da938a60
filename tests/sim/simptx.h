/*
 * simptx.h - PTX modules for the tests that launch kernels on the
 * simulated driver (which accepts only handles of loaded modules, as a real
 * driver). Nothing runs: the simulator reads the `.entry` names and the
 * sizes of the `.global` variables (doc/simulator.md, "Modules").
 *
 * SIM_PTX: kernels "spin" and "idle"; globals "buf" (4096 bytes) and
 * "counter" (4 bytes). Loaded, it takes 2 MiB of code and 2 MiB of data.
 */
#ifndef VGPU_SIMPTX_H
#define VGPU_SIMPTX_H

static const char SIM_PTX[] __attribute__((unused)) =
	"//\n"
	"// test module (hand-written PTX)\n"
	"//\n"
	".version 8.0\n"
	".target sm_80\n"
	".address_size 64\n"
	"\n"
	".visible .global .align 4 .b8 buf[4096];\n"
	".visible .global .u32 counter;\n"
	"\n"
	".visible .entry spin(\n"
	"\t.param .u64 spin_param_0\n"
	")\n"
	"{\n"
	"\t.reg .b32 %r<3>;\n"
	"\tld.global.u32 %r1, [counter];\n"
	"\tadd.s32 %r2, %r1, 1;\n"
	"\tst.global.u32 [counter], %r2;\n"
	"\tret;\n"
	"}\n"
	"\n"
	".visible .entry idle()\n"
	"{\n"
	"\tret;\n"
	"}\n";

#define SIM_PTX_KERNEL "spin"
#define SIM_PTX_MODULE_BYTES (4ull << 20) /* 2 MiB code + 2 MiB data */

#endif
