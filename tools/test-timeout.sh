#!/bin/sh
# tools/test-timeout.sh TEST [ARGS...]: run one test under a time limit (the
# automake LOG_COMPILER of every test, Makefile.am).
#
# The limit is VGPU_TEST_TIMEOUT seconds (default 600), cut short by
# VGPU_TEST_DEADLINE (seconds since the epoch; tools/check.sh sets it from its
# whole-run budget). A test still running at its limit is reported in its log
# (stderr): the process tree under it with each process's state, age and
# kernel wait channel, and the user-space stacks of its threads when gdb is
# installed. Then it gets SIGTERM, so its own clean-up traps run (the e2e
# tests stop the daemons they started), and 60 s later every process of the
# tree still there gets SIGKILL. A test started after the deadline is not
# run: it says "Bail out!", which the TAP driver counts as an error.
#
# Processes a test leaves behind in its process group are reported and
# stopped when it exits. Every run ends with a line "# test-timeout: TEST ran N s" in the log, which
# tools/check.sh uses to list the slowest tests. Exit status: the test's, or
# 124 when it was stopped.
limit=${VGPU_TEST_TIMEOUT:-600}
now=$(date +%s)
if [ -n "${VGPU_TEST_DEADLINE:-}" ]; then
	left=$((VGPU_TEST_DEADLINE - now))
	if [ "$left" -le 0 ]; then
		echo "Bail out! not run: the test run's time budget (VGPU_TEST_DEADLINE) is spent"
		exit 1
	fi
	[ "$left" -lt "$limit" ] && limit=$left
fi

# tree PID: PID and every process below it, one per line.
tree() {
	ps -eo pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			inside[root] = 1
			do {
				more = 0
				for (p in parent)
					if (!(p in inside) && (parent[p] in inside)) { inside[p] = 1; more = 1 }
			} while (more)
			for (p in inside) print p
		}'
}

# report PID: what the tree under PID is doing, on stderr.
report() {
	pids=$(tree "$1" | sort -n | tr '\n' ',' | sed 's/,$//')
	echo "# test-timeout: $name still running after $limit s; its processes:"
	ps -o pid,ppid,pgid,stat,etimes,wchan:24,args -p "$pids" 2>&1 | cut -c1-240 | sed 's/^/#   /'
	command -v gdb >/dev/null 2>&1 || return 0
	n=0
	for p in $(echo "$pids" | tr ',' ' '); do
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		case $comm in sh | bash | sleep | make | timeout | awk | mawk | gawk | cat) continue ;; esac
		n=$((n + 1))
		[ $n -gt 6 ] && break
		echo "# test-timeout: stacks of $p ($comm):"
		timeout 60 gdb -batch -nx -p "$p" -ex 'thread apply all bt 30' </dev/null 2>&1 |
			grep -E '^(Thread|#)' | head -80 | sed 's/^/#   /'
	done
}

name=$1
start=$now
mark=${TMPDIR:-/tmp}/vgpu-test-timeout.$$
rm -f "$mark"
# Its own session and process group (setsid does not fork here: a background
# command of a non-interactive shell is no group leader), so what it leaves
# behind can be found once it has exited.
setsid "$@" &
pid=$!
(
	i=0
	while [ $i -lt "$limit" ]; do
		sleep 1
		kill -0 "$pid" 2>/dev/null || exit 0
		i=$((i + 1))
	done
	report "$pid"
	all=$(tree "$pid")
	: >"$mark"
	kill -TERM "$pid" 2>/dev/null
	i=0
	while [ $i -lt 60 ] && kill -0 "$pid" 2>/dev/null; do sleep 1; i=$((i + 1)); done
	for p in $all; do kill -KILL "$p" 2>/dev/null; done
	pkill -KILL -g "$pid" 2>/dev/null
	echo "# test-timeout: $name stopped"
) >&2 &
watch=$!
wait "$pid"
rc=$?
if [ -e "$mark" ]; then
	wait "$watch" # it kills what is left of the tree
	rm -f "$mark"
	rc=124
else
	kill "$watch" 2>/dev/null
	wait "$watch" 2>/dev/null
fi
# Processes the test left in its group (a background command it started and
# did not stop) would hold the TAP pipe open and hang the driver: reported,
# then stopped.
if [ $rc -ne 124 ] && pgrep -g "$pid" >/dev/null 2>&1; then
	echo "# test-timeout: $name left processes behind:" >&2
	ps -o pid,stat,etimes,args -g "$pid" 2>&1 | cut -c1-200 | sed 's/^/#   /' >&2
	pkill -TERM -g "$pid" 2>/dev/null
	sleep 1
	pkill -KILL -g "$pid" 2>/dev/null
fi
# On stdout, after everything the test printed (stderr would interleave with
# the TAP driver's copy of stdout in the log).
echo "# test-timeout: $name ran $(($(date +%s) - start)) s"
exit $rc
