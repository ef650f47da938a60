#!/bin/bash
# bench/replay.sh - `make bench-replay`: what sharing buys, measured on one
# small trace replayed through the three configurations (whole GPUs,
# slurm-vgpu strict, slurm-vgpu memory mode) in one run, on devclusters of
# the Slurm on PATH (run it inside a tools/vgpu-chroot chroot, with a build
# made there, for another release). doc/replay.md.
#
#   BENCH_REPLAY_MIX       a mix of `vgpu replay generate` (default mixed)
#   BENCH_REPLAY_JOBS      jobs (default 60)
#   BENCH_REPLAY_SEED      seed (default 1)
#   BENCH_REPLAY_COMPRESS  time compression (default 300)
#   BENCH_REPLAY_NODES, BENCH_REPLAY_GPUS   the cluster (default 4 x 4)
#   BENCH_REPLAY_CONFIGS   default whole,strict,memory
#   BENCH_REPLAY_TRACE     a trace file instead of a generated one
#   BENCH_RAW              a directory to keep the records in
#
# Prints the report of bench/replay.py: per configuration makespan, waits
# per kind, GPU-hours reserved and the demand bound, jobs per GPU at once,
# the over-commit check, and the ratios against whole GPUs, each line with
# the configuration, Slurm release, trace and seed. Needs root and Slurm's
# daemons, like tests/e2e/; skipped (exit 0) without them. Each
# configuration takes about 1-3 minutes on 2 CPUs.
set -u
b=$(cd "${VGPU_BUILDDIR:-.}" && pwd)
src=${VGPU_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
prog=bench/replay.sh
mix=${BENCH_REPLAY_MIX:-mixed}
jobs=${BENCH_REPLAY_JOBS:-60}
seed=${BENCH_REPLAY_SEED:-1}
x=${BENCH_REPLAY_COMPRESS:-300}
[ "$(id -u)" = 0 ] || { echo "$prog: skipped: the devclusters need root"; exit 0; }
command -v slurmctld >/dev/null 2>&1 || { echo "$prog: skipped: no slurmctld on PATH"; exit 0; }
out=${BENCH_RAW:-$(mktemp -d /tmp/vgpu-bench-replay.XXXXXX)}
[ -n "${BENCH_RAW:-}" ] || trap 'rm -rf "$out"' EXIT
mkdir -p "$out" || exit 1
if [ -n "${BENCH_REPLAY_TRACE:-}" ]; then
	trace=$BENCH_REPLAY_TRACE
else
	trace=$out/generated.csv
	"$b/vgpu" replay generate --mix "$mix" --jobs "$jobs" --seed "$seed" -o "$trace" || exit 1
fi
echo "== bench-replay: Slurm $(slurmctld -V 2>/dev/null | sed 's/^slurm[^ ]* //'), trace $trace (mix $mix, $jobs jobs, seed $seed), compressed ${x}x"
"$b/vgpu" replay check "$trace" | sed 's/^/   /'
"$src/tools/vgpu-replay" run --trace "$trace" --compress "$x" --nodes "${BENCH_REPLAY_NODES:-4}" \
	--gpus "${BENCH_REPLAY_GPUS:-4}" --config "${BENCH_REPLAY_CONFIGS:-whole,strict,memory}" \
	--builddir "$b" --out "$out/run"
