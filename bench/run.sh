#!/bin/sh
# bench/run.sh - run bench_shim against the simulated driver: straight,
# through the shim, and through the shim with a non-binding SM cap (90%,
# kernels that take no SM time), and print the results side by side
# (`make bench` calls it from the build directory).
#   BENCH_PROCS  processes started at once (default 256)
set -eu
b=$(cd "${VGPU_BUILDDIR:-.}" && pwd)
src=${VGPU_SRCDIR:-$(dirname "$0")/..}
procs=${BENCH_PROCS:-256}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/sim/nodes/a100x2.json" "$tmp/node.json"
uuid=$(sed -n 's/.*"uuid": *"\(GPU-[^"]*\)".*/\1/p' "$tmp/node.json" | head -1)
mkdir "$tmp/acct" "$tmp/acct-cap"
desc() { # FILE ACCT SM
	cat > "$1" <<DESC
vgpu-step 1
step=bench
acct=$2
cuda=$b/sim/.libs/libcuda.so.1
nvml=$b/sim/.libs/libnvidia-ml.so.1
gpu uuid=$uuid mem=68719476736 sm=$3 ctx=104857600
DESC
}
desc "$tmp/step.desc" "$tmp/acct" 10000
desc "$tmp/cap.desc" "$tmp/acct-cap" 9000
export VGPU_SIM_NODE="$tmp/node.json" VGPU_SIM_BLOCK_NS=0
shim=$b/src/shim/.libs/libcuda.so.1
run() { # NAME ENV... -- ARGS
	name=$1; shift
	env "$@" > "$tmp/$name"
}
# Three rounds, alternating, best of each: the simulator's own cost varies
# from process to process by more than the shim adds.
for r in 1 2 3; do
	env VGPU_SIM_STATE="$tmp/s1" LD_LIBRARY_PATH="$b/sim/.libs" "$b/bench/bench_shim" calls >> "$tmp/sim"
	env VGPU_SIM_STATE="$tmp/s2" VGPU_STEP_DESC="$tmp/step.desc" LD_PRELOAD="$shim" \
		"$b/bench/bench_shim" calls >> "$tmp/shim"
	env VGPU_SIM_STATE="$tmp/s3" VGPU_STEP_DESC="$tmp/cap.desc" LD_PRELOAD="$shim" \
		"$b/bench/bench_shim" calls >> "$tmp/cap"
done
run start-sim VGPU_SIM_STATE="$tmp/s4" LD_LIBRARY_PATH="$b/sim/.libs" "$b/bench/bench_shim" start "$procs"
run start-shim VGPU_SIM_STATE="$tmp/s5" VGPU_STEP_DESC="$tmp/step.desc" LD_PRELOAD="$shim" \
	"$b/bench/bench_shim" start "$procs"
# One process at a time (no contention): the start-up each one pays.
for r in $(seq 21); do
	env VGPU_SIM_STATE="$tmp/s6" LD_LIBRARY_PATH="$b/sim/.libs" "$b/bench/bench_shim" start 1 >> "$tmp/one-sim"
	env VGPU_SIM_STATE="$tmp/s7" VGPU_STEP_DESC="$tmp/step.desc" LD_PRELOAD="$shim" \
		"$b/bench/bench_shim" start 1 >> "$tmp/one-shim"
done
med() { awk '{ print $3 }' "$1" | sort -n | sed -n 11p; }

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo
echo "per call (ns, best of 3 x 5)  simulator  shim  (+ns, ratio)   shim, cap 90% not binding  (+ns, ratio)"
for k in pass launch alloc info; do
	a=$(awk -v k=$k '$1 == k && (m == "" || $2 < m) { m = $2 } END { print m }' "$tmp/sim")
	s=$(awk -v k=$k '$1 == k && (m == "" || $2 < m) { m = $2 } END { print m }' "$tmp/shim")
	c=$(awk -v k=$k '$1 == k && (m == "" || $2 < m) { m = $2 } END { print m }' "$tmp/cap")
	awk -v k="$k" -v a="$a" -v s="$s" -v c="$c" 'BEGIN {
		printf "  %-8s %20.1f %7.1f  (%+6.1f, %5.2fx) %13.1f  (%+6.1f, %5.2fx)\n",
			k, a, s, s - a, s / a, c, c - a, c / a }'
done
# Instructions per launch (perf stat, when it works here): deterministic,
# unlike the times above.
ins() { # ENV... : instructions of `launches 1000000` minus `launches 0`, per launch
	a=$(env "$@" perf stat -x, -e instructions:u "$b/bench/bench_shim" launches 0 2>&1 >/dev/null | cut -d, -f1)
	z=$(env "$@" perf stat -x, -e instructions:u "$b/bench/bench_shim" launches 1000000 2>&1 >/dev/null | cut -d, -f1)
	awk -v a="$a" -v z="$z" 'BEGIN { if (a + 0 > 0 && z + 0 > 0) printf "%.1f", (z - a) / 1e6; else print "n/a" }'
}
if command -v perf >/dev/null 2>&1; then
	i1=$(ins VGPU_SIM_STATE="$tmp/s8" LD_LIBRARY_PATH="$b/sim/.libs")
	i2=$(ins VGPU_SIM_STATE="$tmp/s9" VGPU_STEP_DESC="$tmp/step.desc" LD_PRELOAD="$shim")
	i3=$(ins VGPU_SIM_STATE="$tmp/s10" VGPU_STEP_DESC="$tmp/cap.desc" LD_PRELOAD="$shim")
	echo
	echo "instructions per launch (perf stat): simulator $i1, shim $i2, shim with cap $i3"
fi
echo
echo "start-up, $procs processes at once: exec -> cuInit, cuDeviceGet, context, cuMemGetInfo returned (ms)"
read -r _ _ p50a p99a maxa bada < "$tmp/start-sim"
read -r _ _ p50s p99s maxs bads < "$tmp/start-shim"
awk -v a="$p50a" -v b="$p50s" -v c="$p99a" -v d="$p99s" -v e="$maxa" -v f="$maxs" -v x="$bada" -v y="$bads" 'BEGIN {
	printf "  %-6s %10s %10s %12s\n", "", "simulator", "shim", "(+ms, ratio)"
	printf "  %-6s %10.2f %10.2f  (%+.2f, %.2fx)\n", "p50", a, b, b - a, b / a
	printf "  %-6s %10.2f %10.2f  (%+.2f, %.2fx)\n", "p99", c, d, d - c, d / c
	printf "  %-6s %10.2f %10.2f  (%+.2f, %.2fx)\n", "max", e, f, f - e, f / e
	printf "  failed: %d / %d\n", x, y }'
echo
echo "start-up, one process at a time (median of 21, ms)"
awk -v a="$(med "$tmp/one-sim")" -v b="$(med "$tmp/one-shim")" 'BEGIN {
	printf "  %-6s %10.2f %10.2f  (%+.2f, %.2fx)\n", "p50", a, b, b - a, b / a }'
