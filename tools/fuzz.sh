#!/bin/bash
# tools/fuzz.sh [SECONDS] - build the libFuzzer targets with clang, ASan and
# UBSan in build/fuzz, and run each for SECONDS (default 60) on a scratch
# copy of its seed corpus (tests/fuzz/corpus/NAME). Crashes are kept in
# build/fuzz/crashes/NAME/. Prints an automake-style summary (# PASS: etc.).
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
secs=${1:-60}
dir=$top/build/fuzz
mkdir -p "$dir"
[ -x configure ] || ./bootstrap >/dev/null
if [ ! -f "$dir/Makefile" ]; then
	(cd "$dir" && CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link" \
		"$top/configure" -q --enable-fuzzing --enable-sanitizers) || exit 1
fi
bins=$(make -s -C "$dir" print-fuzz-bins) || exit 1
make -s -C "$dir" -j2 $bins || exit 1
pass=0 fail=0
for b in $bins; do
	name=${b#fuzz/}
	work=$dir/work/$name crashes=$dir/crashes/$name
	rm -rf "$work"; mkdir -p "$work" "$crashes"
	echo "fuzzing $name for ${secs}s"
	if "$dir/$b" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$crashes/" "$work" "$top/tests/fuzz/corpus/$name" \
		>"$dir/$name.log" 2>&1; then
		echo "PASS: $name ($(grep -c . "$dir/$name.log") log lines)"
		pass=$((pass + 1))
	else
		echo "FAIL: $name (see $dir/$name.log, inputs in $crashes)"
		tail -30 "$dir/$name.log"
		fail=$((fail + 1))
	fi
done
echo "# PASS: $pass"
echo "# FAIL: $fail"
[ "$fail" -eq 0 ]
