#!/bin/bash
# (a) Shards fill ONE GPU, and no more: on a 1-node, 1-GPU devcluster (strict
# accounting: 120 shards, the default), four --gres=shard:30 jobs run, a fifth pends for
# Resources, and runs as soon as one of the four ends. Then (e): the
# daemons are healthy and `down` leaves nothing behind.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
plan 21
e2e_up fill --nodes 1 --gpus 1

like "$(sinfo -h -N -o '%N %G')" '^n1 gpu:h100:1,shard:h100:120$' "n1 offers one GPU and its 120 shards"

ids=
for i in 1 2 3 4; do
	ids="$ids $(e2e_hold --gres=shard:30)"
done
set -- $ids
for id in "$@"; do
	is_job "$id" RUNNING "shard:30 job $id runs"
done
is "$(for id in "$@"; do e2e_gres_idx "$id"; done | sort -u)" 0 "all four hold shards of GPU 0"
fifth=$(e2e_hold --gres=shard:30)
is_job "$fifth" PENDING Resources "a fifth shard:30 job pends for Resources"
# Still pending after a scheduling pass with nothing changed.
scontrol reconfigure >/dev/null 2>&1 || true
is "$(e2e_job_state "$fifth")" "PENDING Resources" "and keeps pending while the GPU is full"
# A request of more shards than any GPU has is refused at submit.
out=$(sbatch --gres=shard:121 --wrap true 2>&1)
like "$out" 'Requested node configuration is not available' "shard:121 on 120-shard GPUs is refused at submit"

e2e_release "$1"
is_job "$1" COMPLETED "job $1 completes when released"
is_job "$fifth" RUNNING "the fifth job runs once a quarter of the GPU is free"
is "$(e2e_gres_idx "$fifth")" 0 "on GPU 0"
e2e_release "$2" "$3" "$4" "$fifth"

e2e_health
e2e_down
done_testing
