#!/bin/bash
# bench/placement.sh - what the project's NVLink placement buys against
# stock Slurm, on one job mix replayed to two devclusters side by side.
#
# Both clusters are NVL72-shaped: BENCH_PLACE_DOMAINS NVLink domains
# (default "18,18": two racks of 18 nodes) of 4 GPUs per node, cut into the
# NVLink partitions BENCH_PLACE_PARTITIONS (default "8,6,4,6,6,6"), made as
# a site would (tools/vgpu-devcluster up --partitions: simulated fabric,
# `vgpu cliquemap build`, `vgpu conf`). They differ in one thing:
#   - "vgpu":  the project's placement (JobSubmitPlugins=vgpu reading the
#              clique map: jobs on several nodes inside one partition, best
#              fit; doc/nvlink.md);
#   - "stock": the same Slurm configuration (topology.conf from the same
#              map) without the project's plugin: what Slurm's topology
#              plugin does by itself.
# The mix (bench/placement.py trace: fractional jobs, 1-node jobs of 1-4
# GPUs, 2-, 4- and 8-node jobs of 4 GPUs per node, `sleep` of 10-50 s)
# arrives over BENCH_PLACE_SPAN seconds (default 120); BENCH_PLACE_JOBS jobs
# (default 160), seed BENCH_PLACE_SEED (default 1). Every job goes to both
# clusters at the same moment. When both are done, the figures come from
# Slurm's job records (bench/placement.py analyse): multi-node jobs that
# waited, mean and p95 wait, jobs across partitions, wholly free partitions
# over time, GPU utilisation. Needs root and Slurm's daemons, like
# tests/e2e/; measures the Slurm on PATH (run it inside a tools/vgpu-chroot
# chroot with a build made there for another release). ~6-8 minutes on 2
# CPUs (doc/nvlink-bench.md has the results and what they mean).
#
# A job one cluster refuses at submit is counted as refused there; a cluster
# where jobs still pend while none has run for BENCH_PLACE_STALL seconds
# (default 60) is stalled: its records are taken and the rest cancelled
# (they count as not completed). The vgpu cluster runs the project's
# node-weight agent (`vgpu weights --interval 1`) where the build has it
# (BENCH_PLACE_WEIGHTS=0: not). BENCH_PLACE_TREE_ROOT=1 (22.05) adds one
# switch above the domains' switches to both clusters' topology.conf and
# reconfigures (see doc/nvlink-bench.md: topology/tree of 22.05 places
# jobs in one subtree only when there is no single root).
set -u
b=$(cd "${VGPU_BUILDDIR:-.}" && pwd)
src=${VGPU_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
dc=$src/tools/vgpu-devcluster
py=$src/bench/placement.py
njobs=${BENCH_PLACE_JOBS:-160}
seed=${BENCH_PLACE_SEED:-1}
span=${BENCH_PLACE_SPAN:-120}
stall=${BENCH_PLACE_STALL:-60}
parts=${BENCH_PLACE_PARTITIONS:-8,6,4,6,6,6}
domains=${BENCH_PLACE_DOMAINS:-18,18}
gpn=4
prog=bench/placement.sh

[ "$(id -u)" = 0 ] || { echo "$prog: skipped: the devclusters need root"; exit 0; }
command -v slurmctld >/dev/null 2>&1 || { echo "$prog: skipped: no slurmctld on PATH"; exit 0; }
for v in "$njobs" "$seed" "$span" "$stall"; do
	case $v in '' | *[!0-9]*) echo "$prog: BENCH_PLACE_JOBS, BENCH_PLACE_SEED, BENCH_PLACE_SPAN, BENCH_PLACE_STALL: expected numbers" >&2; exit 2 ;; esac
done
nnodes=0
IFS=, read -r -a dl <<<"$domains"
for d in "${dl[@]}"; do nnodes=$((nnodes + d)); done
rel=$(slurmctld -V 2>/dev/null)
rel=${rel##* }

tmp=$(mktemp -d)
va=bp-vgpu-$$ st=bp-stock-$$
agent=
cleanup() {
	[ -z "$agent" ] || { kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null; }
	"$dc" down --name "$va" >/dev/null 2>&1
	"$dc" down --name "$st" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Completed jobs stay in slurmctld's records until the figures are read.
printf 'MinJobAge=3600\nMaxJobCount=100000\n' >"$tmp/extra.conf"
t_start=$(date +%s)
for c in "$va" "$st"; do
	opts=(--name "$c" --nodes "$nnodes" --gpus $gpn --cpus 16 --partitions "$parts" --domains "$domains"
		--conf-extra "$tmp/extra.conf" --builddir "$b")
	[ "$c" = "$va" ] && opts+=(--job-submit)
	"$dc" up "${opts[@]}" >"$tmp/up-$c.log" 2>&1 || {
		tail -n 20 "$tmp/up-$c.log" >&2
		echo "$prog: devcluster $c did not come up" >&2
		exit 1
	}
done
envs() { "$dc" env --name "$1"; }
env_va=$(envs "$va") env_st=$(envs "$st")
dir_va=$(eval "$env_va" && echo "$VGPU_DEVCLUSTER_DIR")
if [ -n "${BENCH_PLACE_TREE_ROOT:-}" ]; then
	for e in "$env_va" "$env_st"; do
		(
			eval "$e"
			t=$VGPU_DEVCLUSTER_DIR/etc/topology.conf
			grep -q '^SwitchName=.* Switches=' "$t" || exit 0
			tops=$(sed -n 's/^SwitchName=\([^ ]*\) Switches=.*/\1/p' "$t" | paste -sd, -)
			echo "SwitchName=bench-root Switches=$tops" >>"$t"
			scontrol reconfigure && sleep 2 && scontrol show topology | grep -q '^SwitchName=bench-root '
		) || { echo "$prog: BENCH_PLACE_TREE_ROOT: could not add a root switch" >&2; exit 1; }
	done
fi
[ -s "$dir_va/etc/cliquemap.json" ] || { echo "$prog: $dir_va/etc/cliquemap.json is missing" >&2; exit 1; }

# The project's node-weight agent (`vgpu weights`, doc/nvlink.md) on the
# "vgpu" cluster, a pass a second, where the built vgpu has it and
# BENCH_PLACE_WEIGHTS is not 0: single-node work into partly used partitions.
weights=no
if [ "${BENCH_PLACE_WEIGHTS:-1}" != 0 ] && "$b/vgpu" weights --help >/dev/null 2>&1; then
	(eval "$env_va" && exec "$b/vgpu" weights --interval 1 -q) >"$tmp/weights.log" 2>&1 &
	agent=$!
	weights="vgpu weights --interval 1"
fi

# NODE PARTITION for every node of the map (names expanded by scontrol).
(
	eval "$env_va"
	python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["partitions"]:
    print(p["name"], p["nodes"])' "$dir_va/etc/cliquemap.json" |
		while read -r name hl; do
			for n in $(scontrol show hostnames "$hl"); do echo "$n $name"; done
		done
) >"$tmp/parts" || exit 1
shards=$(eval "$env_va" && scontrol show node n1 -o | grep -o 'Gres=[^ ]*' | grep -o 'shard:[^,( ]*' | head -1 | grep -o '[0-9]*$')
spg=$((${shards:-400} / gpn))

python3 "$py" trace --seed "$seed" --jobs "$njobs" --span "$span" >"$tmp/trace" || exit 1
echo "== NVLink placement, Slurm $rel: $nnodes nodes x $gpn GPUs, domains $domains, partitions $parts =="
echo "node-weight agent on the vgpu cluster: $weights"
echo "mix: $njobs jobs over $span s, seed $seed: $(awk '{ n[$2]++ } END { for (c in n) printf "%s %d  ", c, n[c] }' "$tmp/trace")"

# Replay: each job to both clusters at its offset.
t0=${EPOCHREALTIME/./}
k=0
while read -r off cls nn gres secs; do
	k=$((k + 1))
	due=$((t0 + 10#${off/./}0000))
	now=${EPOCHREALTIME/./}
	[ "$due" -le "$now" ] || sleep "$(awk -v d=$((due - now)) 'BEGIN { printf "%.3f", d / 1e6 }')"
	# Each job to both clusters, the order alternating (neither always first).
	order="va st"
	[ $((k % 2)) = 0 ] || order="st va"
	for c in $order; do
		e=$env_va
		[ "$c" = va ] || e=$env_st
		if ! out=$(eval "$e" && sbatch -Q -J "$cls-$k" -N "$nn" --gres="$gres" -o /dev/null --wrap "sleep $secs" 2>&1); then
			echo "$k $cls $nn $gres $(tr '\n' ' ' <<<"$out")" >>"$tmp/refused-$c"
		fi
	done
done <"$tmp/trace"
t_sub=$(date +%s)

# Wait until both have run everything. A cluster whose queue holds only
# pending jobs for $stall seconds is stalled: its records are taken, the
# rest cancelled. Bounded in all by the mix's total time.
lim=$(awk '{ s += $5 } END { print int(s) + 600 }' "$tmp/trace")
end=$(($(date +%s) + lim))
declare -A idle_since=() done_c=()
while [ ${#done_c[@]} -lt 2 ]; do
	for c in va st; do
		[ -z "${done_c[$c]:-}" ] || continue
		e=$env_va
		[ "$c" = va ] || e=$env_st
		q=$(eval "$e" && squeue -h -o %T) || q=ERROR
		fin=0
		if [ -z "$q" ]; then
			fin=1
		elif grep -qv '^PENDING$' <<<"$q"; then
			unset "idle_since[$c]"
		else
			now=$(date +%s)
			[ -n "${idle_since[$c]:-}" ] || idle_since[$c]=$now
			[ $((now - idle_since[$c])) -lt "$stall" ] || fin=1
		fi
		[ $fin = 1 ] || continue
		(eval "$e" && scontrol show job -o) >"$tmp/jobs-$c" || exit 1
		if [ -n "$q" ]; then
			echo "$prog: $c: $(wc -l <<<"$q") job(s) pending with nothing running for $stall s: stalled, cancelled" >&2
			(eval "$e" && scancel --state=PENDING -u "$(id -un)")
		fi
		done_c[$c]=1
	done
	[ ${#done_c[@]} -lt 2 ] || break
	[ "$(date +%s)" -lt $end ] || { echo "$prog: jobs still queued after $lim s" >&2; exit 1; }
	sleep 2
done
mv "$tmp/jobs-va" "$tmp/jobs-$va" && mv "$tmp/jobs-st" "$tmp/jobs-$st" || exit 1
echo "replayed in $((t_sub - t_start)) s with set-up; all done after $(($(date +%s) - t_start)) s"
echo
if [ -n "$agent" ]; then
	kill "$agent" 2>/dev/null
	wait "$agent" 2>/dev/null
	agent=
	[ ! -s "$tmp/weights.log" ] || { echo "vgpu weights said:"; tail -n 5 "$tmp/weights.log" | sed 's/^/  /'; }
fi
for c in va st; do
	[ ! -s "$tmp/refused-$c" ] || { echo "refused at submit by $c:"; sed 's/^/  /' "$tmp/refused-$c" | head -n 5; }
done
python3 "$py" analyse --parts "$tmp/parts" --gpus-per-node $gpn --shards-per-gpu "$spg" \
	--refused "vgpu=$(cat "$tmp/refused-va" 2>/dev/null | wc -l)" --refused "stock=$(cat "$tmp/refused-st" 2>/dev/null | wc -l)" \
	"vgpu=$tmp/jobs-$va" "stock=$tmp/jobs-$st"
[ -z "${BENCH_RAW:-}" ] || { mkdir -p "$BENCH_RAW" && cp "$tmp"/trace "$tmp"/parts "$tmp"/jobs-* "$BENCH_RAW"/ && cp "$tmp"/refused-* "$BENCH_RAW"/ 2>/dev/null; }
exit 0
