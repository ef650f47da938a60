#!/bin/bash
# type= placement (doc/slurm-integration.md, "GPU types"): a devcluster with
# two GPU types, n1 one H100 and n2 one A100 (strict accounting, S shards
# per GPU, 120 by default; limits from the GpuType lines vgpu conf wrote). `vgpu conf` gives each node the feature vgpu_TYPE; the cli_filter
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
plan 33
e2e_up types --nodes 2 --gpus 1 --model h100,a100 --spank --cli-filter --job-submit
cd "$e2e_tmp" || exit 1

is "$(sinfo -h -N -o '%N %f' | sort | tr '\n' ' ')" "n1 vgpu_h100 n2 vgpu_a100 " "sinfo: n1 has feature vgpu_h100, n2 vgpu_a100 (from vgpu conf)"

# job_where ID: "NODE FEATURES" of a job (Features= is its constraint).
job_where() {
	scontrol -o show job "$1" | sed -n 's/.* NodeList=\([^ ]*\) .*Features=\([^ ]*\) .*/\1 \2/p'
}
# The batch step and an srun step inside print their node and slice.
script='echo "batch $SLURMD_NODENAME $VGPU_REQUEST"; grep "^gpu" "$VGPU_STEP_DESC" | sed "s/uuid=[^ ]* //"; srun bash -c '\''echo "step $SLURMD_NODENAME"; grep "^gpu" "$VGPU_STEP_DESC" | sed "s/uuid=[^ ]* //"'\'''

# From the vgpu.conf vgpu conf wrote: S, each type's usable MiB (Memory less
# DriverReserved), the context charge, and the shards (K) a mem=10G slice
# takes per type (`vgpu request`); a slice of K shards has floor(K * U / S)
# bytes and floor(K * 10000 / S) of the SMs.
conf=$e2e_dir/etc/vgpu.conf
mib() { # mib SIZE: a vgpu.conf size (M/G/T) in MiB
	local n=${1%[MGT]}
	case $1 in *M) echo "$n" ;; *G) echo $((n << 10)) ;; *T) echo $((n << 20)) ;; *) echo $(($1 >> 20)) ;; esac
}
key() { grep "^GpuType=$1 " "$conf" | sed -n "s/.* $2=\([0-9]*[MGT]*\) .*/\1/p"; }
usable_mib() { echo $(($(mib "$(key "$1" Memory)") - $(mib "$(key "$1" DriverReserved)"))); }
Uh=$(usable_mib h100) Ua=$(usable_mib a100) ctx=$(mib "$(key a100 ContextMemory)")
S=$(sed -n 's/^ShardsPerGpu=\([0-9]*\).*/\1/p' "$conf")
S=${S:-120}
shards_of() { "$VGPU_BUILDDIR/vgpu" request -c "$conf" -t "$1" "$2" | sed -n "s/^$1 *\([0-9]*\) of .*/\1/p"; }
Ka=$(shards_of a100 mem=10G:type=a100) Kh=$(shards_of h100 mem=10G:type=h100)
like "$Ka $Kh $ctx" '^[0-9]+ [0-9]+ [0-9]+$' "vgpu request: mem=10G takes $Ka shards of an A100, $Kh of an H100 (of $S); contexts $ctx MiB"

# type=a100: n2, though n1 is free and Slurm tries n1 first.
id=$(sbatch --parsable -o "$e2e_tmp/a.out" -e "$e2e_tmp/a.err" --gres=vgpu:mem=10G:type=a100 --wrap "$script")
is_job "$id" COMPLETED "sbatch --gres=vgpu:mem=10G:type=a100 completed"
is "$(job_where "$id")" "n2 vgpu_a100" "... on n2 (the A100), constrained to vgpu_a100"
la="gpu mem=$((Ka * Ua * 1048576 / S)) sm=$((Ka * 10000 / S)) ctx=$((ctx * 1048576))"
is "$(cat "$e2e_tmp/a.out")" "batch n2 mem=10G:type=a100
$la
step n2
$la" "... its batch step and its srun step: $Ka of $S shards of the A100"
is "$(cat "$e2e_tmp/a.err")" "" "... and nothing on stderr"

# type=h100 while n1 is full: it waits for n1 instead of taking the free A100.
hold=$(e2e_hold --gres=shard:$S -w n1 -o /dev/null)
is_job "$hold" RUNNING "a job holding all $S shards of n1's H100 runs"
id=$(sbatch --parsable -o "$e2e_tmp/h.out" -e "$e2e_tmp/h.err" --gres=vgpu:mem=10G:type=h100 --wrap "$script")
is_job "$id" PENDING Resources "sbatch --gres=vgpu:mem=10G:type=h100 pends (Resources) while n2's A100 is free"
e2e_release "$hold"
is_job "$id" COMPLETED "... and runs once n1 is free"
is "$(job_where "$id")" "n1 vgpu_h100" "... on n1 (the H100)"
like "$(cat "$e2e_tmp/h.out")" "^batch n1 mem=10G:type=h100
gpu mem=$((Kh * Uh * 1048576 / S)) sm=$((Kh * 10000 / S)) ctx=$((ctx * 1048576))
step n1
gpu mem=$((Kh * Uh * 1048576 / S)) sm=$((Kh * 10000 / S)) ctx=$((ctx * 1048576))$" "... its batch step and srun step: $Kh shards of the H100"

# Untyped, on two types: a size (with its context) above what the smaller
# type offers and within the larger one's fits only the larger: the
# cli_filter constrains it to that type's feature.
if [ "$Uh" -gt "$Ua" ]; then big=h100 bign=n1; else big=a100 bign=n2; fi
lo=$((Uh < Ua ? Uh : Ua)) hi=$((Uh > Ua ? Uh : Ua))
if [ "$hi" -gt $((lo + 1)) ]; then
	m=$(((lo + hi) / 2 + 1 - ctx))M
	id=$(sbatch --parsable -o /dev/null -e /dev/null --gres=vgpu:mem=$m --wrap true)
	is_job "$id" COMPLETED "sbatch --gres=vgpu:mem=$m (untyped; $lo and $hi MiB usable, $ctx MiB a context) completed"
	is "$(job_where "$id")" "$bign vgpu_$big" "... on $bign, constrained to vgpu_$big: only the $big holds it"
	out=$(timeout 30 srun --gres=vgpu:mem=$m bash -c 'echo $SLURMD_NODENAME $SLURM_SHARDS_ON_NODE' 2>&1)
	is "$out" "$bign $S" "srun --gres=vgpu:mem=$m (untyped) runs on $bign with all $S shards"
else
	for i in 1 2 3; do skip "untyped placement by size" "the two simulated types offer the same usable memory ($lo/$hi MiB): no size fits only one"; done
fi
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
