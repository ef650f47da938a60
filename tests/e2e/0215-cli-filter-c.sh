#!/bin/bash
# The C cli_filter (plugins/cli_filter/cli_filter_vgpu.c, CliFilterPlugins=
# vgpu) on a 2-node devcluster (one H100 each: an srun hetjob did not start
# on one) in memory accounting (one shard = 1 GiB): the admission cases of
# tests/e2e/0210 (its table, read from that file), each through srun, sbatch
# and salloc, refused with the parser's or the accounting's message
# ("CLIENT: error: vgpu: MESSAGE") and nothing queued; good requests become
# shard:N with their cores cap in the step's description (srun's --export,
# sbatch's comment through job_submit/vgpu, salloc's srun steps), per
# component of an srun hetjob; jobs without --gres=vgpu are untouched;
# vgpu.conf is read (next to slurm.conf, or $VGPU_CONF) only for a vgpu
# request, and after the request's own checks. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plain_build
[ -e "$VGPU_BUILDDIR/plugins/spank/.libs/vgpu_spank.so" ] || skip_all "the SPANK plugin is not built (libslurm-dev?)"
[ -e "$VGPU_BUILDDIR/plugins/cli_filter/.libs/cli_filter_vgpu.so" ] || skip_all "cli_filter_vgpu.so is not built (libslurm-dev?)"
[ -e "$VGPU_BUILDDIR/plugins/job_submit/.libs/job_submit_vgpu.so" ] || skip_all "job_submit_vgpu.so is not built"

# 0210's table: REQUEST|MESSAGE lines between "cases=$(cat <<'CASES'" and "CASES".
cases=$(sed -n "/^cases=\$(cat <<'CASES'\$/,/^CASES\$/p" "$VGPU_SRCDIR/tests/e2e/0210-vgpu-admission.sh" | sed '1d;$d')
ncases=$(printf '%s\n' "$cases" | grep -c '|')
[ "$ncases" -ge 20 ] || { echo "Bail out! cannot read the case table of tests/e2e/0210 ($ncases cases)"; exit 1; }
plan $((ncases + 40))
e2e_up cfc --nodes 2 --gpus 1 --mode memory --spank --cli-filter=c --job-submit
cd "$e2e_tmp" || exit 1
grep -qx 'CliFilterPlugins=vgpu' "$e2e_dir/etc/slurm.conf" || echo "Bail out! the devcluster has no CliFilterPlugins=vgpu"

# submit CLIENT GRES: the client's output (exit status in $rc).
submit() {
	case $1 in
	srun) out=$(timeout 30 srun --gres="$2" true 2>&1) ;;
	sbatch) out=$(timeout 30 sbatch --gres="$2" --wrap true 2>&1) ;;
	salloc) out=$(timeout 30 salloc --gres="$2" true 2>&1) ;;
	esac
	rc=$?
}

# refused CLIENT MESSAGE DESCRIPTION: $out is exactly the filter's line and
# the one the client adds after any cli_filter error.
refused() {
	is "$out" "$1: error: vgpu: $2
$1: error: cli_filter plugin terminated with error" "$3"
}

# Every case through every client: one TAP line per case.
while IFS='|' read -r req msg; do
	bad=
	for c in srun sbatch salloc; do
		submit $c "vgpu:$req"
		if [ $rc -eq 0 ] || [ "$out" != "$c: error: vgpu: $msg
$c: error: cli_filter plugin terminated with error" ]; then
			bad="$bad $c"
			diag "$c: exit $rc, output:" "$out"
		fi
	done
	if [ -z "$bad" ]; then
		pass "--gres=vgpu:$req refused by srun, sbatch, salloc: $msg"
	else
		fail "--gres=vgpu:$req refused by srun, sbatch, salloc: $msg (not by:$bad)"
	fi
done <<<"$cases"

out=$(timeout 30 srun --gres=vgpu:mem=100G true 2>&1)
refused srun "request 'mem=100G' needs 100 GiB and 300 MiB for its first context, more than one h100 GPU offers (79.2 GiB usable of 79.6 GiB, 470 MiB reserved)" \
	"srun vgpu:mem=100G refused: more than the one GPU type offers"
out=$(timeout 30 sbatch --gres=vgpu:mem=1G,gpu:1 --wrap true 2>&1)
refused sbatch "--gres=vgpu cannot be combined with --gres=gpu (a slice is part of one GPU)" \
	"sbatch vgpu + gpu refused"
out=$(timeout 30 srun --gres=shard:5,vgpu:mem=1G true 2>&1)
refused srun "--gres=vgpu cannot be combined with --gres=shard (a slice is part of one GPU)" \
	"srun shard + vgpu refused"
out=$(timeout 30 salloc --gpus=1 --gres=vgpu:mem=1G true 2>&1)
refused salloc "--gres=vgpu cannot be combined with --gpus (a slice is part of one GPU)" \
	"salloc --gpus + vgpu refused"
out=$(timeout 30 srun --gpus-per-task=1 --gres=vgpu:mem=1G true 2>&1)
refused srun "--gres=vgpu cannot be combined with --gpus-per-task (a slice is part of one GPU)" \
	"srun --gpus-per-task + vgpu refused"
out=$(timeout 30 srun --gres=vgpu:mem=1G,vgpu:mem=2G true 2>&1)
refused srun "--gres: vgpu given twice" "vgpu twice refused"
out=$(timeout 30 srun --gres="vgpu:mem=1G';touch $e2e_tmp/pwned;'" true 2>&1)
like "$out" "^srun: error: vgpu: --gres=vgpu: mem: unexpected '';touch " "a request with quotes and ';' is refused by the parser"
ok "... and ran no shell command" test ! -e "$e2e_tmp/pwned"
is "$(scontrol -o show job 2>&1)" "No jobs in the system" "nothing was queued by the refused requests"

# vgpu.conf: $VGPU_CONF first; read only for a vgpu request, after its checks.
out=$(VGPU_CONF=/nonexistent/vgpu.conf timeout 30 srun --gres=vgpu:mem=1G true 2>&1)
refused srun "/nonexistent/vgpu.conf: cannot open: No such file or directory" \
	"VGPU_CONF names vgpu.conf; one that cannot be read refuses the request"
out=$(VGPU_CONF=/nonexistent/vgpu.conf timeout 30 srun --gres=vgpu:mem=1X true 2>&1)
like "$out" "^srun: error: vgpu: --gres=vgpu: mem: unknown unit 'X' in '1X'" \
	"... a malformed request still gets the parser's message"
out=$(VGPU_CONF=/nonexistent/vgpu.conf timeout 30 srun --gres=shard:2 bash -c 'echo $SLURM_SHARDS_ON_NODE' 2>&1)
is "$out" 2 "... and a job without --gres=vgpu does not read it"

# Good requests: memory accounting, shards = GiB of mem= and one context
# (the simulator's 300 MiB, measured into ContextMemory=, charged per context
# as ctx=), cores cap from the request.
out=$(timeout 30 srun --gres=vgpu:mem=10G:cores=25 bash -c 'echo $SLURM_SHARDS_ON_NODE $VGPU_REQUEST; grep "^gpu" "$VGPU_STEP_DESC"' 2>&1)
like "$out" "^11 mem=10G:cores=25
gpu uuid=GPU-[0-9a-f-]{36} mem=11811160064 sm=2500 ctx=314572800$" "srun vgpu:mem=10G:cores=25: 11 shards, 11 GiB, SM cap 25%"
out=$(timeout 30 srun --gres=vgpu:mem=10G,cores=30 bash -c 'echo $SLURM_SHARDS_ON_NODE; grep "^gpu" "$VGPU_STEP_DESC"' 2>&1)
like "$out" "^11
gpu uuid=GPU-[0-9a-f-]{36} mem=11811160064 sm=3000 ctx=314572800$" "srun vgpu:mem=10G,cores=30 (split at ',' by Slurm, joined again): SM cap 30%"
out=$(timeout 30 srun --export=ALL,FOO=bar --gres=vgpu:MEM=1536M bash -c 'echo $SLURM_SHARDS_ON_NODE $FOO $VGPU_REQUEST' 2>&1)
is "$out" "2 bar mem=1536M" "srun --export=ALL,FOO=bar vgpu:MEM=1536M: 2 shards, the user's export list kept"
id=$(sbatch --parsable -o "$e2e_tmp/b.out" -e /dev/null --gres=vgpu:mem=3G:cores=50 --wrap \
	'grep "^gpu" "$VGPU_STEP_DESC"; srun bash -c '\''grep "^gpu" "$VGPU_STEP_DESC"'\''')
is_job "$id" COMPLETED "sbatch --gres=vgpu:mem=3G:cores=50 completed"
is "$(sed 's/uuid=[^ ]* //' "$e2e_tmp/b.out" | tr '\n' ' ')" "gpu mem=4294967296 sm=5000 ctx=314572800 gpu mem=4294967296 sm=5000 ctx=314572800 " \
	"its batch step and its srun step: 4 GiB (3 GiB and a context), SM cap 50%"
id=$(VGPU_REQUEST=mem=1G:cores=100 sbatch --parsable -o "$e2e_tmp/c.out" -e /dev/null --comment 'my run' \
	--gres=vgpu:mem=2G:cores=40 --wrap 'echo "$VGPU_REQUEST ${SLURM_GET_USER_ENV:-no-user-env}"; grep "^gpu" "$VGPU_STEP_DESC"')
is_job "$id" COMPLETED "sbatch --comment 'my run' --gres=vgpu:mem=2G:cores=40 completed"
is "$(sed 's/uuid=[^ ]* //' "$e2e_tmp/c.out" | tr '\n' ' ')" "mem=2G:cores=40 no-user-env gpu mem=3221225472 sm=4000 ctx=314572800 " \
	"its VGPU_REQUEST is the filter's (through the comment), no SLURM_GET_USER_ENV, SM cap 40%"
is "$(scontrol show job "$id" | sed -n 's/^ *Comment=\(.*[^ ]\) *$/\1/p')" "my run" \
	"the job's comment is the user's, without the marker"
out=$(timeout 30 salloc --gres=vgpu:mem=4G srun bash -c 'echo $SLURM_SHARDS_ON_NODE' 2>/dev/null)
is "$out" 5 "salloc --gres=vgpu:mem=4G, its srun step: 5 shards (4 GiB and a context)"

# salloc: the allocation's shell, and so its steps, get the request (the
# cores cap of memory accounting; 22.05's salloc has no --export).
out=$(timeout 30 salloc --gres=vgpu:mem=4G:cores=30 srun bash -c 'echo $VGPU_REQUEST; grep "^gpu" "$VGPU_STEP_DESC"' 2>/dev/null)
is "$(sed 's/uuid=[^ ]* //' <<<"$out" | tr '\n' ' ')" "mem=4G:cores=30 gpu mem=5368709120 sm=3000 ctx=314572800 " \
	"salloc --gres=vgpu:mem=4G:cores=30: its step has VGPU_REQUEST and a 30% SM cap"

# The step's own request wins over one in its environment (srun merges its
# environment over --export's tokens), and survives the user's NONE.
id=$(sbatch --parsable -o "$e2e_tmp/n.out" -e /dev/null --gres=vgpu:mem=4G:cores=50 --wrap \
	'srun --gres=vgpu:mem=2G:cores=20 bash -c "echo \$VGPU_REQUEST; grep ^gpu \$VGPU_STEP_DESC"')
e2e_wait_job "$id" COMPLETED
is "$(sed 's/uuid=[^ ]* //' "$e2e_tmp/n.out" | tr '\n' ' ')" "mem=2G:cores=20 gpu mem=3221225472 sm=2000 ctx=314572800 " \
	"an srun step with its own vgpu request in a vgpu batch job: its own cores cap (20%, not the job's 50%)"
out=$(VGPU_REQUEST=mem=1G:cores=90 timeout 30 srun --gres=vgpu:mem=2G:cores=20 bash -c 'echo $VGPU_REQUEST; grep "^gpu" "$VGPU_STEP_DESC"' 2>&1)
is "$(sed 's/uuid=[^ ]* //' <<<"$out" | tr '\n' ' ')" "mem=2G:cores=20 gpu mem=3221225472 sm=2000 ctx=314572800 " \
	"VGPU_REQUEST in the user's shell does not replace the step's request"
out=$(timeout 30 srun --export=NONE --gres=vgpu:mem=2G:cores=30 /bin/bash -c 'echo $VGPU_REQUEST' 2>&1)
is "$out" "mem=2G:cores=30" "srun --export=NONE: the step still gets its VGPU_REQUEST"

# A heterogeneous srun job: the filter runs once per component, each with its own request.
out=$(timeout 60 srun --gres=vgpu:mem=1G:cores=10 bash -c 'echo c0 $SLURM_SHARDS_ON_NODE $VGPU_REQUEST' : \
	--gres=vgpu:mem=2G:cores=20 bash -c 'echo c1 $SLURM_SHARDS_ON_NODE $VGPU_REQUEST' 2>/dev/null | sort)
is "$out" "c0 2 mem=1G:cores=10
c1 3 mem=2G:cores=20" "srun hetjob: each component gets its own shards and VGPU_REQUEST"
out=$(timeout 60 srun --gres=vgpu:mem=1G true : --gres=vgpu:mem=2X true 2>&1)
refused srun "--gres=vgpu: mem: unknown unit 'X' in '2X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)" \
	"srun hetjob with a bad second component: refused, nothing queued"

# Jobs without --gres=vgpu: untouched.
out=$(timeout 30 srun --gres=shard:5 bash -c 'echo ${SLURM_SHARDS_ON_NODE:-none} ${VGPU_REQUEST:-none}' 2>&1)
is "$out" "5 none" "srun --gres=shard:5: 5 shards, no VGPU_REQUEST"
out=$(timeout 30 srun bash -c 'echo ${SLURM_SHARDS_ON_NODE:-none} ${VGPU_REQUEST:-none}' 2>&1)
is "$out" "none none" "srun without --gres: no shards, no VGPU_REQUEST"
id=$(sbatch --parsable -o /dev/null -e /dev/null --comment 'plain job' --gres=shard:3 --wrap true)
is_job "$id" COMPLETED "sbatch --gres=shard:3 --comment 'plain job' completed"
# 22.05 and 24.11 print "Comment=plain job " (a trailing space), 26.05 not;
# 23.11+ print TRES as gres/shard:3, 22.05 as gres:shard:3.
like "$(scontrol show job "$id" | sed -n 's/^ *Comment=\(.*[^ ]\) *$/\1/p') $(scontrol -o show job "$id" | grep -o 'TresPerNode=[^ ]*')" \
	"^plain job TresPerNode=gres[:/]shard:3$" "... with its comment and GRES as given"

e2e_health
e2e_down
done_testing
