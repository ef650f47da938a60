#!/bin/sh
# bench/run.sh - run bench_shim with and without the shim against the
# simulated driver (`make bench` calls it from the build directory).
set -eu
b=${VGPU_BUILDDIR:-.}
src=${VGPU_SRCDIR:-$(dirname "$0")/..}
procs=${BENCH_PROCS:-64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/sim/nodes/a100x2.json" "$tmp/node.json"
uuid=$(sed -n 's/.*"uuid": *"\(GPU-[^"]*\)".*/\1/p' "$tmp/node.json" | head -1)
mkdir "$tmp/acct"
cat > "$tmp/step.desc" <<DESC
vgpu-step 1
step=bench
acct=$tmp/acct
cuda=$(cd "$b" && pwd)/sim/.libs/libcuda.so.1
nvml=$(cd "$b" && pwd)/sim/.libs/libnvidia-ml.so.1
gpu uuid=$uuid mem=34359738368 ctx=314572800
DESC
export VGPU_SIM_NODE=$tmp/node.json VGPU_STEP_DESC=$tmp/step.desc
echo "== the simulated driver alone"
VGPU_SIM_STATE=$tmp/state-a LD_LIBRARY_PATH=$b/sim/.libs "$b/bench/bench_shim"
VGPU_SIM_STATE=$tmp/state-a LD_LIBRARY_PATH=$b/sim/.libs "$b/bench/bench_shim" start "$procs"
echo "== through the shim"
VGPU_SIM_STATE=$tmp/state-b LD_PRELOAD=$b/src/shim/.libs/libcuda.so.1 "$b/bench/bench_shim"
VGPU_SIM_STATE=$tmp/state-b LD_PRELOAD=$b/src/shim/.libs/libcuda.so.1 "$b/bench/bench_shim" start "$procs"
