#!/bin/bash
# A node with GPUs of two types (devcluster --model h100+a100: GPU 0 an
# H100, GPU 1 an A100): what type= placement does and does not do there
# (doc/slurm-integration.md, "GPU types"). `vgpu conf` gives the node both
# features and a comment; a type=a100 slice is confined to the node, not to
# its A100: Slurm puts the job's untyped shards on the first GPU with room,
# the H100, and the step's limits are those of the GPU it got (K shards of
# an H100, K what `vgpu request` says the a100 slice takes), so the slice is enforced but of the other type. With GPU 0
# full, it gets the A100. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plain_build
command -v python3 >/dev/null 2>&1 || skip_all "the devcluster needs python3 for a node with two GPU types"
[ -e "$VGPU_BUILDDIR/plugins/spank/.libs/vgpu_spank.so" ] || skip_all "the SPANK plugin is not built (libslurm-dev?)"
[ -e "$VGPU_BUILDDIR/plugins/job_submit/.libs/job_submit_vgpu.so" ] || skip_all "job_submit/vgpu is not built (libslurm-dev?)"
[ -e "$VGPU_BUILDDIR/plugins/cli_filter/.libs/cli_filter_vgpu.so" ] || skip_all "cli_filter_vgpu.so is not built (libslurm-dev?)"
plan 20
e2e_up mixed --nodes 1 --gpus 1 --model h100+a100 --spank --cli-filter --job-submit
cd "$e2e_tmp" || exit 1

is "$(sinfo -h -N -o '%N %f')" "n1 vgpu_h100,vgpu_a100" "sinfo: n1 has both features"
is "$(grep -c '^# NodeName=n1: GPUs of 2 types; a type= slice may be placed on a GPU of the other type' "$e2e_dir/etc/slurm.conf")" 1 \
	"slurm.conf: vgpu conf's comment on the mixed node"
is "$(sed -n 's/^NodeName=n1 Name=gpu \(Type=[a-z0-9]*\) File=.*\/\(nvidia[0-9]\).*/\1 \2/p' "$e2e_dir/etc/gres.conf" | tr '\n' ' ')" \
	"Type=h100 nvidia0 Type=a100 nvidia1 " "gres.conf: GPU 0 an h100, GPU 1 an a100"

# K shards of S, and each type's usable bytes (Memory less DriverReserved),
# from the vgpu.conf vgpu conf wrote; a slice's memory is floor(K * U / S).
conf=$e2e_dir/etc/vgpu.conf
set -- $("$VGPU_BUILDDIR/vgpu" request -c "$conf" -t a100 mem=10G:type=a100 | sed -n 's/^a100 *\([0-9]*\) of \([0-9]*\) shards.*/\1 \2/p')
K=${1:-?} S=${2:-?}
bytes() { # bytes SIZE: a vgpu.conf size (K/M/G/T suffix) in bytes
	local n=${1%[KMGT]}
	case $1 in *K) echo $((n << 10)) ;; *M) echo $((n << 20)) ;; *G) echo $((n << 30)) ;; *T) echo $((n << 40)) ;; *) echo "$1" ;; esac
}
usable() { # usable TYPE: bytes
	local l m d
	l=$(grep "^GpuType=$1 " "$conf")
	m=$(echo "$l" | sed -n 's/.* Memory=\([0-9]*[KMGT]*\) .*/\1/p')
	d=$(echo "$l" | sed -n 's/.* DriverReserved=\([0-9]*[KMGT]*\) .*/\1/p')
	echo $(($(bytes "$m") - $(bytes "${d:-0}")))
}
like "$K $S" '^[0-9]+ [0-9]+$' "vgpu request: a type=a100 mem=10G slice takes $K of $S shards"
Uh=$(usable h100) Ua=$(usable a100)

# The batch step prints its GPU index and its slice's memory (bytes).
script='echo "$SLURM_JOB_GPUS"; grep "^gpu" "$VGPU_STEP_DESC" | sed "s/.* mem=\([0-9]*\) .*/\1/"'

id=$(sbatch --parsable -o "$e2e_tmp/a.out" -e /dev/null --gres=vgpu:mem=10G:type=a100 --wrap "$script")
is_job "$id" COMPLETED "type=a100 on the mixed node completed"
is "$(sed -n 1p "$e2e_tmp/a.out")" 0 "... but Slurm gave it GPU 0, the H100 (features confine the node, not the GPU)"
is "$(sed -n 2p "$e2e_tmp/a.out")" $((K * Uh / S)) "... and ran with $K shards of the H100 ($K/$S of its usable memory)"

# With GPU 0 full, the same request gets GPU 1, the A100.
hold=$(e2e_hold --gres=shard:$S -o /dev/null)
is_job "$hold" RUNNING "a job holding GPU 0's $S shards runs"
id=$(sbatch --parsable -o "$e2e_tmp/b.out" -e /dev/null --gres=vgpu:mem=10G:type=a100 --wrap "$script")
is_job "$id" COMPLETED "type=a100 with GPU 0 full completed"
is "$(sed -n 1p "$e2e_tmp/b.out")" 1 "... on GPU 1, the A100"
is "$(sed -n 2p "$e2e_tmp/b.out")" $((K * Ua / S)) "... with $K shards of the A100"
e2e_release "$hold"

e2e_health
e2e_down
done_testing
