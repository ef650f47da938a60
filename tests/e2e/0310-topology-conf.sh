#!/bin/bash
# topology.conf from the clique map on real daemons (doc/nvlink.md): a 4,4,2
# map written by hand, `vgpu conf --cliquemap --topology --settings` for the
# release under test, a 10-node devcluster carrying that output; exclusive
# 2-, 3- and 4-node jobs land inside one partition each, best fit, and a
# 4-node job waits while 4 nodes are free across two partitions.
# 22.05: topology/tree, jobs ask --switches=1@365-0 (what job_submit/vgpu
# adds); 23.11+: topology/block alone.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
vgpu=$VGPU_BUILDDIR/vgpu
rel=$(e2e_slurm)
plan 16

cat >"$e2e_tmp/map.json" <<'MAP'
{
  "version": "1.0",
  "partitions": [
    { "name": "nvl_a", "cluster_uuid": "0a0a0a0a-0000-4000-8000-000000000001", "clique_id": 1, "nodes": "n[1-4]" },
    { "name": "nvl_b", "cluster_uuid": "0a0a0a0a-0000-4000-8000-000000000001", "clique_id": 2, "nodes": "n[5-8]" },
    { "name": "nvl_c", "cluster_uuid": "0a0a0a0a-0000-4000-8000-000000000001", "clique_id": 3, "nodes": "n[9-10]" }
  ]
}
MAP
mkdir -p "$e2e_tmp/etc"
"$vgpu" conf --cliquemap "$e2e_tmp/map.json" --slurm-release "$rel" --topology >"$e2e_tmp/etc/topology.conf" 2>"$e2e_tmp/conf.err" ||
	{ echo "Bail out! vgpu conf --topology failed"; diag "$(cat "$e2e_tmp/conf.err")"; exit 1; }
# The settings; the devcluster's own SchedulerParameters are kept beside
# the max_switch_wait the tree needs (a site merges them the same way).
"$vgpu" conf --cliquemap "$e2e_tmp/map.json" --slurm-release "$rel" --settings >"$e2e_tmp/extra.conf" 2>>"$e2e_tmp/conf.err" ||
	{ echo "Bail out! vgpu conf --settings failed"; diag "$(cat "$e2e_tmp/conf.err")"; exit 1; }
sed -i 's/^SchedulerParameters=\(.*\)/SchedulerParameters=batch_sched_delay=0,bf_interval=1,\1/' "$e2e_tmp/extra.conf"
sw=
if e2e_slurm_before 23.11; then sw=--switches=1@365-0; fi
e2e_up topo --nodes 10 --gpus 1 --conf-extra "$e2e_tmp/extra.conf" --etc-file "$e2e_tmp/etc/topology.conf"

# partition_of NODELIST: the one NVLink partition holding every node, or "split".
partition_of() {
	local p= n q
	for n in $(scontrol show hostnames "$1"); do
		case ${n#n} in 1|2|3|4) q=nvl_a ;; 5|6|7|8) q=nvl_b ;; 9|10) q=nvl_c ;; *) q=none ;; esac
		if [ -z "$p" ]; then p=$q; elif [ "$p" != "$q" ]; then echo split; return; fi
	done
	echo "$p"
}
job_nodes() { squeue -h -j "$1" -o %N; }
hold() { e2e_hold --exclusive "$@"; }

topo=$(scontrol show topology 2>&1)
for p in nvl_a nvl_b nvl_c; do
	like "$topo" "$p" "scontrol show topology lists partition $p"
done
# The node Features vgpu conf --cliquemap writes (the devcluster builds its
# NodeName lines without a map): set them as slurm.conf would, then read.
scontrol update NodeName=n[1-4] AvailableFeatures=vgpu_h100,nvl_a ActiveFeatures=vgpu_h100,nvl_a
scontrol update NodeName=n[5-8] AvailableFeatures=vgpu_h100,nvl_b ActiveFeatures=vgpu_h100,nvl_b
scontrol update NodeName=n[9-10] AvailableFeatures=vgpu_h100,nvl_c ActiveFeatures=vgpu_h100,nvl_c
like "$(sinfo -h -N -n n9 -o '%N %f')" "n9 vgpu_h100,nvl_c" "sinfo shows a node's partition Feature"

# All free: a 3-node job fits nvl_a or nvl_b; then a 2-node job takes nvl_c
# (exactly 2), not the 1 left beside the 3-node job nor the other 4.
j3=$(hold -N3 $sw)
e2e_wait_job "$j3" RUNNING
p3=$(partition_of "$(job_nodes "$j3")")
like "$p3" "^nvl_[ab]$" "a 3-node job runs inside one 4-node partition ($(job_nodes "$j3"))"
j2=$(hold -N2 $sw)
e2e_wait_job "$j2" RUNNING
is "$(partition_of "$(job_nodes "$j2")")" nvl_c "a 2-node job goes to the partition it fits best"
j4=$(hold -N4 $sw)
e2e_wait_job "$j4" RUNNING
p4=$(partition_of "$(job_nodes "$j4")")
ok "a 4-node job runs in the free 4-node partition ($(job_nodes "$j4"))" test "$p4" != split -a "$p4" != "$p3"
scancel "$j2" "$j3" "$j4"
e2e_release "$j2"; e2e_release "$j3"; e2e_release "$j4"
e2e_wait_idle

# 2 nodes free in each partition: 6 free, no partition with 4 or 3.
h1=$(hold -w n[1-2]); h2=$(hold -w n[5-6])
e2e_wait_job "$h1" RUNNING; e2e_wait_job "$h2" RUNNING
j4=$(hold -N4 $sw)
j3=$(hold -N3 $sw)
# Backfill runs every second (bf_interval=1): give it several passes.
sleep 5
like "$(e2e_job_state "$j4")" "^PENDING" "a 4-node job waits while 4 nodes are free across two partitions"
like "$(e2e_job_state "$j3")" "^PENDING" "and so does a 3-node job"
# When a partition frees, the 4-node job runs there.
scancel "$j3"
scancel "$h1"; e2e_release "$h1"
e2e_wait_job "$j4" RUNNING
is "$(partition_of "$(job_nodes "$j4")")" nvl_a "the waiting 4-node job runs in the partition that freed"
scancel "$j4" "$h2"; e2e_release "$j4"; e2e_release "$h2"

# Single-node jobs are not steered by the topology (doc/nvlink.md): only
# checked to run.
j1=$(hold -N1)
e2e_wait_job "$j1" RUNNING
ok "a single-node job runs ($(job_nodes "$j1"))" test -n "$(job_nodes "$j1")"
scancel "$j1"; e2e_release "$j1"
e2e_health
done_testing
