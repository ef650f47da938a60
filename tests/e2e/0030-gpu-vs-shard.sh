#!/bin/bash
# (b) A whole-GPU job never lands on a GPU that holds shards (the generated
# gres.conf puts Type= on every gpu line; slurm.md "Shared GRES"). On a
# 1-node, 2-GPU devcluster: a shard job takes one GPU, a gpu:1 job gets the
# other, a second gpu:1 job pends while the shards are held, and gets the
# shard GPU once they are released. Shard jobs pack onto the shard GPU
# meanwhile. A shard request larger than one GPU, though within the node's
# total, is accepted and pends forever (Slurm 22.05). Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
plan 29
e2e_up gpuvs --nodes 1 --gpus 2

is "$(grep -c '^NodeName=n1 Name=gpu Type=h100 File=' "$e2e_dir/etc/gres.conf")" 2 "gres.conf: both gpu lines carry Type="

s1=$(e2e_hold --gres=shard:10)
is_job "$s1" RUNNING "shard:10 job runs"
sgpu=$(e2e_gres_idx "$s1")
like "$sgpu" '^[01]$' "it holds shards of one GPU ($sgpu)"
g1=$(e2e_hold --gres=gpu:1)
is_job "$g1" RUNNING "gpu:1 job runs"
is "$(e2e_gres_idx "$g1")" "$((1 - sgpu))" "on the other GPU, not the one holding shards"
# shard:90 goes before the second gpu:1 job: from 23.11 a shard job queued
# behind a pending whole-GPU job waits for it (Reason=Priority; backfill
# does not start it), where 22.05 packs it at once.
s2=$(e2e_hold --gres=shard:90)
is_job "$s2" RUNNING "shard:90 packs next to shard:10"
is "$(e2e_gres_idx "$s2")" "$sgpu" "on GPU $sgpu too"
g2=$(e2e_hold --gres=gpu:1)
is_job "$g2" PENDING Resources "a second gpu:1 job pends for Resources (GPU $sgpu holds shards)"
s3=$(e2e_hold --gres=shard:1)
is_job "$s3" PENDING "shard:1 pends: GPU $sgpu is full, GPU $((1 - sgpu)) is whole-allocated"
is "$(e2e_job_state "$g2")" "PENDING Resources" "gpu:1 still pends"

# Larger than a GPU (100) but within the node (200): accepted, never placed.
big=$(sbatch --parsable -o /dev/null --gres=shard:150 --wrap true 2>&1)
like "$big" '^[0-9]+$' "shard:150 (more than one GPU, less than the node) is accepted at submit"

e2e_release "$s1" "$s2"
is_job "$s1" COMPLETED "shard jobs end"
is_job "$g2" RUNNING "the pending gpu:1 job runs once GPU $sgpu holds no shards"
is "$(e2e_gres_idx "$g2")" "$sgpu" "on GPU $sgpu"
like "$(e2e_job_state "$s3")" "^PENDING (Resources|Priority)$" "shard:1 pends: both GPUs are whole-allocated"
e2e_release "$g1"
is_job "$s3" RUNNING "shard:1 runs when GPU $((1 - sgpu)) is free"
e2e_release "$g2" "$s3"
is_job "$g2" COMPLETED "gpu:1 ends"
is_job "$s3" COMPLETED "shard:1 ends: only shard:150 is left"
# A scheduling pass with both GPUs free: the canary runs, shard:150 does not.
canary=$(e2e_hold --gres=shard:1)
is_job "$canary" RUNNING "a shard:1 canary runs on the free GPUs"
is "$(e2e_job_state "$big")" "PENDING Resources" "shard:150 still pends with two free GPUs: shards never span GPUs"
scancel "$big"
e2e_release "$canary"

e2e_health
e2e_down
done_testing
