#!/bin/bash
# slurmd restarted under running slices (1 node, 1 H100, 100 shards; the
# SPANK plugin, cli_filter and job_submit loaded): three shard:25 jobs each
# hold 1, 2 and 3 GiB in one long-running step (tests/shim/shimprobe `alloc
# mem N hold`). `vgpu-devcluster restart-slurmd` stops slurmd by its recorded
# PID and starts it again. Shown: the jobs and their steps keep running;
# `vgpu show --json` and `scontrol -d show job` give the same GPU and shard
# counts before and after (no slice lost or doubled); a 4th shard:25 runs and
# a 5th pends (Resources); each running step's ledger still holds exactly its
# memory (read by a process joining the step's ledger: NVML's process list and
# cuMemGetInfo through the shim) and the simulated driver still lists the
# three processes; after the jobs end no step directory (accounting) is left.
# Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
[ -e "$VGPU_BUILDDIR/plugins/job_submit/.libs/job_submit_vgpu.so" ] || skip_all "the job_submit plugin is not built"
plan 39
e2e_up restart --nodes 1 --gpus 1 --spank --cli-filter --job-submit
state=$e2e_dir/vgpu-state
conf=$e2e_dir/etc/vgpu.conf
uuid=$(sed -n 's/.*"uuid": *"\(GPU-[^"]*\)".*/\1/p' "$e2e_dir/sim/n1.json" | head -1)
# slice K: K of the GPU's ShardsPerGpu (120 by default) shards of Memory -
# DriverReserved (the GpuType line vgpu conf wrote); every context is
# charged ContextMemory (ctx).
type_line=$(grep '^GpuType=h100 ' "$conf")
mib() { echo "$type_line" | sed -n "s/.* $1=\([0-9]*\)M.*/\1/p"; }
mem=$(mib Memory) drv=$(mib DriverReserved) ctx=$(($(mib ContextMemory) * 1048576))
per=$(sed -n 's/^ShardsPerGpu=\([0-9]*\).*/\1/p' "$conf")
per=${per:-120}
slice() { echo $(($1 * (mem - drv) * 1048576 / per)); }
s25=$(slice 25)
G=1073741824
cd "$e2e_tmp" || exit 1

# The slice views: per GPU "index used/total reserved holders", per job
# "job J gpu shards memory_limit".
views() {
	"$VGPU_BUILDDIR/vgpu" show --json --conf "$conf" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for n in d["nodes"]:
    for g in n["gpus"]:
        print(n["name"], g["index"], "%d/%d" % (g["shards_used"], g["shards_total"]), g.get("memory_reserved"),
              " ".join("%d:%s" % (h["job_id"], h["shards"]) for h in sorted(g["holders"], key=lambda h: h["job_id"])))
for j in sorted(d["jobs"], key=lambda j: j["job_id"]):
    print("job", j["job_id"], j["node"], j["gpu"], j["shards"], j.get("memory_limit"))
'
	local id
	for id in "$@"; do
		echo "scontrol $id $(scontrol -d -o show job "$id" | grep -o ' GRES=[a-z]*:[0-9]*' | head -1 | tr -d ' ') on GPU $(e2e_gres_idx "$id")"
	done
}
# joined ID: cuMemGetInfo and NVML's process list of a process joining the
# batch step's ledger (the step's own description, through the shim).
joined() {
	LD_PRELOAD=$shim VGPU_STEP_DESC=$state/$1.batch.0/step.desc VGPU_SIM_NODE=$e2e_dir/sim/n1.json \
		"$probe" dlopen init info nvmlprocs "$uuid" 2>/dev/null | grep -E '^(info|nvmlprocs):' | tr '\n' ' ' |
		sed -E "s/ [0-9]+:$ctx( |\$)/\1/" # its own context (its pid differs each time)
}
# The simulated driver's own process list (no shim): "PID ..." sorted.
driver_pids() {
	VGPU_SIM_NODE=$e2e_dir/sim/n1.json "$probe" dlopen nvmlprocs "$uuid" 2>/dev/null |
		sed -n 's/^nvmlprocs: 0 //p' | tr ' ' '\n' | cut -d: -f1 | sort -n | tr '\n' ' '
}

# 1. three jobs of shard:25, each step holding K GiB
ids=() pids=()
for k in 1 2 3; do
	ids+=("$(sbatch --parsable -o "$e2e_tmp/h$k.out" -e /dev/null --gres=shard:25 \
		--wrap "exec $probe dlopen init alloc mem $((k * G)) hold")")
done
t=150
while [ "$(cat "$e2e_tmp"/h[123].out 2>/dev/null | grep -c '^hold: ready')" -lt 3 ] && [ $t -gt 0 ]; do sleep 0.2; t=$((t - 1)); done
for k in 1 2 3; do
	is "$(grep -E '^(alloc|hold)' "$e2e_tmp/h$k.out" 2>/dev/null | tr '\n' ' ')" "alloc mem $((k * G)): 0 hold: ready " \
		"job ${ids[k - 1]} (shard:25) holds $k GiB in its batch step"
done
for k in 1 2 3; do
	p=$(joined "${ids[k - 1]}" | sed -n 's/.*nvmlprocs: 0 \([0-9]*\):.*/\1/p')
	pids+=("${p:-0}")
done
before=$(views "${ids[@]}")
is "$(echo "$before" | head -1)" "n1 0 75/$per $((3 * s25)) ${ids[0]}:25 ${ids[1]}:25 ${ids[2]}:25" \
	"before: vgpu show: 75 of $per shards, three 25-shard slices reserved"
is "$(echo "$before" | grep -c '^scontrol [0-9]* GRES=shard:25 on GPU 0$')" 3 "before: scontrol -d: each job shard:25 on GPU 0"
is "$(driver_pids)" "$(printf '%s\n' "${pids[@]}" | sort -n | tr '\n' ' ')" "before: the simulated driver lists the three holding processes"

# 2. restart slurmd
old=$(awk '$1 == "slurmd-n1" { print $2 }' "$e2e_dir/run/pids")
out=$("$devcluster" restart-slurmd --dir "$e2e_dir" --node n1 2>&1)
is "$?" 0 "restart-slurmd --node n1 exits 0"
new=$(awk '$1 == "slurmd-n1" { print $2 }' "$e2e_dir/run/pids")
like "$out" "^slurmd-n1 restarted: pid $new, registered at " "... and says so ($out)"
ok "the old slurmd ($old) is gone, a new one ($new) runs and is the recorded one" \
	eval '[ -n "$new" ] && [ "$new" != "$old" ] && ! e2e_start "$old" >/dev/null && e2e_start "$new" >/dev/null'
is "$(grep -c '^slurmd-n1 ' "$e2e_dir/run/pids")" 1 "run/pids records one slurmd-n1"

# 3. the jobs and their steps keep running; the same views
for k in 1 2 3; do is_job "${ids[k - 1]}" RUNNING "after: job ${ids[k - 1]} still runs"; done
ok "after: the three holding processes still run (${pids[*]})" \
	eval 'e2e_start "${pids[0]}" && e2e_start "${pids[1]}" && e2e_start "${pids[2]}"'
is "$(views "${ids[@]}")" "$before" "after: vgpu show --json and scontrol -d show job say exactly what they said before"

# 4. one more slice fits, a fifth does not
j4=$(e2e_hold --gres=shard:25)
is_job "$j4" RUNNING "after: a 4th shard:25 job runs"
is "$(e2e_gres_idx "$j4")" 0 "... on GPU 0"
j5=$(e2e_hold --gres=shard:25)
is_job "$j5" PENDING Resources "after: a 5th shard:25 job pends (Resources)"
is "$(views | head -1)" "n1 0 100/$per $((4 * s25)) ${ids[0]}:25 ${ids[1]}:25 ${ids[2]}:25 $j4:25" \
	"vgpu show: 100 of $per shards, four slices"

# 5. the ledgers (after the 4th step started, which runs the stale-directory
# cleaner): each holds exactly its step's memory, nothing more
for k in 1 2 3; do
	is "$(joined "${ids[k - 1]}")" "info: 0 $((s25 - k * G - 2 * ctx)) $s25 nvmlprocs: 0 ${pids[k - 1]}:$((k * G + ctx)) " \
		"job ${ids[k - 1]}'s ledger: exactly $k GiB and its context, held by its process; cuMemGetInfo: the rest of its slice free (less the joiner's context)"
done
is "$(driver_pids)" "$(printf '%s\n' "${pids[@]}" | sort -n | tr '\n' ' ')" "after: the simulated driver lists the same three processes"
is "$(ls -A "$state" | grep -v '^job\.' | sort | tr '\n' ' ')" "$(printf '%s.batch.0\n' "${ids[@]}" "$j4" | sort | tr '\n' ' ')" \
	"StateDir: one directory per running step, none lost"
ok "each job's accounting dir is still root's, 0700" test "$(stat -c '%a %U' "$state"/job.*/acct | sort -u)" = "700 root"

# 6. the jobs end: no accounting dir left, the restarted slurmd ran their ends
e2e_release "$j4"
scancel "${ids[@]}"
is_job "$j5" RUNNING "the 5th runs once the others end"
e2e_release "$j5"
ok "every job ended" e2e_wait_idle
is "$(ls -A "$state")" "" "no step directory (no ledger) left under StateDir"
ok "the holding processes are gone" eval '! e2e_start "${pids[0]}" && ! e2e_start "${pids[1]}" && ! e2e_start "${pids[2]}"'
out=$(timeout 30 srun --gres=shard:25 "$probe" dlopen init info 2>/dev/null)
is "$(echo "$out" | grep '^info:')" "info: 0 $((s25 - ctx)) $s25" "a new shard:25 step gets its whole slice (less its context)"

e2e_health
e2e_down
done_testing
