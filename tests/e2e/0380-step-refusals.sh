#!/bin/bash
# The step plan (src/lib/vgpu_stepplan.c, plugins/spank/spank_remote.c) on
# a 1-node, 2-GPU devcluster with the SPANK plugin: paths that cannot
# enforce a slice refuse the step, naming why, instead of running it with
# weaker enforcement; a process that outlives its job holding GPU memory
# is reported in slurmd's log and killed.
#  1. a slice step whose private /etc cannot be made (a StateDir path that
#     overlayfs options cannot carry): its tasks print why and exit 1 (it
#     used to run with LD_PRELOAD only, logged at info);
#  2. StateDir that cannot be used (a regular file): a whole-GPU step is
#     refused where the Slurm 22.05 guard is needed (it used to be let
#     through, "whole-GPU check skipped"); elsewhere it runs; a slice step
#     is refused everywhere;
#  3. `setsid` leaves a process holding 1 GiB of the slice after its step
#     ends: at the end of the job's last step on the node it is killed and
#     slurmd's log names it (it used to live on, holding the memory);
#  4. SIGKILL of a slice job's slurmstepd leaves its task holding 1 GiB
#     after the job ends: the next slice step on the node kills it and
#     slurmd's log names it (it used to live on).
# Then (e). Each check fails on the code before vgpu_stepplan (cdd0550).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
plan 28
e2e_up steprefuse --nodes 1 --gpus 2 --spank
cd "$e2e_tmp" || exit 1
conf=$e2e_dir/etc/vgpu.conf
log=$e2e_dir/log/slurmd-n1.log
sd0=$(sed -n 's/^StateDir=//p' "$conf")
set_sd() { sed -i "s|^StateDir=.*|StateDir=$1|" "$conf"; }
# a leftover this test made is never left behind, whatever the code does
left_pid=
trap '[ -z "$left_pid" ] || kill -9 "$left_pid" 2>/dev/null; e2e_cleanup' EXIT
e2e_expected_errors='vgpu: (private /etc/ld.so.preload|StateDir .*statefile|job [0-9]+: its last step on n1|job [0-9]+ \(node index 0\), no step)'
slice_msg="vgpu: this step's GPU slice cannot be enforced, so it does not run: "
# tasks: what the step's tasks said (srun's own lines left out)
tasks() { printf '%s\n' "$1" | grep -v '^srun: '; }

# 1. the private /etc cannot be made: refused, not run with LD_PRELOAD only
ok "StateDir was set by the devcluster ($sd0)" test -n "$sd0"
set_sd "$e2e_tmp/vgpu,state"
out=$(timeout 30 srun -Q --gres=shard:10 "$probe" dlopen init info 2>&1)
rc=$?
ok "1. a slice step without its private /etc fails" test "$rc" -ne 0
like "$out" "^${slice_msg}private /etc/ld.so.preload \(plugstack.conf preload=etc\): $e2e_tmp/vgpu,state/[0-9]+\.0\.0/etc has a character overlayfs options cannot carry\$" \
	"... its task says why, naming the directory and the setting"
unlike "$out" "^info:" "... the program never ran"
like "$(grep 'vgpu: private /etc/ld.so.preload' "$log")" "error: .*vgpu: private /etc/ld.so.preload \(plugstack.conf preload=etc\)" \
	"... slurmd's log has it as an error"
is "$(ls "$e2e_tmp/vgpu,state" 2>/dev/null | grep -c '^[0-9]')" 0 "... its step directory is gone"
out=$(timeout 30 srun -Q "$probe" dlopen init info 2>&1)
is "$?" 0 "... a step without GPUs runs"
set_sd "$sd0"
out=$(timeout 30 srun -Q --gres=shard:10 "$probe" dlopen init info 2>&1)
rc=$?
ok "... with StateDir back, the slice step runs" test "$rc" -eq 0
like "$out" "^info: 0 " "... and sees its GPU"

# 2. StateDir unusable: the whole-GPU guard does not let the step through
: >"$e2e_tmp/statefile"
set_sd "$e2e_tmp/statefile"
out=$(timeout 30 srun -Q --gres=gpu:1 "$probe" dlopen init info 2>&1)
rc=$?
if e2e_slurm_before 23.11; then
	ok "2. a whole-GPU step with StateDir a file fails (Slurm $(e2e_slurm) needs the guard)" test "$rc" -ne 0
	is "$(tasks "$out")" "vgpu: StateDir $e2e_tmp/statefile: Not a directory; a whole-GPU step is not run without the check against slices on its GPUs (Slurm 22.05 shard bug)" \
		"... its task says why"
else
	ok "2. a whole-GPU step with StateDir a file runs (Slurm $(e2e_slurm) needs no guard)" test "$rc" -eq 0
	like "$out" "^info: 0 " "... and sees its GPU"
fi
out=$(timeout 30 srun -Q --gres=shard:10 "$probe" dlopen init info 2>&1)
rc=$?
ok "... a slice step fails" test "$rc" -ne 0
is "$(tasks "$out")" "${slice_msg}StateDir $e2e_tmp/statefile: Not a directory" "... its task says why"
set_sd "$sd0"

# 3. a setsid process outlives its step holding 1 GiB: killed at the end
# of the job's last step on the node, named in slurmd's log
out=$(timeout 60 srun -Q --gres=shard:25 sh -c "setsid sh -c 'echo \$\$ >$e2e_tmp/left.pid; exec $probe dlopen init alloc mem 1073741824 hold' >$e2e_tmp/left.out 2>&1 </dev/null &
	t=0; until grep -q '^hold: ready' $e2e_tmp/left.out 2>/dev/null || [ \$t -ge 150 ]; do sleep 0.2; t=\$((t + 1)); done; cat $e2e_tmp/left.out" 2>&1)
rc=$?
left_pid=$(cat "$e2e_tmp/left.pid" 2>/dev/null)
ok "3. the step started a setsid process holding 1 GiB and ended" test "$rc" -eq 0 -a -n "$left_pid"
like "$out" "hold: ready" "... the process held the memory when the step ended"
gone() {
	local t=50
	while [ $t -gt 0 ]; do
		[ -e "/proc/$1" ] || return 0
		sleep 0.2
		t=$((t - 1))
	done
	return 1
}
ok "... it is killed after the step ended" gone "$left_pid"
job=$(sed -n 's/.* job \([0-9]*\): its last step on n1 .*process '"$left_pid"' (.*/\1/p' "$log" | tail -1)
like "$(grep "process $left_pid " "$log")" "error: .*vgpu: job [0-9]+: its last step on n1 \([0-9]+\.0\) ended; process $left_pid \(shimprobe, uid 0\) held GPU memory \(GPU-[0-9a-f-]+\.ledger\): killed" \
	"... slurmd's log names the job, the process and what was done"
is "$(ls "$sd0" | grep -c "^job\.${job:-x}\.")" 0 "... the job's directory is gone with it"
[ -e "/proc/$left_pid" ] || left_pid=

# 4. SIGKILL of the batch step's slurmstepd: its task lives on, holding
# memory after the job ended; the next slice step's clean-up kills it
id=$(sbatch --parsable -o "$e2e_tmp/k-%j.out" --gres=shard:25 --wrap "echo \$\$ >$e2e_tmp/k.pid; exec $probe dlopen init alloc mem 1073741824 hold")
t=150
until grep -q '^hold: ready' "$e2e_tmp/k-$id.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
left_pid=$(cat "$e2e_tmp/k.pid" 2>/dev/null)
stepd=$(awk '/^PPid:/ { print $2 }' "/proc/${left_pid:-x}/status" 2>/dev/null)
ok "4. job $id's task holds 1 GiB, a child of slurmstepd" grep -q slurmstepd "/proc/${stepd:-x}/cmdline"
kill -9 "${stepd:-x}" 2>/dev/null
scancel "$id"
ok "... with its slurmstepd killed, the job ends" e2e_wait_free "$id"
ok "... and its task lives on" test -e "/proc/$left_pid"
out=$(timeout 30 srun -Q --gres=shard:10 true 2>&1)
is "$?" 0 "... the next slice step on the node runs"
ok "... and the task is killed" gone "$left_pid"
like "$(grep "process $left_pid " "$log")" "error: .*vgpu: job $id \(node index 0\), no step of it left on this node: process $left_pid \(shimprobe, uid 0\) held GPU memory \(GPU-[0-9a-f-]+\.ledger\): killed" \
	"... slurmd's log names the job, the process and what was done"
[ -e "/proc/$left_pid" ] || left_pid=

e2e_health
