#!/bin/bash
# A Slurm 22.05 test (skipped from 23.11.5, where the bug is fixed).
# The guard against Slurm 22.05.8's shard bug (doc/slurm-integration.md
# "Whole GPUs beside slices: a Slurm 22.05 bug and the guard"): once a shard
# job on a GPU has ended, slurmctld forgets the shards still held there and
# may give that GPU whole to a `--gres=gpu:N` job. The SPANK plugin refuses
# such a step in slurmstepd: its tasks print why and exit 1, nothing of it
# runs beside the slice, the node is not drained. On a 1-node, 2-GPU
# devcluster with the plugins: a whole-GPU job on the free GPU runs normally;
# then the reproduction from doc/developers.md; the whole-GPU job Slurm starts
# on a sliced GPU is refused (batch and srun). tests/shim/shimprobe is the
# CUDA program, the simulated GPUs' process lists are read on the host with
# the simulator's NVML (no shim). Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
# A 22.05 test: the bug is fixed from 23.11.5, where the guard is not used
# (VGPU_SLURM_SHARD_DEALLOC_BUG is 0) and whole-GPU jobs wait (0251).
rel=$(slurmd -V 2>/dev/null)
rel=${rel##* }
[ "$(printf '%s\n%s\n' "$rel" 23.11.5 | sort -V | head -n 1)" != 23.11.5 ] ||
	skip_all "Slurm $rel (slurmd -V) has the shard-deallocation bug fixed (23.11.5+): the guard this test checks is off there"
plan 37
e2e_up wholeafter --nodes 1 --gpus 2 --spank --cli-filter
state=$e2e_dir/vgpu-state
cd "$e2e_tmp" || exit 1
mem=$(sed -n 's/^GpuType=h100 Memory=\([0-9]*\)M.*/\1/p' "$e2e_dir/etc/vgpu.conf")
slice() { echo $(($1 * mem * 1048576 / 100)); }
guard_msg() { # GPU IDX JOBS
	echo "vgpu: GPU $1 holds slices of job(s) $2; Slurm allocated it whole to this job (Slurm 22.05 shard bug, see slurm-vgpu doc/slurm-integration.md); not running"
}
# nvml_procs IDX: "RC pid:bytes ..." of simulated GPU IDX, read on the host
# (the simulator's NVML, no shim).
nvml_procs() {
	local uuid
	uuid=$(VGPU_SIM_NODE=$e2e_dir/sim/n1.json LD_LIBRARY_PATH=$VGPU_BUILDDIR/sim/.libs \
		"$VGPU_BUILDDIR/tests/e2e/gpuinfo" 2>/dev/null | awk -v i="$1" '$1 == "nvml.uuid" && $2 == i { print $3 }')
	VGPU_SIM_NODE=$e2e_dir/sim/n1.json LD_LIBRARY_PATH=$VGPU_BUILDDIR/sim/.libs \
		"$probe" dlopen nvmlprocs "$uuid" 2>/dev/null | sed -n 's/^nvmlprocs: //p'
}
# holder: a slice job whose probe holds 1 GiB until cancelled.
holder() {
	sbatch --parsable -o "$e2e_tmp/h-%j.out" --gres=shard:70 --wrap "exec $probe dlopen init alloc mem 1073741824 hold"
}
wait_hold() {
	local t=150
	until grep -q '^hold: ready' "$e2e_tmp/h-$1.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
	grep -q '^hold: ready' "$e2e_tmp/h-$1.out"
}

# 1. a slice on one GPU, a whole-GPU job on the other: Slurm keeps them
# apart (no shard job has ended yet), and the whole-GPU job runs normally.
a=$(holder)
ok "job A (shard:70) holds 1 GiB of its slice" wait_hold "$a"
ia=$(e2e_gres_idx "$a")
w=$(sbatch --parsable -o "$e2e_tmp/w1.out" --gres=gpu:1 --wrap "echo \${LD_PRELOAD:-none}; $probe dlopen init info")
is_job "$w" COMPLETED "a whole-GPU job on the free GPU completes"
total=$(sed -n 's/^info: 0 [0-9]* \([0-9]*\)$/\1/p' "$e2e_tmp/w1.out")
ok "... it saw the whole GPU ($total bytes) without the shim" test "${total:-0}" -gt "$(slice 99)" -a "$(head -1 "$e2e_tmp/w1.out")" = none
is "$(grep -c '^vgpu:' "$e2e_tmp/w1.out")" 0 "... and no guard message"

# 2. the reproduction: a second slice on the other GPU; a whole-GPU job pends
# (right); cancel it; a shard job ends; a new whole-GPU job is started by
# Slurm on a GPU that holds a slice.
b=$(holder)
ok "job B (shard:70) holds 1 GiB of its slice" wait_hold "$b"
ib=$(e2e_gres_idx "$b")
ok "A and B are on different GPUs ($ia, $ib)" test -n "$ia" -a -n "$ib" -a "$ia" != "$ib"
p=$(sbatch --parsable -o /dev/null --gres=gpu:1 --wrap true)
is_job "$p" PENDING Resources "a whole-GPU job pends while both GPUs hold slices"
scancel "$p"
timeout 30 srun --gres=shard:10 true
is "$?" 0 "a shard:10 job runs and ends (this is what trips Slurm's bug)"
w=$(sbatch --parsable -o "$e2e_tmp/w2.out" --gres=gpu:1 --wrap "touch $e2e_tmp/w2.ran; exec $probe dlopen init alloc mem 1073741824 hold")
is_job "$w" FAILED NonZeroExitCode "the whole-GPU job Slurm started on a sliced GPU fails"
out=$(cat "$e2e_tmp/w2.out")
if [ "$out" = "$(guard_msg "$ia" "$a")" ] || [ "$out" = "$(guard_msg "$ib" "$b")" ]; then
	pass "... its output is the guard's message alone"
else
	fail "... its output is the guard's message alone"
	diag "got: $out"
fi
ok "... none of its tasks ran" test ! -e "$e2e_tmp/w2.ran"
pa=$(nvml_procs "$ia") pb=$(nvml_procs "$ib")
like "$pa / $pb" "^0 [0-9]+:[0-9]+ / 0 [0-9]+:[0-9]+$" \
	"the simulated GPUs hold one process each, the slice's: no whole-GPU process beside it ($pa / $pb)"
is "$(sinfo -h -N -o '%T %E')" "mixed none" "the node is not drained (the batch step failed in task_init)"
out=$(timeout 30 srun --gres=gpu:1 bash -c "touch $e2e_tmp/w3.ran; echo ran" 2>&1)
is "$?" 1 "srun --gres=gpu:1 on the sliced GPU: the step fails"
like "$out" "vgpu: GPU ($ia|$ib) holds slices of job\(s\) ($a|$b); Slurm allocated it whole to this job \(Slurm 22.05 shard bug, see slurm-vgpu doc/slurm-integration.md\); not running" \
	"... with the guard's message"
ok "... and did not run" test ! -e "$e2e_tmp/w3.ran"

# 3. the slices gone, whole-GPU jobs run again on both GPUs.
scancel "$a" "$b"
ok "the slice jobs end" e2e_wait_idle
is "$(ls -A "$state")" "" "StateDir is empty"
out=$(timeout 30 srun --gres=gpu:2 "$probe" dlopen init info 2>&1)
like "$out" "^init: 0" "srun --gres=gpu:2 runs on both GPUs once no slice is left"

# 4. the other side: a salloc shard job S with no step running leaves no
# record, so Slurm's bug can give its GPU whole to job W and the guard lets
# W run; W records itself, and the next step of S on that GPU is refused.
S=$(salloc --no-shell --gres=shard:70 2>&1 | sed -n 's/.*Granted job allocation \([0-9]*\).*/\1/p')
ok "salloc --no-shell --gres=shard:70: job S ($S) holds shards, no step runs" test -n "$S"
is_s=$(e2e_gres_idx "$S")
g=$(sbatch --parsable -o "$e2e_tmp/g.out" --gres=gpu:1 --wrap "exec $probe dlopen init hold")
is_job "$g" RUNNING None "a whole-GPU job G runs on the other GPU"
timeout 30 srun --gres=shard:10 true
is "$?" 0 "a shard:10 job runs on S's GPU and ends (Slurm forgets S's shards there)"
w=$(sbatch --parsable -o "$e2e_tmp/w4.out" --gres=gpu:1 --wrap "exec $probe dlopen init hold")
t=150
until grep -q '^hold: ready' "$e2e_tmp/w4.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
is "$(e2e_gres_idx "$w")" "$is_s" "Slurm gives S's GPU ($is_s) whole to job W, which runs (S had no live step)"
out=$(timeout 30 srun --jobid="$S" --gres=shard:10 bash -c "touch $e2e_tmp/s4.ran; echo ran" 2>&1)
is "$?" 1 "a step of S on that GPU fails"
like "$out" "vgpu: .*GPU $is_s is held whole by job\(s\) $w \(Slurm 22.05 shard bug" "... saying the GPU is held whole by W"
ok "... and did not run" test ! -e "$e2e_tmp/s4.ran"
scancel "$S" "$g" "$w"
ok "S, G and W end" e2e_wait_idle
is "$(ls -A "$state")" "" "StateDir is empty (whole-GPU records removed with their steps)"

# The guard's refusals are logged as errors on purpose: only those are expected.
eval "lib_$(declare -f e2e_log_errors)"
e2e_log_errors() {
	lib_e2e_log_errors | grep -v -F -e 'Slurm allocated it whole to this job (Slurm 22.05 shard bug' \
		-e 'is held whole by job(s)'
}
e2e_health
e2e_down
done_testing
