#!/bin/bash
# vgpu discover against the simulated driver (libnvidia-ml.so.1 and
# libcuda.so.1 built from sim/, found through LD_LIBRARY_PATH as a real
# driver would be): every fact of the inventory is checked against the node
# JSON the simulator serves (python3 compares; no jq needed).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
vgpu=$VGPU_BUILDDIR/vgpu
simlib=$VGPU_BUILDDIR/sim/.libs
nodes=$VGPU_SRCDIR/sim/nodes
[ -x "$vgpu" ] || skip_all "no vgpu binary in $VGPU_BUILDDIR"
[ -e "$simlib/libnvidia-ml.so.1" ] && [ -e "$simlib/libcuda.so.1" ] || skip_all "simulated driver not built in $simlib"
command -v python3 >/dev/null 2>&1 || skip_all "no python3"
# The simulated libnvidia-ml.so.1 keeps its per-GPU state after the last
# nvmlShutdown; vgpu unloads the library, so LeakSanitizer reports that
# memory. Drop this line once sim/sim_nvml.c frees it at shutdown.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/empty.conf"
# The simulator keeps its state beside the node file: use copies.
cp "$nodes"/*.json "$tmp"/
# Compare an inventory (argv[2]) with the node JSON (argv[1]); print one line
# per difference. argv[3]: GPU indexes hidden from CUDA (comma list) or "".
cat >"$tmp/cmp.py" <<'PY'
import json, sys
node = json.load(open(sys.argv[1]))
inv = json.load(open(sys.argv[2]))
hidden = {int(x) for x in sys.argv[3].split(",") if x} if len(sys.argv) > 3 else set()
out = []
def want(what, got, exp):
    if got != exp:
        out.append("%s: got %r, want %r" % (what, got, exp))
def bus(b):
    d, rest = b.split(":", 1)
    return ("%04x:" % int(d, 16)) + rest.lower()
want("version", inv.get("version"), 1)
want("driver_version", inv.get("driver_version"), node["driver_version"])
want("cuda_driver_version", inv.get("cuda_driver_version"), node["cuda_version"])
want("number of GPUs", len(inv["gpus"]), len(node["gpus"]))
switches = [bus(s["pci_bus_id"]) for s in node.get("nvswitches", [])]
for i, (n, g) in enumerate(zip(node["gpus"], inv["gpus"])):
    p = "gpus[%d]." % i
    want(p + "index", g["index"], i)
    want(p + "minor", g["minor"], n["minor"])
    want(p + "uuid", g["uuid"], n["uuid"])
    want(p + "bus_id", g["bus_id"], bus(n["pci_bus_id"]))
    want(p + "model", g["model"], n["name"])
    want(p + "memory", g.get("memory"), n["memory_bytes"])
    want(p + "mig_enabled", g["mig_enabled"], n.get("mig", False))
    if i in hidden or n.get("mig", False):
        want(p + "sms (hidden from CUDA)", g.get("sms"), None)
    else:
        want(p + "sms", g.get("sms"), n["sms"])
    links = {}
    for peer in n.get("nvlink", {}).get("peers", []):
        if "gpu" in peer:
            links[bus(node["gpus"][peer["gpu"]]["pci_bus_id"])] = (peer["gpu"], peer["links"])
        else:
            links[switches[peer["nvswitch"]]] = (-1, peer["links"])
    got = {l["peer_bus_id"]: (l["peer"], l["links"]) for l in g["nvlink"]}
    want(p + "nvlink", got, links)
    f = n.get("fabric")
    gf = g["fabric"]
    if f:
        want(p + "fabric.cluster_uuid", gf["cluster_uuid"], f["cluster_uuid"].lower())
        want(p + "fabric.clique_id", gf["clique_id"], f["clique_id"])
        want(p + "fabric.state", gf["state"], f["state"])
        want(p + "fabric.status", gf["status"], f.get("status", 0))
    else:
        want(p + "fabric.state", gf["state"], "none")
print("\n".join(out))
PY
# Only the locality warnings of a machine whose hwloc has no such GPUs.
other_warnings() { grep -v ': not in the hwloc topology: cores and NUMA node unknown$' "$1" || true; }

set -- $(cd "$tmp" && ls *.json)
plan $((4 * $# + 8 + 4 * 2 + 1))
for f in "$@"; do
	name=${f%.json}
	VGPU_SIM_NODE=$tmp/$f LD_LIBRARY_PATH=$simlib "$vgpu" discover --json --conf "$tmp/empty.conf" \
		--hostname "$name" >"$tmp/$name.inv" 2>"$tmp/$name.err"
	is "$?" 0 "$name: vgpu discover --json exits 0"
	is "$(python3 "$tmp/cmp.py" "$tmp/$f" "$tmp/$name.inv" 2>&1)" "" "$name: inventory matches the node"
	is "$(other_warnings "$tmp/$name.err")" "" "$name: no warnings but locality"
	ngpu=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["gpus"]))' "$tmp/$f")
	is "$(VGPU_SIM_NODE=$tmp/$f LD_LIBRARY_PATH=$simlib "$vgpu" discover --conf "$tmp/empty.conf" 2>/dev/null |
		grep -c '^[0-9]')" "$ngpu" "$name: the table has one line per GPU"
done

# Library paths given explicitly, no LD_LIBRARY_PATH.
VGPU_SIM_NODE=$tmp/a100x2.json "$vgpu" discover --json --conf "$tmp/empty.conf" \
	--nvml "$simlib/libnvidia-ml.so.1" --cuda "$simlib/libcuda.so.1" >"$tmp/paths.inv" 2>/dev/null
is "$(python3 "$tmp/cmp.py" "$tmp/a100x2.json" "$tmp/paths.inv" 2>&1)" "" "--nvml/--cuda paths: inventory matches"
# ... or named in vgpu.conf.
printf 'NvmlLibrary=%s\nCudaLibrary=%s\n' "$simlib/libnvidia-ml.so.1" "$simlib/libcuda.so.1" >"$tmp/libs.conf"
VGPU_SIM_NODE=$tmp/a100x2.json "$vgpu" discover --json --conf "$tmp/libs.conf" >"$tmp/conf.inv" 2>/dev/null
is "$(python3 "$tmp/cmp.py" "$tmp/a100x2.json" "$tmp/conf.inv" 2>&1)" "" "vgpu.conf NvmlLibrary/CudaLibrary: inventory matches"

# A GPU hidden by CUDA_VISIBLE_DEVICES: found by bus id, no SM count, a warning.
CUDA_VISIBLE_DEVICES=1 VGPU_SIM_NODE=$tmp/a100x2.json LD_LIBRARY_PATH=$simlib "$vgpu" discover --json \
	--conf "$tmp/empty.conf" >"$tmp/cvd.inv" 2>"$tmp/cvd.err"
is "$?" 0 "CUDA_VISIBLE_DEVICES=1: exit 0"
is "$(python3 "$tmp/cmp.py" "$tmp/a100x2.json" "$tmp/cvd.inv" 0 2>&1)" "" "CUDA_VISIBLE_DEVICES=1: GPU 0 has no SMs, GPU 1 has its own"
is "$(other_warnings "$tmp/cvd.err")" \
	"vgpu discover: warning: GPU 0 (0000:18:00.0): SMs unknown: CUDA does not see it (CUDA_VISIBLE_DEVICES=1; run vgpu discover without it)" \
	"CUDA_VISIBLE_DEVICES=1: the warning names the variable"

# MIG mode on one GPU, fabric registration unfinished on another.
python3 - "$tmp/a100x2.json" "$tmp/a100mig.json" "$tmp/h100x8.json" "$tmp/h100part.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); a["hostname"] = "sim-a100mig"; a["gpus"][1]["mig"] = True
json.dump(a, open(sys.argv[2], "w"), indent=1)
h = json.load(open(sys.argv[3])); h["hostname"] = "sim-h100part"; h["gpus"][7]["fabric"]["state"] = "in_progress"
json.dump(h, open(sys.argv[4], "w"), indent=1)
PY
VGPU_SIM_NODE=$tmp/a100mig.json LD_LIBRARY_PATH=$simlib "$vgpu" discover --json --conf "$tmp/empty.conf" \
	>"$tmp/mig.inv" 2>"$tmp/mig.err"
is "$?:$(python3 "$tmp/cmp.py" "$tmp/a100mig.json" "$tmp/mig.inv" 2>&1)" "0:" "MIG on GPU 1: mig_enabled, no SM count"
VGPU_SIM_NODE=$tmp/h100part.json LD_LIBRARY_PATH=$simlib "$vgpu" discover --json --conf "$tmp/empty.conf" \
	>"$tmp/part.inv" 2>"$tmp/part.err"
is "$?:$(python3 "$tmp/cmp.py" "$tmp/h100part.json" "$tmp/part.inv" 2>&1)" "0:" "fabric in_progress on GPU 7: reported as such"
is "$(other_warnings "$tmp/part.err")" \
	"vgpu discover: warning: only 7 of 8 GPUs completed fabric registration: this node belongs to no clique" \
	"fabric in_progress on GPU 7: the node belongs to no clique"
# Every generation of the fabric query, as the node's driver offers it
# ("fabric_api" 1..4): discovery asks the newest one and records which.
cat >"$tmp/fab.py" <<'PY'
import json, sys
mode, api, node_in, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
if mode == "make":
    h = json.load(open(node_in)); h["hostname"] = "sim-fab%d" % api; h["fabric_api"] = api
    f = h["gpus"][0]["fabric"]
    f["cliques"] = [{"type": "multicast_pointer", "id": 9}, {"type": "unicast_pointer", "id": f["clique_id"]}]
    f["health_mask"] = 16; f["health_summary"] = "limited_capacity"
    json.dump(h, open(out, "w"), indent=1)
    sys.exit(0)
node = json.load(open(node_in)); inv = json.load(open(out))
f = node["gpus"][0]["fabric"]; g = inv["gpus"][0]["fabric"]
want = {"source": "nvml-v%d" % api, "clique_id": f["clique_id"], "state": "completed",
        "cluster_uuid": f["cluster_uuid"].lower(),
        "health_mask": 16 if api >= 2 else 0,
        "health_summary": "limited_capacity" if api >= 3 else "not_supported",
        "cliques": [{"type": "unicast_pointer", "id": f["clique_id"]}, {"type": "multicast_pointer", "id": 9}]
                   if api == 4 else []}
bad = ["%s: got %r, want %r" % (k, g.get(k), v) for k, v in want.items() if g.get(k) != v]
g1 = inv["gpus"][1]["fabric"]
if g1.get("source") != "nvml-v%d" % api:
    bad.append("gpus[1].source: got %r" % g1.get("source"))
print("\n".join(bad))
PY
for api in 1 2 3 4; do
	python3 "$tmp/fab.py" make "$api" "$tmp/h100x8.json" "$tmp/fab$api.json"
	VGPU_SIM_NODE=$tmp/fab$api.json LD_LIBRARY_PATH=$simlib "$vgpu" discover --json --conf "$tmp/empty.conf" \
		>"$tmp/fab$api.inv" 2>"$tmp/fab$api.err"
	is "$?:$(other_warnings "$tmp/fab$api.err")" "0:" "fabric_api $api: exit 0, no warnings"
	is "$(python3 "$tmp/fab.py" check "$api" "$tmp/fab$api.json" "$tmp/fab$api.inv" 2>&1)" "" \
		"fabric_api $api: read through nvml-v$api with the fields that version has"
done
# The legacy clique id and the v4 list must agree in a node file.
python3 - "$tmp/fab4.json" "$tmp/fabbad.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1])); h["gpus"][0]["fabric"]["clique_id"] = 12345
json.dump(h, open(sys.argv[2], "w"), indent=1)
PY
VGPU_SIM_NODE=$tmp/fabbad.json LD_LIBRARY_PATH=$simlib "$vgpu" discover --json --conf "$tmp/empty.conf" \
	>/dev/null 2>"$tmp/fabbad.err"
is "$(grep -c 'gpus\[0\].fabric: clique_id 12345 differs from the first unicast_pointer clique' "$tmp/fabbad.err")" \
	1 "a node file whose clique_id and cliques disagree is refused, naming the field"
done_testing
