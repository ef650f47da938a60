#!/bin/bash
# --gres=vgpu:REQUEST through the cli_filter (cli_filter_vgpu.so,
# CliFilterPlugins=vgpu: the one admission path) on a
# 1-node devcluster in memory accounting (one shard = 1 GiB, 79 per H100):
# malformed or impossible requests are refused by sbatch, salloc and srun
# with the parser's message and nothing is queued; good ones become
# shard:N and their cores cap reaches the step's description (VGPU_REQUEST),
# also for steps inside a batch job. sbatch passes the request through the
# job's comment to job_submit/vgpu (not --export, which costs a login shell
# per job): the user's comment and a user's own VGPU_REQUEST do not survive
# as such. The request is never handed to a shell or a second parser.
# tests/e2e/0215 runs this file's case table through every client. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plain_build
[ -e "$VGPU_BUILDDIR/plugins/spank/.libs/vgpu_spank.so" ] || skip_all "the SPANK plugin is not built (libslurm-dev?)"
[ -e "$VGPU_BUILDDIR/plugins/cli_filter/.libs/cli_filter_vgpu.so" ] || skip_all "cli_filter_vgpu.so is not built (libslurm-dev?)"
plan 49
e2e_up admit --nodes 1 --gpus 1 --mode memory --spank --cli-filter --job-submit
cd "$e2e_tmp" || exit 1

# REQUEST|MESSAGE: each refused at submit, "CLIENT: error: vgpu: MESSAGE".
cases=$(cat <<'CASES'
|--gres=vgpu: empty request (expected e.g. mem=10G or mem=10G,cores=25)
mem=|--gres=vgpu: empty value in 'mem=' (e.g. mem=10G)
mem=10X|--gres=vgpu: mem: unknown unit 'X' in '10X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)
mem=1.5G|--gres=vgpu: mem: fraction in '1.5G' (use a whole number of a smaller unit, e.g. 1536M for 1.5G)
mem=-5G|--gres=vgpu: mem: negative size '-5G'
mem=0G|--gres=vgpu: mem: size '0G' is zero
mem=16384P|--gres=vgpu: mem: size '16384P' is too large (at most 18446744073709551615 bytes, 16 EiB)
mem=10G5|--gres=vgpu: mem: unexpected '5' after '10G' in '10G5' (no spaces, one unit)
mem=+5G|--gres=vgpu: mem: '+5G' is not a size (expected a number with an optional unit, e.g. 10G)
memory=10G|--gres=vgpu: unknown key 'memory' in 'memory=10G' (expected mem, share, cores, ctx, type or gpus)
mem=1G:mem=2G|--gres=vgpu: duplicate key 'mem' in 'mem=2G' (each key may appear once)
mem=10G::cores=25|--gres=vgpu: empty item in 'mem=10G::cores=25' (items are separated by one ',' or ':')
mem|--gres=vgpu: item 'mem' has no '=' (expected key=value, e.g. mem=10G)
mem=1G:cores=101|--gres=vgpu: cores: 'cores=101' is out of range (expected 1..100)
mem=1G:cores=0|--gres=vgpu: cores: 'cores=0' is out of range (expected 1..100)
mem=1G:cores=abc|--gres=vgpu: cores: 'cores=abc' is not a whole percentage (expected 1..100, e.g. cores=25)
type=h100|--gres=vgpu: request 'type=h100' gives neither mem, share nor cores (e.g. mem=10G, share=1/3 or cores=25)
mem=1G:type=1abc|--gres=vgpu: type: name '1abc' does not start with a letter
mem=1G:type=v100|request 'mem=1G,type=v100': type 'v100' is not configured (configured: h100)
mem=1G:gpus=65|--gres=vgpu: gpus: 'gpus=65' is out of range (expected 1..64)
mem=1G:gpus=2|gpus=2: a slice is one GPU's share; Slurm 22.05 places shards on one GPU per node (ask for gpus=1 or whole GPUs)
cores=25|request 'cores=25': memory accounting needs mem= or share= (e.g. mem=10G)
CASES
)
clients=(srun sbatch salloc)
i=0
while IFS='|' read -r req msg; do
	c=${clients[i % 3]}
	case $c in
	srun) out=$(timeout 30 srun --gres="vgpu:$req" true 2>&1) ;;
	sbatch) out=$(timeout 30 sbatch --gres="vgpu:$req" --wrap true 2>&1) ;;
	salloc) out=$(timeout 30 salloc --gres="vgpu:$req" true 2>&1) ;;
	esac
	rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -qxF "$c: error: vgpu: $msg"; then
		pass "$c --gres=vgpu:$req refused: $msg"
	else
		fail "$c --gres=vgpu:$req refused: $msg"
		diag "exit $rc, output:" "$out"
	fi
	i=$((i + 1))
done <<<"$cases"

# too large for the GPU type (the message names what the type offers)
out=$(timeout 30 srun --gres=vgpu:mem=100G true 2>&1)
like "$out" "srun: error: vgpu: request 'mem=100G' needs 100 GiB and 300 MiB for its first context, more than one h100 GPU offers \(79.2 GiB usable" "srun vgpu:mem=100G refused: more than the one GPU type offers"
# mixing a slice with whole GPUs or other shares
out=$(timeout 30 sbatch --gres=vgpu:mem=1G,gpu:1 --wrap true 2>&1)
like "$out" "sbatch: error: vgpu: --gres=vgpu cannot be combined with --gres=gpu" "sbatch vgpu + gpu refused"
out=$(timeout 30 srun --gres=shard:5,vgpu:mem=1G true 2>&1)
like "$out" "srun: error: vgpu: --gres=vgpu cannot be combined with --gres=shard" "srun shard + vgpu refused"
out=$(timeout 30 salloc --gpus=1 --gres=vgpu:mem=1G true 2>&1)
like "$out" "salloc: error: vgpu: --gres=vgpu cannot be combined with --gpus" "salloc --gpus + vgpu refused"
out=$(timeout 30 srun --gres=vgpu:mem=1G,vgpu:mem=2G true 2>&1)
like "$out" "srun: error: vgpu: --gres: vgpu given twice" "vgpu twice refused"
# quotes and ';' in a request are the parser's business, never a shell's
out=$(timeout 30 srun --gres="vgpu:mem=1G';touch $e2e_tmp/pwned;'" true 2>&1)
like "$out" "srun: error: vgpu: --gres=vgpu: mem: unexpected '';touch " "a request with quotes and ';' is refused by the parser"
ok "... and ran no shell command" test ! -e "$e2e_tmp/pwned"
is "$(scontrol -o show job 2>&1)" "No jobs in the system" "nothing was queued by the refused requests"

# Good requests: memory accounting, shards = GiB of mem= and one context
# (the simulator's 300 MiB, measured into ContextMemory=), cores cap from the
# request; every context is charged that much (ctx=).
out=$(timeout 30 srun --gres=vgpu:mem=10G:cores=25 bash -c 'echo $SLURM_SHARDS_ON_NODE $VGPU_REQUEST; grep "^gpu" "$VGPU_STEP_DESC"' 2>&1)
like "$out" "^11 mem=10G:cores=25
gpu uuid=GPU-[0-9a-f-]{36} mem=11811160064 sm=2500 ctx=314572800$" "srun vgpu:mem=10G:cores=25: 11 shards, 11 GiB, SM cap 25%"
out=$(timeout 30 srun --gres=vgpu:mem=10G,cores=30 bash -c 'echo $SLURM_SHARDS_ON_NODE; grep "^gpu" "$VGPU_STEP_DESC"' 2>&1)
like "$out" "^11
gpu uuid=GPU-[0-9a-f-]{36} mem=11811160064 sm=3000 ctx=314572800$" "srun vgpu:mem=10G,cores=30 (split at ',' by Slurm, joined again): SM cap 30%"
out=$(timeout 30 srun --gres=vgpu:MEM=1536M bash -c 'echo $SLURM_SHARDS_ON_NODE; grep "^gpu" "$VGPU_STEP_DESC"' 2>&1)
like "$out" "^2
gpu uuid=GPU-[0-9a-f-]{36} mem=2147483648 sm=10000 ctx=314572800$" "srun vgpu:MEM=1536M: 2 shards (2 GiB), DefaultCores 100%"
id=$(sbatch --parsable -o "$e2e_tmp/b.out" -e /dev/null --gres=vgpu:mem=3G:cores=50 --wrap \
	'grep "^gpu" "$VGPU_STEP_DESC"; srun bash -c '\''grep "^gpu" "$VGPU_STEP_DESC"'\''')
is_job "$id" COMPLETED "sbatch --gres=vgpu:mem=3G:cores=50 completed"
is "$(sed 's/uuid=[^ ]* //' "$e2e_tmp/b.out" | tr '\n' ' ')" "gpu mem=4294967296 sm=5000 ctx=314572800 gpu mem=4294967296 sm=5000 ctx=314572800 " \
	"its batch step and its srun step: 4 GiB (3 GiB and a context), SM cap 50%"
# sbatch: the request arrives through the comment, which job_submit/vgpu
# gives back to the user unchanged; it replaces a VGPU_REQUEST the user set;
# no login shell on the node (SLURM_GET_USER_ENV is what asks slurmd for one).
id=$(VGPU_REQUEST=mem=1G:cores=100 sbatch --parsable -o "$e2e_tmp/c.out" -e /dev/null --comment 'my run' \
	--gres=vgpu:mem=2G:cores=40 --wrap 'echo "$VGPU_REQUEST ${SLURM_GET_USER_ENV:-no-user-env}"; grep "^gpu" "$VGPU_STEP_DESC"')
is_job "$id" COMPLETED "sbatch --comment 'my run' --gres=vgpu:mem=2G:cores=40 completed"
is "$(sed 's/uuid=[^ ]* //' "$e2e_tmp/c.out" | tr '\n' ' ')" "mem=2G:cores=40 no-user-env gpu mem=3221225472 sm=4000 ctx=314572800 " \
	"its VGPU_REQUEST is the cli_filter's (not the user's cores=100), no SLURM_GET_USER_ENV, SM cap 40%"
is "$(scontrol show job "$id" | sed -n 's/^ *Comment=\(.*[^ ]\) *$/\1/p')" "my run" \
	"the job's comment is the user's, without the marker"
id=$(sbatch --parsable -o /dev/null -e /dev/null --gres=vgpu:mem=1G --wrap true)
is "$(scontrol -o show job "$id" | grep -c 'vgpu-request')" 0 "a job without a comment shows no marker"
out=$(timeout 30 salloc --gres=vgpu:mem=4G srun bash -c 'echo $SLURM_SHARDS_ON_NODE' 2>/dev/null)
is "$out" 5 "salloc --gres=vgpu:mem=4G, its srun step: 5 shards (4 GiB and a context)"

e2e_health
e2e_down
done_testing
