# tests/sh/tap.sh - a small TAP library for the shell tests (sourced).
#
#   . "$VGPU_SRCDIR/tests/sh/tap.sh"
#   plan 3
#   ok "vgpu --help exits 0" vgpu --help
#   is "$(vgpu request mem=1G)" "mem=1G" "canonical form"
#   skip_all "no slurmctld on this machine"
#
# Paths: VGPU_SRCDIR and VGPU_BUILDDIR come from `make check`; when a test is
# run by hand they default to the tree it sits in.
: "${VGPU_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${VGPU_BUILDDIR:=$VGPU_SRCDIR}"
: "${VGPU_SHARED:=$VGPU_SRCDIR/../shared}"
export VGPU_SRCDIR VGPU_BUILDDIR VGPU_SHARED
tap_n=0
tap_failed=0

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '# %s\n' "$*" | sed '2,$s/^/# /'; }

pass() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
fail() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $1"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP ${2:-}"; }

# ok DESCRIPTION COMMAND...: passes when the command exits 0.
ok() {
	local d=$1 out; shift
	if out=$("$@" 2>&1); then pass "$d"; else fail "$d"; diag "$out"; fi
}
# nok DESCRIPTION COMMAND...: passes when the command exits non-zero.
nok() {
	local d=$1 out; shift
	if out=$("$@" 2>&1); then fail "$d"; diag "$out"; else pass "$d"; fi
}
# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3"; diag "got:  $1" "want: $2"; fi
}
# like GOT PATTERN DESCRIPTION (grep -E pattern)
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else fail "$3"; diag "got: $1" "want /$2/"; fi
}
done_testing() { [ "$tap_failed" -eq 0 ]; }
