#!/bin/bash
# tools/check.sh - build slurm-vgpu and run its whole test suite.
#
# Installs the Debian packages it needs, then:
#   1. a -Werror build in build/check and `make check` (unit, simulated-GPU,
#      golden, CLI and fuzz-corpus replay tests);
#   2. a clang -Werror build in build/clang (everything gcc builds) and the
#      tests that start no daemons there (unit, shim, simulator, fuzz-corpus
#      replay, shell tests); then tools/format-check.sh (clang-format on the
#      changed lines, clang-tidy on the changed files: doc/developers.md,
#      "Build hygiene"), one test;
#   2b. an ASan+UBSan build in build/asan and `make check` there;
#   3. a ThreadSanitizer build in build/tsan running the shim's and the
#      simulator's tests only (`make check TESTS=...`: the multi-threaded
#      parts of the project);
#   4. each libFuzzer target for a short while (FUZZ_SECONDS, default 10);
#   5. for each other Slurm release (VGPU_RELEASES, default "24.11 26.05";
#      "" for none): a Debian chroot holding it (tools/vgpu-chroot: made
#      once, then reused from /var/cache/slurm-vgpu/chroots), and inside it
#      the -Werror build and the whole `make check` (unit, simulator, shim,
#      golden, e2e on that release's real daemons) with that release's gcc.
#      A release whose chroot cannot be made is counted as skipped, with
#      the reason; sanitizer builds and fuzzing run on the host only.
# Every test runs under tools/test-timeout.sh; each suite's time and its
# slowest tests are printed.
# Ends with one line over all suites: "N passed, N failed, N skipped".
# Exit status 0 only when nothing failed.
set -u
cd "$(dirname "$0")/.."
top=$(pwd -P)
. tools/deps.sh
vgpu_deps test || { echo "0 passed, 1 failed"; exit 1; }

jobs=${JOBS:-2}
# Tests started after this budget is spent are not run (each counts as an
# error); a test that hangs is stopped after VGPU_TEST_TIMEOUT seconds
# (tools/test-timeout.sh). Together they keep a run inside CI's 90 minutes.
export VGPU_TEST_DEADLINE=$(($(date +%s) + ${VGPU_CHECK_BUDGET:-4200}))
passed=0 failed=0 skipped=0
logdir=$top/build/logs
mkdir -p "$logdir"

# Add the counts of an automake test-suite summary (in file $1) to the totals.
count_suite() {
	local p f e s x
	p=$(sed -n 's/^# PASS: *//p' "$1" | tail -1)
	f=$(sed -n 's/^# FAIL: *//p' "$1" | tail -1)
	e=$(sed -n 's/^# ERROR: *//p' "$1" | tail -1)
	x=$(sed -n 's/^# XPASS: *//p' "$1" | tail -1)
	s=$(sed -n 's/^# SKIP: *//p' "$1" | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
	skipped=$((skipped + ${s:-0}))
}

# step NAME COMMAND...: run a build step; a failure counts as one failed test.
step() {
	local name=$1; shift
	echo "== $name"
	if ! "$@" >"$logdir/$name.log" 2>&1; then
		echo "FAILED: $name (log: $logdir/$name.log)"
		tail -40 "$logdir/$name.log"
		failed=$((failed + 1))
		return 1
	fi
}

# suite NAME BUILDDIR CONFIGURE-ARGS...: configure, build and `make check`
# (only the tests named in $check_tests, when it is set); every command
# through $in_release (nothing: on the host; a vgpu-chroot run prefix:
# inside another release's chroot).
in_release=
suite() {
	local name=$1 dir=$2; shift 2
	mkdir -p "$dir"
	step "$name-configure" $in_release sh -c "cd '$dir' && '$top/configure' $*" || return
	step "$name-build" $in_release make -C "$dir" -j"$jobs" || return
	echo "== $name-check"
	local t0
	t0=$(date +%s)
	$in_release make -C "$dir" -j"$jobs" check ${check_tests:+TESTS="$check_tests"} >"$logdir/$name-check.log" 2>&1
	local rc=$?
	grep -E '^(FAIL|ERROR|XPASS): ' "$logdir/$name-check.log" | head -50
	count_suite "$logdir/$name-check.log"
	if [ $rc -ne 0 ] && ! grep -q '^# FAIL:' "$logdir/$name-check.log"; then
		echo "FAILED: $name-check did not run (log: $logdir/$name-check.log)"
		tail -40 "$logdir/$name-check.log"
		failed=$((failed + 1))
	fi
	[ $rc -eq 0 ] || for f in $(grep -lE '^(not ok|FAIL|ERROR)' "$dir"/tests/*/*.log 2>/dev/null | head -5); do
		echo "--- $f"
		if grep -q '^# test-timeout: .* still running after' "$f"; then
			sed -n '/^# test-timeout: .* still running after/,$p' "$f" | head -200
		else
			tail -30 "$f"
		fi
	done
	echo "   $name-check took $(($(date +%s) - t0)) s; slowest:" $(sed -n 's|^# test-timeout: \(.*\) ran \([0-9]*\) s$|\2s:\1|p' \
		"$dir"/tests/*/*.log 2>/dev/null | sed 's|:.*/tests/|:tests/|; s|:\./|:|' | sort -rn | head -4)
}

# The TSan suite: the shim (LD_PRELOADed into a threaded probe) and the
# simulated driver.
tsan_tests="tests/shim/test_ledger tests/shim/test_ledger_ns tests/shim/test_ledger_guard tests/shim/test_shim tests/shim/test_shim_access \
tests/shim/test_shim_race tests/shim/test_shim_sm tests/shim/test_shim_extra tests/shim/test_shim_graph tests/shim/test_shim_module tests/shim/test_shim_dl tests/shim/test_dlelf tests/sim/test_simnode tests/sim/test_simdriver \
tests/sim/test_simshare tests/sim/test_simgetproc tests/sim/test_simexec tests/sim/test_simmodule"

# The chroots of the other releases first: the host's e2e tests of
# `vgpu-devcluster up --slurm` use one where it exists.
other_rels=
host_rel=$(slurmd -V 2>/dev/null | sed -n 's/^slurm[^ ]* \([0-9]*\.[0-9]*\)\..*/\1/p')
for rel in ${VGPU_RELEASES-24.11 26.05}; do
	[ "$rel" != "$host_rel" ] || continue
	echo "== slurm-$rel-chroot"
	if tools/vgpu-chroot ensure "$rel" >"$logdir/slurm-$rel-chroot.log" 2>&1; then
		other_rels="$other_rels $rel"
	else
		echo "SKIPPED: Slurm $rel: $(grep 'vgpu-chroot:' "$logdir/slurm-$rel-chroot.log" | tail -1)"
		skipped=$((skipped + 1))
	fi
done

step bootstrap ./bootstrap &&
	{
		suite werror "$top/build/check" --enable-werror
		# The clang suite: the werror build's list of tests, less the
		# e2e and real-GPU ones (gcc's suite and the releases run those).
		clang_tests=$(make -s -C "$top/build/check" print-tests 2>/dev/null | tr ' ' '\n' |
			grep -E '^tests/(unit|shim|sim|fuzz|sh)/' | tr '\n' ' ')
		if [ -n "$clang_tests" ]; then
			check_tests="$clang_tests" suite clang "$top/build/clang" --enable-werror CC=clang
		else
			echo "FAILED: clang: no test list from build/check (make print-tests)"
			failed=$((failed + 1))
		fi
		if step format-check tools/format-check.sh --builddir "$top/build/check"; then
			passed=$((passed + 1))
			tail -1 "$logdir/format-check.log"
		fi
		suite asan "$top/build/asan" --enable-werror --enable-sanitizers
		TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1} check_tests="$tsan_tests" \
			suite tsan "$top/build/tsan" --enable-werror --enable-tsan
		if [ "${FUZZ_SECONDS:-10}" != 0 ]; then
			echo "== fuzz"
			if tools/fuzz.sh "${FUZZ_SECONDS:-10}" >"$logdir/fuzz.log" 2>&1; then
				count_suite "$logdir/fuzz.log"
			else
				count_suite "$logdir/fuzz.log"
				grep -E '^(FAIL|ERROR)' "$logdir/fuzz.log"
				tail -30 "$logdir/fuzz.log"
				grep -q '^# FAIL:' "$logdir/fuzz.log" || failed=$((failed + 1))
			fi
		fi
	}

# The other Slurm releases, each in its own chroot (tools/vgpu-chroot).
shared_bind=
[ ! -d "$top/../shared" ] || shared_bind="--bind $(cd "$top/../shared" && pwd -P)"
for rel in $other_rels; do
	# The host's -Werror build (another release's plugins) for the tests
	# of the version checks; the test deadline and time limit go in too.
	# (../shared, where it is, holds optional fixtures the host's run reads too)
	in_release="tools/vgpu-chroot run $rel --bind $top ${shared_bind:-} --env VGPU_TEST_DEADLINE=$VGPU_TEST_DEADLINE \
--env VGPU_OTHER_RELEASE_BUILD=$top/build/check ${VGPU_TEST_TIMEOUT:+--env VGPU_TEST_TIMEOUT=$VGPU_TEST_TIMEOUT} --"
	suite "slurm-$rel" "$top/build/slurm-$rel" --enable-werror
	in_release=
done

# The packages (tests/pkg, TAP): the Debian packages built, linted, installed
# into a throwaway chroot, configured as README.Debian says, upgraded and run,
# for the host's release and VGPU_PKG_RELEASES (default 24.11; the "pkg"
# suite); the RPM spec built with rpmbuild. VGPU_PKG=0 leaves them out.
if [ "${VGPU_PKG:-1}" != 0 ]; then
	for t in install rpm; do
		echo "== pkg-$t"
		t0=$(date +%s)
		VGPU_PKG_RELEASES="$host_rel ${VGPU_PKG_RELEASES-24.11}" VGPU_TEST_TIMEOUT=${VGPU_PKG_TIMEOUT:-900} \
			sh tools/test-timeout.sh bash "tests/pkg/$t.sh" >"$logdir/pkg-$t.log" 2>&1
		p=$(grep -c '^ok ' "$logdir/pkg-$t.log") s=$(grep -c '^ok .*# SKIP' "$logdir/pkg-$t.log")
		f=$(grep -Ec '^not ok |^Bail out!' "$logdir/pkg-$t.log")
		grep -q '^1\.\.[0-9]' "$logdir/pkg-$t.log" || f=$((f + 1)) # no plan: it did not finish
		passed=$((passed + p - s)) failed=$((failed + f))
		skipped=$((skipped + s + $(grep -c '^1\.\.0 # SKIP' "$logdir/pkg-$t.log")))
		grep -E '^(not ok|Bail out!)' "$logdir/pkg-$t.log" | head -20
		[ "$f" -eq 0 ] || tail -30 "$logdir/pkg-$t.log"
		echo "   pkg-$t took $(($(date +%s) - t0)) s: $((p - s)) passed, $f failed, $s skipped"
	done
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
