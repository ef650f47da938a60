#!/bin/bash
# tools/format-check.sh - clang-format and clang-tidy on what a change
# touches (.clang-format, .clang-tidy; doc/developers.md "Build hygiene").
#
#   tools/format-check.sh [--base REV] [--builddir DIR] [--no-tidy] [FILE...]
#
# With FILEs: each whole file (clang-format --dry-run -Werror, clang-tidy).
# Without: the C files (*.c, *.h) changed between BASE and the working tree
# (committed or not; deleted files left out): clang-format on the changed
# lines only (clang-format-diff: the tree is not reformatted), clang-tidy on
# each changed .c file. BASE, the first of:
#   1. --base REV (or VGPU_FORMAT_BASE);
#   2. the merge base with origin/main, where origin/main exists and HEAD is
#      not on it (a branch: its own changes);
#   3. the commit in tools/format-baseline (the tree as it was when these
#      checks came in: everything changed since is checked), where this
#      clone has it;
#   4. HEAD^ (a shallow clone without that commit: the last commit).
# clang-tidy needs the build's config.h: --builddir DIR (default
# $VGPU_BUILDDIR, else build/check, else the first build/*/ with a config.h).
# Exit: 0 clean, 1 findings (printed), 2 cannot run (said why).
set -u
cd "$(dirname "$0")/.." || exit 2
top=$(pwd -P)
base=${VGPU_FORMAT_BASE:-} builddir=${VGPU_BUILDDIR:-} tidy=1
while [ $# -gt 0 ]; do
	case $1 in
	--base) [ $# -ge 2 ] || { echo "format-check: --base needs a revision" >&2; exit 2; }; base=$2; shift 2 ;;
	--base=*) base=${1#--base=}; shift ;;
	--builddir) [ $# -ge 2 ] || { echo "format-check: --builddir needs a directory" >&2; exit 2; }; builddir=$2; shift 2 ;;
	--builddir=*) builddir=${1#--builddir=}; shift ;;
	--no-tidy) tidy=0; shift ;;
	--) shift; break ;;
	-*) echo "format-check: unknown option '$1' (expected --base, --builddir, --no-tidy)" >&2; exit 2 ;;
	*) break ;;
	esac
done

# The clang-format and clang-tidy of the suite (14 on Debian 12), and the
# changed-lines driver that comes with clang-format.
cf=$(command -v clang-format || command -v clang-format-14)
ct=$(command -v clang-tidy || command -v clang-tidy-14)
cfd=$(command -v clang-format-diff || command -v clang-format-diff-14)
[ -n "$cf" ] || { echo "format-check: clang-format is not installed (Debian: clang-format)" >&2; exit 2; }
[ $tidy = 0 ] || [ -n "$ct" ] || { echo "format-check: clang-tidy is not installed (Debian: clang-tidy)" >&2; exit 2; }

whole=0
if [ $# -gt 0 ]; then
	whole=1
	files=("$@")
else
	git rev-parse --git-dir >/dev/null 2>&1 || { echo "format-check: $top is not a git clone: name the files" >&2; exit 2; }
	how="--base"
	if [ -z "$base" ] && git rev-parse -q --verify origin/main >/dev/null; then
		mb=$(git merge-base HEAD origin/main 2>/dev/null)
		[ -z "$mb" ] || [ "$mb" = "$(git rev-parse HEAD)" ] || { base=$mb; how="merge base with origin/main"; }
	fi
	if [ -z "$base" ] && [ -r tools/format-baseline ]; then
		b=$(sed -n 's/^\([0-9a-f]\{40\}\)\b.*/\1/p' tools/format-baseline | head -n 1)
		if [ -n "$b" ] && git cat-file -e "$b^{commit}" 2>/dev/null; then
			base=$b how="tools/format-baseline"
		fi
	fi
	if [ -z "$base" ] && git rev-parse -q --verify HEAD^ >/dev/null; then
		base=HEAD^ how="the last commit (tools/format-baseline's commit is not in this clone)"
	fi
	[ -n "$base" ] || { echo "format-check: nothing to compare with (no --base, origin/main, baseline or HEAD^)" >&2; exit 2; }
	git rev-parse -q --verify "$base^{commit}" >/dev/null || { echo "format-check: --base '$base' is not a commit here" >&2; exit 2; }
	mapfile -t files < <(git diff --name-only --diff-filter=d "$base" -- '*.c' '*.h')
	echo "format-check: ${#files[@]} changed C file(s) since $(git rev-parse --short "$base") ($how)"
fi
[ ${#files[@]} -gt 0 ] || { echo "format-check: nothing to check"; exit 0; }

bad=0
# clang-format: whole files, or the changed lines.
if [ $whole = 1 ]; then
	for f in "${files[@]}"; do
		[ -r "$f" ] || { echo "format-check: $f: cannot read it" >&2; bad=1; continue; }
		out=$("$cf" --dry-run -Werror "$f" 2>&1) || { printf '%s\n' "$out" | head -40; bad=1; }
	done
else
	[ -n "$cfd" ] || { echo "format-check: clang-format-diff is not installed (Debian: clang-format)" >&2; exit 2; }
	out=$(git diff -U0 --no-color "$base" -- "${files[@]}" | "$cfd" -p1 -binary "$cf" 2>&1)
	if [ -n "$out" ]; then
		echo "format-check: clang-format would change these lines (.clang-format; run: git diff -U0 $base | $cfd -p1 -i):"
		printf '%s\n' "$out" | head -200
		bad=1
	fi
fi

# clang-tidy: each .c file, with the build's configuration.
if [ $tidy = 1 ]; then
	if [ -z "$builddir" ]; then
		if [ -r build/check/config.h ]; then builddir=build/check; else
			for d in build/*/; do [ -r "$d/config.h" ] && { builddir=$d; break; }; done
		fi
	fi
	[ -n "$builddir" ] && [ -r "$builddir/config.h" ] ||
		{ echo "format-check: clang-tidy needs a configured build's config.h (--builddir DIR; none under build/)" >&2; exit 2; }
	builddir=$(cd "$builddir" && pwd -P)
	flags=(-std=gnu11 -D_GNU_SOURCE -DHAVE_CONFIG_H "-I$builddir")
	for d in src/include src/lib src/shim src/discover src/cli sim plugins/spank tests/unit tests/shim tests/sim; do
		flags+=("-I$top/$d")
	done
	# What mk/*.mk pass on the command line (values do not matter here).
	flags+=('-DVGPU_CONF_PATH="/etc/slurm/vgpu.conf"' '-DVGPU_CONF_DEFAULT_SHIM="/usr/lib/slurm-vgpu/libvgpu-shim.so"'
		'-DVGPU_PKGLIBEXECDIR="/usr/libexec/slurm-vgpu"' '-DVGPU_FUZZ_CORPUS="x"')
	# shellcheck disable=SC2207
	flags+=($(pkg-config --cflags hwloc json-c check 2>/dev/null))
	cuda=
	[ -r /usr/local/cuda/include/cuda.h ] && cuda=/usr/local/cuda/include && flags+=("-I$cuda")
	for f in "${files[@]}"; do
		case $f in *.c) ;; *) continue ;; esac
		[ -r "$f" ] || continue
		if [ -z "$cuda" ] && grep -q '^#include <cuda' "$f"; then
			echo "format-check: $f: clang-tidy skipped (needs the CUDA toolkit's headers)"
			continue
		fi
		if ! out=$("$ct" --quiet "$f" -- "${flags[@]}" 2>&1); then
			printf '%s\n' "$out" | grep -v '^[0-9]* warnings\? generated\.$' | head -60
			bad=1
		fi
	done
fi
if [ $bad = 0 ]; then echo "format-check: clean"; else echo "format-check: FAILED (see above)"; fi
exit $bad
