#!/bin/bash
# (d) A program run as a job talks to ITS node's simulated GPUs: on a
# 2-node, 2-GPU devcluster, tests/e2e/gpuinfo (dlopen of libnvidia-ml.so.1
# and libcuda.so.1, found through the LD_LIBRARY_PATH the job inherits; the
# node file through VGPU_SIM_DIR and SLURMD_NODENAME) prints the UUIDs and
# memory of the node it ran on, exactly as the node's JSON has them, and
# CUDA shows only the GPU Slurm gave the job (CUDA_VISIBLE_DEVICES). Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
gpuinfo=$VGPU_BUILDDIR/tests/e2e/gpuinfo
[ -x "$gpuinfo" ] || skip_all "tests/e2e/gpuinfo is not built"
plan 24
e2e_up gpuinfo --nodes 2 --gpus 2

# expect NODE [CUDA-INDEXES]: gpuinfo's output for NODE according to its JSON
# (CUDA shows the comma-separated indexes, all GPUs when none are given).
expect() {
	python3 - "$VGPU_SIM_DIR/$1.json" "$1" "${2:-}" <<'PY'
import json, sys
node = json.load(open(sys.argv[1]))
gpus = node["gpus"]
idx = [int(i) for i in sys.argv[3].split(",")] if sys.argv[3] else range(len(gpus))
print("node", sys.argv[2])
print("nvml.count", len(gpus))
for i, g in enumerate(gpus):
    print("nvml.uuid", i, g["uuid"])
print("cuda.count", len(idx))
for c, i in enumerate(idx):
    g = gpus[i]
    total = g["memory_bytes"] - g.get("reserved_bytes", 0)
    print("cuda.uuid", c, g["uuid"])
    print("cuda.mem", c, total - g.get("context_bytes", 314572800), total)
PY
}
uuids() { python3 -c 'import json,sys; print(" ".join(g["uuid"] for g in json.load(open(sys.argv[1]))["gpus"]))' "$1"; }

u1=$(uuids "$VGPU_SIM_DIR/n1.json") u2=$(uuids "$VGPU_SIM_DIR/n2.json")
like "$u1" '^GPU-[0-9a-f-]{36} GPU-[0-9a-f-]{36}$' "n1.json has two GPU UUIDs"
ok "n2's UUIDs differ from n1's" test "$u1" != "$u2"

for n in n1 n2; do
	out=$(timeout 60 srun -Q -w $n --gres=gpu:2 "$gpuinfo" 2>&1)
	is "$?" 0 "srun -w $n --gres=gpu:2 gpuinfo exits 0"
	is "$out" "$(expect $n)" "$n: NVML and CUDA show $n's two GPUs, UUIDs and memory as in $n.json"
done

# One step on both nodes, one shard GPU each: CUDA shows just that GPU.
# GPU 0 of n2 is taken whole first, so n2's shards sit on its GPU 1.
hold=$(e2e_hold -w n2 --gres=gpu:1)
is_job "$hold" RUNNING "a gpu:1 job holds a GPU of n2"
out=$(timeout 60 srun -Q -N2 --ntasks-per-node=1 -l --gres=shard:10 \
	sh -c 'echo "idx $SLURM_STEP_GPUS"; exec "$0"' "$gpuinfo" 2>&1)
is "$?" 0 "srun -N2 --gres=shard:10 gpuinfo exits 0"
for t in 0 1; do
	mine=$(printf '%s\n' "$out" | sed -n "s/^$t: //p")
	node=$(printf '%s\n' "$mine" | sed -n 's/^node //p')
	idx=$(printf '%s\n' "$mine" | sed -n 's/^idx //p')
	is "$node" "n$((t + 1))" "task $t ran on n$((t + 1))"
	is "$idx" "$t" "task $t: SLURM_STEP_GPUS is GPU $t"
	is "$(printf '%s\n' "$mine" | grep -v '^idx ')" "$(expect "n$((t + 1))" "$idx")" \
		"task $t: CUDA shows only GPU $idx of n$((t + 1)), with its UUID"
done

e2e_release "$hold"

# Without a GRES request nothing hides GPUs (no device cgroup on a devcluster).
is "$(timeout 60 srun -Q -w n2 "$gpuinfo" 2>&1)" "$(expect n2)" "a job without --gres sees every GPU of its node"

e2e_health
e2e_down
done_testing
