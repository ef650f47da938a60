#!/bin/bash
# One ledger per job per node also when steps span different node sets: on a
# 2-node, 1-GPU-each devcluster with the plugins, a `sbatch -N2
# --gres=shard:20` job runs a 2-node step A holding 60% of its slice on each
# node, then a step B only on n2 (`srun -w n2 --overlap`). Slurm numbers B's
# only node 0 (S_JOB_NODEID counts the step's nodes), A's n2 node 1; the
# plugin names the job's directory by the node's place in the JOB's node
# list, so B joins A's ledger on n2 (same acct=, free memory = the job's room
# left) and does not get a ledger of its own. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
plan 20
e2e_up mnledger --nodes 2 --gpus 1 --spank --cli-filter
state=$e2e_dir/vgpu-state
cd "$e2e_tmp" || exit 1

# 20 of the GPU's shards: (Memory - DriverReserved) * 20 / ShardsPerGpu (120
# by default), from the GpuType line vgpu conf wrote; every context is
# charged ContextMemory.
type_line=$(grep '^GpuType=h100 ' "$e2e_dir/etc/vgpu.conf")
mib() { echo "$type_line" | sed -n "s/.* $1=\([0-9]*\)M.*/\1/p"; }
mem=$(mib Memory) drv=$(mib DriverReserved) ctx=$(($(mib ContextMemory) * 1048576))
per=$(sed -n 's/^ShardsPerGpu=\([0-9]*\).*/\1/p' "$e2e_dir/etc/vgpu.conf")
S=$((20 * (mem - drv) * 1048576 / ${per:-120}))
A=$((S * 6 / 10 / 2097152 * 2097152)) # 60% of the slice, in the shim's 2 MiB granules
R=$((S - A - 2 * ctx))                # the room: less A's context and step B's own

cat >"$e2e_tmp/job.sh" <<EOF
#!/bin/bash
srun -N2 -n2 bash -c '$probe dlopen init alloc mem $A hold >$e2e_tmp/hold.\$SLURMD_NODENAME 2>&1' &
t=0
until [ "\$(cat $e2e_tmp/hold.n1 $e2e_tmp/hold.n2 2>/dev/null | grep -c '^hold: ready')" = 2 ] || [ \$t -ge 300 ]; do
	sleep 0.1; t=\$((t + 1))
done
ls -A $state >$e2e_tmp/dirs.out
srun -N1 -n1 -w n2 --overlap bash -c 'sed -n "s/^acct=//p" /etc/vgpu-step.desc; grep -E "^(gpu|job)" /etc/vgpu-step.desc; $probe dlopen init info alloc mem $A' >$e2e_tmp/b.out 2>&1
kill %1
wait
EOF
id=$(sbatch --parsable -N2 -o "$e2e_tmp/batch.out" --gres=shard:20 "$e2e_tmp/job.sh")
is_job "$id" COMPLETED "sbatch -N2 --gres=shard:20 (a 2-node holder step, then a step on n2 only) completed"
is "$(grep -h '^alloc' "$e2e_tmp/hold.n1" "$e2e_tmp/hold.n2" | tr '\n' ' ')" "alloc mem $A: 0 alloc mem $A: 0 " \
	"step A holds 60% of the slice on n1 and on n2"
is "$(grep -c "^job\.$id\." "$e2e_tmp/dirs.out")" 2 "two job directories while A runs: one per node"
ok "... named by the job's node index (job.$id.0 for n1, job.$id.1 for n2)" \
	grep -qx "job\.$id\.1" "$e2e_tmp/dirs.out"
is "$(sed -n 1p "$e2e_tmp/b.out")" "$state/job.$id.1/acct" "step B on n2 only: the accounting of the job on n2 (job.$id.1), A's"
like "$(sed -n 2p "$e2e_tmp/b.out")" "^gpu uuid=GPU-[0-9a-f-]+ mem=$S " "step B: its own limit is the job's 20 shards"
like "$(sed -n 3p "$e2e_tmp/b.out")" "^job uuid=GPU-[0-9a-f-]+ mem=$S " \
	"step B: it joined a live step, so it carries the job's cap on n2 (asked of slurmctld)"
is "$(grep '^info:' "$e2e_tmp/b.out")" "info: 0 $R $S" "step B: cuMemGetInfo shows the job's room on n2 ($R), not a fresh slice"
is "$(grep '^alloc' "$e2e_tmp/b.out")" "alloc mem $A: 2" "step B: 60% more on n2 fails with CUDA_ERROR_OUT_OF_MEMORY"
ok "the job's steps ended" e2e_wait_idle
is "$(ls -A "$state")" "" "no step or job directory left under StateDir"

e2e_health
e2e_down
done_testing
