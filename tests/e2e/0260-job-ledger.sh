#!/bin/bash
# One ledger per job per GPU on a node (doc/shim.md, doc/slurm-integration.md
# "Steps of one job share its slice"), on a 1-node, 2-GPU devcluster with the
# plugins: a batch script holding 60% of its slice leaves its srun steps only
# the rest (a plain srun step asking 60% gets CUDA_ERROR_OUT_OF_MEMORY and
# sees the job's remaining room in cuMemGetInfo); `srun --gres=shard:K` steps
# keep their own smaller limit inside it; the job's directory lives as long as
# a step of the job does. Then Slurm's side of the argument: concurrent steps
# of one job get their shards out of the job's (two shard:15 steps of a
# shard:20 allocation do not run at once). tests/shim/shimprobe is the CUDA
# program. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
plan 35
e2e_up jobledger --nodes 1 --gpus 2 --spank --cli-filter
state=$e2e_dir/vgpu-state
cd "$e2e_tmp" || exit 1

# slice K: K of the GPU's ShardsPerGpu (120 by default) shards of Memory -
# DriverReserved, from the GpuType line vgpu conf wrote (strict; no
# MemoryReserve); every context is charged ContextMemory (ctx).
type_line=$(grep '^GpuType=h100 ' "$e2e_dir/etc/vgpu.conf")
mib() { echo "$type_line" | sed -n "s/.* $1=\([0-9]*\)M.*/\1/p"; }
mem=$(mib Memory) drv=$(mib DriverReserved) ctx=$(($(mib ContextMemory) * 1048576))
per=$(sed -n 's/^ShardsPerGpu=\([0-9]*\).*/\1/p' "$e2e_dir/etc/vgpu.conf")
per=${per:-120}
slice() { echo $(($1 * (mem - drv) * 1048576 / per)); }
sm20=$((20 * 10000 / per)) # SM share of 20 shards, in 1/100 %
mib2() { echo $(($1 / 2097152 * 2097152)); } # rounded down to the shim's 2 MiB granule
S=$(slice 20)
A=$(mib2 $((S * 6 / 10)))  # what the batch script holds: 60% of its slice
R=$((S - A - 2 * ctx))     # the job's room left: less the holder's context and the step's own
s5=$(slice 5) s10=$(slice 10)
ok "the numbers make the point: 60% twice does not fit, 5 shards fit in the room, 10 do not" \
	test $((2 * A)) -gt "$S" -a "$s5" -lt "$R" -a "$s10" -gt "$R"

# 1. the batch script holds 60% (a probe in the background, in the batch
# step), then runs its steps; each step's output goes to its own file.
cat >"$e2e_tmp/job.sh" <<EOF
#!/bin/bash
$probe dlopen init alloc mem $A hold >$e2e_tmp/hold.out 2>&1 &
t=0; until grep -q '^hold: ready' $e2e_tmp/hold.out 2>/dev/null || [ \$t -ge 300 ]; do sleep 0.1; t=\$((t + 1)); done
ls -A $state >$e2e_tmp/dirs.out
ls -A $state/job.\$SLURM_JOB_ID.0 >$e2e_tmp/jobdir.out; cat $state/job.\$SLURM_JOB_ID.0/cap >>$e2e_tmp/jobdir.out
srun $probe dlopen init info alloc mem $A alloc mem $(mib2 $R) >$e2e_tmp/plain.out 2>&1
srun --gres=shard:5 $probe dlopen init info alloc mem $((s5 + 2097152)) alloc mem $(mib2 $((s5 - ctx))) >$e2e_tmp/s5.out 2>&1
srun --gres=shard:10 $probe dlopen init info alloc mem $(mib2 $((R + 2097152))) alloc mem $(mib2 $R) >$e2e_tmp/s10.out 2>&1
srun bash -c 'sed -n "s/^acct=//p" /etc/vgpu-step.desc; grep -E "^(gpu|job)" /etc/vgpu-step.desc' >$e2e_tmp/desc.out 2>&1
sed -n "s/^acct=//p" /etc/vgpu-step.desc >>$e2e_tmp/desc.out
grep -E "^(gpu|job)" /etc/vgpu-step.desc >>$e2e_tmp/desc.out
kill %1
wait
EOF
id=$(sbatch --parsable -o "$e2e_tmp/batch.out" --gres=shard:20 "$e2e_tmp/job.sh")
is_job "$id" COMPLETED "sbatch --gres=shard:20 (the script holds 60% and runs steps) completed"
is "$(grep '^alloc' "$e2e_tmp/hold.out")" "alloc mem $A: 0" "the batch script holds 60% of its slice ($A bytes)"
# a plain srun step: the job's 20 shards as its own limit, but only the room left
is "$(grep '^info:' "$e2e_tmp/plain.out")" "info: 0 $R $S" \
	"plain srun step: cuMemGetInfo shows its slice as total and the job's room ($R) as free"
is "$(grep '^alloc' "$e2e_tmp/plain.out" | tr '\n' ' ')" "alloc mem $A: 2 alloc mem $(mib2 $R): 0 " \
	"plain srun step: 60% more fails with CUDA_ERROR_OUT_OF_MEMORY, the room left allocates"
# srun --gres=shard:5: its own smaller limit, well inside the room
is "$(grep '^info:' "$e2e_tmp/s5.out")" "info: 0 $((s5 - ctx)) $s5" "srun --gres=shard:5: its own 5 shards' slice, free less its context"
is "$(grep '^alloc' "$e2e_tmp/s5.out" | tr '\n' ' ')" "alloc mem $((s5 + 2097152)): 2 alloc mem $(mib2 $((s5 - ctx))): 0 " \
	"srun --gres=shard:5: past its own limit fails although the job has room; within it allocates"
# srun --gres=shard:10: its limit is above the room: the room decides
is "$(grep '^info:' "$e2e_tmp/s10.out")" "info: 0 $R $s10" \
	"srun --gres=shard:10: total its 10 shards, free the job's smaller room"
is "$(grep '^alloc' "$e2e_tmp/s10.out" | tr '\n' ' ')" "alloc mem $(mib2 $((R + 2097152))): 2 alloc mem $(mib2 $R): 0 " \
	"srun --gres=shard:10: past the job's room fails within its own limit; the room allocates"
# the directories and descriptions: one job dir, acct= of every step in it
like "$(tr '\n' ' ' <"$e2e_tmp/dirs.out")" "^$id\.batch\.0 job\.$id\.0 $" "while the batch step runs: its step dir and the job's dir"
like "$(tr '\n' ' ' <"$e2e_tmp/jobdir.out")" "^acct cap owner GPU-[0-9a-f-]{36} $S $sm20 $" \
	"the job's dir: acct/ and the batch step's record of the job's cap (its other steps read it)"
is "$(grep -c "^$state/job\.$id\.0/acct$" "$e2e_tmp/desc.out")" 2 "batch step and srun step: acct= is the job's accounting dir"
like "$(sed -n 2,3p "$e2e_tmp/desc.out" | tr '\n' '/')" "^gpu uuid=(GPU-[0-9a-f-]{36}) mem=$S sm=$sm20 ctx=$ctx/job uuid=\1 mem=$S sm=$sm20/$" \
	"the srun step's description: its limit, and the job's cap (recorded by the batch step)"
like "$(sed -n 5,6p "$e2e_tmp/desc.out" | tr '\n' '/')" "^gpu uuid=(GPU-[0-9a-f-]{36}) mem=$S sm=$sm20 ctx=$ctx/job uuid=\1 mem=$S sm=$sm20/$" \
	"the batch step's description carries the job's cap (a job line)"
is "$(ls -A "$state")" "" "after the job: StateDir is empty (job dir removed with the last step)"

# 2. no batch step on the node (salloc): the job's cap comes from slurmctld.
# `srun --overlap` steps are not held within the job's shards by Slurm (seen
# on 22.05.8: a shard:15 step and an --overlap shard:15 step of a shard:20
# allocation run at once); the job's ledger holds them: the second gets only
# the job's room.
s15=$(slice 15)
H=$(mib2 $((s15 - ctx)))       # what the first step holds: its slice less its context
O=$((S - H - 2 * ctx))         # the room the second sees: less both contexts
cat >"$e2e_tmp/overlap.sh" <<EOF
#!/bin/bash
srun --gres=shard:15 $probe dlopen init alloc mem $H hold >$e2e_tmp/o1.out 2>&1 &
t=0; until grep -q '^hold: ready' $e2e_tmp/o1.out 2>/dev/null || [ \$t -ge 300 ]; do sleep 0.1; t=\$((t + 1)); done
srun --overlap --gres=shard:15 $probe dlopen init info alloc mem $H alloc mem $(mib2 $O) >$e2e_tmp/o2.out 2>&1
kill %1
wait
EOF
chmod +x "$e2e_tmp/overlap.sh"
timeout 60 salloc --gres=shard:20 "$e2e_tmp/overlap.sh" >/dev/null 2>&1
is "$(grep '^alloc' "$e2e_tmp/o1.out")" "alloc mem $H: 0" "salloc shard:20: a shard:15 step holds its 15 shards"
is "$(grep '^info:' "$e2e_tmp/o2.out")" "info: 0 $O $s15" \
	"an --overlap shard:15 step beside it: total its 15 shards, free only the job's room"
is "$(grep '^alloc' "$e2e_tmp/o2.out" | tr '\n' ' ')" "alloc mem $H: 2 alloc mem $(mib2 $O): 0 " \
	"... its 15 shards' worth is refused (the job would exceed its 20), the room allocates"

# 3. a SIGKILLed batch step (its tasks killed; slurmstepd cleans up) and a
# stale job dir whose steps are gone: both removed.
id=$(sbatch --parsable -o "$e2e_tmp/k.out" -e /dev/null --gres=shard:10 --wrap "exec $probe dlopen init alloc mem 1073741824 hold")
t=150
until grep -q '^hold: ready' "$e2e_tmp/k.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
is "$(ls -A "$state" | wc -l)" 2 "a holding batch step: step dir and job dir"
scancel -s KILL "$id"
ok "SIGKILLed: the job ends" e2e_wait_idle
is "$(ls -A "$state")" "" "SIGKILLed: both directories are gone"
mkdir -p "$state/job.998.0/acct" "$state/998.0.0"
echo "1 1" >"$state/998.0.0/owner"
timeout 30 srun --gres=shard:1 true 2>/dev/null
ok "a stale job dir (its steps' owners gone) is removed at the next step start" test ! -e "$state/job.998.0"
ok "... with its stale step dir" test ! -e "$state/998.0.0"

# 4. Slurm's side: concurrent steps of one job share the job's shards. Under
# salloc --gres=shard:20, a second shard:15 step waits until the first ends.
cat >"$e2e_tmp/alloc.sh" <<EOF
#!/bin/bash
srun --gres=shard:15 bash -c 'touch $e2e_tmp/s1.start; t=0; while [ ! -e $e2e_tmp/s1.go ] && [ \$t -lt 300 ]; do sleep 0.1; t=\$((t+1)); done; touch $e2e_tmp/s1.end' &
t=0; until [ -e $e2e_tmp/s1.start ] || [ \$t -ge 300 ]; do sleep 0.1; t=\$((t + 1)); done
srun --gres=shard:15 bash -c 'if [ -e $e2e_tmp/s1.end ]; then echo after; else echo during; fi' >$e2e_tmp/s2.out 2>$e2e_tmp/s2.err &
sleep 3
[ -s $e2e_tmp/s2.out ] && echo "s2 ran early" >$e2e_tmp/early
touch $e2e_tmp/s1.go
wait
EOF
chmod +x "$e2e_tmp/alloc.sh"
timeout 60 salloc --gres=shard:20 "$e2e_tmp/alloc.sh" >/dev/null 2>&1
ok "salloc shard:20: the second shard:15 step had not run 3 s after the first started" test ! -e "$e2e_tmp/early"
is "$(cat "$e2e_tmp/s2.out" 2>/dev/null)" "after" "... it ran after the first step ended"
diag "the second step's srun said: $(cat "$e2e_tmp/s2.err" 2>/dev/null | tr "\n" " ")"
# (23.11+ srun waits without saying so: it prints only "Step created")
if e2e_slurm_before 23.11; then
	like "$(cat "$e2e_tmp/s2.err" 2>/dev/null | tr '\n' ' ')" "Requested nodes are busy|step creation temporarily disabled" \
		"... srun said it waited for the job's resources"
else
	skip "... srun said it waited for the job's resources" "Slurm $(e2e_slurm)'s srun does not say it waits"
fi

e2e_health
e2e_down
done_testing
