#!/bin/bash
# On a real GPU node: the shim enforces a slice against NVIDIA's driver, not
# only against the simulator. Skipped elsewhere. GPU 0 must be idle.
#  - memory: cuMemGetInfo, cuDeviceTotalMem and NVML (and nvidia-smi) show a
#    1 GiB slice; past it CUDA_ERROR_OUT_OF_MEMORY, within it success; the
#    same through dlopen, direct linking and cuGetProcAddress;
#  - SM cap: a PTX busy-wait kernel (tests/gpu/gpuspin.c) launched without
#    synchronising completes about a quarter as many launches per second
#    under a 25% cap as under no cap (loose bounds: 0.10 .. 0.40).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
command -v nvidia-smi >/dev/null 2>&1 || skip_all "no nvidia-smi: not a GPU node"
uuid=$(nvidia-smi --query-gpu=uuid --format=csv,noheader -i 0 2>/dev/null) || skip_all "nvidia-smi finds no GPU"
[ -n "$uuid" ] || skip_all "nvidia-smi finds no GPU"
unset VGPU_SIM_NODE VGPU_SIM_DIR
shim=$VGPU_BUILDDIR/src/shim/.libs/libcuda.so.1
probe=$VGPU_BUILDDIR/tests/shim/shimprobe
spin=$VGPU_BUILDDIR/tests/gpu/gpuspin
for f in "$shim" "$probe" "$spin"; do
	[ -x "$f" ] || [ -f "$f" ] || skip_all "$f is not built"
done
# The real driver libraries, as the SPANK plugin finds them.
lib() { ldconfig -p | sed -n "s/.*$1 ([^)]*x86-64[^)]*) => //p;s/.*$1 ([^)]*AArch64[^)]*) => //p" | head -n 1; }
cuda=$(readlink -f "$(lib libcuda.so.1)")
nvml=$(readlink -f "$(lib libnvidia-ml.so.1)")
[ -f "$cuda" ] && [ -f "$nvml" ] || skip_all "libcuda.so.1 / libnvidia-ml.so.1 not in the loader cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
G=1073741824
desc() { # desc NAME SM: a step description for GPU 0, a 1 GiB slice
	mkdir -p "$tmp/acct-$1"
	chmod 0700 "$tmp/acct-$1"
	printf 'vgpu-step 2\nstep=gpu.%s\nacct=%s\ncuda=%s\nnvml=%s\nlog=warn\ngpu uuid=%s mem=%s sm=%s\n' \
		"$1" "$tmp/acct-$1" "$cuda" "$nvml" "$uuid" "$G" "$2" >"$tmp/$1.desc"
	echo "$tmp/$1.desc"
}
plan 13

d=$(desc mem 10000)
for mode in dlopen direct getproc; do
	out=$(LD_PRELOAD=$shim VGPU_STEP_DESC=$d "$probe" $mode init info total 0 alloc mem $((G + 2097152)) alloc mem $((G / 2)) 2>&1)
	is "$(echo "$out" | grep -E '^(info|total|alloc)' | tr '\n' ' ')" \
		"info: 0 $G $G total 0: 0 $G alloc mem $((G + 2097152)): 2 alloc mem $((G / 2)): 0 " \
		"$mode: the 1 GiB slice in cuMemGetInfo and cuDeviceTotalMem, OUT_OF_MEMORY past it, half of it granted"
done
out=$(LD_PRELOAD=$shim VGPU_STEP_DESC=$d "$probe" dlopen nvmlmem "$uuid" 2>&1)
like "$(echo "$out" | grep '^nvmlmem')" "^nvmlmem: 0 $G $G 0 \\| 0 $G [0-9]+ [0-9]+ 0\$" "NVML v1 and v2 memory info: total = the slice, all of it free, none used"
smi=$(LD_PRELOAD=$shim VGPU_STEP_DESC=$d nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0 2>&1)
is "$smi" 1024 "nvidia-smi under the shim: memory.total is the slice (1024 MiB)"
out=$(LD_PRELOAD=$shim VGPU_STEP_DESC=$d "$probe" dlopen init fill 90 info 2>&1)
like "$(echo "$out" | grep '^fill')" '^fill 90: 0' "a program sizing itself from cuMemGetInfo (90% of free) gets its allocation"
like "$(echo "$out" | grep '^info')" "^info: 0 [0-9]+ $G\$" "... and stays inside the slice"
is "$(ls -A "$tmp/acct-mem" | wc -l)" 1 "one ledger in the accounting dir"

# SM cap: work completed per second, no cap vs 25%.
# 8192 one-thread blocks: more than any GPU runs at once, so every kernel
# occupies all SMs for a few waves of 200000 cycles (~0.1 ms) each.
blocks=8192
rate() { # rate DESC: launches per second over 3 s
	LD_PRELOAD=$shim VGPU_STEP_DESC=$1 "$spin" 3000 "$blocks" 200000 2>/dev/null |
		awk '/^spin: 0 /{ if ($4 > 0) printf "%.3f\n", $3 / ($4 / 1e9) }'
}
full=$(rate "$(desc full 10000)")
quarter=$(rate "$(desc quarter 2500)")
ok "the spin kernel runs without a cap ($full launches/s)" test -n "$full"
ok "the spin kernel runs under a 25% cap ($quarter launches/s)" test -n "$quarter"
ratio=$(awk -v a="$quarter" -v b="$full" 'BEGIN { if (b > 0) printf "%.3f", a / b }')
ok "25% cap: $ratio of the uncapped rate (0.10 .. 0.40)" \
	awk -v r="$ratio" 'BEGIN { exit !(r >= 0.10 && r <= 0.40) }'
plain=$("$spin" 3000 "$blocks" 200000 2>/dev/null | awk '/^spin: 0 /{ if ($4 > 0) printf "%.3f\n", $3 / ($4 / 1e9) }')
ratio=$(awk -v a="$full" -v b="$plain" 'BEGIN { if (b > 0) printf "%.3f", a / b }')
ok "no cap: the shim keeps $ratio of the plain driver's rate (>= 0.90)" \
	awk -v r="$ratio" 'BEGIN { exit !(r >= 0.90) }'
done_testing
