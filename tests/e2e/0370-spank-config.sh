#!/bin/bash
# plugstack.conf mistakes on a 1-node, 1-GPU devcluster with the SPANK
# plugin `required` (plugins/spank/spank_config.c, doc/slurm-integration.md
# "plugstack.conf"): the plugin's line sits in an included file, as sites
# keep it. A typo'd argument, shim= naming libc, and shim= naming a copy of
# the simulator's libcuda.so.1 (the driver's own file name): every GPU step
# is refused, its tasks print the reason naming the included file, its line
# and the argument, slurmd's log says it too; jobs without GPUs run (and
# whole-GPU ones, except with a bad argument on 22.05); no node drains.
# shim= naming a copy of this build's shim runs (the shim is told by its
# identity, not its name), and the fixed file runs slices again.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
plan 36
e2e_up spankcfg --nodes 1 --gpus 1 --spank
cd "$e2e_tmp" || exit 1
ps=$e2e_dir/etc/plugstack.conf
inc=$e2e_dir/etc/plugstack.conf.d/vgpu.conf
line=$(grep '^required .*vgpu_spank.so' "$ps")
is "$(echo "$line" | wc -l)" 1 "the devcluster's plugstack.conf loads the plugin"
mkdir -p "$e2e_dir/etc/plugstack.conf.d"
printf '# plugstack.conf: the vgpu plugin is in plugstack.conf.d\ninclude plugstack.conf.d/*.conf\n' >"$ps"
# stack LINE: the included file holds LINE as its line 2
stack() { printf '# slurm-vgpu\n%s\n' "$1" >"$inc"; }
libc=$(readlink -f "$(ldd "$probe" | awk '$1 ~ /^libc\.so/ { print $3 }')")
cp "$VGPU_BUILDDIR/sim/.libs/libcuda.so.1" "$e2e_tmp/libcuda.so.1"
cp "$shim" "$e2e_tmp/shim-copy.so"
log=$e2e_dir/log/slurmd-n1.log

# One mistake: GPU steps refused with WHY (an extended regex), others run.
# 7 checks.
refused() {
	local what=$1 why=$2 out rc id n0
	n0=$(grep -cE "vgpu: $why; GPU steps are refused until it is fixed" "$log")
	out=$(timeout 30 srun -Q --gres=shard:10 "$probe" dlopen init info 2>&1)
	rc=$?
	ok "$what: srun --gres=shard:10 fails" test "$rc" -ne 0
	like "$out" "vgpu: this step's GPU slice cannot be enforced, so it does not run: $why" \
		"$what: the task says why, naming $inc:2"
	is "$(echo "$out" | grep -c '^info:')" 0 "$what: the probe never ran"
	is "$(timeout 30 srun -Q bash -c 'echo ran' 2>&1)" ran "$what: srun without GPUs runs"
	id=$(sbatch --parsable -o "$e2e_tmp/b-%j.out" -e "$e2e_tmp/b-%j.out" --gres=shard:10 --wrap "$probe dlopen init info")
	is_job "$id" FAILED "$what: sbatch --gres=shard:10 fails (its batch step refused)"
	id=$(sbatch --parsable -o "$e2e_tmp/b-%j.out" --wrap 'echo batch-ran')
	is_job "$id" COMPLETED "$what: sbatch without GPUs completes"
	ok "$what: slurmd's log names the file, line and argument" \
		test "$(grep -cE "vgpu: $why; GPU steps are refused until it is fixed" "$log")" -gt "$n0"
}

stack "$line ctxx=1G"
refused "typo ctxx=1G" "$inc:2: argument 3 'ctxx=1G': unknown argument 'ctxx=1G' \(expected conf=, shim=, ctx=, log= or preload=\)"
# whole GPUs: on 22.05 the plugin's check of slices beside them needs its
# configuration (Slurm 22.05 shard bug): refused; from 23.11, not its business
out=$(timeout 30 srun -Q --gres=gpu:1 bash -c 'echo ran' 2>&1)
if e2e_slurm_before 23.11; then
	like "$out" "vgpu: $inc:2: argument 3 'ctxx=1G': .*a whole-GPU step is not run" "typo: a whole-GPU step is refused on $(e2e_slurm) (its guard needs the configuration)"
else
	is "$out" ran "typo: a whole-GPU step runs on $(e2e_slurm) (no guard there)"
fi

noshim="shim [^ ]* is a shared object without the slurm-vgpu shim identity \(note 'slurm-vgpu'\): not the slurm-vgpu shim"
stack "${line% shim=*} shim=$libc"
refused "shim=libc" "$inc:2: ${noshim/\[^ \]\*/$libc}"
# the check of whole GPUs needs vgpu.conf, not the shim: they run everywhere
is "$(timeout 30 srun -Q --gres=gpu:1 bash -c 'echo ran' 2>&1)" ran "shim=libc: a whole-GPU step runs"
stack "${line% shim=*} shim=$e2e_tmp/libcuda.so.1"
refused "shim=copy of the simulator's libcuda.so.1" "$inc:2: ${noshim/\[^ \]\*/$e2e_tmp/libcuda.so.1}"

# A copy of this build's shim is the shim; the original line runs again.
stack "${line% shim=*} shim=$e2e_tmp/shim-copy.so"
out=$(timeout 30 srun -Q --gres=shard:10 bash -c 'echo "$LD_PRELOAD"; exec "$0" dlopen init info' "$probe" 2>&1)
is "$(echo "$out" | sed -n 1p)" "$e2e_tmp/shim-copy.so" "shim=a copy of this build's shim: preloaded"
like "$(echo "$out" | grep '^info:')" '^info: 0 [0-9]+ [0-9]+$' "shim=a copy of this build's shim: the step runs under it"
stack "$line"
out=$(timeout 30 srun -Q --gres=shard:10 "$probe" dlopen init info 2>&1)
like "$(echo "$out" | grep '^info:')" '^info: 0 [0-9]+ [0-9]+$' "the original line: slice steps run again"

e2e_expected_errors='vgpu: .*(plugstack\.conf\.d/vgpu\.conf:2: |a whole-GPU step is not run)|error: .*(exited with exit code 1|Exit code 1)|batch job .* complete'
e2e_health
e2e_down
done_testing
