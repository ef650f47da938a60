#!/bin/bash
# vgpu-devcluster --partitions / --domains / --fabric-fault: every GPU of a
# partition reports that partition's (cluster UUID, clique id) through the
# simulated NVML, as `vgpu discover --json` reads it (inventories the cluster
# keeps in inv/, the simulator asked again directly, and a job on a node);
# a faulty node reports an unfinished fabric state; domains have distinct
# cluster UUIDs while clique ids repeat across them; the options are checked.
# When the built vgpu has `vgpu cliquemap`, the cluster runs and its map has
# those partitions without the faulty node; without it, up refuses with a
# clear message (the inventories it made are still checked).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
plan 37
vgpu=$VGPU_BUILDDIR/vgpu
simlib=$VGPU_BUILDDIR/sim/.libs
have_map=0
"$vgpu" cliquemap --help >/dev/null 2>&1 && have_map=1

like "$("$devcluster" up --partitions 4,4 --nodes 9 2>&1)" "--partitions '4,4': 8 nodes in all, but --nodes 9" \
	"partitions that do not add up to --nodes are refused"
like "$("$devcluster" up --partitions 3,3 --domains 2,4 2>&1)" "crosses the end of domain 1" \
	"a partition across two domains is refused"
like "$("$devcluster" up --partitions 2,2 --fabric-fault n5 2>&1)" "--fabric-fault 'n5': the cluster has nodes n1..n4" \
	"a fault on a node the cluster lacks is refused"

# groups.py INVDIR N: one line per node: "nI UUID CLIQUE STATE" from the
# inventories; every GPU of a node must agree ("disagree" otherwise).
cat >"$e2e_tmp/groups.py" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    inv = json.load(open("%s/n%d.json" % (d, i)))
    ids = {(g["fabric"]["cluster_uuid"], g["fabric"]["clique_id"], g["fabric"]["state"]) for g in inv["gpus"]}
    print("n%d %s" % (i, " ".join(map(str, ids.pop())) if len(ids) == 1 else "disagree"))
PY

# down_kept: remove the directory a refused up kept (as many results as e2e_down).
down_kept() {
	"$devcluster" down --dir "$fdir" >/dev/null 2>&1
	is "$?:$([ -e "$fdir" ] && echo kept)" "0:" "down removes the refused cluster's directory"
	skip "(e) no daemons to check" "no vgpu cliquemap"
	skip "(e) no daemons to check" "no vgpu cliquemap"
	skip "(e) no daemons to check" "no vgpu cliquemap"
}

# fabric_up TAG OPTIONS...: up a cluster; without `vgpu cliquemap` up must
# fail saying so, keeping its directory (inventories inside). Sets $fdir.
fabric_up() {
	local tag=$1 out rc
	shift
	if [ $have_map = 1 ]; then
		e2e_up "$tag" "$@"
		fdir=$e2e_dir
		pass "$tag: up with $* (vgpu cliquemap present)"
	else
		e2e_more_names="${e2e_more_names:-} e2e-$tag-$$"
		out=$("$devcluster" up --name "e2e-$tag-$$" --auth none --builddir "$VGPU_BUILDDIR" "$@" 2>&1)
		rc=$?
		fdir=$(sed -n 's/.*directory is kept for inspection: //p' <<<"$out")
		like "$rc:$out" "^1:.*up --partitions: .* has no working 'cliquemap' command" \
			"$tag: without vgpu cliquemap, up --partitions fails and says why"
	fi
}

# show_partitions: `vgpu show partitions` (--json and text) on the running
# cluster: a 1-node job held on n9 (the 1-node partition), a 2-node job
# held wherever Slurm puts it. Its figures are checked against the map and
# against squeue. $show_n results.
show_n=10
show_partitions() {
	local j1 j2 out nodes2 pname
	j1=$(e2e_hold -N1 -w n9 --gres=gpu:1)
	# The 2-node job opts out of job_submit/vgpu's placement: this test is
	# about the view (placement is tests/e2e/0320's), and Slurm decides alone.
	j2=$(e2e_hold -N2 --gres=gpu:2 --comment='[vgpu-place:span]')
	e2e_wait_job "$j1" RUNNING && e2e_wait_job "$j2" RUNNING
	is "$?" 0 "show partitions: a 1-node job ($j1) and a 2-node job ($j2) run"
	nodes2=$(squeue -h -j "$j2" -o %N)
	vgpu show partitions --json >"$e2e_tmp/parts.json" 2>"$e2e_tmp/parts.err"
	is "$?:$(cat "$e2e_tmp/parts.err")" "0:" "vgpu show partitions --json finds the map through vgpu.conf and exits 0"
	# facts.py JSON MAP J1 J2 "J2 NODES": one line per fact.
	cat >"$e2e_tmp/facts.py" <<'PY'
import json, re, subprocess, sys
v, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
j1, j2 = int(sys.argv[3]), int(sys.argv[4])
names = lambda hl: subprocess.run(["scontrol", "show", "hostnames", hl], capture_output=True, text=True).stdout.split()
ps = v["partitions"]
print("parts", [(p["name"], p["nodes"]) for p in ps if p["name"]] == [(p["name"], p["nodes"]) for p in m["partitions"]])
print("gpus", " ".join("%s:%d" % (p["nodes"], p["gpus"]) for p in ps), v["gpus"])
holders = [p for p in ps if j2 in p["jobs"]]
print("j2in", len(holders), bool(holders) and set(names(sys.argv[5])) <= set(names(holders[0]["nodes"])))
print("j1in", sum(j1 in p["jobs"] for p in ps), "spanning", v["spanning"])
print("free", v["partitions_free"], v["gpus_free"], sum(p["gpus_free"] for p in ps))
PY
	out=$(python3 "$e2e_tmp/facts.py" "$e2e_tmp/parts.json" "$m" "$j1" "$j2" "$nodes2" 2>&1)
	is "$(sed -n 's/^parts //p' <<<"$out")" True "show partitions --json: the map's partitions, names and nodes, in its order"
	is "$(sed -n 's/^gpus //p' <<<"$out")" "n[1-4]:8 n[5-8]:8 n9:2 n10:2 20" \
		"GPUs per partition (n10, in no partition, apart) and in all"
	is "$(sed -n 's/^j2in //p' <<<"$out")" "1 True" "the 2-node job is listed in one partition, the one holding its nodes ($nodes2)"
	is "$(sed -n 's/^j1in //p' <<<"$out")" "0 spanning []" "the 1-node job is in no partition's multi-node jobs; none spans partitions"
	# Wholly free: only the 4-node partition the 2-node job is not in; GPUs
	# free: 20 less the 2-node job's 4 and the 1-node job's 1.
	is "$(sed -n 's/^free //p' <<<"$out")" "1 15 15" "one wholly free partition; 15 GPUs free in all and summed over partitions"
	out=$(vgpu show partitions 2>&1)
	like "$out" "3 partition\(s\); 1 wholly free; 0 waiting" "show partitions (text): its summary line"
	pname=$(python3 -c 'import json, sys
print(" ".join(p["name"] for p in json.load(open(sys.argv[1]))["partitions"] if int(sys.argv[2]) in p["jobs"]))' \
		"$e2e_tmp/parts.json" "$j2")
	like "$(awk -v p="$pname" '$1 == p' <<<"$out")" "^$pname +n\\[[0-9-]+\\] .* $j2\$" \
		"show partitions (text): the 2-node job at the end of its partition's row"
	e2e_release "$j1" "$j2"
	e2e_wait_job "$j1" COMPLETED && e2e_wait_job "$j2" COMPLETED
	is "$(vgpu show partitions --json | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["partitions_free"], v["gpus_free"], [p["jobs"] for p in v["partitions"]])')" \
		"3 20 [[], [], [], []]" "after the jobs end: three wholly free partitions, all 20 GPUs free, no jobs"
}

js=
[ "${VGPU_SANITIZED:-no}" = yes ] || js=--job-submit
fabric_up parts --partitions 4,4,2 --gpus 2 --fabric-fault n10 $js
g=$(python3 "$e2e_tmp/groups.py" "$fdir/inv" 10)
u1=$(awk '$1 == "n1" { print $2 }' <<<"$g")
is "$(awk '$5 != "" || $2 == "disagree" { print $1 }' <<<"$g")" "" "every node's GPUs agree on one fabric identity"
is "$(awk '$4 == "completed" { print $2 "." $3 }' <<<"$g" | uniq -c | awk '{ print $1 }' | tr '\n' ' ')" "4 4 1 " \
	"n1-n4, n5-n8 and n9 each report one (cluster UUID, clique id), in that order"
is "$(awk '$4 == "completed" { print $2 "." $3 }' <<<"$g" | sort -u | wc -l)" 3 "three distinct partitions"
is "$(awk '$4 == "completed" { print $2 }' <<<"$g" | sort -u)" "$u1" "one domain: one cluster UUID for all"
like "$u1" "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" "the cluster UUID is a UUID"
is "$(awk '$1 == "n10" { print $4 }' <<<"$g")" in_progress "--fabric-fault n10: n10 reports fabric state in_progress"
# The simulator asked again, directly, gives the same fabric.
VGPU_SIM_NODE=$fdir/sim/n5.json LD_LIBRARY_PATH=$simlib "$vgpu" discover --json \
	--hostname n5 >"$e2e_tmp/n5.json" 2>/dev/null
is "$(python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); print([g["fabric"] for g in a["gpus"]] == [g["fabric"] for g in b["gpus"]])' \
	"$e2e_tmp/n5.json" "$fdir/inv/n5.json")" True "n5: the simulated NVML answers the same fabric to a second discover"
if [ $have_map = 1 ]; then
	out=$(timeout 60 srun -w n6 -N1 vgpu discover --json 2>/dev/null | python3 -c 'import json,sys; f=json.load(sys.stdin)["gpus"][0]["fabric"]; print(f["cluster_uuid"], f["clique_id"])')
	is "$out" "$(awk '$1 == "n6" { print $2, $3 }' <<<"$g")" "a job on n6: vgpu discover there reports n6's partition"
	m=$e2e_dir/etc/cliquemap.json
	# The map's partitions as sorted node sets (nodes: a Slurm hostlist or a list).
	parts=$(python3 - "$m" <<'PY' 2>&1
import json, re, sys
def expand(h):
    out = []
    for item in re.findall(r"[^,\[]+(?:\[[^\]]*\])?", h):
        m = re.fullmatch(r"([^\[]*)\[([^\]]*)\]", item)
        if not m:
            out.append(item); continue
        for r in m.group(2).split(","):
            a, _, b = r.partition("-")
            out += ["%s%s" % (m.group(1), str(k).zfill(len(a))) for k in range(int(a), int(b or a) + 1)]
    return out
m = json.load(open(sys.argv[1]))
sets = []
for p in m["partitions"]:
    n = p["nodes"]
    names = expand(n) if isinstance(n, str) else [x["name"] if isinstance(x, dict) else x for x in n]
    sets.append(" ".join(sorted(names, key=lambda x: int(x[1:]))))
print("|".join(sorted(sets, key=lambda x: int(x.split()[0][1:]))))
PY
)
	is "$parts" "n1 n2 n3 n4|n5 n6 n7 n8|n9" "the built clique map has the three partitions, n10 in none"
	like "$(python3 -c 'import json,sys; print(json.dumps([e["node"] for e in json.load(open(sys.argv[1])).get("excluded", [])]))' "$m" 2>&1)" \
		'^\["n10"\]$' "n10 is the map's one excluded node"
	is "$(grep -c "^CliqueMap=$m\$" "$e2e_dir/etc/vgpu.conf")" 1 "the cluster's vgpu.conf names the map (CliqueMap=)"
	# job_submit/vgpu reads the map named there: a job larger than every
	# partition is refused at submit with the largest one named.
	if [ -n "$js" ]; then
		like "$(sbatch -N5 --gres=gpu:1 -o /dev/null --wrap true 2>&1)" \
			"5 nodes .*largest NVLink partition, nvl-[0-9a-f]+-1 \(n\[1-4\]\), has 4 nodes" \
			"job_submit/vgpu places with the cluster's map: a 5-node job is refused, the largest partition named"
	else
		skip "job_submit/vgpu refuses a 5-node job" "sanitizer build: slurmctld cannot load the plugin"
	fi
	show_partitions
	e2e_down
else
	for t in "a job on n6 reports its partition" "the map has three partitions" "n10 is left out of the map" \
		"vgpu.conf names the map" "a 5-node job is refused" $(seq 1 $show_n); do
		skip "$t" "no vgpu cliquemap: no cluster runs"
	done
	down_kept
fi

# Two domains of 2 nodes: partitions 2 | 1,1.
fabric_up doms --domains 2,2 --partitions 2,1,1 --gpus 1
g=$(python3 "$e2e_tmp/groups.py" "$fdir/inv" 4)
is "$(awk '{ print $2 }' <<<"$g" | uniq | wc -l)" 2 "--domains 2,2: n1-n2 and n3-n4 have distinct cluster UUIDs"
is "$(awk '{ print $3 }' <<<"$g" | tr '\n' ' ')" "1 1 1 2 " \
	"clique ids restart in each domain (1 in both), so only the pair names a partition"
if [ $have_map = 1 ]; then
	e2e_down
else
	down_kept
fi
done_testing
