#!/bin/bash
# bench/slurm.sh - what the Slurm plugins cost a job: three devclusters side
# by side (1 node, 4 simulated H100, 64 CPUs each), one plain, two with the
# SPANK plugin, job_submit/vgpu and a cli_filter: the C plugin
# cli_filter_vgpu.so (`up --spank --cli-filter=c --job-submit`, the
# recommended set-up) and cli_filter/lua with etc/cli_filter.lua
# (`--cli-filter`), measured in alternation (`make bench` calls it from the
# build directory; needs root and Slurm's daemons like tests/e2e/):
#   - `srun -n1 --gres=shard:10 true` latency, BENCH_SRUN runs (default 60,
#     the order of the cases rotated every round):
#     median and p90; on the plugin clusters also `--gres=vgpu:mem=8G`
#     (the cli_filter's translation);
#   - sbatch throughput: BENCH_SBATCH (default 100) `sbatch --wrap true`
#     submitted back to back, jobs per second until all have completed;
#     best of BENCH_ROUNDS (default 2) rounds.
# Ratios are plugins / plain; the targets are latency <= 1.10x and
# throughput >= 0.9x (doc/slurm-integration.md, "Measured").
set -u
b=$(cd "${VGPU_BUILDDIR:-.}" && pwd)
src=${VGPU_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
dc=$src/tools/vgpu-devcluster
nsrun=${BENCH_SRUN:-60}
nbatch=${BENCH_SBATCH:-100}
rounds=${BENCH_ROUNDS:-2}

skip() {
	echo "bench/slurm.sh: skipped: $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "the devcluster needs root"
for c in slurmctld slurmd srun sbatch squeue scontrol; do
	command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (Debian: slurmctld slurmd slurm-client)"
done
[ -e "$b/plugins/spank/.libs/vgpu_spank.so" ] && [ -e "$b/plugins/job_submit/.libs/job_submit_vgpu.so" ] &&
	[ -e "$b/plugins/cli_filter/.libs/cli_filter_vgpu.so" ] ||
	skip "the plugins are not built in $b (libslurm-dev?)"
auth=munge
command -v munged >/dev/null 2>&1 || auth=none

plain=bench-plain-$$ vg=bench-vgpu-$$ lua=bench-lua-$$
tmp=$(mktemp -d)
cleanup() {
	"$dc" down --name "$plain" >/dev/null 2>&1
	"$dc" down --name "$vg" >/dev/null 2>&1
	"$dc" down --name "$lua" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
up() { # NAME OPTIONS...
	local n=$1
	shift
	"$dc" up --name "$n" --auth "$auth" --builddir "$b" --nodes 1 --gpus 4 --cpus 64 "$@" >"$tmp/up-$n.log" 2>&1 || {
		cat "$tmp/up-$n.log" >&2
		echo "bench/slurm.sh: $dc up --name $n failed" >&2
		exit 1
	}
}
up "$plain"
up "$vg" --spank --cli-filter=c --job-submit
up "$lua" --spank --cli-filter --job-submit
env_plain=$("$dc" env --name "$plain")
env_vg=$("$dc" env --name "$vg")
env_lua=$("$dc" env --name "$lua")
cd "$tmp" || exit 1

now() { date +%s%N; }
# lat FILE ENV GRES [OPTION]: one timed `srun -n1 --gres=GRES [OPTION] true` (us)
# appended to FILE.
lat() {
	local t0 t1 rc
	t0=$(now)
	(eval "$2" && exec timeout 60 srun -n1 --gres="$3" ${4:+"$4"} true) >/dev/null 2>>"$tmp/srun.err"
	rc=$?
	t1=$(now)
	[ $rc -eq 0 ] || { echo "bench/slurm.sh: srun --gres=$3 failed ($rc): $(tail -n 3 "$tmp/srun.err")" >&2; exit 1; }
	echo $(((t1 - t0) / 1000)) >>"$1"
}
# thr ENV GRES [OPTION]: submit nbatch jobs, wait until none is left; prints "submit_s total_s".
thr() {
	(
		eval "$1"
		local t0 t1 t2 k=600
		t0=$(now)
		for _ in $(seq "$nbatch"); do
			sbatch -Q -o /dev/null -e /dev/null --gres="$2" ${3:+"$3"} --wrap true || exit 1
		done
		t1=$(now)
		while [ -n "$(squeue -h -o %i)" ] && [ $k -gt 0 ]; do sleep 0.05; k=$((k - 1)); done
		[ $k -gt 0 ] || { echo "bench/slurm.sh: jobs still queued after 30 s" >&2; exit 1; }
		t2=$(now)
		awk -v a=$((t1 - t0)) -v c=$((t2 - t0)) 'BEGIN { printf "%.3f %.3f\n", a / 1e9, c / 1e9 }'
	)
}

# What the cli_filter makes of vgpu:mem=8G: shard:N (plus, for sbatch, the
# request in the comment, which job_submit/vgpu moves into the batch
# environment). The control row: the plain cluster given shard:N and
# VGPU_REQUEST through --export, the cli_filter's old carrier: any --export
# but ALL/NONE makes slurmd build each batch job's environment with a login
# shell (`su - USER`, SLURM_GET_USER_ENV), which is what it costs.
shards=$( (eval "$env_vg" && vgpu request --slurm --conf "$VGPU_DEVCLUSTER_DIR/etc/vgpu.conf" -- mem=8G) | cut -d' ' -f2)
case $shards in '' | *[!0-9]*) echo "bench/slurm.sh: vgpu request --slurm mem=8G failed" >&2; exit 1 ;; esac
# Warm-up (first runs load caches, munge credentials, plugins).
for _ in 1 2; do
	lat "$tmp/warm" "$env_plain" shard:10
	lat "$tmp/warm" "$env_vg" shard:10
	lat "$tmp/warm" "$env_vg" vgpu:mem=8G
	lat "$tmp/warm" "$env_lua" shard:10
	lat "$tmp/warm" "$env_lua" vgpu:mem=8G
done
# One run of each per round, the order rotated every round (a fixed order
# gives each position the same neighbour: a systematic bias of a few %).
cases=(plain vg vgm lua luam pex)
one() {
	case $1 in
	plain) lat "$tmp/l-plain" "$env_plain" shard:10 ;;
	vg) lat "$tmp/l-vg" "$env_vg" shard:10 ;;
	vgm) lat "$tmp/l-vgm" "$env_vg" vgpu:mem=8G ;;
	lua) lat "$tmp/l-lua" "$env_lua" shard:10 ;;
	luam) lat "$tmp/l-luam" "$env_lua" vgpu:mem=8G ;;
	pex) lat "$tmp/l-pex" "$env_plain" "shard:$shards" --export=ALL,VGPU_REQUEST=mem=8G ;;
	esac
}
for r in $(seq "$nsrun"); do
	for k in 0 1 2 3 4 5; do
		one "${cases[(r + k) % 6]}"
	done
done
for _ in $(seq "$rounds"); do
	thr "$env_plain" shard:10 >>"$tmp/t-plain" || exit 1
	thr "$env_vg" shard:10 >>"$tmp/t-vg" || exit 1
	thr "$env_vg" vgpu:mem=8G >>"$tmp/t-vgm" || exit 1
	thr "$env_lua" shard:10 >>"$tmp/t-lua" || exit 1
	thr "$env_lua" vgpu:mem=8G >>"$tmp/t-luam" || exit 1
	thr "$env_plain" "shard:$shards" --export=ALL,VGPU_REQUEST=mem=8G >>"$tmp/t-pex" || exit 1
done

# pct FILE P: the P-th percentile (nearest rank) of the values in FILE (us), in ms.
pct() {
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { r = int((p * NR + 99) / 100); if (r < 1) r = 1; printf "%.1f", v[r] / 1000 }'
}
# best FILE: "submit_s total_s" of the round with the shortest total.
best() { sort -k2 -n "$1" | head -1; }

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); Slurm $( (eval "$env_plain" && srun --version) | cut -d' ' -f2)"
echo "clusters: 1 node, 4 x h100 (100 shards each), 64 CPUs; auth $auth; plugins: --spank --job-submit and"
echo "  'plugins': --cli-filter=c (cli_filter_vgpu.so), 'plugins (lua)': --cli-filter (cli_filter/lua)"
echo "vgpu:mem=8G is shard:$shards; 'plain, shard:$shards + export' is --gres=shard:$shards --export=ALL,VGPU_REQUEST=mem=8G"
echo "on the plain cluster: the cli_filter's old --export carrier, typed by hand (a control: Slurm's own cost of it)"
echo
echo "srun -n1 true latency, $nsrun runs each (ms)"
printf '  %-36s %8s %8s %12s\n' "" median p90 "ratio (med)"
m0=$(pct "$tmp/l-plain" 50)
for k in plain:"plain, --gres=shard:10" vg:"plugins, --gres=shard:10" vgm:"plugins, --gres=vgpu:mem=8G" \
	lua:"plugins (lua), --gres=shard:10" luam:"plugins (lua), --gres=vgpu:mem=8G" pex:"plain, shard:$shards + export"; do
	f=$tmp/l-${k%%:*}
	awk -v n="${k#*:}" -v m="$(pct "$f" 50)" -v p="$(pct "$f" 90)" -v z="$m0" \
		'BEGIN { printf "  %-36s %8.1f %8.1f %11.2fx\n", n, m, p, m / z }'
done
echo
echo "sbatch throughput, $nbatch x 'sbatch --wrap true', best of $rounds (all submitted, then all completed)"
printf '  %-36s %9s %9s %8s %8s\n' "" "submit s" "total s" "jobs/s" ratio
read -r _ c0 <<<"$(best "$tmp/t-plain")"
for k in plain:"plain, --gres=shard:10" vg:"plugins, --gres=shard:10" vgm:"plugins, --gres=vgpu:mem=8G" \
	lua:"plugins (lua), --gres=shard:10" luam:"plugins (lua), --gres=vgpu:mem=8G" pex:"plain, shard:$shards + export"; do
	read -r s c <<<"$(best "$tmp/t-${k%%:*}")"
	awk -v n="${k#*:}" -v s="$s" -v c="$c" -v z="$c0" -v j="$nbatch" \
		'BEGIN { printf "  %-36s %9.2f %9.2f %8.1f %7.2fx\n", n, s, c, j / c, z / c }'
done
echo
echo "targets: latency <= 1.10x, throughput >= 0.90x (plugins / plain); ratios against 'plain, --gres=shard:10'"
