#!/bin/bash
# bench/slurm.sh - what the Slurm plugins cost a job: three devclusters side
# by side (2 nodes of 8 simulated H100 and 256 CPUs each), one plain, two
# with the SPANK plugin, job_submit/vgpu and a cli_filter: the C plugin
# cli_filter_vgpu.so (`up --spank --cli-filter=c --job-submit`, the
# recommended set-up) and a third cluster still named "lua" (the Lua filter is
# retired: it runs the C filter too, so its rows repeat "plugins")
# (`--cli-filter`), measured in alternation. `make bench` calls it through
# bench/slurm-releases.sh, for the host's Slurm and each release chroot at
# hand; needs root and Slurm's daemons like tests/e2e/. It measures the
# Slurm it finds on PATH: run inside a tools/vgpu-chroot chroot, against a
# build made there, it measures that chroot's release.
#   - `srun -n1 --gres=shard:10 true` latency, BENCH_SRUN runs (default 60,
#     0: skip this part; the order of the cases rotated every round):
#     median and p90; on the plugin clusters also `--gres=vgpu:mem=8G`
#     (the cli_filter's translation);
#   - sbatch throughput: BENCH_SBATCH (default 300) `sbatch --wrap true`
#     submitted back to back, jobs per second until all have completed, in
#     BENCH_ROUNDS rounds (default 6; 0: skip this part). Every round runs
#     each case once and plain twice, back to back, the order rotated every
#     round, and gives each case its ratio to the round's plain (the mean of
#     its two runs): the figure is the median of those per-round ratios, so
#     both sides of each ratio ran within seconds of each other, under the
#     same load from whatever else runs on the machine. The control (the old
#     --export carrier, ~8 jobs/s) runs BENCH_CONTROL_SBATCH jobs (default
#     50) in BENCH_CONTROL_ROUNDS rounds of its own (default 3), paired with
#     plain likewise.
#   Why so: slurmctld starts batch jobs only in its scheduling passes, about
#   one a second, so a run's end falls up to a second after its last sbatch
#   at random (with 100 jobs, +-15% between runs); 300 jobs make that a few
#   %, the median of rounds the rest. 2 x 8 GPUs give 160 jobs of shard:10
#   room at once (1 x 4 gave 40: the jobs then waited for free shards and
#   vgpu:mem=8G, shard:11, measured 36 slots against 40, not the plugins).
#   BENCH_NODES, BENCH_GPUS, BENCH_CPUS change the clusters' size;
#   BENCH_CPU_SHARES the bench's CPU weight (below); BENCH_LABEL (e.g.
#   "host", "chroot") goes into the heading; BENCH_RAW=DIR keeps the raw
#   measurements there (l-CASE: srun us; t-CASE: "ROUND submit_s total_s
#   cpu_ms_per_job"); BENCH_SUMMARY=FILE writes the ratios there, "KEY
#   VALUE" lines (bench/slurm-releases.sh reads them).
# Ratios are plugins / plain; the targets are latency <= 1.10x and
# throughput >= 0.9x (doc/slurm-integration.md, "Measured").
set -u
b=$(cd "${VGPU_BUILDDIR:-.}" && pwd)
src=${VGPU_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
dc=$src/tools/vgpu-devcluster
nsrun=${BENCH_SRUN:-60}
nbatch=${BENCH_SBATCH:-300}
rounds=${BENCH_ROUNDS:-6}
crounds=${BENCH_CONTROL_ROUNDS:-3}
cbatch=${BENCH_CONTROL_SBATCH:-50}
nnodes=${BENCH_NODES:-2}
ngpus=${BENCH_GPUS:-8}
ncpus=${BENCH_CPUS:-256}
summary=${BENCH_SUMMARY:-}
for v in "$nsrun" "$nbatch" "$rounds" "$crounds" "$cbatch" "$nnodes" "$ngpus" "$ncpus"; do
	case $v in '' | *[!0-9]*) echo "bench/slurm.sh: BENCH_SRUN, BENCH_SBATCH, BENCH_ROUNDS, BENCH_CONTROL_ROUNDS, BENCH_CONTROL_SBATCH, BENCH_NODES, BENCH_GPUS, BENCH_CPUS: expected numbers" >&2; exit 2 ;; esac
done
[ "$nbatch" -gt 0 ] || rounds=0
t_start=$(date +%s)

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
# The clusters' directories (slurmctld's state, the spool, logs) on a tmpfs
# where there is one (/dev/shm), unless VGPU_DEVCLUSTER_BASE says where:
# slurmctld writes each job's script and environment there, and a disk
# shared with other work makes that a source of noise.
base=
if [ -z "${VGPU_DEVCLUSTER_BASE:-}" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	base=$(mktemp -d /dev/shm/vgpu-bench.XXXXXX) && chmod 0755 "$base" && export VGPU_DEVCLUSTER_BASE=$base || base=
fi

# CPU: everything the bench starts (clients, and the daemons, which inherit
# it) runs in one cgroup whose CPU weight is BENCH_CPU_SHARES (default 8192,
# 8x a process group's; 0: none), so that other work on the machine takes
# less of the CPU from a measurement; each cluster (its daemons and the
# clients run against it) in a child group of its own, whose CPU time gives
# the "CPU ms/job" column. cgroup v1 (cpu and cpuacct) or v2 (cpu.weight,
# cpu.stat); without either, neither.
cpushares=${BENCH_CPU_SHARES:-8192}
case $cpushares in '' | *[!0-9]*) echo "bench/slurm.sh: BENCH_CPU_SHARES: expected a number" >&2; exit 2 ;; esac
cg= cgv=
if [ "$cpushares" -gt 0 ]; then
	if [ -e /sys/fs/cgroup/cpu/cpu.shares ] && [ -e /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
		cg=vgpu-bench-$$ cgv=1
		if mkdir "/sys/fs/cgroup/cpu/$cg" "/sys/fs/cgroup/cpuacct/$cg" 2>/dev/null &&
			echo "$cpushares" >"/sys/fs/cgroup/cpu/$cg/cpu.shares"; then :; else cgv=; fi
	elif [ -e /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		cg=vgpu-bench-$$ cgv=2
		w=$((cpushares * 100 / 1024))
		[ $w -ge 1 ] || w=1
		[ $w -le 10000 ] || w=10000
		if mkdir "/sys/fs/cgroup/$cg" 2>/dev/null && echo "$w" >"/sys/fs/cgroup/$cg/cpu.weight"; then :; else cgv=; fi
	fi
fi
# cg_join GROUP: move this (sub)shell into GROUP (main, or a cluster's).
cg_join() {
	case $cgv in
	1)
		mkdir -p "/sys/fs/cgroup/cpu/$cg/$1" "/sys/fs/cgroup/cpuacct/$cg/$1" &&
			echo "$BASHPID" >"/sys/fs/cgroup/cpu/$cg/$1/cgroup.procs" &&
			echo "$BASHPID" >"/sys/fs/cgroup/cpuacct/$cg/$1/cgroup.procs"
		;;
	2) mkdir -p "/sys/fs/cgroup/$cg/$1" && echo "$BASHPID" >"/sys/fs/cgroup/$cg/$1/cgroup.procs" ;;
	esac
}
# cg_usage GROUP: its CPU time so far (ns), or nothing.
cg_usage() {
	case $cgv in
	1) cat "/sys/fs/cgroup/cpuacct/$cg/$1/cpuacct.usage" 2>/dev/null ;;
	2) awk '$1 == "usage_usec" { print $2 * 1000 }' "/sys/fs/cgroup/$cg/$1/cpu.stat" 2>/dev/null ;;
	esac
}
cg_remove() {
	local d k
	[ -n "$cgv" ] || return 0
	for k in 1 2 3 4 5 6 7 8 9 10; do
		if [ $cgv = 1 ]; then
			echo $$ >/sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null
			echo $$ >/sys/fs/cgroup/cpuacct/cgroup.procs 2>/dev/null
			for d in /sys/fs/cgroup/cpu/$cg /sys/fs/cgroup/cpuacct/$cg; do
				[ ! -d "$d" ] || rmdir "$d"/*/ "$d" 2>/dev/null
			done
			[ -d "/sys/fs/cgroup/cpu/$cg" ] || [ -d "/sys/fs/cgroup/cpuacct/$cg" ] || return 0
		else
			echo $$ >/sys/fs/cgroup/cgroup.procs 2>/dev/null
			[ ! -d "/sys/fs/cgroup/$cg" ] || rmdir "/sys/fs/cgroup/$cg"/*/ "/sys/fs/cgroup/$cg" 2>/dev/null
			[ -d "/sys/fs/cgroup/$cg" ] || return 0
		fi
		sleep 0.3
	done
	echo "bench/slurm.sh: could not remove the cgroup $cg (processes left in it?)" >&2
}
cleanup() {
	"$dc" down --name "$plain" >/dev/null 2>&1
	"$dc" down --name "$vg" >/dev/null 2>&1
	"$dc" down --name "$lua" >/dev/null 2>&1
	cg_remove
	[ -z "$base" ] || rm -rf "$base"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
[ -z "$cgv" ] || cg_join main || cgv=
up() { # GROUP NAME OPTIONS...
	local g=$1 n=$2
	shift 2
	(cg_join "$g" && exec "$dc" up --name "$n" --auth "$auth" --builddir "$b" --nodes "$nnodes" --gpus "$ngpus" --cpus "$ncpus" "$@") >"$tmp/up-$n.log" 2>&1 || {
		cat "$tmp/up-$n.log" >&2
		echo "bench/slurm.sh: $dc up --name $n failed" >&2
		exit 1
	}
}
up plain "$plain"
up vg "$vg" --spank --cli-filter=c --job-submit
up lua "$lua" --spank --cli-filter --job-submit
env_plain=$("$dc" env --name "$plain")
env_vg=$("$dc" env --name "$vg")
env_lua=$("$dc" env --name "$lua")
cd "$tmp" || exit 1

# now: the time in ns (bash's clock: no fork).
now() { echo "${EPOCHREALTIME/./}000"; }
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
# thr GROUP ENV GRES [OPTION]: submit nbatch jobs, wait until none is left;
# prints "submit_s total_s cpu_ms_per_job wait_s". CPU: the cluster's group
# ("-" without cgroups). wait: from the last sbatch to slurmctld's next
# scheduling pass (the first poll that sees fewer jobs pending than the
# first poll after the last sbatch; 0 when none was pending). The sbatch
# loop runs in the cluster's group, the squeue polls (every 50 ms) outside
# it; the wait is bounded (1 s per job, at least 60 s).
thr() {
	(
		eval "$2"
		local t0 t1 t2 tw= end u0 u1 st np p0=-1 lim=$((nbatch > 60 ? nbatch : 60))
		u0=$(cg_usage "$1")
		t0=$(now)
		(
			cg_join "$1"
			for _ in $(seq "$nbatch"); do
				sbatch -Q -o /dev/null -e /dev/null --gres="$3" ${4:+"$4"} --wrap true || exit 1
			done
		) || exit 1
		t1=$(now)
		end=$((${EPOCHREALTIME%.*} + lim))
		while st=$(squeue -h -o %t) && [ -n "$st" ]; do
			if [ -z "$tw" ]; then
				np=$(grep -c '^PD' <<<"$st")
				if [ $p0 -lt 0 ]; then
					p0=$np
					[ "$np" -gt 0 ] || tw=$t1
				elif [ "$np" -lt $p0 ]; then
					tw=$(now)
				fi
			fi
			[ "${EPOCHREALTIME%.*}" -lt $end ] || { echo "bench/slurm.sh: jobs still queued $lim s after the last sbatch" >&2; exit 1; }
			sleep 0.05
		done
		t2=$(now)
		[ -n "$tw" ] || tw=$t1
		u1=$(cg_usage "$1")
		awk -v a=$((t1 - t0)) -v c=$((t2 - t0)) -v w=$((tw - t1)) -v u0="$u0" -v u1="$u1" -v j="$nbatch" \
			'BEGIN { printf "%.3f %.3f %s %.3f\n", a / 1e9, c / 1e9, u0 == "" || u1 == "" ? "-" : sprintf("%.2f", (u1 - u0) / 1e6 / j), w / 1e9 }'
	)
}
# What the cli_filter makes of vgpu:mem=8G: shard:N (plus, for sbatch, the
# request in the comment, which job_submit/vgpu moves into the batch
# environment). The control row: the plain cluster given shard:N and
# VGPU_REQUEST through --export, the cli_filter's old carrier: any --export
# but ALL/NONE makes slurmd build each batch job's environment with a login
# shell (`su - USER`, SLURM_GET_USER_ENV), which is what it costs.
shards=$(eval "$env_vg" && timeout 60 srun --gres=vgpu:mem=8G printenv SLURM_SHARDS_ON_NODE)
case $shards in '' | *[!0-9]*) echo "bench/slurm.sh: srun --gres=vgpu:mem=8G gave no shard count ($shards)" >&2; exit 1 ;; esac
# Warm-up (first runs load caches, munge credentials, plugins).
for _ in 1 2; do
	lat "$tmp/warm" "$env_plain" shard:10
	lat "$tmp/warm" "$env_vg" shard:10
	lat "$tmp/warm" "$env_vg" vgpu:mem=8G
	lat "$tmp/warm" "$env_lua" shard:10
	lat "$tmp/warm" "$env_lua" vgpu:mem=8G
done
# One run of each per round, the order rotated every round (a fixed order
# gives each position the same neighbour: a systematic bias of a few %),
# and no case right after another one of its own cluster: the clusters
# come plain, vgpu, lua, plain, vgpu, lua (a cluster's first job after the
# others' ran is slower than its next: in the order plain vg vgm ..., vgm
# and luam, always right after their own cluster, came out 5-10% faster).
cases=(plain vg lua pex vgm luam)
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
t_srun=$(date +%s)
# sbatch: every round runs each case once and plain twice, back to back, the
# order rotated (plain vg lua plain vgm luam, starting one further each
# round): each cluster runs as many jobs as the others (a slurmctld's work
# grows with the jobs it still holds, MinJobAge), each case has a plain run
# at most two places away, and no run follows one of its own cluster (as
# above; also across rounds). t-CASE gets "ROUND submit_s total_s
# cpu_ms_per_job wait_s" lines. A first, unrecorded round of 20 jobs per cluster
# warms the daemons up (slurmd's first batch launches).
tcase() { # CASE ROUND FILE
	local o
	case $1 in
	plain) o=$(thr plain "$env_plain" shard:10) ;;
	vg) o=$(thr vg "$env_vg" shard:10) ;;
	vgm) o=$(thr vg "$env_vg" vgpu:mem=8G) ;;
	lua) o=$(thr lua "$env_lua" shard:10) ;;
	luam) o=$(thr lua "$env_lua" vgpu:mem=8G) ;;
	pex) o=$(thr plain "$env_plain" "shard:$shards" --export=ALL,VGPU_REQUEST=mem=8G) ;;
	esac || exit 1
	echo "$2 $o" >>"$3"
}
if [ "$rounds" -gt 0 ]; then
	(nbatch=20 && thr plain "$env_plain" shard:10 && thr vg "$env_vg" shard:10 && thr lua "$env_lua" shard:10) >/dev/null || exit 1
fi
tcases=(plain vg lua plain vgm luam)
for r in $(seq "$rounds"); do
	for k in 0 1 2 3 4 5; do
		c=${tcases[(r + k) % 6]}
		tcase "$c" "$r" "$tmp/t-$c"
	done
done
# The control, in rounds of its own, BENCH_CONTROL_SBATCH jobs (default 50:
# it runs at ~8 jobs/s): plain (t-cplain) and --export (t-pex), alternated.
[ "$rounds" -gt 0 ] || crounds=0
for r in $(seq "$crounds"); do
	if [ $((r % 2)) -eq 1 ]; then
		(nbatch=$cbatch && tcase plain "$r" "$tmp/t-cplain" && tcase pex "$r" "$tmp/t-pex") || exit 1
	else
		(nbatch=$cbatch && tcase pex "$r" "$tmp/t-pex" && tcase plain "$r" "$tmp/t-cplain") || exit 1
	fi
done
t_sbatch=$(date +%s)

# pct FILE P: the P-th percentile (nearest rank) of the values in FILE (us), in ms.
pct() {
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { r = int((p * NR + 99) / 100); if (r < 1) r = 1; printf "%.1f", v[r] / 1000 }'
}
# med: the median of the numbers on stdin (the mean of the middle two for an
# even count).
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; printf "%.4f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# ratios PLAINFILE FILE: per round, plain's total / the case's total.
# (plain's total: the mean of its runs in that round.)
ratios() { awk 'NR == FNR { p[$1] += $3; n[$1]++; next } ($1 in p) && $3 > 0 { printf "%.4f\n", p[$1] / n[$1] / $3 }' "$1" "$2"; }
say() { # KEY VALUE: into the summary file
	[ -z "$summary" ] || echo "$1 $2" >>"$summary"
}
[ -z "$summary" ] || : >"$summary"

version=$( (eval "$env_plain" && srun --version) | cut -d' ' -f2)
say version "$version"
echo "== Slurm $version${BENCH_LABEL:+ ($BENCH_LABEL)} =="
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
if [ -n "$cgv" ]; then
	echo "CPU: the bench's processes in cgroup (v$cgv) $cg, CPU weight $cpushares (8x a process group's: BENCH_CPU_SHARES)"
else
	echo "CPU: no cgroup (BENCH_CPU_SHARES=0 or none usable): other work on the machine competes on equal terms"
fi
echo "clusters: $nnodes node(s), $ngpus x h100 (100 shards each), $ncpus CPUs; auth $auth; plugins: --spank --job-submit and"
echo "  'plugins': --cli-filter=c (cli_filter_vgpu.so), 'plugins (lua)': --cli-filter (cli_filter/lua)"
echo "vgpu:mem=8G is shard:$shards; 'plain, shard:$shards + export' is --gres=shard:$shards --export=ALL,VGPU_REQUEST=mem=8G"
echo "on the plain cluster: the cli_filter's old --export carrier, typed by hand (a control: Slurm's own cost of it)"
rows="plain:plain, --gres=shard:10|vg:plugins, --gres=shard:10|vgm:plugins, --gres=vgpu:mem=8G|lua:plugins (lua), --gres=shard:10|luam:plugins (lua), --gres=vgpu:mem=8G|pex:plain, shard:$shards + export"
if [ "$nsrun" -gt 0 ]; then
	echo
	echo "srun -n1 true latency, $nsrun runs each, the order rotated every round ($((t_srun - t_start)) s with set-up) (ms)"
	printf '  %-36s %8s %8s %12s\n' "" median p90 "ratio (med)"
	m0=$(pct "$tmp/l-plain" 50)
	IFS='|' read -r -a rl <<<"$rows"
	for k in "${rl[@]}"; do
		f=$tmp/l-${k%%:*}
		x=$(awk -v m="$(pct "$f" 50)" -v z="$m0" 'BEGIN { printf "%.2f", m / z }')
		say "srun.${k%%:*}" "$x"
		awk -v n="${k#*:}" -v m="$(pct "$f" 50)" -v p="$(pct "$f" 90)" -v x="$x" \
			'BEGIN { printf "  %-36s %8.1f %8.1f %11.2fx\n", n, m, p, x }'
	done
fi
if [ "$rounds" -gt 0 ]; then
	echo
	echo "sbatch throughput: $nbatch x 'sbatch --wrap true' per run, all submitted, then all completed (jobs/s);"
	echo "  $rounds rounds, each runs every case once and plain twice, back to back, the order rotated; ratio: the"
	echo "  median over the rounds of plain's mean total in the round / the case's total (min-max beside it);"
	echo "  the control: $cbatch jobs, $crounds rounds of its own with plain; medians of the rounds ($((t_sbatch - t_srun)) s)"
	printf '  %-36s %9s %9s %8s %8s %10s %11s\n' "" "submit s" "total s" "jobs/s" ratio "min-max" "CPU ms/job"
	IFS='|' read -r -a rl <<<"$rows"
	for k in "${rl[@]}"; do
		c=${k%%:*} p=$tmp/t-plain
		[ "$c" != pex ] || p=$tmp/t-cplain
		[ -s "$tmp/t-$c" ] || continue
		s=$(awk '{ print $2 }' "$tmp/t-$c" | med)
		t=$(awk '{ print $3 }' "$tmp/t-$c" | med)
		x=$(ratios "$p" "$tmp/t-$c" | med)
		lo=$(ratios "$p" "$tmp/t-$c" | sort -g | head -1)
		hi=$(ratios "$p" "$tmp/t-$c" | sort -g | tail -1)
		u=$(awk '$4 != "-" { print $4 }' "$tmp/t-$c" | med) || u=-
		say "sbatch.$c" "$(printf '%.2f' "$x")"
		j=$nbatch
		[ "$c" != pex ] || j=$cbatch
		awk -v n="${k#*:}" -v s="$s" -v t="$t" -v x="$x" -v j="$j" -v lo="$lo" -v hi="$hi" -v u="$u" \
			'BEGIN { printf "  %-36s %9.2f %9.2f %8.1f %7.2fx %4.2f-%.2f %11s\n", n, s, t, j / t, x, lo, hi, u == "-" ? u : sprintf("%.1f", u) }'
	done
fi
echo
echo "targets: latency <= 1.10x, throughput >= 0.90x (plugins / plain); ratios against 'plain, --gres=shard:10'"
echo "wall time: $(($(date +%s) - t_start)) s"
if [ -n "${BENCH_RAW:-}" ]; then
	mkdir -p "$BENCH_RAW" && cp "$tmp"/l-* "$tmp"/t-* "$BENCH_RAW"/ 2>/dev/null
fi
say wall "$(($(date +%s) - t_start))"
say rounds "$rounds"
say jobs "$nbatch"
