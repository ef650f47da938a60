#!/bin/bash
# job_submit/vgpu (plugins/job_submit) in the devcluster's slurmctld
# (`up --job-submit`), on one node with two 100-shard H100s, without the
# cli_filter: shard requests larger than one GPU are refused at submit with
# the plugin's message (sbatch, srun, salloc, and scontrol update), nothing
# is queued; --gres=vgpu that reaches the controller (a user's own
# slurm.conf with vgpu in GresTypes and no cli_filter) is refused naming the
# cli_filter; gpu mixed with shard is refused; normal shard and gpu jobs
# still run. Then (e): slurmctld healthy, no errors in its log.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plain_build
[ -e "$VGPU_BUILDDIR/plugins/job_submit/.libs/job_submit_vgpu.so" ] || skip_all "job_submit/vgpu is not built (libslurm-dev?)"
plan 37
e2e_up js --nodes 1 --gpus 2 --job-submit
cd "$e2e_tmp" || exit 1
log=$e2e_dir/log/slurmctld.log
big="vgpu: shard:150 is more than one GPU offers (120 shards per h100 GPU)"

like "$(grep 'job_submit/vgpu' "$log")" "job_submit/vgpu: $e2e_dir/etc/vgpu.conf: at most 120 shards per GPU \(h100\)" \
	"slurmctld loaded the plugin with the cluster's vgpu.conf (VGPU_CONF)"

# (a) shard:150 on 100-shard GPUs: refused at submit by every client.
out=$(timeout 30 sbatch --gres=shard:150 --wrap true 2>&1)
is "$?" 1 "sbatch --gres=shard:150 exits 1"
is "$(printf '%s\n' "$out" | head -n 1)" "sbatch: error: $big" "... with the plugin's message"
out=$(timeout 30 srun --gres=shard:150 true 2>&1)
is "$?" 1 "srun --gres=shard:150 exits 1"
is "$(printf '%s\n' "$out" | head -n 1)" "srun: error: $big" "... with the plugin's message"
out=$(timeout 30 salloc --gres=shard:h100:150 true 2>&1)
like "$out" "salloc: error: vgpu: shard:h100:150 is more than one GPU offers \(120 shards per h100 GPU\)" \
	"salloc --gres=shard:h100:150 refused with the plugin's message"
out=$(timeout 30 sbatch --gres=shard:99999999999 --wrap true 2>&1)
like "$out" "sbatch: error: vgpu: shard:99999999999 is more than one GPU offers" "a huge count is refused, not crashed on"
is "$(scontrol -o show job 2>&1)" "No jobs in the system" "nothing was queued by the refused requests"
like "$(grep -c 'job_submit/vgpu: refused a job of uid 0: shard:150 is more' "$log")" '^2$' \
	"slurmctld's log names each refusal"

# (b) --gres=vgpu without the cli_filter: a user's own slurm.conf that lists
# vgpu in GresTypes gets it past the client; the controller refuses it.
mkdir -p own
sed -e 's/^GresTypes=.*/&,vgpu/' -e '/^CliFilterPlugins/d' "$SLURM_CONF" >own/slurm.conf
cp "$e2e_dir/etc/gres.conf" own/
vmsg="vgpu: --gres=vgpu reached the controller untranslated: the client did not run slurm-vgpu's cli_filter (CliFilterPlugins=vgpu). Submit with the site's slurm.conf, or ask for --gres=shard:N"
out=$(SLURM_CONF=$e2e_tmp/own/slurm.conf timeout 30 srun --gres=vgpu:mem=10G true 2>&1)
is "$?" 1 "srun --gres=vgpu:mem=10G without the cli_filter exits 1"
is "$(printf '%s\n' "$out" | head -n 1)" "srun: error: $vmsg" "... with a message naming the cli_filter"
out=$(SLURM_CONF=$e2e_tmp/own/slurm.conf timeout 30 sbatch --gres=vgpu:cores=25 --wrap true 2>&1)
is "$(printf '%s\n' "$out" | head -n 1)" "sbatch: error: $vmsg" "sbatch --gres=vgpu:cores=25 refused the same way"
is "$(scontrol -o show job 2>&1)" "No jobs in the system" "nothing was queued"

# (c) changes of a pending job pass through job_modify.
id=$(sbatch --parsable -H --gres=shard:10 --wrap true)
out=$(scontrol update jobid="$id" gres=shard:150 2>&1)
like "$out" "Invalid generic resource \(gres\) specification" "scontrol update to shard:150 refused"
like "$(grep "refused a change" "$log")" "refused a change of uid 0: shard:150 is more than one GPU offers" "... the reason in slurmctld's log"
out=$(scontrol update jobid="$id" gres=gpu:1,shard:10 2>&1)
like "$(grep "refused a change" "$log" | tail -n 1)" "a job cannot hold whole GPUs \(gpu\) and shares of a GPU \(shard, --gres=vgpu\) together" \
	"update to gpu + shard refused with the plugin's reason"
like "$(scontrol -o show job "$id")" "TresPerNode=gres[:/]shard:10( |$)" "the job kept shard:10"
scancel "$id"

# (d) jobs within the limits run untouched.
is "$(timeout 30 srun -Q --gres=shard:120 bash -c 'echo $SLURM_SHARDS_ON_NODE' 2>&1)" 120 "srun --gres=shard:120 runs with 120 shards (the default ShardsPerGpu)"
id=$(sbatch --parsable -o "$e2e_tmp/b.out" --gres=shard:25 --wrap 'echo $SLURM_SHARDS_ON_NODE')
is_job "$id" COMPLETED "sbatch --gres=shard:25 completed"
is "$(cat "$e2e_tmp/b.out")" 25 "... with 25 shards"
is "$(timeout 30 srun -Q --gres=gpu:1 bash -c 'echo $SLURM_GPUS_ON_NODE' 2>&1)" 1 "srun --gres=gpu:1 runs with one GPU"
is "$(timeout 30 srun -Q true 2>&1; echo rc=$?)" "rc=0" "a job without GRES runs"

# (e) vgpu.conf changed while slurmctld runs: the next job reads it (no
# restart; `scontrol reconfigure` would not re-init the plugin). A bad file
# is logged and the previous limits stay; a good one takes effect.
conf=$e2e_dir/etc/vgpu.conf
cp "$conf" "$e2e_tmp/vgpu.conf.orig"
echo "ShardsPerGpu=lots" >>"$conf"
e2e_expected_errors='job_submit/vgpu: .*the changed file is refused'
out=$(timeout 30 sbatch --gres=shard:150 --wrap true 2>&1)
is "$(printf '%s\n' "$out" | head -n 1)" "sbatch: error: $big" "vgpu.conf broken: shard:150 still refused with the old limit"
like "$(grep 'the changed file is refused' "$log")" "job_submit/vgpu: $conf:[0-9]+: ShardsPerGpu.*the previous one stays in use" \
	"... slurmctld's log names the bad line"
is "$(grep -c 'the changed file is refused' "$log")" 1 "... logged once, not per job"
is "$(timeout 30 srun -Q --gres=shard:10 bash -c 'echo $SLURM_SHARDS_ON_NODE' 2>&1)" 10 "... and shard:10 still runs"
{ grep -v '^ShardsPerGpu=lots$' "$e2e_tmp/vgpu.conf.orig"; echo "ShardsPerGpu=50"; } >"$conf"
out=$(timeout 30 sbatch --gres=shard:60 --wrap true 2>&1)
is "$out" "sbatch: error: vgpu: shard:60 is more than one GPU offers (50 shards per h100 GPU)
sbatch: error: Batch job submission failed: Invalid generic resource (gres) specification" \
	"vgpu.conf with ShardsPerGpu=50: shard:60 now refused, read without a restart"
cp "$e2e_tmp/vgpu.conf.orig" "$conf"
out=$(timeout 30 sbatch --gres=shard:150 --wrap true 2>&1)
is "$(printf '%s\n' "$out" | head -n 1)" "sbatch: error: $big" "vgpu.conf restored: the limit is 100 again"

e2e_health
e2e_down
done_testing
