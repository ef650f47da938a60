#!/bin/bash
# The SPANK launcher (plugins/spank) on a 1-node, 2-GPU devcluster with the
# plugin `required` in plugstack.conf: every step holding shards runs under
# the shim with its slice, in every kind of step; whole-GPU steps run without
# it; LD_PRELOAD cannot be dropped; the step's directory goes with the step,
# also when it is SIGKILLed or its slurmstepd died. tests/shim/shimprobe is
# the CUDA program (dlopen of libcuda.so.1, cuInit, context, cuMemGetInfo,
# cuMemAlloc_v2). Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
plan 52
e2e_up spank --nodes 1 --gpus 2 --spank --cli-filter
state=$e2e_dir/vgpu-state
host_preload=$(cat /etc/ld.so.preload 2>/dev/null || echo none)
cd "$e2e_tmp" || exit 1

# slice K: the memory of K of the GPU's S shards (strict; no MemoryReserve):
# floor(K * (Memory - DriverReserved) / S), from vgpu.conf's GpuType line
# (vgpu conf writes what vgpu discover measured); S = ShardsPerGpu (120 by
# default). free K: what cuMemGetInfo shows once the first context exists
# (every context is charged ContextMemory).
type_line=$(grep '^GpuType=h100 ' "$e2e_dir/etc/vgpu.conf")
mib() { echo "$type_line" | sed -n "s/.* $1=\([0-9]*\)M.*/\1/p"; }
mem=$(mib Memory) drv=$(mib DriverReserved) ctx=$(($(mib ContextMemory) * 1048576))
S=$(sed -n 's/^ShardsPerGpu=\([0-9]*\).*/\1/p' "$e2e_dir/etc/vgpu.conf")
S=${S:-120}
usable=$(((mem - drv) * 1048576))
slice() { echo $(($1 * usable / S)); }
free() { echo $(($(slice "$1") - ctx)); }
ok "the GpuType line has the measured DriverReserved= and ContextMemory=" test "${drv:-0}" -gt 0 -a "$ctx" -gt 0
is "$(grep -c "^required .*vgpu_spank.so conf=$e2e_dir/etc/vgpu.conf shim=$shim" "$e2e_dir/etc/plugstack.conf")" 1 \
	"plugstack.conf: the plugin, required, with conf= and shim="

# 1. srun --gres=shard:10: the slice in cuMemGetInfo, over it OUT_OF_MEMORY (2).
s10=$(slice 10)
out=$(timeout 30 srun --gres=shard:10 "$probe" dlopen init info alloc mem $((s10 + 2097152)) alloc mem 1073741824 2>"$e2e_tmp/err")
is "$(echo "$out" | grep '^info:')" "info: 0 $(free 10) $s10" "shard:10: cuMemGetInfo shows the slice (10% of $mem MiB)"
is "$(echo "$out" | grep '^alloc mem [0-9]*: ' | cut -d' ' -f4 | tr '\n' ' ')" "2 0 " \
	"shard:10: an allocation past the slice fails with CUDA_ERROR_OUT_OF_MEMORY, 1 GiB succeeds"
# 2. what the task sees: the shim preloaded, its description, a private ld.so.preload
out=$(timeout 30 srun --gres=shard:10 bash -c 'echo "$LD_PRELOAD"; echo "$VGPU_STEP_DESC"; cat /etc/ld.so.preload; stat -c "%a" "$(sed -n "s/^acct=//p" "$VGPU_STEP_DESC")"; grep "^gpu" "$VGPU_STEP_DESC"' 2>"$e2e_tmp/err2")
is "$(echo "$out" | sed -n 1p)" "$shim" "shard:10: LD_PRELOAD is the shim"
like "$(echo "$out" | sed -n 2p)" "^$state/[0-9]+\.0\.0/step.desc$" "VGPU_STEP_DESC is StateDir/JOB.STEP.NODE/step.desc"
is "$(echo "$out" | grep -c -x "$shim")" 2 "the task's /etc/ld.so.preload names the shim"
is "$(cat /etc/ld.so.preload 2>/dev/null || echo none)" "$host_preload" "the host's /etc/ld.so.preload is untouched"
is "$(echo "$out" | grep -x '[0-7]*')" 700 "the accounting dir is mode 0700"
like "$(echo "$out" | grep '^gpu')" "^gpu uuid=GPU-[0-9a-f-]{36} mem=$s10 sm=$((10 * 10000 / S)) ctx=$ctx$" "the description: the GPU's UUID, the slice, 10 shards' SMs, the measured context"
# 3. env -u LD_PRELOAD: still limited (ld.so.preload); neither unsetting nor
# redirecting VGPU_STEP_DESC escapes (the description in the private /etc wins)
out=$(timeout 30 srun --gres=shard:10 env -u LD_PRELOAD "$probe" dlopen init info alloc mem $((s10 + 2097152)) 2>/dev/null)
is "$(echo "$out" | grep -E '^(info|alloc)' | tr '\n' ' ')" "info: 0 $(free 10) $s10 alloc mem $((s10 + 2097152)): 2 " \
	"env -u LD_PRELOAD: still the slice, still refused past it"
out=$(timeout 30 srun --gres=shard:10 env -u LD_PRELOAD -u VGPU_STEP_DESC "$probe" dlopen init info 2>/dev/null)
is "$(echo "$out" | grep -E '^(init|info)' | tr '\n' ' ')" "init: 0 info: 0 $(free 10) $s10 " \
	"env -u VGPU_STEP_DESC too: still the slice"
out=$(timeout 30 srun --gres=shard:10 bash -c 'sed "s/ mem=[0-9]*/ mem=1099511627776/" "$VGPU_STEP_DESC" >"$0.desc" &&
	VGPU_STEP_DESC="$0.desc" exec "$1" dlopen init info alloc mem '$((s10 + 2097152))'; ' "$e2e_tmp/own" "$probe" 2>/dev/null)
is "$(echo "$out" | grep -E '^(info|alloc)' | tr '\n' ' ')" "info: 0 $(free 10) $s10 alloc mem $((s10 + 2097152)): 2 " \
	"VGPU_STEP_DESC pointing at a description of the user's own (1 TiB slice): still the slice"

# 4. batch step, a step with its own count inside it, a step with the job's count.
id=$(sbatch --parsable -o "$e2e_tmp/b.out" -e /dev/null --gres=shard:20 --wrap \
	"$probe dlopen init info; srun --gres=shard:5 $probe dlopen init info; srun $probe dlopen init info")
is_job "$id" COMPLETED "sbatch --gres=shard:20 completed"
is "$(grep '^info:' "$e2e_tmp/b.out" | tr '\n' ' ')" \
	"info: 0 $(free 20) $(slice 20) info: 0 $(free 5) $(slice 5) info: 0 $(free 20) $(slice 20) " \
	"batch step: 20 shards' slice; srun --gres=shard:5 in it: 5 shards'; plain srun: 20 shards'"
# 5. a step of salloc
out=$(timeout 30 salloc --gres=shard:30 srun "$probe" dlopen init info 2>/dev/null)
is "$(echo "$out" | grep '^info:')" "info: 0 $(free 30) $(slice 30)" "salloc --gres=shard:30, its srun step: 30 shards' slice"
# 6. --gres=vgpu:mem=10G (cli_filter): the shards of 10 GiB and one context
k=$(((10737418240 + ctx) * S / usable + ((10737418240 + ctx) * S % usable > 0)))
out=$(timeout 30 srun --gres=vgpu:mem=10G bash -c 'echo $SLURM_SHARDS_ON_NODE; echo $VGPU_REQUEST; '"$probe"' dlopen init info alloc mem 10737418240' 2>/dev/null)
is "$(echo "$out" | sed -n 1,2p | tr '\n' ' ')" "$k mem=10G " "srun --gres=vgpu:mem=10G: shard:$k, VGPU_REQUEST=mem=10G"
is "$(echo "$out" | grep -E '^(info|alloc)' | tr '\n' ' ')" "info: 0 $(free $k) $(slice $k) alloc mem 10737418240: 0 " \
	"vgpu:mem=10G: cuMemGetInfo shows $k shards' slice, 10 GiB free after the context, and 10 GiB allocates"
ok "the slice holds the 10 GiB asked beside its context" test "$(free $k)" -ge 10737418240
k25=$(((25 * S + 99) / 100))
out=$(timeout 30 srun --gres=vgpu:mem=10G:cores=25 "$probe" dlopen init info alloc mem 10737418240 2>/dev/null)
is "$(echo "$out" | grep -E '^(info|alloc)' | tr '\n' ' ')" "info: 0 $(free $k25) $(slice $k25) alloc mem 10737418240: 0 " \
	"vgpu:mem=10G:cores=25: $k25 shards (the cores decide), 10 GiB allocates"
# 6b. a third of the GPU: S/3 shards, three fit
out=$(timeout 30 srun --gres=vgpu:share=1/3 bash -c 'echo $SLURM_SHARDS_ON_NODE; echo $VGPU_REQUEST' 2>/dev/null)
is "$(echo "$out" | tr '\n' ' ')" "$((S / 3)) share=1/3 " "srun --gres=vgpu:share=1/3: shard:$((S / 3)), VGPU_REQUEST=share=1/3"
out=$(timeout 30 srun --gres=vgpu:mem=10G,ctx=1M true 2>&1)
like "$out" "ctx=1 MiB is less than a CUDA context takes on one h100 GPU" "ctx= below the measured context is refused at submit"

# 7. whole GPU: no shim, no description, the host's ld.so.preload, the whole GPU
out=$(timeout 30 srun --gres=gpu:1 bash -c 'echo "${LD_PRELOAD:-none} ${VGPU_STEP_DESC:-none}"; cat /etc/ld.so.preload 2>/dev/null || echo none; '"$probe"' dlopen init info' 2>/dev/null)
is "$(echo "$out" | sed -n 1p)" "none none" "gpu:1: no LD_PRELOAD, no VGPU_STEP_DESC"
is "$(echo "$out" | sed -n 2p)" "$host_preload" "gpu:1: the host's /etc/ld.so.preload"
total=$(echo "$out" | sed -n 's/^info: 0 [0-9]* \([0-9]*\)$/\1/p')
ok "gpu:1: cuMemGetInfo shows the whole GPU ($total bytes)" test "${total:-0}" -gt "$(slice 99)"
out=$(timeout 30 srun bash -c 'echo "${LD_PRELOAD:-none} ${VGPU_STEP_DESC:-none}"' 2>/dev/null)
is "$out" "none none" "no --gres: no shim"

# 8. every step's directory went with its step
is "$(ls -A "$state")" "" "StateDir is empty after the steps"

# 9. a SIGKILLed step: no directory, no charge left
id=$(sbatch --parsable -o "$e2e_tmp/k.out" -e /dev/null --gres=shard:10 --wrap "exec $probe dlopen init alloc mem 4294967296 hold")
t=150
until grep -q '^hold: ready' "$e2e_tmp/k.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
is "$(grep '^alloc' "$e2e_tmp/k.out")" "alloc mem 4294967296: 0" "a batch step holds 4 GiB of its slice"
is "$(ls -A "$state" | wc -l)" 2 "its step directory and its job's directory exist while it runs"
scancel -s KILL "$id"
ok "SIGKILLed: the job ends" e2e_wait_idle
is "$(ls -A "$state")" "" "SIGKILLed: its directory is gone"
out=$(timeout 30 srun --gres=shard:10 "$probe" dlopen init info 2>/dev/null)
is "$(echo "$out" | grep '^info:')" "info: 0 $(free 10) $s10" "the next step on that GPU gets its whole slice"

# 10. a step directory left by a slurmstepd that died is removed at the next
# step start (its owner is gone); other names are left alone.
mkdir -p "$state/999.0.0/acct" "$state/keepme"
echo "1 1" >"$state/999.0.0/owner"
timeout 30 srun --gres=shard:1 true 2>/dev/null
ok "a stale step directory (owner gone) is removed at the next step" test ! -e "$state/999.0.0"
ok "a directory that is no step's is left alone" test -d "$state/keepme"
rmdir "$state/keepme"

# 11. a bad plugstack.conf argument: GPU steps are refused with its file:line (other steps run: 0370)
cp "$e2e_dir/etc/plugstack.conf" "$e2e_tmp/plugstack.good"
sed -i 's/^required .*/& bogus=1/' "$e2e_dir/etc/plugstack.conf"
out=$(timeout 30 srun --gres=shard:1 true 2>&1)
is "$?" 1 "plugstack.conf bogus=1: srun fails"
like "$out" "vgpu: this step's GPU slice cannot be enforced, so it does not run: $e2e_dir/etc/plugstack.conf:2: argument 3 'bogus=1': unknown argument 'bogus=1' \(expected conf=, shim=, ctx=, log= or preload=\)" \
	"... with the plugin's message"
# 12. a step holding shards that cannot be enforced (the shim is missing)
# fails, with the reason on its stderr; the node stays up (failing in
# init_post_opt would drain it for a batch step).
cp "$e2e_tmp/plugstack.good" "$e2e_dir/etc/plugstack.conf"
sed -i 's|^required .*|& shim=/nonexistent/shim.so|' "$e2e_dir/etc/plugstack.conf"
out=$(timeout 30 srun --gres=shard:5 echo ran 2>&1)
is "$?" 1 "shim missing: the srun step fails"
like "$out" "vgpu: this step's GPU slice cannot be enforced, so it does not run: $e2e_dir/etc/plugstack.conf:2: shim /nonexistent/shim.so: No such file or directory" \
	"... and says why"
ok "... and did not run" test "${out#*ran}" = "$out"
id=$(sbatch --parsable -o "$e2e_tmp/f.out" --gres=shard:5 --wrap 'echo ran')
is_job "$id" FAILED NonZeroExitCode "shim missing: the batch job fails"
is "$(cat "$e2e_tmp/f.out")" "vgpu: this step's GPU slice cannot be enforced, so it does not run: $e2e_dir/etc/plugstack.conf:2: shim /nonexistent/shim.so: No such file or directory" \
	"... with the reason in its output"
is "$(sinfo -h -N -o '%T %E')" "idle none" "... and the node is not drained"
is "$(timeout 30 srun --gres=gpu:1 echo ran 2>/dev/null)" ran "a whole-GPU step still runs"
cp "$e2e_tmp/plugstack.good" "$e2e_dir/etc/plugstack.conf"

# The steps of 12 logged their error on purpose: only those are expected.
eval "lib_$(declare -f e2e_log_errors)"
e2e_log_errors() { lib_e2e_log_errors | grep -v -F "error: vgpu: $e2e_dir/etc/plugstack.conf:2: "; }
e2e_health
e2e_down
done_testing
