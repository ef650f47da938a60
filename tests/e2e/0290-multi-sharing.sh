#!/bin/bash
# SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ (Slurm 23.11+) lets Slurm
# split one job's shards over several GPUs, so a slice would have no GPU of
# its own. slurm-vgpu refuses slices under it, in every layer, with a
# message that names the setting (src/lib/vgpu_slurmcheck.h):
#  1. a devcluster with the setting and all plugins (--spank --cli-filter=c
#     --job-submit): `vgpu conf --slurm-conf` warns with file:line; the
#     cli_filter refuses `sbatch --gres=vgpu:mem=10G` and `srun
#     --gres=shard:50`; job_submit/vgpu refuses them from a client without
#     the cli_filter (sbatch, srun, salloc) and a change to shards (scontrol
#     update, the reason through err_msg); nothing is queued; whole-GPU and
#     GPU-less jobs run. Then (e).
#  2. a devcluster with the setting and the SPANK plugin alone: Slurm
#     spreads `shard:150` (2 GPUs of 100 shards) over both GPUs; the step's
#     tasks print the reason and exit 1 (srun and a batch job), nothing of
#     them runs, the node is not drained. Then (e).
# Skipped before 23.11, which has no such setting.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
[ -e "$VGPU_BUILDDIR/plugins/cli_filter/.libs/cli_filter_vgpu.so" ] || skip_all "cli_filter_vgpu.so is not built"
[ -e "$VGPU_BUILDDIR/plugins/job_submit/.libs/job_submit_vgpu.so" ] || skip_all "job_submit_vgpu.so is not built"
e2e_slurm_before 23.11 && skip_all "Slurm $(e2e_slurm) has no SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ (23.11+)"
plan 45
why="this cluster's slurm.conf has SelectTypeParameters=...,MULTIPLE_SHARING_GRES_PJ, which lets Slurm split one job's shards over several GPUs, so a GPU slice (--gres=shard, --gres=vgpu) would have no GPU of its own: slurm-vgpu refuses slices until the administrator removes MULTIPLE_SHARING_GRES_PJ from SelectTypeParameters"
# the same text as an extended regex
whyre=$(printf '%s' "$why" | sed 's/[][().*+?{}|^$\\]/\\&/g')
gresre='(gres[:/])?'

# 1. every plugin.
e2e_up ms --nodes 1 --gpus 2 --spank --cli-filter=c --job-submit --select-params MULTIPLE_SHARING_GRES_PJ
cd "$e2e_tmp" || exit 1
log=$e2e_dir/log/slurmctld.log
# job_submit/vgpu says it once at start
e2e_expected_errors="job_submit/vgpu: $whyre"
line=$(grep -n '^SelectTypeParameters=' "$SLURM_CONF" | cut -d: -f1)
out=$("$VGPU_BUILDDIR/vgpu" conf --slurm-conf "$SLURM_CONF" 2>&1)
is "$?" 1 "vgpu conf --slurm-conf (the check alone) exits 1"
is "$out" "vgpu conf: warning: $SLURM_CONF:$line: SelectTypeParameters=CR_Core,MULTIPLE_SHARING_GRES_PJ: $why" \
	"... and warns with file:line, naming the setting"
like "$(grep 'job_submit/vgpu' "$log")" "error: job_submit/vgpu: $whyre" "slurmctld's log says it at start"

out=$(timeout 30 sbatch --gres=vgpu:mem=10G --wrap true 2>&1)
is "$?" 1 "sbatch --gres=vgpu:mem=10G exits 1"
like "$(printf '%s\n' "$out" | head -n 1)" "^sbatch: error: vgpu: --gres=${gresre}vgpu:mem=10G: $whyre\$" \
	"... refused by the cli_filter, naming the setting"
out=$(timeout 30 srun --gres=shard:50 true 2>&1)
is "$?" 1 "srun --gres=shard:50 exits 1"
like "$(printf '%s\n' "$out" | head -n 1)" "^srun: error: vgpu: --gres=${gresre}shard:50: $whyre\$" "... refused by the cli_filter"
out=$(timeout 30 salloc --gres=shard:10 true 2>&1)
like "$(printf '%s\n' "$out" | head -n 1)" "^salloc: error: vgpu: --gres=${gresre}shard:10: $whyre\$" "salloc --gres=shard:10 too"

# job_submit/vgpu behind a client without the cli_filter
mkdir -p own
sed -e '/^CliFilterPlugins/d' "$SLURM_CONF" >own/slurm.conf
cp "$e2e_dir/etc/gres.conf" own/
for c in sbatch srun salloc; do
	case $c in
	sbatch) out=$(SLURM_CONF=$e2e_tmp/own/slurm.conf timeout 30 sbatch --gres=shard:50 --wrap true 2>&1) ;;
	srun) out=$(SLURM_CONF=$e2e_tmp/own/slurm.conf timeout 30 srun --gres=shard:50 true 2>&1) ;;
	salloc) out=$(SLURM_CONF=$e2e_tmp/own/slurm.conf timeout 30 salloc --gres=shard:50 true 2>&1) ;;
	esac
	is "$?" 1 "$c --gres=shard:50 without the cli_filter exits 1"
	like "$(printf '%s\n' "$out" | head -n 1)" "^$c: error: vgpu: ${gresre}shard:50: $whyre\$" \
		"... refused by job_submit/vgpu, naming the setting"
done
like "$(grep 'refused a job' "$log" | tail -n 1)" "job_submit/vgpu: refused a job of uid 0: ${gresre}shard:50: $whyre" \
	"slurmctld's log names the refusal"
is "$(scontrol -o show job 2>&1)" "No jobs in the system" "nothing was queued"

# a change to shards (job_modify; the reason reaches the user from 23.02)
id=$(sbatch --parsable -H --wrap true)
out=$(scontrol update jobid="$id" gres=shard:10 2>&1)
like "$out" "$whyre" "scontrol update to shard:10 refused, the user told why"
like "$(grep 'refused a change' "$log")" "refused a change of uid 0: ${gresre}shard:10: $whyre" "... and slurmctld's log"
scancel "$id"

# what is not a slice runs
is "$(timeout 30 srun -Q --gres=gpu:1 bash -c 'echo $SLURM_GPUS_ON_NODE' 2>&1)" 1 "srun --gres=gpu:1 runs with one GPU"
is "$(timeout 30 srun true 2>&1; echo rc=$?)" "rc=0" "a job without GRES runs"
e2e_health
e2e_down

# 2. the SPANK plugin alone: Slurm spreads the job's shards.
e2e_expected_errors="vgpu: SLURM_(STEP|JOB)_GPUS='0,1': this step's shards are on 2 GPUs"
e2e_up ms2 --nodes 1 --gpus 2 --spank --select-params MULTIPLE_SHARING_GRES_PJ
cd "$e2e_tmp" || exit 1
out=$(timeout 30 srun --gres=shard:150 bash -c 'touch '"$e2e_tmp"'/s.ran; echo $SLURM_STEP_GPUS' 2>&1)
is "$?" 1 "srun --gres=shard:150 (two GPUs' shards) exits 1"
like "$out" "vgpu: this step's GPU slice cannot be enforced, so it does not run: SLURM_STEP_GPUS='0,1': this step's shards are on 2 GPUs: $whyre" \
	"... its task prints why, naming the setting"
ok "... and did not run" test ! -e "$e2e_tmp/s.ran"
id=$(sbatch --parsable -o "$e2e_tmp/b.out" --gres=shard:150 --wrap "touch $e2e_tmp/b.ran")
is_job "$id" FAILED NonZeroExitCode "sbatch --gres=shard:150: the batch job fails"
like "$(cat "$e2e_tmp/b.out" 2>/dev/null)" "^vgpu: this step's GPU slice cannot be enforced, so it does not run: SLURM_JOB_GPUS='0,1': this step's shards are on 2 GPUs: $whyre\$" \
	"... its output is the reason"
ok "... its script did not run" test ! -e "$e2e_tmp/b.ran"
is "$(timeout 30 srun -Q --gres=gpu:1 bash -c 'echo $SLURM_GPUS_ON_NODE' 2>&1)" 1 "a whole-GPU job runs"
e2e_health
e2e_down
done_testing
