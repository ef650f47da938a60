#!/bin/bash
# vgpu-devcluster up --slurm REL for a release other than the one the tests
# run on: the daemons run inside that release's chroot (tools/vgpu-chroot),
# `exec` runs the same srun/sbatch/vgpu show lines there, the cluster
# directory has the same path inside and outside, restart-slurmd works, and
# down stops exactly the recorded processes and leaves nothing mounted.
# Needs a chroot already made (tools/check.sh makes them first; this test
# never makes one): skipped otherwise. The build for that release is
# build/slurm-REL of the source tree (made by up when missing).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
# (its cluster does not use this build: once, in the plain suite, is enough)
e2e_need_plain_build
chroot_tool=$VGPU_SRCDIR/tools/vgpu-chroot
here=$(e2e_slurm)
rel=
for r in ${VGPU_RELEASES-24.11 26.05} 22.05; do
	[ "$r" != "$here" ] || continue
	if [ -e "$("$chroot_tool" path "$r")/.vgpu-chroot" ]; then
		rel=$r
		break
	fi
done
[ -n "$rel" ] || skip_all "no chroot of another Slurm release than $here (tools/vgpu-chroot ensure 24.11)"
command -v unshare >/dev/null 2>&1 || skip_all "unshare is not installed (util-linux)"
root=$("$chroot_tool" path "$rel")
plan 20

name=e2e-rel-$$
e2e_more_names=$name
out=$("$devcluster" up --slurm "$rel" --name "$name" --nodes 1 --gpus 2 --spank --cli-filter=c --job-submit 2>&1)
is "$?" 0 "up --slurm $rel starts a cluster"
[ "$tap_failed" -eq 0 ] || { diag "$out"; echo "Bail out! up --slurm $rel failed"; exit 1; }
like "$out" "Slurm $rel\\.[0-9]+ in the chroot $root" "up says which Slurm runs, and where"
dir=$(sed -n 's/^  directory  //p' <<<"$out")
x() { "$devcluster" exec --name "$name" -- "$@"; }

like "$(x sinfo -V)" "^slurm(-wlm)? $rel\\." "exec: the clients are the chroot's ($rel)"
is "$(x cat /etc/debian_version)" "$(cat "$root/etc/debian_version")" "exec runs inside the chroot"
pids=$(awk '{ print $2 }' "$dir/run/pids")
bad=
for p in $pids; do
	[ "$(readlink "/proc/$p/root")" = "$root" ] || bad="$bad $p:$(readlink "/proc/$p/root")"
done
is "$bad" "" "every recorded daemon runs with the chroot as its root ($(echo $pids | wc -w) daemons)"
like "$(awk '$1 == "slurmctld" { print $2 }' "$dir/run/pids")" "^[0-9]+$" "slurmctld is recorded by its pid"
is "$(grep -c " $root" /proc/self/mounts)" 0 "nothing of the chroot is mounted on this side"

# The shards a slice takes, as the cluster's own vgpu.conf gives them.
shards() { x vgpu request -c "$dir/etc/vgpu.conf" -t h100 "$1" | sed -n 's/^h100 *\([0-9]*\) of .*/\1/p'; }
k10=$(shards mem=10G) k20=$(shards mem=20G)
echo "seen by jobs" >"$dir/hello.txt"
out=$(x srun --gres=vgpu:mem=10G sh -c "cat $dir/hello.txt; echo \$SLURM_SHARDS_ON_NODE \${VGPU_STEP_DESC:+desc}" 2>&1)
is "$out" "seen by jobs
${k10:-?} desc" "srun --gres=vgpu:mem=10G: a file of the cluster directory is seen, $k10 shards (vgpu request), the shim's step description"
id=$(x sbatch --parsable -o "$dir/job.out" --gres=vgpu:mem=20G --wrap 'sleep 60' 2>&1)
like "$id" '^[0-9]+$' "sbatch --gres=vgpu:mem=20G is accepted"
t=150
until [ "$(x squeue -h -j "$id" -o %T 2>/dev/null)" = RUNNING ] || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
like "$(x vgpu show 2>&1)" "job $id +root +${k20:-?} shards" "exec -- vgpu show lists the slice ($k20 shards)"
refused=$(x sbatch --gres=vgpu:mem=500G --wrap true 2>&1)
is "$?" 1 "an impossible request is refused at submit"
like "$refused" "vgpu: " "... by the project's plugins, with their message"

out=$("$devcluster" restart-slurmd --name "$name" --node n1 2>&1)
is "$?" 0 "restart-slurmd works for a chroot cluster"
newpid=$(awk '$1 == "slurmd-n1" { print $2 }' "$dir/run/pids")
is "$(readlink "/proc/$newpid/root")" "$root" "... and the new slurmd runs in the chroot too"
is "$(x squeue -h -j "$id" -o %T)" RUNNING "the batch job kept running"
x scancel "$id"

out=$("$devcluster" status --name "$name" 2>&1)
is "$?" 0 "status: every daemon runs"
procs=$(awk '{ print $2 }' "$dir/run/pids")
out=$("$devcluster" down --name "$name" 2>&1)
is "$?" 0 "down exits 0"
left=
for p in $procs; do
	[ -d "/proc/$p" ] && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ] && left="$left $p"
done
is "$left" "" "down: no recorded process left"
ok "down removed the directory" test ! -e "$dir"
is "$(grep -c -e " $root" -e " $dir" /proc/self/mounts)" 0 "nothing left mounted"
e2e_more_names=
done_testing
