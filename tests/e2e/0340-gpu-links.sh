#!/bin/bash
# Which GPUs Slurm gives a multi-GPU job on a node whose GPUs are NVLink-
# connected only in pairs (sim/vgpu-simnode --model a100-pcie: 4 A100 PCIe,
# bridges 0-1 and 2-3, 12 links each), and what `vgpu show` says of them.
# vgpu discover + vgpu conf write gres.conf Links= from the simulated NVML;
# with chosen GPUs busy, --gres=gpu:2 (per node) and --gpus=2 (per job) land
# where each release's select/cons_tres puts them (doc/nvlink.md "GPU sets on
# one node": measured, and read in the source); `vgpu show` names every set
# "NVLink x12 (all pairs)" or "not NVLink-connected (PCIe)" as the links of
# the GPUs Slurm chose say, and "links unknown" without a gres.conf.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
rel=$(e2e_slurm)
case $rel in 22.05 | 24.11 | 26.05) ;; *) skip_all "Slurm $rel: GPU choices measured on 22.05, 24.11 and 26.05 only" ;; esac
plan 36
e2e_up links --nodes 1 --gpus 4 --model a100-pcie
conf=$e2e_dir/etc/vgpu.conf
vs() { "$VGPU_BUILDDIR/vgpu" show --conf "$conf" "$@"; }

is "$(grep -o 'nvidia[0-9] Links=[-0-9,]*' "$e2e_dir/etc/gres.conf")" "nvidia0 Links=-1,12,0,0
nvidia1 Links=12,-1,0,0
nvidia2 Links=0,0,-1,12
nvidia3 Links=0,0,12,-1" "vgpu conf: gres.conf Links= from the simulated NVLink bridges 0-1, 2-3"

# idx ID: the job's GPU indexes, comma-separated ("0-1" -> "0,1").
idx() {
	e2e_gres_idx "$1" | awk -F, '{ o = ""; for (i = 1; i <= NF; i++) { n = split($i, r, "-");
		for (g = r[1]; g <= r[n]; g++) o = o (o == "" ? "" : ",") g } print o }'
}
# want_text GPUS: what vgpu show must say of that pair on this node.
want_text() {
	case $1 in 0,1 | 2,3) echo "GPUs $1: NVLink x12 (all pairs)" ;; *) echo "GPUs $1: not NVLink-connected (PCIe)" ;; esac
}
# sets: "job node gpus nvlink text" per GPU set from vgpu show --json.
sets() {
	vs --json "$@" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["gpu_sets"]:
    print(s["job_id"], s["node"], ",".join(map(str, s["gpus"])), s["nvlink"], s["text"])'
}

# scenario BUSY WANT WHAT OPTIONS...: hold the GPUs in BUSY (fill all four
# with 1-GPU jobs, release the others), submit OPTIONS, check that it got
# WANT (this release's choice) and what vgpu show says; release everything.
scenario() {
	local busy=$1 want=$2 what=$3 ids=() keep=() k j got g
	shift 3
	for k in 0 1 2 3; do ids+=("$(e2e_hold -w n1 --gres=gpu:1)"); done
	for k in 0 1 2 3; do e2e_wait_job "${ids[k]}" RUNNING || diag "job ${ids[k]}: $(e2e_job_state "${ids[k]}")"; done
	for k in 0 1 2 3; do
		g=$(idx "${ids[k]}")
		case ",$busy," in *",$g,"*) keep+=("${ids[k]}") ;; *) e2e_release "${ids[k]}" ;; esac
	done
	for k in 0 1 2 3; do case " ${keep[*]} " in *" ${ids[k]} "*) ;; *) e2e_wait_job "${ids[k]}" COMPLETED ;; esac; done
	j=$(e2e_hold -w n1 "$@")
	e2e_wait_job "$j" RUNNING || diag "job $j: $(e2e_job_state "$j")"
	got=$(idx "$j")
	is "$got" "$want" "$rel, GPUs {${busy:-none}} busy, $*: Slurm gives GPUs $want ($what)"
	is "$(sets --job "$j")" "$j n1 $got $(case $got in 0,1 | 2,3) echo all ;; *) echo none ;; esac) $(want_text "$got")" \
		"vgpu show: job $j's GPUs $got: $(want_text "$got")"
	like "$(vs --job "$j")" "GPU SETS .*
$j +n1 +$(want_text "$got")" "vgpu show (text): the GPU SETS line of job $j"
	e2e_release "$j" "${keep[@]}"
	ok "scenario's jobs end" e2e_wait_idle
}

# Expected per release (doc/nvlink.md): 22.05 takes the first free GPU, then
# the free GPUs most linked to it; 24.11 and 26.05 re-sort the free GPUs by
# links to the chosen ones ascending, so the least-linked comes next. Per job
# (--gpus), both trim a larger pick to the best-linked GPUs.
case $rel in
22.05) idle=0,1 ;;
*) idle=0,2 ;;
esac
scenario "" "$idle" "idle node" --gres=gpu:2
scenario 0 1,2 "connected 2,3 free" --gres=gpu:2
scenario 1 0,2 "connected 2,3 free" --gres=gpu:2
scenario 1,2 0,3 "no connected pair free" --gres=gpu:2
scenario 0 2,3 "per job: the connected pair" --gpus=2
scenario 1 2,3 "per job: the connected pair" --gpus=2

# Without gres.conf (another path): links unknown, and why.
j=$(e2e_hold -w n1 --gres=gpu:2)
e2e_wait_job "$j" RUNNING
got=$(idx "$j")
is "$(sets --job "$j" --gres-conf "$e2e_tmp/none.conf")" \
	"$j n1 $got unknown GPUs $got: links unknown (cannot read $e2e_tmp/none.conf: No such file or directory)" \
	"vgpu show --gres-conf MISSING: links unknown, with the file and why"
# One GPU per job: no set.
k=$(e2e_hold -w n1 --gres=gpu:1)
e2e_wait_job "$k" RUNNING
is "$(sets --job "$k")" "" "a 1-GPU job has no GPU set"
e2e_release "$j" "$k"

e2e_health
e2e_down
