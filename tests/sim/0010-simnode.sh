#!/bin/sh
# 0010-simnode.sh - the node generator (sim/vgpu-simnode) writes files the
# simulator reads, with the values of the model asked for; the shipped nodes
# (sim/nodes/*.json) are valid and match what the generator writes today.
. "$VGPU_SRCDIR/tests/sh/tap.sh"

gen=$VGPU_SRCDIR/sim/vgpu-simnode
dump=$VGPU_BUILDDIR/tests/sim/simnode_dump
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-simnode-sh.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

plan 20

ok "h100 x8 with a fabric clique" "$gen" --model h100 --gpus 8 --hostname node1 --clique 1 \
	--cluster-uuid 5d3c2a9e-0c1b-4b8e-9f00-1a2b3c4d5e6f -o "$tmp/node1.json"
out=$("$dump" "$tmp/node1.json" 2>&1)
like "$out" "^hostname node1" "hostname"
is "$(printf '%s\n' "$out" | grep -c '^gpu ')" 8 "8 GPUs"
like "$out" 'gpu 0 GPU-[0-9a-f-]{36} 00000000:18:00.0 "NVIDIA H100 80GB HBM3" mem=85520809984 reserved=492830720 context=314572800 sms=132 cc=9.0 minor=0 mig=1/0 nvlinks=18/18 fabric=3 clique=1' "an H100 as it reports itself"
is "$(printf '%s\n' "$out" | sed -n 's/^switches //p')" 4 "4 NVSwitches"
is "$(printf '%s\n' "$out" | awk '/^gpu / {print $3}' | sort -u | wc -l | tr -d ' ')" 8 "8 distinct UUIDs"

ok "a100 x2 (direct NVLink)" "$gen" --model a100 --gpus 2 --hostname a2 -o "$tmp/a2.json"
like "$("$dump" "$tmp/a2.json")" 'gpu 1 .* sms=108 cc=8.0 .* nvlinks=12/12 fabric=-1' "A100 pair linked to each other"

ok "l40s x4 (no NVLink)" "$gen" --model l40s --gpus 4 --hostname l4 -o "$tmp/l4.json"
like "$("$dump" "$tmp/l4.json")" 'gpu 3 .* "NVIDIA L40S" mem=48305799168 .* nvlinks=0/0 fabric=-1' "L40S without NVLink"
like "$("$dump" "$tmp/l4.json")" 'p2p 0' "no PCIe P2P"

ok "same command, same file" sh -c "'$gen' --model h100 --gpus 8 --hostname node1 --clique 1 --cluster-uuid 5d3c2a9e-0c1b-4b8e-9f00-1a2b3c4d5e6f | cmp - '$tmp/node1.json'"
nok "unknown model refused" "$gen" --model v100 --hostname x
like "$("$gen" --model h100 --gpus 17 --hostname x 2>&1)" "--gpus '17': expected 1 to 16" "too many GPUs refused"
like "$("$gen" --gpus 2 2>&1)" "--hostname is required" "hostname required"
like "$("$gen" --model l40s --hostname x --clique 2 2>&1)" "no NVLink fabric" "no fabric on an L40S"

# The shipped nodes are valid and are what the generator writes.
for spec in "h100x8.json:--model h100 --gpus 8 --hostname sim-h100x8 --clique 1 --cluster-uuid 6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9" \
	"a100x2.json:--model a100 --gpus 2 --hostname sim-a100x2" \
	"l40sx4-nolink.json:--model l40s --gpus 4 --hostname sim-l40sx4"; do
	file=${spec%%:*}
	args=${spec#*:}
	# shellcheck disable=SC2086
	"$gen" $args -o "$tmp/regen.json"
	if "$dump" "$VGPU_SRCDIR/sim/nodes/$file" >/dev/null 2>"$tmp/err" &&
		cmp -s "$tmp/regen.json" "$VGPU_SRCDIR/sim/nodes/$file"; then
		pass "sim/nodes/$file is valid and up to date"
	else
		fail "sim/nodes/$file is valid and up to date"
		diag "$(cat "$tmp/err")"
	fi
done

nok "a broken node is refused" "$dump" "$VGPU_SRCDIR/tests/sim/0010-simnode.sh"
done_testing
