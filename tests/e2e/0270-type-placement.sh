#!/bin/bash
# type= placement (doc/slurm-integration.md, "GPU types"): a devcluster with
# two GPU types, n1 one H100 and n2 one A100 (strict accounting, 100 shards
# per GPU). `vgpu conf` gives each node the feature vgpu_TYPE; the cli_filter
# turns type= (and an untyped request that fits only some types) into
# --constraint. Shown: type=a100 lands on n2 although n1 is free and first;
# type=h100 waits for n1 while n2 is free; an untyped request that only an
# A100 holds goes to n2; steps inside typed jobs work (also with their own
# typed --gres=vgpu); the user's --constraint is kept (AND-ed); what
# 22.05 cannot express is refused at submit. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plain_build
[ -e "$VGPU_BUILDDIR/plugins/spank/.libs/vgpu_spank.so" ] || skip_all "the SPANK plugin is not built (libslurm-dev?)"
[ -e "$VGPU_BUILDDIR/plugins/job_submit/.libs/job_submit_vgpu.so" ] || skip_all "job_submit/vgpu is not built (libslurm-dev?)"
[ -e "$VGPU_BUILDDIR/plugins/cli_filter/.libs/cli_filter_vgpu.so" ] || skip_all "cli_filter_vgpu.so is not built (libslurm-dev?)"
plan 32
e2e_up types --nodes 2 --gpus 1 --model h100,a100 --spank --cli-filter --job-submit
cd "$e2e_tmp" || exit 1

is "$(sinfo -h -N -o '%N %f' | sort | tr '\n' ' ')" "n1 vgpu_h100 n2 vgpu_a100 " "sinfo: n1 has feature vgpu_h100, n2 vgpu_a100 (from vgpu conf)"

# job_where ID: "NODE FEATURES" of a job (Features= is its constraint).
job_where() {
	scontrol -o show job "$1" | sed -n 's/.* NodeList=\([^ ]*\) .*Features=\([^ ]*\) .*/\1 \2/p'
}
# The batch step and an srun step inside print their node and slice.
script='echo "batch $SLURMD_NODENAME $VGPU_REQUEST"; grep "^gpu" "$VGPU_STEP_DESC" | sed "s/uuid=[^ ]* //"; srun bash -c '\''echo "step $SLURMD_NODENAME"; grep "^gpu" "$VGPU_STEP_DESC" | sed "s/uuid=[^ ]* //"'\'''

# type=a100: n2, though n1 is free and Slurm tries n1 first.
id=$(sbatch --parsable -o "$e2e_tmp/a.out" -e "$e2e_tmp/a.err" --gres=vgpu:mem=10G:type=a100 --wrap "$script")
is_job "$id" COMPLETED "sbatch --gres=vgpu:mem=10G:type=a100 completed"
is "$(job_where "$id")" "n2 vgpu_a100" "... on n2 (the A100), constrained to vgpu_a100"
is "$(cat "$e2e_tmp/a.out")" "batch n2 mem=10G:type=a100
gpu mem=11166914969 sm=1300 ctx=0
step n2
gpu mem=11166914969 sm=1300 ctx=0" "... its batch step and its srun step: 13 of 100 shards of the 80G A100"
is "$(cat "$e2e_tmp/a.err")" "" "... and nothing on stderr"

# type=h100 while n1 is full: it waits for n1 instead of taking the free A100.
hold=$(e2e_hold --gres=shard:100 -w n1 -o /dev/null)
is_job "$hold" RUNNING "a job holding all 100 shards of n1's H100 runs"
id=$(sbatch --parsable -o "$e2e_tmp/h.out" -e "$e2e_tmp/h.err" --gres=vgpu:mem=10G:type=h100 --wrap "$script")
is_job "$id" PENDING Resources "sbatch --gres=vgpu:mem=10G:type=h100 pends (Resources) while n2's A100 is free"
e2e_release "$hold"
is_job "$id" COMPLETED "... and runs once n1 is free"
is "$(job_where "$id")" "n1 vgpu_h100" "... on n1 (the H100)"
like "$(cat "$e2e_tmp/h.out")" "^batch n1 mem=10G:type=h100
gpu mem=[0-9]+ sm=1300 ctx=0
step n1
gpu mem=[0-9]+ sm=1300 ctx=0$" "... its batch step and srun step: 13 shards of the H100"

# Untyped, on two types: 80G fits one A100 (80 GiB usable), not one H100
# (79.6 GiB): the cli_filter constrains it to vgpu_a100.
id=$(sbatch --parsable -o /dev/null -e /dev/null --gres=vgpu:mem=80G --wrap true)
is_job "$id" COMPLETED "sbatch --gres=vgpu:mem=80G (untyped) completed"
is "$(job_where "$id")" "n2 vgpu_a100" "... on n2, constrained to vgpu_a100: only the A100 holds it"
out=$(timeout 30 srun --gres=vgpu:mem=80G bash -c 'echo $SLURMD_NODENAME $SLURM_SHARDS_ON_NODE' 2>&1)
is "$out" "n2 100" "srun --gres=vgpu:mem=80G (untyped) runs on n2 with 100 shards"
out=$(timeout 30 srun --gres=vgpu:mem=1G bash -c 'echo $SLURMD_NODENAME' 2>&1)
is "$out" "n1" "srun --gres=vgpu:mem=1G fits both types: no constraint, Slurm's first node n1"

# srun and salloc allocations carry the constraint too; a typed step
# inside a typed allocation works.
out=$(timeout 30 srun --gres=vgpu:mem=1G:type=a100 bash -c 'echo $SLURMD_NODENAME $VGPU_REQUEST' 2>&1)
is "$out" "n2 mem=1G:type=a100" "srun --gres=vgpu:mem=1G:type=a100: n2"
out=$(timeout 30 salloc --gres=vgpu:mem=2G:type=a100 srun --gres=vgpu:mem=1G:type=a100 bash -c 'echo $SLURMD_NODENAME $SLURM_SHARDS_ON_NODE' 2>/dev/null)
is "$out" "n2 2" "salloc --gres=vgpu:mem=2G:type=a100 on n2; its step --gres=vgpu:mem=1G:type=a100 (2 shards) runs there"

# The user's constraint is kept, AND-ed.
id=$(sbatch --parsable -o /dev/null -e /dev/null --constraint='vgpu_h100|vgpu_a100' --gres=vgpu:mem=1G:type=a100 --wrap true)
is_job "$id" COMPLETED "sbatch --constraint='vgpu_h100|vgpu_a100' --gres=vgpu:mem=1G:type=a100 completed"
is "$(job_where "$id")" "n2 (vgpu_h100|vgpu_a100)&vgpu_a100" "... on n2, constraint (USER)&vgpu_a100"
out=$(timeout 30 sbatch --constraint=vgpu_h100 --gres=vgpu:mem=1G:type=a100 --wrap true 2>&1)
like "$out" "Requested node configuration is not available" "--constraint=vgpu_h100 with type=a100: no node has both, refused by Slurm"

# Refused at submit by the cli_filter, nothing queued.
out=$(timeout 30 sbatch --constraint='(vgpu_h100|vgpu_a100)' --gres=vgpu:mem=1G:type=a100 --wrap true 2>&1)
like "$out" "^sbatch: error: vgpu: --constraint '\(vgpu_h100\|vgpu_a100\)' cannot be combined with the GPU type constraint 'vgpu_a100'" \
	"sbatch --constraint with parentheses and type=: refused (22.05 cannot nest them)"
out=$(timeout 30 srun --constraint='[vgpu_h100|vgpu_a100]' --gres=vgpu:mem=1G:type=h100 true 2>&1)
like "$out" "^srun: error: vgpu: --constraint '\[vgpu_h100\|vgpu_a100\]' cannot be combined" "srun --constraint with brackets: refused"
out=$(timeout 30 salloc --gres=vgpu:mem=1G:type=l40s true 2>&1)
like "$out" "^salloc: error: vgpu: request 'mem=1G,type=l40s': type 'l40s' is not configured \(configured: h100, a100\)" \
	"salloc type=l40s: no such type on this cluster, refused"
is "$(squeue -h -o %i -t PD,R)" "" "nothing was queued by the refused requests"

e2e_health
e2e_down
done_testing
