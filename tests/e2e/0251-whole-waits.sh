#!/bin/bash
# Whole GPUs never run beside slices, on Slurm releases without 22.05.8's
# shard-deallocation bug (fixed in 23.11.5; tests/e2e/0250 is the 22.05
# guard's test). On a 1-node, 2-GPU devcluster with the plugins: four
# `--gres=vgpu:mem=20G` jobs spread over both GPUs; a `--gres=gpu:1` job
# pends; one slice job ends and a shard job runs and ends (what tripped the
# 22.05 bug); a new whole-GPU job pends, for as long as both GPUs hold
# slices, and the simulated GPUs hold the slices' processes only; when the
# last slice of one GPU ends, the whole-GPU job starts there, beside no
# slice. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
e2e_slurm_before 23.11 && skip_all "Slurm $(e2e_slurm) has the shard-deallocation bug: tests/e2e/0250 tests the guard"
plan 23
e2e_up wholewait --nodes 1 --gpus 2 --spank --cli-filter=c --job-submit
cd "$e2e_tmp" || exit 1

# nvml_procs IDX: "RC pid:bytes ..." of simulated GPU IDX, read on this
# side (the simulator's NVML, no shim).
nvml_procs() {
	local uuid
	uuid=$(VGPU_SIM_NODE=$e2e_dir/sim/n1.json LD_LIBRARY_PATH=$VGPU_BUILDDIR/sim/.libs \
		"$VGPU_BUILDDIR/tests/e2e/gpuinfo" 2>/dev/null | awk -v i="$1" '$1 == "nvml.uuid" && $2 == i { print $3 }')
	VGPU_SIM_NODE=$e2e_dir/sim/n1.json LD_LIBRARY_PATH=$VGPU_BUILDDIR/sim/.libs \
		"$probe" dlopen nvmlprocs "$uuid" 2>/dev/null | sed -n 's/^nvmlprocs: //p'
}
# holder: a 20G slice job whose probe holds 1 GiB until cancelled.
holder() {
	sbatch --parsable -o "$e2e_tmp/h-%j.out" --gres=vgpu:mem=20G --wrap "exec $probe dlopen init alloc mem 1073741824 hold"
}
wait_hold() {
	local t=150
	until grep -q '^hold: ready' "$e2e_tmp/h-$1.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
	grep -q '^hold: ready' "$e2e_tmp/h-$1.out"
}
# never_runs ID SECONDS: the job stays PENDING for that long (polled every
# 0.2 s); prints the state it left PENDING for.
never_runs() {
	local t=$(($2 * 5)) st
	while [ $t -gt 0 ]; do
		st=$(squeue -h -j "$1" -o %T 2>/dev/null)
		[ "$st" = PENDING ] || { echo "$st"; return 1; }
		sleep 0.2
		t=$((t - 1))
	done
}

# 1. four 20G slices over the two GPUs.
jobs=
for i in 1 2 3 4; do
	jobs="$jobs $(holder)"
done
held=0
for j in $jobs; do wait_hold "$j" && held=$((held + 1)); done
is "$held" 4 "four vgpu:mem=20G jobs run and hold 1 GiB each in their slices"
declare -A on=()
for j in $jobs; do
	on[$j]=$(e2e_gres_idx "$j")
done
g0= g1=
for j in $jobs; do
	case ${on[$j]} in 0) g0="$g0 $j" ;; 1) g1="$g1 $j" ;; esac
done
ok "the slices are on both GPUs, each on one (GPU 0:$g0; GPU 1:$g1)" \
	test -n "$g0" -a -n "$g1" -a "$(echo $g0 $g1 | wc -w)" -eq 4

# 2. a whole-GPU job pends while both GPUs hold slices (cancelled: from
# 23.11 a shard job queued behind it would wait for it).
p=$(sbatch --parsable -o /dev/null --gres=gpu:1 --wrap true)
is_job "$p" PENDING Resources "a --gres=gpu:1 job pends while both GPUs hold slices"
scancel "$p"

# 3. what tripped 22.05: a slice job ends on a GPU that keeps other slices,
# and a short shard job runs and ends.
many=$g0 few=$g1 fewgpu=1
[ "$(echo $g0 | wc -w)" -ge "$(echo $g1 | wc -w)" ] || { many=$g1 few=$g0 fewgpu=0; }
set -- $many
if [ $# -ge 2 ]; then
	scancel "$1"
	e2e_wait_job "$1" CANCELLED >/dev/null 2>&1
	pass "one of the slice jobs on the GPU with $# slices ends ($1)"
	shift
	many=$*
else
	skip "one of the slice jobs ends" "Slurm put one slice on each GPU"
fi
out=$(timeout 30 srun --gres=shard:10 true 2>&1)
is "$?" 0 "a shard:10 job runs and ends"
w=$(sbatch --parsable -o "$e2e_tmp/w.out" --gres=gpu:1 --wrap "touch $e2e_tmp/w.ran; exec $probe dlopen init alloc mem 1073741824 hold")
st=$(never_runs "$w" 5)
is "$?" 0 "the whole-GPU job still pends over 5 s of scheduling (left PENDING for: ${st:-nothing})"
ok "... and none of its tasks ran" test ! -e "$e2e_tmp/w.ran"
p0=$(nvml_procs 0) p1=$(nvml_procs 1)
n0=$(echo "$p0" | wc -w) n1=$(echo "$p1" | wc -w)
want0=$(($(echo $g0 | wc -w) + 1)) want1=$(($(echo $g1 | wc -w) + 1))
[ "$fewgpu" = 1 ] && want0=$((want0 - 1)) || want1=$((want1 - 1))
# two GPUs are told apart by the slices still held on each (plus the rc word)
is "$n0/$n1" "$want0/$want1" "the simulated GPUs hold the slices' processes only ($p0 / $p1)"

# 4. the last slice of one GPU ends: the whole-GPU job starts there.
scancel $few
is_job "$w" RUNNING None "when GPU $fewgpu has no slice left, the whole-GPU job starts"
t=150
until grep -q '^hold: ready' "$e2e_tmp/w.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
is "$(e2e_gres_idx "$w")" "$fewgpu" "... on GPU $fewgpu, the one without slices"
ok "... and its process holds memory there" grep -q '^hold: ready' "$e2e_tmp/w.out"
is "$(grep -c '^vgpu:' "$e2e_tmp/w.out")" 0 "... with no guard message (the guard is for 22.05 only)"
alive=0
for j in $many; do
	[ "$(squeue -h -j "$j" -o %T 2>/dev/null)" = RUNNING ] && alive=$((alive + 1))
done
is "$alive" "$(echo $many | wc -w)" "the slices on the other GPU keep running"

scancel $many "$w"
ok "every job ends" e2e_wait_idle
e2e_health
e2e_down
done_testing
