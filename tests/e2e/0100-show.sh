#!/bin/bash
# `vgpu show` on a real Slurm 22.05 devcluster (2 nodes, 2 H100 each, strict
# accounting, S = ShardsPerGpu shards per GPU, 120 by default): with shard
# jobs, a whole-GPU job and a 2-node shard job running, `vgpu show --json`
# puts every job on the GPU `scontrol -d show job` names, with its shard
# count, the memory limit floor(K * U / S) (U: the GpuType line's Memory less
# DriverReserved, as vgpu conf wrote it) and SM share floor(K * 10000 / S),
# and every GPU's used,
# reserved and free amounts add up; the human view says the same; filters,
# steps, "limits unknown" without GpuType, an unreachable controller; everything
# free again after the jobs end. Then (e): healthy daemons, clean `down`.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
plan 39
e2e_up show --nodes 2 --gpus 2
conf=$e2e_dir/etc/vgpu.conf
# U: usable bytes of the simulated H100, from the GpuType line vgpu conf wrote
# (Memory less DriverReserved; no MemoryReserve); S: shards per GPU.
type_line=$(grep '^GpuType=h100 ' "$conf")
mib() { echo "$type_line" | sed -n "s/.* $1=\([0-9]*\)M.*/\1/p"; }
U=$((($(mib Memory) - $(mib DriverReserved)) * 1048576))
S=$(sed -n 's/^ShardsPerGpu=\([0-9]*\).*/\1/p' "$conf")
S=${S:-120}
# What the human view prints for a size and an SM share (basis points).
hsize() { python3 -c '
import sys
b = int(sys.argv[1]); names = ["B", "KiB", "MiB", "GiB", "TiB"]; u = 0; unit = 1
while u + 1 < len(names) and b >= unit << 10: unit <<= 10; u += 1
w, r = divmod(b, unit)
if r == 0: print("%d %s" % (w, names[u])); sys.exit()
t = (r * 10 + unit // 2) // unit
if t == 10: w += 1; t = 0
print("%d.%d %s" % (w, t, names[u]))' "$1"; }
hsm() { printf '%d.%02d%%' $(($1 / 100)) $(($1 % 100)); }
vs() { "$VGPU_BUILDDIR/vgpu" show --conf "$conf" "$@"; }

# summary JSON: one line per GPU "node gpu used/total memres memfree smres smfree
# [job:shards:mem:sm|job:whole:mem:sm ...]", then "job J node gpu shards mem sm".
summary() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
for n in d["nodes"]:
    for g in n["gpus"]:
        hs = " ".join("%d:%s:%s:%s" % (h["job_id"], "whole" if h["whole_gpu"] else h["shards"],
                      h.get("memory_limit"), h.get("sm_share")) for h in g["holders"])
        print(n["name"], g["index"], "%d/%d" % (g["shards_used"], g["shards_total"]),
              g.get("memory_reserved"), g.get("memory_free"), g.get("sm_share_reserved"),
              g.get("sm_share_free"), hs)
for j in d["jobs"]:
    print("job", j["job_id"], j["node"], j["gpu"], "whole" if j["whole_gpu"] else j["shards"],
          j.get("memory_limit"), j.get("sm_share"))
'
}

out=$(vs --json) && s=$(printf '%s' "$out" | summary)
is "$s" "n1 0 0/$S 0 $U 0 10000 
n1 1 0/$S 0 $U 0 10000 
n2 0 0/$S 0 $U 0 10000 
n2 1 0/$S 0 $U 0 10000 " "idle: 4 GPUs, $S shards each, all memory and SMs free"

a=$(e2e_hold -w n1 --gres=shard:25)
b=$(e2e_hold -w n1 --gres=shard:50)
c=$(e2e_hold -w n2 --gres=gpu:1)
for id in $a $b $c; do is_job "$id" RUNNING "job $id runs"; done
d=$(e2e_hold -N 2 --gres=shard:10)
is_job "$d" RUNNING "2-node shard:10 job $d runs"

# Ground truth: the GPU index scontrol -d shows per job and node.
ia=$(e2e_gres_idx "$a") ib=$(e2e_gres_idx "$b") ic=$(e2e_gres_idx "$c")
set -- $(e2e_gres_idx "$d")
id1=$1 id2=$2
like "$ia $ib $ic $id1 $id2" '^[01] [01] [01] [01] [01]$' "scontrol -d names one GPU per job and node ($ia $ib $ic $id1 $id2)"
is "$ic" "$([ "$id2" = 0 ] && echo 1 || echo 0)" "the whole GPU and n2's shards are on different GPUs"

lim() { echo "$(($1 * U / S)) $(($1 * 10000 / S))"; }
# Expected per GPU, computed from the ground truth.
declare -A used hold
add() { # node gpu job shards|whole
	local k="$1 $2" m
	if [ "$4" = whole ]; then used[$k]=$S; m="$U 10000"; else used[$k]=$((${used[$k]:-0} + $4)); m=$(lim "$4"); fi
	hold[$k]="${hold[$k]:+${hold[$k]} }$3:$4:${m% *}:${m#* }"
}
add n1 "$ia" "$a" 25
add n1 "$ib" "$b" 50
add n1 "$id1" "$d" 10
add n2 "$ic" "$c" whole
add n2 "$id2" "$d" 10
want=
for k in "n1 0" "n1 1" "n2 0" "n2 1"; do
	u=${used[$k]:-0} mr=0 sr=0
	for h in ${hold[$k]:-}; do IFS=: read -r _ _ hm hs <<<"$h"; mr=$((mr + hm)); sr=$((sr + hs)); done
	want="$want$k $u/$S $mr $((U - mr)) $sr $((10000 - sr)) ${hold[$k]:-}
"
done
want="${want}job $a n1 $ia 25 $(lim 25)
job $b n1 $ib 50 $(lim 50)
job $c n2 $ic whole $U 10000
job $d n1 $id1 10 $(lim 10)
job $d n2 $id2 10 $(lim 10)"
out=$(vs --json) && s=$(printf '%s' "$out" | summary)
is "$s" "$want" "--json: every job on scontrol's GPU, shards, memory limits, SM shares, used and free per GPU"

human=$(vs)
is "$?" 0 "vgpu show exits 0"
like "$human" "  GPU $ia  h100  shards [0-9]+/$S used  memory [0-9.]+ [GM]iB reserved, [0-9.]+ [GM]iB free  SM [0-9.]+% reserved, [0-9.]+% free" "human: a GPU line with shards, memory and SM share reserved and free"
set -- $(lim 25)
m25=$(hsize "$1") sm25=$(hsm "$2")
set -- $(lim 10)
m10=$(hsize "$1") sm10=$(hsm "$2")
mU=$(hsize "$U")
like "$human" "    job $a +root +25 shards  memory $m25  SM $sm25" "human: job $a holds 25 shards, $m25, $sm25"
like "$human" "    job $c +root +whole GPU +memory $mU  SM 100.00%" "human: job $c holds the whole GPU"
is "$(vs --node n2 | grep "^  GPU $ic ")" "  GPU $ic  h100  shards $S/$S used (whole GPU held)  memory $mU reserved, 0 B free  SM 100.00% reserved, 0.00% free" "human: n2's whole GPU is full"
like "$human" "$d +root +n2 +$id2 +10 +$m10 +$sm10" "human: job table has job $d on n2"

# A step with shards of its own is listed under its job, on the job's GPU.
srun --jobid="$a" --overlap --gres=shard:5 -o /dev/null bash -c \
	"t=0; while [ ! -e $e2e_tmp/step-release ] && [ \$t -lt 300 ]; do sleep 0.1; t=\$((t + 1)); done" >/dev/null 2>&1 &
srun_pid=$!
t=150
while [ $t -gt 0 ] && ! squeue -h -s -o %i | grep -qx "$a.0"; do sleep 0.2; t=$((t - 1)); done
s=$(vs --job "$a" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print([(n["name"], g["index"], h["steps"]) for n in d["nodes"] for g in n["gpus"] for h in g["holders"]])')
is "$s" "[('n1', $ia, [{'step': '$a.0', 'shards': 5, 'memory_limit': $((5 * U / S)), 'sm_share': $((5 * 10000 / S))}])]" "step $a.0 (--gres=shard:5) under job $a on GPU $ia, with its own limits"

# Filters.
s=$(vs --job "$d" --json | summary | grep ^job)
is "$s" "job $d n1 $id1 10 $(lim 10)
job $d n2 $id2 10 $(lim 10)" "--job $d: its two lines only"
s=$(vs --job "$a" | grep -c '^  GPU')
is "$s" 1 "--job $a: one GPU shown"
s=$(vs --node n2 --json | summary | cut -d' ' -f1 | sort -u | tr '\n' ' ')
is "$s" "job n2 " "--node n2: only n2"
is "$(vs --user root --json | summary | grep -c ^job)" 5 "--user root: all 5 job lines"
is "$(vs --user nobody)" "" "--user nobody: nothing"
out=$(vs --node n9 2>&1)
is "$?:$out" "1:vgpu show: --node: slurmctld knows no node 'n9'" "--node n9: refused, exit 1"
out=$(vs --job x 2>&1)
is "$?:$(echo "$out" | head -1)" "2:vgpu show: --job: 'x' is not a job id" "--job x: usage error"

# Without a GpuType for h100 the limits are unknown, not guessed.
printf 'AccountingMode=strict\n' >"$e2e_tmp/notype.conf"
out=$("$VGPU_BUILDDIR/vgpu" show --conf "$e2e_tmp/notype.conf" --node n2)
like "$out" "GPU $ic  h100  shards $S/$S used \(whole GPU held\)  limits unknown: no GpuType 'h100' in vgpu.conf" "no GpuType: limits unknown"
like "$out" "job $c +root +whole GPU   limits unknown" "no GpuType: the holder's limits unknown"

# An unreachable controller.
(grep -v -i -E '^(SlurmctldPort|MessageTimeout)=' "$SLURM_CONF"; echo SlurmctldPort=1; echo MessageTimeout=1) >"$e2e_tmp/bad.conf"
out=$(SLURM_CONF=$e2e_tmp/bad.conf vs 2>&1)
is "$?" 1 "unreachable slurmctld: exit 1"
like "$out" '^vgpu show: cannot reach slurmctld: loading nodes: .+' "unreachable slurmctld: says so ($out)"

out=$(SLURM_CONF=$e2e_tmp/none.conf vs 2>&1)
is "$?:$out" "1:vgpu show: cannot read SLURM_CONF '$e2e_tmp/none.conf': No such file or directory" "a missing SLURM_CONF: said at once, exit 1"

# Cancel the jobs: everything free again.
: >"$e2e_tmp/step-release"
wait "$srun_pid"
is "$?" 0 "the step ends by itself"
scancel "$a" "$b" "$c" "$d"
ok "the jobs end" e2e_wait_idle
out=$(vs --json) && s=$(printf '%s' "$out" | summary)
is "$s" "n1 0 0/$S 0 $U 0 10000 
n1 1 0/$S 0 $U 0 10000 
n2 0 0/$S 0 $U 0 10000 
n2 1 0/$S 0 $U 0 10000 " "after scancel: all free again, no job lines"

e2e_health
e2e_down
done_testing
