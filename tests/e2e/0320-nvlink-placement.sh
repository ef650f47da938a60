#!/bin/bash
# NVLink placement at submit (job_submit/vgpu with CliqueMap=, vgpu_place):
# ten one-GPU nodes in three NVLink partitions of 4, 4 and 2 nodes (nvl1
# n[1-4], nvl2 n[5-8], nvl3 n[9-10]) given by a hand-written clique map and
# the topology.conf `vgpu conf --topology` writes from it (22.05:
# topology/tree, one leaf switch per partition, with max_switch_wait of a
# year; 24.11+: topology/block, partitions cut into base blocks of 2).
# Shown:
#  (a) a 3-node GPU job goes to the partition where it fits best (nvl1 with
#      3 free, not nvl2 with 4); with 2 free in each partition (5 free in
#      all) it waits, and runs inside nvl1 once nvl1 has 3; a job opted out
#      (--comment='[vgpu-place:span]') runs at once across partitions (on
#      tree the same 3-node job: what keeps it inside is the plugin's
#      --switches=1; on block, which contains jobs of up to 4 nodes by
#      itself with vgpu conf's layout, a 5-node job);
#  (b) a 6-node GPU job is refused at submit (sbatch, srun) with the message
#      naming the largest partition; nothing is queued; a 6-node job without
#      GPUs is not the plugin's business; a node range is lowered to 4;
#      --switches=2 is refused on 22.05;
#  (c) segments (24.11+): -N 4 --segment=2 runs, each 2-node piece inside one
#      partition; --segment=8 (above the base block) and -N 5 --segment=2
#      are refused;
#  (d) a clique map broken while slurmctld runs is logged with file:line and
#      the previous one stays in use; a fixed one is read again;
#  (e) slurmctld healthy, no unexpected errors.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plain_build
[ -e "$VGPU_BUILDDIR/plugins/job_submit/.libs/job_submit_vgpu.so" ] || skip_all "job_submit/vgpu is not built (libslurm-dev?)"

rel=$(e2e_slurm)
map=$e2e_tmp/cliquemap.json
uuid=4a1e0c2b-8d3f-4e5a-9b6c-7d8e9f0a1b2c
write_map() {
	cat >"$map" <<EOF
{
  "version": "1.0",
  "partitions": [
    { "name": "nvl1", "cluster_uuid": "$uuid", "clique_id": 1, "nodes": "n[1-4]" },
    { "name": "nvl2", "cluster_uuid": "$uuid", "clique_id": 2, "nodes": "n[5-8]" },
    { "name": "nvl3", "cluster_uuid": "$uuid", "clique_id": 3, "nodes": "n[9-10]" }
  ]
}
EOF
}
write_map
printf 'AccountingMode=strict\nCliqueMap=%s\n' "$map" >"$e2e_tmp/vgpu.conf"
# topology.conf as a site makes it: `vgpu conf --topology` from the map,
# for the release vgpu was built against.
if ! "$VGPU_BUILDDIR/vgpu" conf --cliquemap "$map" --topology >"$e2e_tmp/topology.conf" 2>"$e2e_tmp/conf.err"; then
	echo "Bail out! vgpu conf --topology failed: $(cat "$e2e_tmp/conf.err")"
	exit 1
fi
if e2e_slurm_before 23.11; then
	topo=tree
	printf 'TopologyPlugin=topology/tree\nSchedulerParameters=batch_sched_delay=0,bf_interval=1,max_switch_wait=31536000\n' >"$e2e_tmp/extra.conf"
else
	topo=block
	printf 'TopologyPlugin=topology/block\n' >"$e2e_tmp/extra.conf"
fi

e2e_up nvl --nodes 10 --gpus 1 --job-submit --vgpu-conf "$e2e_tmp/vgpu.conf" \
	--conf-extra "$e2e_tmp/extra.conf" --etc-file "$e2e_tmp/topology.conf"
cd "$e2e_tmp" || exit 1
log=$e2e_dir/log/slurmctld.log
diag "Slurm $rel, topology/$topo"
# One node Feature per partition, named after it, as `vgpu conf` writes them
# from the map (the constraint the plugin adds above topology/block's base
# block names them).
scontrol update NodeName=n[1-4] AvailableFeatures=nvl1 ActiveFeatures=nvl1
scontrol update NodeName=n[5-8] AvailableFeatures=nvl2 ActiveFeatures=nvl2
scontrol update NodeName=n[9-10] AvailableFeatures=nvl3 ActiveFeatures=nvl3

like "$(grep 'job_submit/vgpu' "$log")" "job_submit/vgpu: $map: 3 NVLink partitions; the largest has 4 nodes \(topology/block as vgpu conf lays it out: base blocks of 2 nodes, jobs of up to 4 nodes contained by Slurm\)" \
	"slurmctld's plugin read the clique map named by vgpu.conf's CliqueMap"

# The partition of each node, and the partitions a job's nodes are in.
part_of() {
	case $1 in n[1-4]) echo nvl1 ;; n[5-8]) echo nvl2 ;; n9 | n10) echo nvl3 ;; *) echo "?" ;; esac
}
job_nodes() { scontrol show hostnames "$(squeue -h -j "$1" -o %N)" | tr '\n' ' '; }
job_parts() {
	local n
	for n in $(scontrol show hostnames "$(squeue -h -j "$1" -o %N)"); do part_of "$n"; done | sort -u | tr '\n' ' '
}
# Hold one GPU on each node named: one-node jobs.
hold_nodes() {
	local n
	for n in "$@"; do e2e_hold -N 1 -w "$n" --gres=gpu:1; done | tr '\n' ' '
}
wait_running() {
	local id
	for id in "$@"; do e2e_wait_job "$id" RUNNING || return 1; done
}

# (a) best fit and containment.
held=$(hold_nodes n1)
ok "(a) a one-node GPU job holds n1" wait_running $held
id=$(sbatch --parsable -N 3 --gres=gpu:1 -o /dev/null --wrap 'sleep 600')
ok "(a) a 3-node GPU job runs" e2e_wait_job "$id" RUNNING
is "$(job_nodes "$id")" "n2 n3 n4 " "(a) ... in nvl1, the partition where it fits best (3 free of 4; nvl2 had 4)"
case $topo in
tree)
	like "$(grep "NVLink placement" "$log" | tail -n 1)" "NVLink placement: 3-3 nodes: --switches=1 " \
		"(a) ... slurmctld's log says what the plugin asked of Slurm"
	like "$(scontrol -o show job "$id")" "Switches=1@365-00:00:00" "(a) ... the job has --switches=1 with a year's wait"
	;;
block)
	like "$(grep "NVLink placement" "$log" | tail -n 1)" "NVLink placement: 3-3 nodes: topology/block keeps jobs of up to 4 nodes inside one partition" \
		"(a) ... slurmctld's log says why the plugin left it to Slurm"
	like "$(scontrol -o show job "$id")" "Features=\(null\) " "(a) ... the job is unchanged"
	;;
esac
scancel $held "$id"
ok "(a) cluster idle again" e2e_wait_idle

held=$(hold_nodes n1 n2 n5 n6 n9)
ok "(a) one-node jobs hold n1 n2 n5 n6 n9: 2, 2 and 1 free GPUs per partition (5 in all)" wait_running $held
# The opt-out, on tree, first (from 23.11 a job queued behind a pending one
# waits for it): the same 3-node job the plugin keeps waiting below runs at
# once across partitions. (On block, vgpu conf's layout contains jobs of up
# to 4 nodes by itself; the opt-out is shown in (b) with a 5-node job.)
if [ $topo = tree ]; then
	spill=$(sbatch --parsable -N 3 --gres=gpu:1 --comment='[vgpu-place:span]' -o /dev/null --wrap 'sleep 600')
	ok "(a) a 3-node GPU job opted out runs at once" e2e_wait_job "$spill" RUNNING
	like "$(job_parts "$spill")" "^nvl[1-3] nvl[1-3] " "(a) ... across partitions ($(job_nodes "$spill"))"
	like "$(scontrol -o show job "$spill")" "Comment=\[vgpu-place:span\]" "(a) ... its comment keeps the opt-out, visible in squeue"
	scancel "$spill"
	ok "(a) ... cancelled, its nodes free again" e2e_wait_free "$spill"
fi
id=$(sbatch --parsable -N 3 --gres=gpu:1 -o /dev/null --wrap 'sleep 600')
ok "(a) a 3-node GPU job is looked at by the scheduler" e2e_wait_considered "$id"
is "$(e2e_job_state "$id" | cut -d' ' -f1)" PENDING "(a) ... and waits: no partition has 3 free nodes"
set -- $held
scancel "$1"
ok "(a) with n1 free again (nvl1: 3 free), the waiting job runs" e2e_wait_job "$id" RUNNING
is "$(job_parts "$id")" "nvl1 " "(a) ... inside nvl1 ($(job_nodes "$id"))"
scancel $held "$id"
ok "(a) cluster idle again" e2e_wait_idle

# (b) larger than every partition: refused at submit, naming the largest.
if [ $topo = block ]; then
	seg=", or for --segment=S with S <= 2 dividing 6"
else
	seg=
fi
msg="vgpu: job asks for 6 nodes with GPUs; the largest NVLink partition, nvl1 (n[1-4]), has 4 nodes: ask for at most 4 nodes$seg, or opt out with --comment='[vgpu-place:span]' (the job may then run across partitions, without NVLink between them)"
out=$(timeout 30 sbatch -N 6 --gres=gpu:1 --wrap true 2>&1)
is "$?" 1 "(b) sbatch -N 6 --gres=gpu:1 exits 1"
is "$(printf '%s\n' "$out" | head -n 1)" "sbatch: error: $msg" "(b) ... with the plugin's message"
out=$(timeout 30 srun -N 6 --gres=shard:10 true 2>&1)
is "$?" 1 "(b) srun -N 6 --gres=shard:10 (slices on 6 nodes) exits 1"
like "$(printf '%s\n' "$out" | head -n 1)" "srun: error: vgpu: job asks for 6 nodes with GPUs; the largest NVLink partition, nvl1" \
	"(b) ... with the plugin's message"
is "$(squeue -h -o %i | wc -l)" 0 "(b) nothing was queued by the refused requests"
out=$(timeout 30 sbatch -N 5 --gres=gpu:1 --wrap true 2>&1)
like "$out" "sbatch: error: vgpu: job asks for 5 nodes with GPUs" "(b) -N 5 --gres=gpu:1 is refused too"
spill=$(sbatch --parsable -N 5 --gres=gpu:1 --comment='my run [vgpu-place:span]' -o /dev/null --wrap 'sleep 600')
ok "(b) ... opted out (--comment='my run [vgpu-place:span]') it runs" e2e_wait_job "$spill" RUNNING
like "$(job_parts "$spill")" "^nvl[1-3] nvl[1-3] " "(b) ... across partitions ($(job_nodes "$spill"))"
scancel "$spill"
ok "(b) ... cancelled, its nodes free again" e2e_wait_free "$spill"
is "$(timeout 60 srun -N 6 bash -c 'echo $SLURMD_NODENAME' 2>&1 | grep -c '^n[0-9]*$')" 6 \
	"(b) a 6-node job without GPUs runs (not the plugin's business)"
id=$(sbatch --parsable -H -N 2-8 --gres=gpu:1 --wrap true)
like "$(scontrol -o show job "$id")" "NumNodes=2-4 " "(b) -N 2-8 with GPUs is lowered to 2-4 nodes"
scancel "$id"
if [ $topo = tree ]; then
	out=$(timeout 30 sbatch -N 2 --switches=2 --gres=gpu:1 --wrap true 2>&1)
	like "$out" "sbatch: error: vgpu: --switches=2 would let a job with GPUs on 2 nodes span NVLink partitions" \
		"(b) --switches=2 is refused with the plugin's message"
else
	skip "(b) --switches=2 refused" "topology/tree only (22.05)"
fi

# (c) segments (topology/block, 24.11+).
if [ $topo = block ]; then
	held=$(hold_nodes n1)
	ok "(c) a one-node GPU job holds n1" wait_running $held
	id=$(sbatch --parsable -N 4 --segment=2 --gres=gpu:1 -o /dev/null --wrap 'sleep 600')
	ok "(c) -N 4 --segment=2 runs" e2e_wait_job "$id" RUNNING
	nodes=$(job_nodes "$id")
	set -- $nodes
	segs=$(for n in $nodes; do part_of "$n"; done | sort | uniq -c | awk '{print $1 % 2}' | sort -u | tr '\n' ' ')
	is "$segs" "0 " "(c) ... every partition holds whole 2-node pieces ($nodes)"
	scancel $held "$id"
	out=$(timeout 30 sbatch -N 8 --segment=8 --gres=gpu:1 --wrap true 2>&1)
	is "$(printf '%s\n' "$out" | head -n 1)" "sbatch: error: vgpu: --segment=8: topology/block keeps a segment inside one NVLink partition only up to its base block size, 2 nodes here: ask for --segment=S with S <= 2" \
		"(c) --segment=8 is refused with the plugin's message"
	out=$(timeout 30 sbatch -N 5 --segment=2 --gres=gpu:1 --wrap true 2>&1)
	like "$(printf '%s\n' "$out" | head -n 1)" "^sbatch: (error: vgpu: --segment=2: the job asks for 5 nodes, which is not a whole number of 2-node segments: ask for a node count that 2 divides|fatal: --segment=2 does not fit the job size \(5\))" \
		"(c) -N 5 --segment=2 is refused (by the plugin; by sbatch itself from 26.05)"
	ok "(c) cluster idle again" e2e_wait_idle
else
	skip "(c) segments" "--segment needs topology/block (24.11+); this is Slurm $rel"
fi

# (d) the map broken while slurmctld runs: logged, the previous one kept.
sed -i 's/"n\[5-8\]"/"n[4-8]"/' "$map"
e2e_expected_errors='job_submit/vgpu: .*the clique map is refused'
out=$(timeout 30 sbatch -N 6 --gres=gpu:1 --wrap true 2>&1)
is "$(printf '%s\n' "$out" | head -n 1)" "sbatch: error: $msg" "(d) map broken (n4 in two partitions): the old map still refuses -N 6"
like "$(grep 'the clique map is refused' "$log")" "job_submit/vgpu: $map:[0-9]+: .*n4.*the previous one stays in use" \
	"(d) ... slurmctld's log names the file, line and node"
is "$(grep -c 'the clique map is refused' "$log")" 1 "(d) ... logged once, not per job"
cat >"$map" <<EOF
{
  "version": "1.0",
  "partitions": [
    { "name": "nvl1", "cluster_uuid": "$uuid", "clique_id": 1, "nodes": "n[1-8]" },
    { "name": "nvl3", "cluster_uuid": "$uuid", "clique_id": 3, "nodes": "n[9-10]" }
  ]
}
EOF
out=$(timeout 30 sbatch -H -N 6 --gres=gpu:1 --wrap true 2>&1)
like "$out" "^Submitted batch job [0-9]+$" "(d) a fixed map (nvl1 n[1-8]) is read at the next job: -N 6 is accepted"
like "$(grep 'NVLink partitions; the largest' "$log" | tail -n 1)" "$map: 2 NVLink partitions; the largest has 8 nodes" "(d) ... as slurmctld's log says"
scancel "${out##* }"

e2e_health
e2e_down
plan "$tap_n"
done_testing
