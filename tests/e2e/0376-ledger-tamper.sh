#!/bin/bash
# The job's ledger tampered with under Slurm (src/shim/vgpu_ledger_guard.c,
# doc/shim.md "The ledger: faults and tampering"), on a 1-node, 1-GPU
# devcluster with the SPANK plugin. A shard:20 batch job runs a process that
# holds 1 GiB through the shim; the job then rewrites its ledger's header in
# place (8 bytes at offset 112, the nonce; StateDir/job.JOB.NODE/acct/
# UUID.ledger, as the job's user may):
# a new process is refused memory (its context already) with a message
# naming the file,
# and the holder's next allocation is refused too (fails closed), while a
# second job on the same GPU, with its own ledger, allocates as before.
# On the layout-3 ledger (cdd0550) both allocations succeeded.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
plan 13
e2e_up ltamper --nodes 1 --gpus 1 --spank
state=$e2e_dir/vgpu-state
G=1073741824
cd "$e2e_tmp" || exit 1

cat >"$e2e_tmp/job.sh" <<EOF
#!/bin/bash
exec 2>&1
mkfifo $e2e_tmp/go
$probe dlopen init alloc mem $G hold alloc mem $G >$e2e_tmp/holder.out 2>&1 &
t=0; until grep -q '^hold: ready' $e2e_tmp/holder.out 2>/dev/null || [ \$t -gt 300 ]; do sleep 0.1; t=\$((t + 1)); done
f=\$(ls $state/job.\$SLURM_JOB_ID.*/acct/*.ledger)
echo "ledger: \$f"
printf 'FORGED!!' | dd of="\$f" bs=1 seek=112 conv=notrunc status=none
$probe dlopen init alloc mem $G
kill -USR1 %1
wait
cat $e2e_tmp/holder.out
EOF
chmod +x "$e2e_tmp/job.sh"
id=$(sbatch --parsable -o "$e2e_tmp/job.out" --gres=shard:20 "$e2e_tmp/job.sh")
other=$(sbatch --parsable -o "$e2e_tmp/other.out" --gres=shard:20 --wrap "$probe dlopen init alloc mem $G")
e2e_wait_job "$id" COMPLETED
e2e_wait_job "$other" COMPLETED
out=$(cat "$e2e_tmp/job.out")
like "$out" "ledger: $state/job\\.$id\\.[^ ]*/acct/GPU-[^ ]*\\.ledger" "the job's ledger is in its acct directory"
like "$out" "ctx 0: 2" "after the header is rewritten, a new process cannot even make its context (CUDA_ERROR_OUT_OF_MEMORY)"
like "$out" "acct/GPU-[^ ]*\\.ledger: (belongs to|the header's checksum is wrong|a process of the job found)" \
	"its message names the ledger file"
like "$out" "hold: ready" "the holder held 1 GiB before"
like "$out" "alloc mem $G: 0
hold: ready" "the holder's first 1 GiB was allocated"
like "$(echo "$out" | tail -3)" "alloc mem $G: 2" "the holder's next allocation fails too (closed for the job)"
like "$out" "its header was rewritten; no more memory is given on this GPU to this job" "the holder says why"
like "$(cat "$e2e_tmp/other.out")" "alloc mem $G: 0" "another job on the GPU allocates as before"
is "$(ls "$state" 2>/dev/null | grep -c "^job\\.$id\\.")" 0 "the job's directory is removed at its end"
e2e_down
