# tests/e2e/lib.sh - shared by the end-to-end tests (sourced after tap.sh).
#
#   . "$VGPU_SRCDIR/tests/sh/tap.sh"
#   . "$VGPU_SRCDIR/tests/e2e/lib.sh"
#   e2e_require                      skip_all unless root, Slurm, munge/mknod, a build
#   e2e_up TAG [up options]          devcluster e2e-TAG-$$; its env exported; torn down at exit
#   id=$(e2e_hold --gres=shard:25)   a batch job that runs until e2e_release $id
#   e2e_wait_job ID STATE [REASON]   poll every 0.2 s (at most 30 s) for that state
#   e2e_gres_idx ID                  the GPU index a running job's GRES sits on
#   e2e_slurm, e2e_slurm_before 23.11   the Slurm release (major.minor) under test
#   e2e_health                       (e) the daemons answer and every node is idle
#   e2e_down                         down; every recorded process gone, directory removed
#   e2e_more_names="..."             further clusters a test starts itself, downed at exit
#
# Every job runs as root on this machine; files a job writes go to $e2e_tmp.
devcluster=$VGPU_SRCDIR/tools/vgpu-devcluster
e2e_dir= e2e_name=
e2e_tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-e2e.XXXXXX")
# The simulated NVML keeps state after nvmlShutdown (see tests/sh/0210):
# no leak reports from ASan builds of the programs jobs run.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
unset VGPU_SIM_NODE VGPU_SIM_STATE SLURM_CONF CUDA_VISIBLE_DEVICES

e2e_cleanup() {
	if [ -n "$e2e_name" ]; then
		if [ "$tap_failed" -gt 0 ] && [ -n "$e2e_dir" ]; then
			local f
			for f in "$e2e_dir"/log/slurmctld.log "$e2e_dir"/log/slurmd-n*.log; do
				[ -s "$f" ] && diag "--- tail of $f" "$(tail -n 20 "$f")"
			done
		fi
		"$devcluster" down --name "$e2e_name" >/dev/null 2>&1 ||
			echo "# cleanup: '$devcluster down --name $e2e_name' failed" >&2
	fi
	local n
	for n in ${e2e_more_names:-}; do
		"$devcluster" down --name "$n" >/dev/null 2>&1
	done
	rm -rf "$e2e_tmp"
}
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP

e2e_require() {
	[ "$(id -u)" = 0 ] || skip_all "the devcluster needs root (slurmd, mknod)"
	local c
	for c in slurmctld slurmd sinfo squeue sbatch srun salloc scontrol scancel python3; do
		command -v "$c" >/dev/null 2>&1 || skip_all "$c is not installed (Debian: slurmctld slurmd slurm-client)"
	done
	[ -x "$VGPU_BUILDDIR/vgpu" ] || skip_all "no vgpu binary in $VGPU_BUILDDIR"
	[ -e "$VGPU_BUILDDIR/sim/.libs/libcuda.so.1" ] || skip_all "simulated driver not built in $VGPU_BUILDDIR/sim/.libs"
	mknod "$e2e_tmp/probe" c 1 3 2>/dev/null || skip_all "cannot mknod here (no CAP_MKNOD)"
	rm -f "$e2e_tmp/probe"
}

# e2e_up TAG [OPTIONS]: start devcluster e2e-TAG-PID (munge when munged is
# installed, else auth/none) and export its environment. Bails out on failure.
e2e_up() {
	local tag=$1 auth=munge out
	shift
	command -v munged >/dev/null 2>&1 || auth=none
	e2e_name=e2e-$tag-$$
	if ! out=$("$devcluster" up --name "$e2e_name" --auth "$auth" --builddir "$VGPU_BUILDDIR" "$@" 2>&1); then
		echo "Bail out! $devcluster up failed"
		diag "$out"
		exit 1
	fi
	eval "$("$devcluster" env --name "$e2e_name")"
	e2e_dir=$VGPU_DEVCLUSTER_DIR
	e2e_up_out=$out
}

# e2e_hold SBATCH-OPTIONS...: submit a job that runs until e2e_release (or
# 60 s); prints its id.
e2e_hold() {
	sbatch --parsable -o "$e2e_tmp/job-%j.out" "$@" --wrap \
		"t=0; while [ ! -e $e2e_tmp/release-\$SLURM_JOB_ID ] && [ \$t -lt 600 ]; do sleep 0.1; t=\$((t + 1)); done"
}
e2e_release() {
	local id
	for id in "$@"; do : >"$e2e_tmp/release-$id"; done
}

# e2e_job_state ID: "STATE REASON" from scontrol (finished jobs stay MinJobAge).
e2e_job_state() {
	scontrol -o show job "$1" 2>/dev/null |
		sed -n 's/.*JobState=\([A-Z_]*\) Reason=\([^ ]*\).*/\1 \2/p'
}
# e2e_wait_job ID STATE [REASON]: wait (0.2 s polls, at most 30 s) until the
# job is in STATE (and REASON); 0 when it is, 1 otherwise.
e2e_wait_job() {
	local t=150 s
	while :; do
		s=$(e2e_job_state "$1")
		case $s in "$2 ${3:-}"*) return 0 ;; esac
		[ $t -gt 0 ] || return 1
		sleep 0.2
		t=$((t - 1))
	done
}
# e2e_wait_free ID: wait (at most 30 s) until the job holds no node any
# more (neither running nor completing); 0 when so, 1 otherwise.
e2e_wait_free() {
	local t=150
	while [ $t -gt 0 ]; do
		[ -z "$(squeue -h -j "$1" -t R,CG -o %i 2>/dev/null)" ] && return 0
		sleep 0.2
		t=$((t - 1))
	done
	return 1
}
# e2e_wait_considered ID: wait (at most 30 s) until the scheduler has looked
# at pending job ID (a Reason other than None), so a job that could have
# started would have; 0 when so, 1 otherwise.
e2e_wait_considered() {
	local t=150
	while [ $t -gt 0 ]; do
		case $(e2e_job_state "$1") in "PENDING None" | "") ;; *) return 0 ;; esac
		sleep 0.2
		t=$((t - 1))
	done
	return 1
}
# is_job ID STATE [REASON] DESCRIPTION: a TAP check of e2e_wait_job.
is_job() {
	local id=$1 st=$2 reason= d
	[ $# -eq 4 ] && { reason=$3; shift; }
	d=$3
	if e2e_wait_job "$id" "$st" "$reason"; then pass "$d"; else fail "$d"; diag "job $id: $(e2e_job_state "$id"), want $st $reason"; fi
}

# e2e_gres_idx ID: the GPU indexes of a running job's GRES on its node, from
# scontrol -d ("GRES=shard:25(IDX:0)" -> 0).
# Slurm 22.05 prints a shard job's GPU as GRES=shard:30(IDX:0); 23.11+ print
# per-GPU counts, GRES=shard:30(30/100,0/100): the GPUs with a count above 0.
e2e_gres_idx() {
	scontrol -d -o show job "$1" | grep -o 'GRES=[^ ]*' | awk '
		/\(IDX:/ { sub(/.*\(IDX:/, ""); sub(/\).*/, ""); print; next }
		/\([0-9]+\/[0-9]+/ {
			s = $0; sub(/^[^(]*\(/, "", s); sub(/\).*/, "", s)
			n = split(s, f, ","); out = ""
			for (i = 1; i <= n; i++) { split(f[i], ab, "/"); if (ab[1] + 0 > 0) out = out (out == "" ? "" : ",") (i - 1) }
			print out
		}'
}

# e2e_slurm: the Slurm release the tests run against, as major.minor.
e2e_slurm() {
	local v
	v=$(slurmd -V 2>/dev/null)
	v=${v##* }
	echo "${v%.*}"
}
# e2e_slurm_before MAJOR.MINOR: true when that release is older.
e2e_slurm_before() {
	local a b
	a=$(e2e_slurm)
	b=$1
	[ "$(printf '%s\n%s\n' "$a" "$b" | sort -V | head -1)" = "$a" ] && [ "$a" != "$b" ]
}

# e2e_wait_idle: all jobs gone and every node idle (0.2 s polls, 30 s).
e2e_wait_idle() {
	local t=150
	while :; do
		[ -z "$(squeue -h -o %i)" ] && ! sinfo -h -N -o '%T' | grep -vq '^idle$' && return 0
		[ $t -gt 0 ] || return 1
		sleep 0.2
		t=$((t - 1))
	done
}

# Lines of the daemon logs that are errors not expected on a healthy devcluster:
# a fresh StateSaveLocation has no state files, and Debian's mpi/pmix plugins
# fail to load without libpmix (MpiDefault=none does not stop slurmd trying);
# slurmstepd logs a cancelled job as an error. A test that provokes an error
# on purpose sets e2e_expected_errors to an extended regex of its lines.
# 24.11 slurmctld logs "SRUN_JOB_COMPLETE) failed: Connection reset by peer"
# (and SRUN_STEP_SIGNAL) after ordinary sruns (srun has gone when the
# message is sent).
e2e_log_errors() {
	grep -h -E 'error:|fatal:' "$e2e_dir"/log/slurmctld.log "$e2e_dir"/log/slurmd-n*.log 2>/dev/null |
		grep -v -E 'Could not open (node|job|reservation|trigger) state file|Trying backup state save file|pmix|MPI: Cannot create context|High latency for 1000 calls to gettimeofday|\*\*\* (JOB|STEP) [0-9.]+ ON n[0-9]+ CANCELLED AT|msg_type=SRUN_(JOB_COMPLETE|STEP_SIGNAL)\) failed: (Connection reset by peer|Message send failure|Broken pipe)'"${e2e_expected_errors:+|$e2e_expected_errors}"
}

# e2e_health: (e) after everything a test did, slurmctld and every slurmd
# are the processes started at `up`, answer, and every node is idle.
e2e_health() {
	local out
	ok "(e) every job ended, every node idle" e2e_wait_idle
	out=$("$devcluster" status --dir "$e2e_dir" 2>&1)
	is "$?" 0 "(e) status: every recorded daemon still runs"
	like "$(scontrol ping 2>&1)" 'Slurmctld\(primary\) at .* is UP' "(e) slurmctld answers"
	is "$(sinfo -h -N -o '%N %T' | grep -vc ' idle$')" 0 "(e) no node down, drained or failing"
	is "$(e2e_log_errors)" "" "(e) no unexpected error in the daemon logs"
}

# e2e_procs: "PID:START" of the recorded daemons and everything they forked
# that still has them as ancestor (slurmctld's slurmscriptd, ...).
e2e_procs() {
	local -A kids=()
	local f st pid pp i=0
	local -a q=()
	for f in /proc/[0-9]*/stat; do
		st=$(cat "$f" 2>/dev/null) || continue
		pid=${f#/proc/}
		pid=${pid%/stat}
		st=${st##*) }
		set -- $st
		kids[$2]="${kids[$2]:-} $pid"
	done
	while read -r _ pid st; do
		[ "$(e2e_start "$pid")" = "$st" ] && q+=("$pid")
	done <"$e2e_dir/run/pids"
	while [ $i -lt ${#q[@]} ]; do
		st=$(e2e_start "${q[i]}") && echo "${q[i]}:$st"
		q+=(${kids[${q[i]}]:-})
		i=$((i + 1))
	done
}
# e2e_start PID: its start time, nothing when gone or a zombie.
e2e_start() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	set -- $st
	[ "$1" != Z ] || return 1
	echo "${20}"
}

# e2e_down: (e) down stops every process of the cluster and removes its directory.
e2e_down() {
	local procs p left= out
	procs=$(e2e_procs)
	out=$("$devcluster" down --dir "$e2e_dir" 2>&1)
	is "$?" 0 "(e) down exits 0"
	like "$(echo $procs)" "^[0-9]+:[0-9]+ [0-9]+:[0-9]+ [0-9]+:[0-9]+" "(e) the daemons were running until down ($(echo $procs | wc -w) processes)"
	for p in $procs; do
		[ "$(e2e_start "${p%%:*}")" = "${p#*:}" ] && left="$left ${p%%:*}($(tr '\0' ' ' <"/proc/${p%%:*}/cmdline"))"
	done
	is "$left" "" "(e) down: no process of the cluster left"
	if [ -e "$e2e_dir" ]; then fail "(e) down removed the directory"; diag "$out"; else pass "(e) down removed the directory"; fi
	e2e_dir= e2e_name=
}

# e2e_need_plain_build: skip the test in a sanitizer build, whose plugins
# Debian's Slurm daemons cannot load (they are not built with the ASan
# runtime); the plugins' logic is covered there by the unit tests.
e2e_need_plain_build() {
	[ "${VGPU_SANITIZED:-no}" = yes ] &&
		skip_all "sanitizer build: Slurm's daemons cannot load ASan-built plugins"
	return 0
}

# e2e_need_plugins: the preamble of tests that run jobs under our plugins:
# skips in sanitizer builds and when the SPANK plugin or the probe program is
# not built; sets $probe (tests/shim/shimprobe) and $shim (the built shim).
e2e_need_plugins() {
	e2e_need_plain_build
	probe=$VGPU_BUILDDIR/tests/shim/shimprobe
	shim=$VGPU_BUILDDIR/src/shim/.libs/libcuda.so.1
	[ -e "$VGPU_BUILDDIR/plugins/spank/.libs/vgpu_spank.so" ] ||
		skip_all "the SPANK plugin is not built (libslurm-dev?)"
	[ -x "$probe" ] || skip_all "tests/shim/shimprobe is not built"
}
