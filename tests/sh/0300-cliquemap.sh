#!/bin/bash
# vgpu cliquemap build|check|show: the map from inventories, the excluded
# nodes with their drain command, every error of a hand-edited map with
# FILE:LINE and exit 1, the check against slurm.conf, atomic -o.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
vgpu=$VGPU_BUILDDIR/vgpu
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
U1=a1b2c3d4-0000-4000-8000-000000000001
U2=0f0e0d0c-0000-4000-8000-000000000002

# inv HOST NGPUS UUID CLIQUE [STATE] [HEALTH_SUMMARY]: an inventory as
# `vgpu discover --json` writes it (doc/inventory.md).
inv() {
	local host=$1 n=$2 uuid=$3 clique=$4 state=${5:-completed} hs=${6:-healthy} i sep=
	printf '{ "version": 1, "hostname": "%s", "driver_version": "580.65.06", "cuda_driver_version": 13000,\n' "$host"
	printf '  "source": "nvml", "gpus": ['
	for i in $(seq 0 $((n - 1))); do
		printf '%s\n    { "index": %d, "minor": %d, "uuid": "GPU-00000000-1111-2222-3333-%012d",' "$sep" "$i" "$i" "$i"
		printf ' "bus_id": "0000:%02x:00.0", "model": "NVIDIA GB200", "type": "gb200", "memory": 199000000000,' $((16 + i))
		printf ' "sms": 152, "mig_enabled": false, "numa_node": 0, "cpus": "0-3", "cores": "0-3", "nvlink": [],\n'
		printf '      "fabric": { "cluster_uuid": "%s", "clique_id": %d, "state": "%s", "status": 0,' "$uuid" "$clique" "$state"
		printf ' "health_mask": 0, "health_summary": "%s" } }' "$hs"
		sep=,
	done
	printf '\n  ] }\n'
}
for n in 1 2 3 4; do inv n$n 4 $U1 1 >"$t/n$n.json"; done
for n in 5 6; do inv n$n 4 $U1 2 >"$t/n$n.json"; done
inv n7 4 $U1 2 in_progress >"$t/n7.json"
inv n8 4 $U2 1 >"$t/n8.json"                    # another domain, clique id 1 again
inv n9 4 $U2 1 completed unhealthy >"$t/n9.json"
plan 32

# build
out=$("$vgpu" cliquemap build "$t"/n*.json 2>"$t/err")
is "$?" 0 "build exits 0 when the map was made"
printf '%s\n' "$out" >"$t/map.json"
like "$out" '"name": "nvl-a1b2c3d4-1",' "a partition is named from its domain's UUID and its clique id"
like "$out" '"nodes": "n\[1-4\]"' "its nodes in hostlist syntax"
like "$out" '"name": "nvl-0f0e0d0c-1",' "two domains that reuse clique id 1 give two partitions"
like "$out" '"node": "n7", "reason": "GPU 0 \(0000:10:00.0\) fabric state is in_progress, not completed"' \
	"a node whose fabric is not complete is excluded, with the reason"
like "$(cat "$t/err")" '^vgpu cliquemap build: node n7 is in no NVLink partition: GPU 0 .* in_progress, not completed; drain it if it should be in one: scontrol update NodeName=n7 State=DRAIN Reason=' \
	"and reported on stderr with the drain command"
like "$(grep n9 "$t/err")" 'node n9 is in no NVLink partition: GPU 0 .*fabric health summary unhealthy' "an unhealthy node too"
is "$(grep -c 'is in no NVLink partition' "$t/err")" 2 "exactly the two bad nodes are reported"
is "$("$vgpu" cliquemap build "$t"/n9.json "$t"/n3.json "$t"/n1.json "$t"/n8.json "$t"/n7.json "$t"/n2.json "$t"/n6.json "$t"/n5.json "$t"/n4.json 2>/dev/null)" \
	"$out" "the map does not depend on the order of the inventories"

# -o: atomic
echo old >"$t/out.json"
ok "build -o FILE exits 0" "$vgpu" cliquemap build -o "$t/out.json" "$t"/n*.json
is "$(cat "$t/out.json")" "$out" "-o writes the same map"
is "$(ls -A "$t" | grep -c tmp)" 0 "and leaves no temporary file"
echo '{' >"$t/bad-inv.json"
"$vgpu" cliquemap build -o "$t/out.json" "$t/n1.json" "$t/bad-inv.json" 2>"$t/err"
is "$?" 1 "a bad inventory exits 1"
like "$(cat "$t/err")" "bad-inv.json" "naming the inventory"
is "$(cat "$t/out.json")" "$out" "and the map already there is untouched"
"$vgpu" cliquemap build -o "$t/no/such/dir/map.json" "$t/n1.json" 2>"$t/err"
is "$?" 1 "an output that cannot be created exits 1"
"$vgpu" cliquemap build "$t/n1.json" "$t/n1.json" >/dev/null 2>"$t/err"
like "$(cat "$t/err")" "two inventories are of node n1" "the same node twice is refused"

# check
is "$("$vgpu" cliquemap check "$t/map.json")" "$t/map.json: 3 partitions, 7 nodes" "check: a good map, one line, exit 0"
cat >"$t/hand.json" <<'EOM'
{
  "version": "1.2",
  "site": "ignored",
  "partitions": [
    { "name": "rack1", "cluster_uuid": "a1b2c3d4-0000-4000-8000-000000000001", "clique_id": 1,
      "nodes": "n[1-4]" },
    { "name": "rack2", "cluster_uuid": "a1b2c3d4-0000-4000-8000-000000000001", "clique_id": 2,
      "nodes": "n[4-6]" },
    { "name": "rack1", "cluster_uuid": "a1b2c3d4-0000-4000-8000-00000000001", "clique_id": 3,
      "nodes": "n8" },
    { "name": "rack3", "cluster_uuid": "a1b2c3d4-0000-4000-8000-000000000001", "clique_id": 2,
      "nodes": "n[9-7]" }
  ]
}
EOM
err=$("$vgpu" cliquemap check "$t/hand.json" 2>&1)
is "$?" 1 "check: a broken map exits 1"
like "$err" "hand.json:8: partition 'rack2': node n4 is already in partition 'rack1' \(line 6\): a node belongs to one partition" \
	"a node in two partitions: both lines"
like "$err" "hand.json:9: partition 'rack1': cluster_uuid 'a1b2c3d4-0000-4000-8000-00000000001' is not a UUID" "a malformed UUID, with its line"
like "$err" "hand.json:12: partition 'rack3': nodes: hostlist 'n\[9-7\]': range 9-7 goes backwards" "a bad hostlist"
like "$err" "hand.json: 3 errors; the map was not accepted" "every error at once, and how many"
sed 's/"nodes": "n\[4-6\]"/"nodes": "n[5-6]"/; s/"rack1", "cluster_uuid": "a1b2c3d4-0000-4000-8000-00000000001"/"rack4", "cluster_uuid": "a1b2c3d4-0000-4000-8000-000000000009"/; s/"n\[9-7\]"/"n[7,9]"/' \
	"$t/hand.json" >"$t/hand2.json"
err=$("$vgpu" cliquemap check "$t/hand2.json" 2>&1)
like "$err" "hand2.json:11: partition 'rack3': identity a1b2c3d4-0000-4000-8000-000000000001.2 is already partition 'rack2' \(line 7\)" \
	"a duplicate identity"
sed 's/"1.2"/"2.0"/' "$t/hand2.json" >"$t/v2.json"
like "$("$vgpu" cliquemap check "$t/v2.json" 2>&1)" 'v2.json:2: "version" "2.0": unknown major version 2' "an unknown major version"
sed 's/"version": "1.2",//' "$t/hand2.json" >"$t/v0.json"
like "$("$vgpu" cliquemap check "$t/v0.json" 2>&1)" 'v0.json:1: "version" is missing' "a missing version"

# check against slurm.conf
printf 'ClusterName=c\nNodeName=DEFAULT CPUs=4\nNodeName=n[1-6] Gres=gpu:4\nNodeName=n[7-9]\n' >"$t/slurm.conf"
is "$("$vgpu" cliquemap check --slurm-conf "$t/slurm.conf" "$t/map.json")" \
	"$t/map.json: 3 partitions, 7 nodes, all in slurm.conf" "every node known: exit 0"
printf 'ClusterName=c\nNodeName=n[1-5]\n' >"$t/small.conf"
err=$("$vgpu" cliquemap check --slurm-conf "$t/small.conf" "$t/map.json" 2>&1)
is "$?" 1 "an unknown node exits 1"
like "$err" "map.json:[0-9]+: partition 'nvl-a1b2c3d4-2': node n6 is not a node of slurm.conf" "naming the node and its line"

# show and usage
like "$("$vgpu" cliquemap show "$t/map.json")" 'nvl-a1b2c3d4-1 +a1b2c3d4-0000-4000-8000-000000000001\.1 +4 +16 +- +n\[1-4\]' \
	"show: a table with identity, node and GPU counts, the nodes"
"$vgpu" cliquemap frob >/dev/null 2>&1
is "$?" 2 "an unknown subcommand exits 2"
"$vgpu" cliquemap check >/dev/null 2>&1
is "$?" 2 "check without a map exits 2"
done_testing
