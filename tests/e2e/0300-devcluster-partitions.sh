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
plan 25
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

fabric_up parts --partitions 4,4,2 --gpus 2 --fabric-fault n10
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
	like "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get("excluded")))' "$m" 2>&1)" \
		'"n10"' "n10 is among the map's excluded nodes"
	e2e_down
else
	for t in "a job on n6 reports its partition" "the map has three partitions" "n10 is left out of the map"; do
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
