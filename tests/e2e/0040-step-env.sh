#!/bin/bash
# (c) What a job and its steps see of their GPU with plain Slurm shards
# (recorded in doc/devcluster.md, "What jobs see"). On a 1-node, 2-GPU
# devcluster GPU 0 is taken whole first, so shard jobs land on GPU 1 and the
# index is visibly not a default 0. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
plan 24
e2e_up env --nodes 1 --gpus 2

# The GPU-related variables a task has, sorted, one per line.
vars='^(CUDA_VISIBLE_DEVICES|GPU_DEVICE_ORDINAL|ROCR_VISIBLE_DEVICES|SLURM_JOB_GPUS|SLURM_STEP_GPUS|SLURM_GPUS_ON_NODE|SLURM_SHARDS_ON_NODE|SLURM_JOB_GRES|SLURMD_NODENAME)='
cat >"$e2e_tmp/genv" <<EOS
#!/bin/sh
env | grep -E '$vars' | LC_ALL=C sort
EOS
chmod +x "$e2e_tmp/genv"
genv=$e2e_tmp/genv
t=$e2e_tmp

whole=$(e2e_hold --gres=gpu:1)
is_job "$whole" RUNNING "a gpu:1 job runs"
is "$(e2e_gres_idx "$whole")" 0 "on GPU 0"

# A batch job with 30 shards, a step that asks nothing, a step with 10.
job=$(sbatch --parsable -o "$t/batch.log" --gres=shard:30 --wrap \
	"$genv >$t/batch.env; srun $genv >$t/step.env; srun --gres=shard:10 $genv >$t/step10.env")
is_job "$job" COMPLETED "sbatch --gres=shard:30 with two steps completes"
is "$(e2e_job_state "$job")" "COMPLETED None" "exit 0"
is "$(cat "$t/batch.env")" "CUDA_VISIBLE_DEVICES=1
GPU_DEVICE_ORDINAL=1
ROCR_VISIBLE_DEVICES=1
SLURMD_NODENAME=n1
SLURM_GPUS_ON_NODE=1
SLURM_JOB_GPUS=1
SLURM_SHARDS_ON_NODE=30" "batch step: the GPU index in CUDA_VISIBLE_DEVICES and SLURM_JOB_GPUS, 30 shards"
is "$(cat "$t/step.env")" "CUDA_VISIBLE_DEVICES=1
GPU_DEVICE_ORDINAL=1
ROCR_VISIBLE_DEVICES=1
SLURMD_NODENAME=n1
SLURM_GPUS_ON_NODE=1
SLURM_JOB_GPUS=1
SLURM_SHARDS_ON_NODE=30
SLURM_STEP_GPUS=1" "srun step without --gres: all 30 shards, SLURM_STEP_GPUS"
is "$(cat "$t/step10.env")" "CUDA_VISIBLE_DEVICES=1
GPU_DEVICE_ORDINAL=1
ROCR_VISIBLE_DEVICES=1
SLURMD_NODENAME=n1
SLURM_GPUS_ON_NODE=1
SLURM_JOB_GPUS=1
SLURM_SHARDS_ON_NODE=10
SLURM_STEP_GPUS=1" "srun --gres=shard:10 step: SLURM_SHARDS_ON_NODE is the step's own count"

# salloc: the allocation's shell runs here, outside the node; its step on the node.
out=$(timeout 60 salloc --gres=shard:20 sh -c "$genv >$t/salloc.env; srun $genv >$t/salloc-step.env" 2>&1)
is "$?" 0 "salloc --gres=shard:20 with a step exits 0"
is "$(cat "$t/salloc.env")" "" "salloc's own shell has no GPU variables"
is "$(cat "$t/salloc-step.env")" "CUDA_VISIBLE_DEVICES=1
GPU_DEVICE_ORDINAL=1
ROCR_VISIBLE_DEVICES=1
SLURMD_NODENAME=n1
SLURM_GPUS_ON_NODE=1
SLURM_SHARDS_ON_NODE=20
SLURM_STEP_GPUS=1" "salloc step: SLURM_STEP_GPUS and 20 shards, no SLURM_JOB_GPUS"

# srun alone: job and step at once.
is "$(timeout 60 srun --gres=shard:40 "$genv" 2>&1)" "CUDA_VISIBLE_DEVICES=1
GPU_DEVICE_ORDINAL=1
ROCR_VISIBLE_DEVICES=1
SLURMD_NODENAME=n1
SLURM_GPUS_ON_NODE=1
SLURM_SHARDS_ON_NODE=40
SLURM_STEP_GPUS=1" "srun --gres=shard:40: SLURM_STEP_GPUS and 40 shards"

# A whole GPU: no shard count.
e2e_release "$whole"
is_job "$whole" COMPLETED "the gpu:1 job ends"
job=$(sbatch --parsable -o "$t/gpu.log" --gres=gpu:1 --wrap "$genv >$t/gpu.env; srun $genv >$t/gpu-step.env")
is_job "$job" COMPLETED "sbatch --gres=gpu:1 with a step completes"
is "$(cat "$t/gpu.env")" "CUDA_VISIBLE_DEVICES=0
GPU_DEVICE_ORDINAL=0
ROCR_VISIBLE_DEVICES=0
SLURMD_NODENAME=n1
SLURM_GPUS_ON_NODE=1
SLURM_JOB_GPUS=0" "gpu:1 batch step: index 0, no SLURM_SHARDS_ON_NODE"
is "$(cat "$t/gpu-step.env")" "CUDA_VISIBLE_DEVICES=0
GPU_DEVICE_ORDINAL=0
ROCR_VISIBLE_DEVICES=0
SLURMD_NODENAME=n1
SLURM_GPUS_ON_NODE=1
SLURM_JOB_GPUS=0
SLURM_STEP_GPUS=0" "gpu:1 step: SLURM_STEP_GPUS"

e2e_health
e2e_down
done_testing
