#!/bin/bash
# tools/demo.sh - slurm-vgpu on a real Slurm cluster of simulated GPU nodes
# (no GPU needed). As root on Debian 12, from a checkout:
#   0. installs the Debian packages it needs and builds in build/demo;
#   1. discovers a simulated 8 x H100 node (vgpu discover) and generates its
#      Slurm configuration (vgpu conf);
#   2. starts a devcluster: slurmctld + 2 slurmd, 2 simulated H100 each, with
#      the SPANK launcher, the cli_filter and job_submit/vgpu;
#   3. packs fractional jobs (--gres=vgpu:...) onto the GPUs: squeue, vgpu show;
#   4. a whole-GPU job lands only on a GPU without slices. Shown while no
#      slice job has ended yet: on Slurm 22.05.8 a GPU's remaining shards are
#      forgotten by the gpu placement once any shard job on that GPU ends
#      (a later gpu:1 job can land on it; the SPANK plugin then refuses to
#      run it: doc/slurm-integration.md);
#   5. runs a CUDA program inside a slice: it sees the slice, cannot pass it
#      (nor can a job's steps together),
#      also without LD_PRELOAD;
#   6. impossible requests refused at submit, nothing queued;
#   7. stops the cluster (also on failure or Ctrl-C) and sums up.
# Everything stays under build/demo and the devcluster directory, which is
# removed at the end. Output is plain text (no terminal needed).
#
#   bash tools/demo.sh [--slurm 22.05|24.11|26.05]
# --slurm: the same demo on another Slurm release than the host's, inside a
# Debian chroot that holds it (tools/vgpu-chroot: made once, about a
# minute, then reused); built there in build/demo-REL.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd -P)
t0=$(date +%s)
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it installs packages; slurmd runs jobs as their owners, mknod)" >&2; exit 1; }
want_rel= inside=0
while [ $# -gt 0 ]; do
	case $1 in
	--slurm) [ $# -ge 2 ] || { echo "demo: --slurm needs a release (22.05, 24.11 or 26.05)" >&2; exit 2; }
		want_rel=$2; shift 2 ;;
	--inside-chroot) inside=1; shift ;;
	*) echo "demo: unknown argument '$1' (usage: bash tools/demo.sh [--slurm 22.05|24.11|26.05])" >&2; exit 2 ;;
	esac
done
. tools/deps.sh
host_rel=$(slurmd -V 2>/dev/null | sed -n 's/^slurm[^ ]* \([0-9]*\.[0-9]*\)\..*/\1/p')
case $want_rel in
'' | "$host_rel") ;;
22.05 | 24.11 | 26.05)
	[ $inside -eq 0 ] || { echo "demo: inside the chroot, Slurm is $host_rel, not $want_rel" >&2; exit 1; }
	# The chroot, then this same demo inside it (its Slurm is then "the host's").
	vgpu_deps build
	command -v debootstrap >/dev/null 2>&1 || { apt-get install -y -qq --no-install-recommends debootstrap >/dev/null || exit 1; }
	[ -x configure ] || ./bootstrap >/dev/null || { echo "demo: ./bootstrap failed" >&2; exit 1; }
	echo "== Slurm $want_rel: the demo runs inside a Debian chroot holding it (tools/vgpu-chroot)"
	tools/vgpu-chroot ensure "$want_rel" >/dev/null || exit 1
	exec tools/vgpu-chroot run "$want_rel" --bind "$top" -- bash "$top/tools/demo.sh" --slurm "$want_rel" --inside-chroot
	;;
*) echo "demo: --slurm '$want_rel': expected 22.05, 24.11 or 26.05" >&2; exit 2 ;;
esac
vgpu_deps demo
slurm_version=$(slurmd -V 2>/dev/null | sed 's/^slurm[^ ]* //')

say() { printf '\n== %s\n' "$*"; }
note() { printf '%s\n' "$@" | sed 's/^/   # /'; }
# x 'COMMAND': show a command as a user types it, then run it (set -e applies).
x() { printf '$ %s\n' "$1"; eval "$1"; }
die() { echo "demo: FAILED: $*" >&2; exit 1; }
# wait_for SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s, at most SECONDS.
wait_for() {
	local n=$(($1 * 5)) what="$2" secs=$1
	shift 2
	until "$@"; do
		[ $n -gt 0 ] || die "gave up waiting ${secs}s for $what"
		sleep 0.2
		n=$((n - 1))
	done
}

dir=$top/build/demo
[ $inside -eq 0 ] || dir=$top/build/demo-$want_rel
work=$dir/work

say "0. Building slurm-vgpu in ${dir#$top/} (Slurm $slurm_version)"
if [ ! -x configure ]; then
	mkdir -p "$dir"
	./bootstrap >"$dir/demo-bootstrap.log" 2>&1 ||
		{ tail -n 30 "$dir/demo-bootstrap.log"; die "./bootstrap failed"; }
fi
mkdir -p "$dir"
[ -f "$dir/Makefile" ] || (cd "$dir" && "$top/configure" -q) || die "configure failed"
# The programs jobs run come from the test suite: gpuinfo (what a program
# sees of its GPUs) and shimprobe (a CUDA application, via tools/demo/cuda-app).
make -s -C "$dir" -j2 all tests/e2e/gpuinfo tests/shim/shimprobe >"$dir/demo-make.log" 2>&1 ||
	{ tail -n 30 "$dir/demo-make.log"; die "make failed (log: $dir/demo-make.log)"; }
echo "built: vgpu, the simulated driver, the shim, the SPANK and job_submit plugins ($(($(date +%s) - t0)) s so far)"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
# vgpu, the demo's programs (gpuinfo, cuda-app) and the devcluster tool on
# PATH; jobs inherit it (srun and sbatch export the environment).
export PATH=$dir:$dir/tests/e2e:$top/tools/demo:$top/tools:$PATH
export VGPU_DEMO_PROBE=$dir/tests/shim/shimprobe
unset VGPU_SIM_NODE VGPU_SIM_STATE VGPU_CONF SLURM_CONF CUDA_VISIBLE_DEVICES

say "1. Discovery and configuration of a simulated node with 8 x H100"
note "The simulated node: stand-in libnvidia-ml.so.1 and libcuda.so.1 (built in sim/) serve the" \
	"GPUs of a node file; vgpu loads them at run time as it would a real driver (doc/simulator.md)." \
	"(hwloc warnings hidden: simulated GPUs are no PCI devices of this machine)"
cp "$top/sim/nodes/h100x8.json" gpu01.json
x 'export LD_LIBRARY_PATH=$PWD/../sim/.libs     # build/demo/sim/.libs, the simulated driver'
x 'VGPU_SIM_NODE=gpu01.json vgpu discover --hostname gpu01 2>/dev/null'
x 'VGPU_SIM_NODE=gpu01.json vgpu discover --hostname gpu01 --json >gpu01.inv.json 2>/dev/null'
printf 'AccountingMode=strict\nShardsPerGpu=100\nMemoryReserve=512M\n' >vgpu.conf
note "vgpu.conf: AccountingMode=strict (1 shard = 1% of a GPU's memory AND of its SMs), MemoryReserve=512M"
x 'vgpu conf --conf vgpu.conf gpu01.inv.json >generated.txt'
grep -v -E 'File=/dev/nvidia[2-7]$' generated.txt | sed 's|File=/dev/nvidia1$|&   (nvidia2..7 alike)|'

say "2. A Slurm cluster of simulated GPU nodes, with slurm-vgpu's plugins"
note "Debian's slurmctld and slurmd (Slurm $slurm_version) on this machine, 2 nodes x 2 simulated H100 (doc/devcluster.md)" \
	"--spank         the SPANK plugin starts the enforcement shim in every step that holds a slice" \
	"--cli-filter=c  cli_filter_vgpu.so: --gres=vgpu:REQUEST is checked and becomes --gres=shard:N in srun/sbatch/salloc" \
	"--job-submit    job_submit/vgpu checks in slurmctld what reaches it"
cluster_up=
srun_pid=
cleanup() {
	local rc=$?
	set +e
	if [ -n "$cluster_up" ]; then
		cluster_up=
		echo '$ vgpu-devcluster down --name demo'
		vgpu-devcluster down --name demo
	fi
	[ -z "$srun_pid" ] || wait "$srun_pid" 2>/dev/null
	srun_pid=
	return $rc
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM HUP
if [ -d "${VGPU_DEVCLUSTER_BASE:-/tmp/vgpu-devcluster-$(id -u)}/demo" ]; then
	note "a cluster 'demo' is left from an earlier run: stopping it first"
	vgpu-devcluster down --name demo >/dev/null 2>&1 || die "cannot stop the earlier cluster: vgpu-devcluster down --name demo"
fi
cluster_up=1
(cd "$top" && x "tools/vgpu-devcluster up --name demo --builddir ${dir#$top/} --nodes 2 --gpus 2 --spank --cli-filter=c --job-submit") ||
	die "vgpu-devcluster up failed (its message above)"
x 'eval "$(vgpu-devcluster env --name demo)"'
x 'export VGPU_CONF=$VGPU_DEVCLUSTER_DIR/etc/vgpu.conf     # the vgpu.conf of the cluster, for vgpu show'

# job_state ID: RUNNING, PENDING, ... (empty once the job has left squeue).
job_state() { squeue -h -j "$1" -o %T 2>/dev/null || true; }
is_state() { [ "$(job_state "$1")" = "$2" ]; }
# submit 'SBATCH COMMAND': show and run it; the job id in $jid.
submit() {
	local out
	printf '$ %s\n' "$1"
	out=$(eval "$1") || die "refused: $1"
	echo "$out"
	jid=${out##* }
}
# refuse 'COMMAND': show and run a submission that must be refused.
refuse() {
	local out rc=0
	printf '$ %s\n' "$1"
	out=$(eval "$1" 2>&1) || rc=$?
	echo "$out"
	[ $rc -ne 0 ] || die "this request was accepted: $1"
	echo "   -> refused (exit $rc)"
}
held() { grep -q 'holding its memory' "slurm-$1.out" 2>/dev/null; }
sq() { x "squeue -o '%.5i %.8T %.6N %.20b %R'"; }

say "3. Fractional jobs, asked for as users type them"
note "cuda-app (tools/demo/cuda-app): a CUDA program (tests/shim/shimprobe: dlopen of libcuda.so.1," \
	"cuInit, cuMemGetInfo, cuMemAlloc of each size); --hold keeps it running, with its memory."
ids=
for _ in 1 2 3 4; do
	submit "sbatch -t 5 --gres=vgpu:mem=20G --wrap 'cuda-app --hold 8G'"
	ids="$ids $jid"
done
x 'srun -t 5 --gres=vgpu:mem=10G:cores=25 cuda-app --hold 4G >srun.out 2>&1 &'
srun_pid=$!
for id in $ids; do
	wait_for 30 "batch job $id to start and allocate its memory" held "$id"
done
wait_for 30 "the srun job to start and allocate its memory" grep -q 'holding' srun.out
sq
note "mem=20G became shard:26 (26% of an H100's 79.6 GiB >= 20 GiB); mem=10G:cores=25 became shard:25" \
	"(the SM share decides). Slurm's own shard fit keeps slices on one GPU and never overlapping:"
x 'vgpu show'
used=$(vgpu show --json | python3 -c 'import json, sys
print(sum(1 for n in json.load(sys.stdin)["nodes"] for g in n["gpus"] if g["shards_used"] > 0))')
first=${ids# }
first=${first%% *}
x "cat slurm-$first.out     # what the first batch job's program saw"
x 'cat srun.out               # and the srun job'

say "4. Whole GPUs (--gres=gpu:1) go only to GPUs without slices"
# A node whose every GPU holds slices (from vgpu show --json).
full=$(vgpu show --json | python3 -c 'import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if all(g["shards_used"] > 0 for g in n["gpus"]):
        print(n["name"]); break')
submit "sbatch -t 5 --gres=gpu:1 --wrap 'cuda-app --hold'"
whole=$jid
wait_for 30 "whole-GPU job $whole to start" held "$whole"
pend=
if [ -n "$full" ]; then
	note "$full has two GPUs, both holding slices: a whole GPU asked for on $full waits"
	submit "sbatch -t 5 -w $full --gres=gpu:1 --wrap 'cuda-app --hold'"
	pend=$jid
	wait_for 30 "job $pend to pend for Resources" sh -c "squeue -h -j $pend -o '%T %r' | grep -qx 'PENDING Resources'"
fi
sq
x "vgpu show --job $whole"
x "cat slurm-$whole.out     # no shim: the whole GPU"
vgpu show --json | python3 -c 'import json, sys
job = int(sys.argv[1])
for n in json.load(sys.stdin)["nodes"]:
    for g in n["gpus"]:
        ids = [h["job_id"] for h in g["holders"]]
        if job in ids and ids != [job]:
            sys.exit("demo: FAILED: job %d shares %s GPU %d with %s" % (job, n["name"], g["index"], ids))' "$whole"
[ -z "$pend" ] || x "scancel $pend     # (it would wait for the slices on $full to end)"

say "5. Inside a job: the program sees its slice and cannot go past it"
x 'srun -t 1 --gres=vgpu:mem=10G:cores=25 printenv SLURM_SHARDS_ON_NODE VGPU_REQUEST LD_PRELOAD'
x 'srun -t 1 --gres=vgpu:mem=10G:cores=25 gpuinfo' | awk '
	$1 == "cuda.mem" { printf "%s      <- %.1f GiB free of %.1f GiB: the slice, not the GPU\n", $0, $3 / 2^30, $4 / 2^30; next }
	{ print }'
note "NVML lists the node's GPUs; CUDA shows one: the GPU that holds the slice, with the slice's memory."
x 'srun -t 1 --gres=vgpu:mem=10G:cores=25 cuda-app 10G 12G' | tee step4.out
grep -q '^cuMemAlloc(12 GiB): CUDA_ERROR_OUT_OF_MEMORY$' step4.out || die "the allocation past the slice was not refused"
note "10 GiB fits the 19.9 GiB slice; 12 GiB more does not: CUDA_ERROR_OUT_OF_MEMORY, as on a full GPU."
x 'srun -t 1 --gres=vgpu:mem=10G:cores=25 env -u LD_PRELOAD cuda-app 10G 12G' | tee step4b.out
grep -q '^cuMemAlloc(12 GiB): CUDA_ERROR_OUT_OF_MEMORY$' step4b.out || die "without LD_PRELOAD the slice was not enforced"
note "Without LD_PRELOAD still limited: the step's tasks see a private /etc/ld.so.preload naming the shim."
note "The steps of one job share its slice: a batch script (mem=20G) holds 12 GiB, then runs a step."
cat >shared.sh <<'SCRIPT'
#!/bin/bash
cuda-app --hold 12G >holder.out &
n=150; until grep -q holding holder.out || [ $n -eq 0 ]; do sleep 0.2; n=$((n - 1)); done
srun cuda-app 10G
kill %1
SCRIPT
submit "sbatch -t 1 --gres=vgpu:mem=20G -o shared.out shared.sh"
wait_for 60 "job $jid to end" sh -c "! squeue -h -j $jid 2>/dev/null | grep -q ."
x "cat shared.out     # the srun step inside that job"
grep -q '^cuMemAlloc(10 GiB): CUDA_ERROR_OUT_OF_MEMORY$' shared.out || die "a step got memory its batch script holds"
note "The step sees what the script left of the job's slice, and its 10 GiB is refused (one ledger per job and GPU)."

say "6. Impossible or malformed requests are refused at submit"
before=$(squeue -h | wc -l)
refuse "sbatch --gres=vgpu:mem=500G --wrap 'cuda-app'"
refuse "srun --gres=vgpu:mem=10X cuda-app"
refuse "salloc --gres=vgpu:mem=10G:cores=150 true"
note "Shards asked for by hand bypass the cli_filter; slurmctld's job_submit/vgpu still refuses" \
	"what no GPU can hold (plain Slurm of every release would queue it for ever):"
refuse "sbatch --gres=shard:150 --wrap 'cuda-app'"
after=$(squeue -h | wc -l)
x "squeue -h | wc -l     # jobs queued: $before before these requests"
[ "$after" = "$before" ] || die "a refused request left a job in the queue"

say "7. Stopping the cluster"
cleanup
trap - EXIT
say "Summary ($(($(date +%s) - t0)) s)"
cat <<EOF
- vgpu discover / vgpu conf: a node's GPUs (here simulated) -> gres.conf, slurm.conf and vgpu.conf lines.
- Users ask for slices with --gres=vgpu:mem=...[,cores=...]; 5 slice jobs ran side by side on
  $used of the 4 GPUs, and vgpu show listed who holds which slice of which GPU and what is free.
- A whole-GPU job got a GPU holding no slice, and waited on a node whose GPUs all hold slices.
- Inside a slice a CUDA program sees the slice as its GPU's memory, and an allocation past it
  fails with CUDA_ERROR_OUT_OF_MEMORY, with or without LD_PRELOAD; the steps of a job share it.
- Requests no GPU can satisfy, or that do not parse, are refused at submit; nothing is queued.
Files of this run: ${dir#$top/}/work. Slurm $slurm_version; other releases: bash tools/demo.sh --slurm 24.11 (or 26.05, 22.05).
Next: bash tools/check.sh (the whole test suite).
EOF
