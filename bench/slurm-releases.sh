#!/bin/bash
# bench/slurm-releases.sh - bench/slurm.sh for each Slurm release at hand:
# the host's, against the build in VGPU_BUILDDIR, and each release chroot of
# tools/vgpu-chroot that exists (24.11, 26.05; doc/devcluster.md, "Other
# Slurm releases"), against a build made inside it, one after the other
# (never side by side: they would share the CPUs). Each run prints its full
# report as it goes; at the end one block of ratios per release, headed
# with the release's exact version. `make bench` runs it.
#
#   bench/slurm-releases.sh [host|22.05|24.11|26.05]...
#
# Without arguments: BENCH_RELEASES (same words, space-separated), else the
# host and every chroot made (a chroot is never made here: `tools/vgpu-chroot
# ensure REL` does that, ~1 minute and 0.9 GB). A release named but without
# its chroot is skipped with a message. Each chroot's build is
# $VGPU_SRCDIR/build/bench-REL, configured once, then
# `make`, under `flock BENCH_BUILD_LOCK` when that names a lock file (to
# serialise builds with other work). The BENCH_* variables (bench/slurm.sh)
# and VGPU_DEVCLUSTER_BASE reach each run; BENCH_RAW=DIR keeps each
# release's raw measurements in DIR/RELEASE. Needs root, like slurm.sh; one
# release takes ~3.5 minutes on 2 CPUs.
set -u
b=$(cd "${VGPU_BUILDDIR:-.}" && pwd)
src=${VGPU_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
src=$(cd "$src" && pwd -P)
chr=$src/tools/vgpu-chroot
prog=bench/slurm-releases.sh

[ "$(id -u)" = 0 ] || { echo "$prog: skipped: the devclusters and the chroots need root"; exit 0; }
host_rel=
if command -v slurmd >/dev/null 2>&1; then
	v=$(slurmd -V 2>/dev/null) && v=${v##* } && host_rel=${v%.*}
fi
if [ $# -gt 0 ]; then
	want="$*"
elif [ -n "${BENCH_RELEASES:-}" ]; then
	want=$BENCH_RELEASES
else
	want=host
	for r in 22.05 24.11 26.05; do
		[ "$r" != "$host_rel" ] || continue
		d=$("$chr" path "$r" 2>/dev/null) && [ -e "$d/.vgpu-chroot" ] && want="$want $r"
	done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
# The variables a run inside a chroot gets (vgpu-chroot run starts it with
# a clean environment).
envs=()
for v in $(compgen -e); do
	case $v in
	BENCH_RELEASES | BENCH_SUMMARY | BENCH_LABEL | BENCH_RAW | BENCH_BUILD_LOCK) ;;
	BENCH_* | VGPU_DEVCLUSTER_BASE) envs+=(--env "$v=${!v}") ;;
	esac
done
locked() { # CMD...: under BENCH_BUILD_LOCK when set
	if [ -n "${BENCH_BUILD_LOCK:-}" ]; then flock "$BENCH_BUILD_LOCK" "$@"; else "$@"; fi
}

done_rels= rc=0 n=0
for r in $want; do
	n=$((n + 1))
	sum=$tmp/summary-$n
	raw=
	if [ -n "${BENCH_RAW:-}" ]; then
		raw=$BENCH_RAW/$r
		mkdir -p "$raw" && raw=$(cd "$raw" && pwd -P)
	fi
	if [ "$r" = host ] || [ "$r" = "$host_rel" ]; then
		echo "### $prog: Slurm ${host_rel:-?} on the host, build $b"
		BENCH_LABEL="host, build $b" BENCH_SUMMARY=$sum BENCH_RAW=$raw VGPU_BUILDDIR=$b VGPU_SRCDIR=$src \
			bash "$src/bench/slurm.sh" || { rc=1; echo "$prog: host: bench/slurm.sh failed" >&2; }
		echo "host|host, build $b|$sum" >>"$tmp/runs"
		continue
	fi
	case $r in
	22.05 | 24.11 | 26.05) ;;
	*) echo "$prog: unknown release '$r' (expected host, 22.05, 24.11 or 26.05)" >&2; rc=1; continue ;;
	esac
	d=$("$chr" path "$r")
	if [ ! -e "$d/.vgpu-chroot" ]; then
		echo "$prog: $r: skipped: no chroot in $d (make it with: tools/vgpu-chroot ensure $r)"
		continue
	fi
	bd=$src/build/bench-$r
	echo "### $prog: Slurm $r in the chroot $d, build $bd"
	mkdir -p "$bd" || { rc=1; continue; }
	if ! locked "$chr" run "$r" --bind "$src" -- sh -c "cd '$bd' && { [ -f Makefile ] || '$src/configure'; } && make -j2" \
		>"$bd.bench-build.log" 2>&1; then
		tail -n 15 "$bd.bench-build.log" >&2
		echo "$prog: $r: building in the chroot failed (log: $bd.bench-build.log); if make wanted to" \
			"regenerate Makefile.in or configure, run ./bootstrap in $src on the host first" >&2
		rc=1
		continue
	fi
	binds=(--bind "$src" --bind "$tmp")
	[ -z "$raw" ] || binds+=(--bind "$raw")
	[ -z "${VGPU_DEVCLUSTER_BASE:-}" ] || { mkdir -p "$VGPU_DEVCLUSTER_BASE" && binds+=(--bind "$VGPU_DEVCLUSTER_BASE"); }
	"$chr" run "$r" "${binds[@]}" "${envs[@]}" --env "BENCH_LABEL=chroot $d, build $bd" \
		--env "BENCH_SUMMARY=$sum" --env "BENCH_RAW=$raw" --env "VGPU_BUILDDIR=$bd" --env "VGPU_SRCDIR=$src" \
		-- bash "$src/bench/slurm.sh" || { rc=1; echo "$prog: $r: bench/slurm.sh failed" >&2; }
	echo "$r|chroot $d, build $bd|$sum" >>"$tmp/runs"
done

# One block per release, from the summaries the runs wrote.
[ -s "$tmp/runs" ] || exit $rc
echo
echo "=== Slurm plugin cost per release: ratios plugins / plain (srun: median latency, <= 1.10x;"
echo "    sbatch: median of per-round throughput ratios, >= 0.90x); full reports above ==="
while IFS='|' read -r r label sum; do
	get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$sum" 2>/dev/null; }
	echo
	if [ ! -s "$sum" ]; then
		echo "Slurm $r ($label): no figures (skipped or failed, see above)"
		continue
	fi
	echo "Slurm $(get version) ($label): $(get wall) s; sbatch: $(get jobs) jobs x $(get rounds) rounds"
	printf '  %-40s %13s %18s\n' "" "srun latency" "sbatch throughput"
	for k in vg:"plugins (C cli_filter), --gres=shard:10" vgm:"plugins (C cli_filter), vgpu:mem=8G" \
		lua:"plugins (Lua cli_filter), --gres=shard:10" luam:"plugins (Lua cli_filter), vgpu:mem=8G" \
		pex:"control: plain, old --export carrier"; do
		l=$(get "srun.${k%%:*}") t=$(get "sbatch.${k%%:*}")
		printf '  %-40s %13s %18s\n' "${k#*:}" "${l:+${l}x}" "${t:+${t}x}"
	done
done <"$tmp/runs"
exit $rc
