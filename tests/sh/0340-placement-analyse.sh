#!/bin/bash
# bench/placement.py: the figures of the placement benchmark from job
# records whose answers are worked out by hand below, and the trace
# (deterministic for a seed, the mix's classes, every offset in the span).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
py=$VGPU_SRCDIR/bench/placement.py
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
command -v python3 >/dev/null 2>&1 || skip_all "no python3"
plan 19

# Three NVLink partitions: A = a1 a2, B = b1 b2, C = c1; 4 GPUs per node.
printf 'a1 A\na2 A\nb1 B\nb2 B\nc1 C\n' >"$t/parts"
# job ID NODES NODELIST GRES SUBMIT START END STATE (seconds after 00:00:00)
job() {
	local ts s
	ts() { [ "$1" = - ] && echo Unknown || printf '2026-01-01T00:00:%02d' "$1"; }
	printf 'JobId=%s JobName=j%s JobState=%s SubmitTime=%s StartTime=%s EndTime=%s NodeList=%s NumNodes=%s TresPerNode=gres:%s\n' \
		"$1" "$1" "$8" "$(ts "$5")" "$(ts "$6")" "$(ts "$7")" "$3" "$2" "$4"
}
{
	job 1 2 'a[1-2]' gpu:4 0 0 10 COMPLETED  # 2 nodes in A, no wait
	job 2 2 'a2,b1' gpu:4 0 5 15 COMPLETED   # across A and B, waited 5 s
	job 3 1 c1 shard:50 2 2 12 COMPLETED     # half a GPU on c1
	job 4 2 'b[1-2]' gpu:4 3 - - PENDING     # never started
} >"$t/jobs"
out=$(python3 "$py" analyse --parts "$t/parts" --gpus-per-node 4 --shards-per-gpu 100 --refused x=2 x="$t/jobs" 2>&1)
row() { sed -n "s/^  $1  *//p" <<<"$out" | sed 's/  *$//'; }
is "$(row 'jobs refused at submit')" 2 "refused at submit: as counted by placement.sh"
is "$(row 'jobs (not completed)')" "4 (1)" "4 jobs, the pending one not completed"
is "$(row 'multi-node jobs')" 2 "multi-node jobs: the two completed ones"
is "$(row '  of them waited >= 2 s')" 1 "one waited (5 s)"
is "$(row '  mean wait, s')" 2.5 "mean wait (0 + 5) / 2"
is "$(row '  p95 wait, s')" 5 "p95 (nearest rank of 2) is the larger"
is "$(row '    mean wait of j2 jobs, s')" 5.0 "mean wait per job name before its first '-' (j2: 5 s)"
is "$(row '  across NVLink partitions')" 1 "job 2 (a2, b1) spans A and B"
is "$(row 'single-node jobs in the largest')" "0 of 1" "the one single-node job ran in C, not in A or B (the largest)"
# Seconds 0-14: 0-1 B, C free (2); 2-4 B (1); 5-11 none; 12-14 C (1):
# 10 partition-seconds over 15 s. Arrival window 0-3: 2 2 1 1.
is "$(row 'wholly free partitions, mean')" "0.67 of 3" "wholly free partitions: 10 / 15 s"
# With a second run of one job (seconds 0-4 on A): the first 5 s of each.
job 1 2 'a[1-2]' gpu:4 0 0 5 COMPLETED >"$t/short"
two=$(python3 "$py" analyse --parts "$t/parts" --gpus-per-node 4 --shards-per-gpu 100 x="$t/jobs" y="$t/short" 2>&1)
is "$(sed -n 's/^  *mean over the first 5 s  *//p' <<<"$two" | tr -s ' ')" "1.40 2.00" \
	"over the shortest run's 5 s: (2 + 2 + 1 + 1 + 1) / 5 and 2"
is "$(row '  mean while jobs arrive')" 1.50 "while jobs arrive (0-3 s): (2 + 2 + 1 + 1) / 4"
is "$(row '  by tenths of arrival')" 2222211111 "at each tenth of the arrival window"
is "$(row 'wholly free partitions, min')" 0 "minimum 0 (seconds 5-11)"
# GPU-seconds 8 x 10 + 8 x 10 + 0.5 x 10 = 165 over 20 GPUs x 15 s.
is "$(row 'GPU utilisation')" 55.0% "utilisation 165 / 300"
is "$(row 'makespan, s')" 15 "makespan: first submission to last end"

a=$(python3 "$py" trace --seed 7 --jobs 200 --span 60) b=$(python3 "$py" trace --seed 7 --jobs 200 --span 60)
is "$(wc -l <<<"$a"):$([ "$a" = "$b" ] && echo same)" "200:same" "trace: 200 jobs, the same for the same seed"
is "$(awk '{ print $2 }' <<<"$a" | sort -u | tr '\n' ' ')" "1n 2n 4n 8n frac " "trace: every class of the mix"
is "$(awk '$1 < 0 || $1 > 60 || $3 != ($2 == "2n" ? 2 : $2 == "4n" ? 4 : $2 == "8n" ? 8 : 1) { print }' <<<"$a")" "" \
	"trace: offsets within the span, node counts as the class says"
done_testing
