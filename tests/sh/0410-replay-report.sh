#!/bin/bash
# bench/replay.py report: the figures of tools/vgpu-replay from records
# whose answers are worked out by hand below (compression 900: one second
# of records is a quarter of an hour of trace time), and the over-commit
# check: a whole-GPU job beside slices and more shards than a GPU has are
# both found, a clean run passes.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
py=$VGPU_SRCDIR/bench/replay.py
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
command -v python3 >/dev/null 2>&1 || skip_all "no python3"
plan 25

# mkrun DIR: a run of one configuration (strict), 2 GPUs of 100 shards.
# Jobs: 1, 2 ci slices of 25 shards on n1 GPU 0 (submitted at 100, started
# at 100.5 and 101, ended 104.5 and 105), 3 a whole-GPU train job on GPU 1
# (100.2 to 110.2).
mkrun() {
	local d=$1
	mkdir -p "$d/strict"
	printf '# vgpu replay generate --mix mixed --jobs 3 --seed 7 --gpu-mem 81089\nsubmit_s,duration_s,nodes,gpus_per_node,gpu_mem_mib,gpu_cores_pct,kind\n' >"$d/trace.csv"
	echo "compress 900" >"$d/params"
	printf '1\t0.000\tci\t1\tvgpu:mem=20272M:cores=25\t0:07\t4.000\t20272\n' >"$d/plan-slices"
	printf '2\t0.000\tci\t1\tvgpu:mem=20272M:cores=25\t0:07\t4.000\t20272\n' >>"$d/plan-slices"
	printf '3\t0.000\ttrain\t1\tgpu:1\t0:16\t10.000\t1024\n' >>"$d/plan-slices"
	cp "$d/plan-slices" "$d/strict/plan"
	printf '1 11 100.0\n2 12 100.0\n3 13 100.0\n' >"$d/strict/submitted"
	: >"$d/strict/refused"
	printf 'JobId=%s JobState=COMPLETED JOB_GRES=%s Nodes=n1\n' 11 shard:25 12 shard:25 13 gpu:h100:1 >"$d/strict/jobs"
	printf 'n1 gpu:h100:2,shard:h100:200\n' >"$d/strict/nodes"
	echo "SLURM_VERSION = 22.05.8" >"$d/strict/slurm"
	printf '%s\n' 'start 11 n1 100.5 0' 'start 12 n1 101.0 0' 'start 13 n1 100.2 1' \
		'end 11 n1 104.5 0' 'end 12 n1 105.0 0' 'end 13 n1 110.2 1' >"$d/strict/records-n1"
}
mkrun "$t/good"
out=$(python3 "$py" report "$t/good" 2>&1)
rc=$?
diag "$out"
is "$rc" 0 "a clean run: exit 0"
like "$out" '== replay .*good: trace .*good/trace.csv \(mix mixed, seed 7\), compressed 900x' "the header names the trace, mix, seed and compression"
like "$out" '-- strict, Slurm 22.05.8, 100 shards per GPU' "configuration, release and shards per GPU from the records"
like "$out" 'jobs 3, ran 3 \(Prolog and Epilog recorded\), refused at submit 0, not COMPLETED 0' "job counts"
like "$out" 'makespan 9180 s' "makespan: first submit to last end (10.2 s x 900)"
like "$out" 'wait ci       mean    675.0 s  p95    900.0 s  \(2 jobs\)' "ci waits: 450 and 900 s"
like "$out" 'wait train    mean    180.0 s  p95    180.0 s  \(1 jobs\)' "train wait: 180 s"
like "$out" 'wait all      mean    510.0 s  p95    900.0 s  \(3 jobs\)' "all waits"
like "$out" 'GPU-hours reserved 3.00, demand bound 3.00 \(1.00x the demand\)' "GPU-hours: 2 x 1 h x 25/100 + 2.5 h whole; demand the same"
like "$out" 'jobs per GPU at once \(while held\): mean 1.24, p95 2, max 2' "jobs per GPU: (0.5+7+0.5+10)/14.5 s"
like "$out" 'over-commit check: PASS' "no over-commitment"

# The bad run: job 14 takes GPU 0 whole at 102-103 beside the two slices;
# job 15 takes 60 shards of it at 101.5-102 (25+25+60 > 100).
mkrun "$t/bad"
printf '4\t0.000\ttrain\t1\tgpu:1\t0:16\t1.000\t1024\n5\t0.000\tci\t1\tvgpu:mem=48000M\t0:16\t0.500\t48000\n' >>"$t/bad/strict/plan"
printf '4 14 100.0\n5 15 100.0\n' >>"$t/bad/strict/submitted"
printf 'JobId=14 JobState=COMPLETED JOB_GRES=gpu:h100:1\nJobId=15 JobState=COMPLETED JOB_GRES=shard:60\n' >>"$t/bad/strict/jobs"
printf '%s\n' 'start 14 n1 102.0 0' 'end 14 n1 103.0 0' 'start 15 n1 101.5 0' 'end 15 n1 102.0 0' >>"$t/bad/strict/records-n1"
out=$(python3 "$py" report "$t/bad" 2>&1)
rc=$?
diag "$out"
is "$rc" 1 "an over-committed run: exit 1"
like "$out" 'over-commit check: FAIL, 2 time\(s\)' "both over-commitments found"
like "$out" 'n1 GPU 0 at \+1350.000 s: 11\(25 shards\), 12\(25 shards\), 15\(60 shards\)' "110 shards on a 100-shard GPU, named with its jobs"
like "$out" 'n1 GPU 0 at \+1800.000 s: 11\(25 shards\), 12\(25 shards\), 14\(whole\)' "a whole-GPU job beside slices, named"
# 23.11+ writes JOB_GRES as gres/shard:N on some releases: read the same
is "$(cd "$VGPU_SRCDIR/bench" && python3 -B -c 'import replay; print(replay.job_shards("gres/shard:30"), replay.job_shards("shard:h100:7"), replay.job_shards("gpu:h100:1"))')" "30 7 0" "JOB_GRES forms"

# The guarded run (22.05's shard bug): Slurm put whole-GPU job 14 on GPU 0
# beside the slices, the SPANK guard refused its step (FAILED): counted
# apart, the check of what ran passes.
mkrun "$t/guard"
printf '4\t0.000\ttrain\t1\tgpu:1\t0:16\t1.000\t1024\n' >>"$t/guard/strict/plan"
printf '4 14 100.0\n' >>"$t/guard/strict/submitted"
printf 'JobId=14 JobState=FAILED JOB_GRES=gpu:h100:1\n' >>"$t/guard/strict/jobs"
printf '%s\n' 'start 14 n1 102.0 0' 'end 14 n1 102.1 0' >>"$t/guard/strict/records-n1"
out=$(python3 "$py" report "$t/guard" 2>&1)
rc=$?
diag "$out"
is "$rc" 0 "a whole-GPU job Slurm placed beside slices but that did not run: exit 0"
like "$out" 'Slurm over-committed a GPU 1 time\(s\) where not every job then ran' "Slurm's over-commitment is counted"
like "$out" 'n1 GPU 0 at \+1800.000 s: 11\(25 shards\), 12\(25 shards\), 14\(whole, FAILED\): not all of them ran' "and named, with the job that did not run"
like "$out" 'over-commit check: PASS' "the check of what ran passes"

# A job that never started (no Prolog record) counts as not completed.
mkrun "$t/pend"
printf '4\t0.000\tci\t1\tvgpu:mem=20272M\t0:07\t4.000\t20272\n' >>"$t/pend/strict/plan"
printf '4 14 100.0\n' >>"$t/pend/strict/submitted"
printf 'JobId=14 JobState=CANCELLED JOB_GRES=shard:25\n' >>"$t/pend/strict/jobs"
out=$(python3 "$py" report "$t/pend" 2>&1)
like "$out" 'jobs 4, ran 3 \(Prolog and Epilog recorded\), refused at submit 0, not COMPLETED 1' "a cancelled job: not completed, not in the figures"
like "$out" 'wait all      mean    510.0 s' "and not in the waits"
# The plots: two PNG files, where matplotlib is installed (Debian's python3).
if python3 -c 'import matplotlib' 2>/dev/null || /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	out=$(python3 -B "$py" plot "$t/good" 2>&1)
	is "$out" "plots: $t/good/alloc.png $t/good/waits.png" "plot names its two files"
	is "$(head -c 4 "$t/good/alloc.png" | od -An -c | tr -d ' ')$(head -c 4 "$t/good/waits.png" | od -An -c | tr -d ' ')" '211PNG211PNG' "both are PNG images"
else
	skip "plot names its two files" "no matplotlib (python3-matplotlib)"
	skip "both are PNG images" "no matplotlib"
fi
out=$(python3 "$py" report 2>&1)
is "$?" 2 "report without a DIR: usage error"
done_testing
