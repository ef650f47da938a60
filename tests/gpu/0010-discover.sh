#!/bin/bash
# On a real GPU node: vgpu discover agrees with nvidia-smi. Skipped elsewhere.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
vgpu=$VGPU_BUILDDIR/vgpu
command -v nvidia-smi >/dev/null 2>&1 || skip_all "no nvidia-smi: not a GPU node"
smi=$(nvidia-smi --query-gpu=index,uuid,pci.bus_id,memory.total,name,mig.mode.current \
	--format=csv,noheader,nounits 2>/dev/null) || skip_all "nvidia-smi finds no GPU"
[ -n "$smi" ] || skip_all "nvidia-smi finds no GPU"
# The simulator must not stand in for the real driver here.
unset VGPU_SIM_NODE VGPU_SIM_DIR
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ngpu=$(printf '%s\n' "$smi" | grep -c .)
plan $((3 + 5 * ngpu))

ok "vgpu discover runs" "$vgpu" discover
"$vgpu" discover --json >"$tmp/inv.json" 2>"$tmp/err"
is "$?" 0 "vgpu discover --json exits 0"
# Compare field by field with python3 (no jq needed).
while IFS=, read -r idx uuid bus mem name mig; do
	uuid=$(echo $uuid) bus=$(echo $bus) mem=$(echo $mem) name=$(echo "$name" | sed 's/^ *//') mig=$(echo $mig)
	get() {
		python3 - "$tmp/inv.json" "$1" "$2" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
g = [g for g in inv["gpus"] if g["uuid"] == sys.argv[2]]
print(g[0].get(sys.argv[3], "") if g else "MISSING")
PY
	}
	is "$(get "$uuid" uuid)" "$uuid" "gpu $idx: uuid $uuid found"
	is "$(get "$uuid" bus_id | tr a-f A-F)" "$(echo "$bus" | sed 's/^0000//' | tr a-f A-F)" "gpu $idx: bus id"
	is "$(( $(get "$uuid" memory) / 1048576 ))" "$mem" "gpu $idx: memory (MiB)"
	is "$(get "$uuid" model)" "$name" "gpu $idx: model name"
	want=0; [ "$mig" = Enabled ] && want=1
	is "$(get "$uuid" mig_enabled | sed 's/True/1/;s/False/0/;s/true/1/;s/false/0/')" "$want" "gpu $idx: MIG mode"
done <<<"$smi"
ok "vgpu conf accepts the inventory" "$vgpu" conf "$tmp/inv.json"
done_testing
