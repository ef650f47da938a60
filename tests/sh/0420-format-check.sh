#!/bin/bash
# tools/format-check.sh in a scratch git clone holding the tree's
# .clang-format, .clang-tidy and the tool: a change formatted as
# .clang-format says passes; a badly formatted changed line fails and is
# named, while badly formatted lines the change did not touch are left
# alone; a clang-tidy finding in a changed file fails; what "changed" means
# (--base, the merge base with origin/main, tools/format-baseline, the last
# commit of a clone without the baseline); whole files given by name are
# checked with clang-format --dry-run -Werror. (CI runs the tool on the
# real tree: tools/check.sh.)
. "$VGPU_SRCDIR/tests/sh/tap.sh"
for t in git clang-format clang-tidy; do
	command -v $t >/dev/null || command -v $t-14 >/dev/null || skip_all "$t is not installed"
done
command -v clang-format-diff >/dev/null || command -v clang-format-diff-14 >/dev/null ||
	skip_all "clang-format-diff is not installed (Debian: clang-format)"
plan 12
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-0410.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/repo
mkdir -p "$r/tools" "$r/src" "$r/build/x"
cp "$VGPU_SRCDIR/.clang-format" "$VGPU_SRCDIR/.clang-tidy" "$r/"
cp "$VGPU_SRCDIR/tools/format-check.sh" "$r/tools/"
: >"$r/build/x/config.h"
g() { git -C "$r" -c user.name=t -c user.email=t@example.org "$@" >/dev/null 2>&1; }
fc() { out=$(cd "$r" && VGPU_BUILDDIR= bash tools/format-check.sh --builddir build/x "$@" 2>&1); rc=$?; }

# The base: one badly formatted line (brace, spacing) in a file.
cat >"$r/src/a.c" <<'EOF'
#include <string.h>

int a_len(const char *s);
int a_old(int x);

int a_old(int x) {  return x+1; }

int a_len(const char *s)
{
	return (int)strlen(s);
}
EOF
g init -q && g add -A && g commit -q -m base || { echo "Bail out! cannot make a git repository in $r"; exit 1; }
basec=$(git -C "$r" rev-parse HEAD)

# 1. A well formatted change: clean, the old bad line not reported.
cat >>"$r/src/a.c" <<'EOF'

int a_twice(int x);
int a_twice(int x)
{
	return 2 * x;
}
EOF
g commit -q -am good
fc --base "$basec"
is "$rc" 0 "a formatted change passes"
like "$out" "1 changed C file" "the changed file is found"
[ "$rc" = 0 ] || diag "$out"

# 2. A badly formatted changed line: exit 1, the file and line shown.
printf '\nint a_bad(int x);\nint a_bad(int x) { return x*3; }\n' >>"$r/src/a.c"
fc --base "$basec"
is "$rc" 1 "a badly formatted changed line fails"
like "$out" 'a_bad' "the bad line is shown"
if printf '%s' "$out" | grep -q 'a_old'; then fail "the untouched bad line is left alone"; diag "$out"; else
	pass "the untouched bad line is left alone"; fi

# 3. A clang-tidy finding (strcmp compared with 1) in a formatted change.
git -C "$r" checkout -q -- src/a.c
cat >>"$r/src/a.c" <<'EOF'

int a_same(const char *x, const char *y);
int a_same(const char *x, const char *y)
{
	return strcmp(x, y) == 1;
}
EOF
fc --base "$basec"
is "$rc" 1 "a clang-tidy finding in a changed file fails"
like "$out" 'bugprone-suspicious-string-compare' "the check is named"
fc --base "$basec" --no-tidy
is "$rc" 0 "--no-tidy: clang-format only"
git -C "$r" checkout -q -- src/a.c

# 4. What "changed" is without --base: tools/format-baseline, then the
# merge base with origin/main on a branch, then HEAD^ without a baseline.
echo "$basec the tree when the checks came in" >"$r/tools/format-baseline"
printf '\nint a_bad2(int x);\nint a_bad2(int x) { return x*4; }\n' >>"$r/src/a.c"
g add -A && g commit -q -m bad2
fc
like "$out" "since ${basec:0:7} \(tools/format-baseline\)" "no --base: from the commit in tools/format-baseline"
g update-ref refs/remotes/origin/main HEAD
printf '\nint a_ok(void);\nint a_ok(void)\n{\n\treturn 0;\n}\n' >>"$r/src/a.c"
g commit -q -am ok
fc
if [ "$rc" = 0 ] && printf '%s' "$out" | grep -q 'merge base with origin/main'; then
	pass "on a branch: its own changes since the merge base with origin/main (clean)"
else fail "on a branch: its own changes since the merge base with origin/main (clean)"; diag "rc=$rc" "$out"; fi
g update-ref -d refs/remotes/origin/main
echo "0123456789abcdef0123456789abcdef01234567 not in this clone" >"$r/tools/format-baseline"
fc
like "$out" "the last commit" "a baseline not in the clone: the last commit"

# 5. Whole files by name: clang-format --dry-run -Werror.
fc --no-tidy src/a.c
is "$rc" 1 "a named file with badly formatted lines fails as a whole"
done_testing
