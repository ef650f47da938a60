#!/bin/bash
# tools/demo.sh - the main job, on a simulated GPU node (no GPU needed):
#   1. build slurm-vgpu;
#   2. discover a simulated 8 x H100 NVLink node (vgpu discover);
#   3. generate its Slurm configuration (vgpu conf);
#   4. check slice requests the way the controller will (vgpu request).
# Installs the Debian packages it needs. Leaves everything under build/demo.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
. tools/deps.sh
vgpu_deps build

say() { printf '\n\033[1m== %s\033[0m\n' "$*" 2>/dev/null || printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

dir=$top/build/demo
say "Building slurm-vgpu in build/demo"
[ -x configure ] || ./bootstrap >"$top/build-demo-bootstrap.log" 2>&1 || { cat "$top/build-demo-bootstrap.log"; exit 1; }
rm -f "$top/build-demo-bootstrap.log"
mkdir -p "$dir"
[ -f "$dir/Makefile" ] || (cd "$dir" && "$top/configure" -q)
make -s -C "$dir" -j2 >/dev/null
vgpu=$dir/vgpu

# The simulated node: stand-in libnvidia-ml.so.1 and libcuda.so.1 (sim/),
# found on the library path as a real driver would be, serving the GPUs
# described by a node file (doc/simulator.md).
work=$dir/work
rm -rf "$work"; mkdir -p "$work"
cp sim/nodes/h100x8.json "$work/gpu01.json"
export LD_LIBRARY_PATH=$dir/sim/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export VGPU_SIM_NODE=$work/gpu01.json

say "1. What the node has (NVML + CUDA driver loaded at run time, hwloc locality)"
run "$vgpu" discover --hostname gpu01 2>/dev/null
printf '$ %s\n' "$vgpu discover --hostname gpu01 --json > $work/gpu01.inv.json"
"$vgpu" discover --hostname gpu01 --json 2>/dev/null >"$work/gpu01.inv.json"
head -c 300 "$work/gpu01.inv.json"; echo "..."

say "2. Slurm configuration generated from the inventory (strict accounting: 1 shard = 1% of memory AND SMs)"
printf 'AccountingMode=strict\nShardsPerGpu=100\nMemoryReserve=512M\n' >"$work/vgpu.conf"
run "$vgpu" conf --conf "$work/vgpu.conf" "$work/gpu01.inv.json" | tee "$work/generated.txt"
# The GpuType lines become part of vgpu.conf, which the controller reads.
grep '^GpuType=' "$work/generated.txt" >>"$work/vgpu.conf"

say "3. Slice requests as users type them (--gres=vgpu:...), checked as the controller will"
run "$vgpu" request --conf "$work/vgpu.conf" 'mem=10G'
run "$vgpu" request --conf "$work/vgpu.conf" 'mem=10G:cores=25'
echo
run "$vgpu" request --conf "$work/vgpu.conf" 'mem=100G' || echo "(refused: exit $?)"
run "$vgpu" request --conf "$work/vgpu.conf" 'mem=10X' || echo "(refused: exit $?)"
run "$vgpu" request --conf "$work/vgpu.conf" 'mem=10G,memory=5G' || echo "(refused: exit $?)"

say "Done"
echo "Next: the enforcement shim and the Slurm plugins (see README.md, Status)."
