#!/bin/bash
# The hardening of what ships (configure.ac; --disable-hardening turns it
# off): in the built vgpu, shim, Slurm plugins, core library (and the
# simulated driver, which gets the same flags), readelf must find
#   - BIND_NOW (-Wl,-z,now) and a GNU_RELRO segment (-Wl,-z,relro),
#   - __stack_chk_fail (-fstack-protector-strong: every one of them has
#     functions with local arrays),
#   - __*_chk calls (-D_FORTIFY_SOURCE=2: every one of them calls
#     snprintf, memcpy, strcpy or read, which glibc fortifies), unless
#     configure left FORTIFY out (sanitizer builds, no -O: its summary),
#   - vgpu: a position-independent executable (ELF type DYN, FLAGS_1 PIE).
# First, each check is shown to fail on a small library and program built
# here without those flags, so a check that cannot fail is caught.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
b=$VGPU_BUILDDIR
command -v readelf >/dev/null || skip_all "readelf is not installed (binutils)"
[ -r "$b/config.h" ] || skip_all "no config.h in $b"
grep -q '^#define VGPU_HARDENING 0' "$b/config.h" && skip_all "configured with --disable-hardening"
fortify=0
grep -q '^#define VGPU_HARDEN_FORTIFY 1' "$b/config.h" && fortify=1

# The shipped files of this build (the simulated driver's where it is built).
files="vgpu src/shim/.libs/libcuda.so.1 plugins/spank/.libs/vgpu_spank.so
plugins/job_submit/.libs/job_submit_vgpu.so plugins/cli_filter/.libs/cli_filter_vgpu.so"
[ "${VGPU_SIMULATOR:-yes}" = no ] || files="$files sim/.libs/libcuda.so.1 sim/.libs/libnvidia-ml.so.1"
core=.libs/libvgpucore.a
n=0
for f in $files; do n=$((n + 4)); done
plan $((n + 2 + 2 + 6))

# has_now FILE, has_relro FILE, has_ssp FILE, has_fortify FILE, is_pie FILE:
# 0 when readelf finds it. (A static archive: its symbol tables.)
has_now() { readelf -dW "$1" 2>/dev/null | grep -Eq '\((BIND_NOW|FLAGS)\).*BIND_NOW|\(FLAGS_1\).*[[:space:]]NOW|\(BIND_NOW\)'; }
has_relro() { readelf -lW "$1" 2>/dev/null | grep -q 'GNU_RELRO'; }
has_ssp() { readelf -sW "$1" 2>/dev/null | grep -Eq ' UND __stack_chk_fail(@|$)'; }
has_fortify() { readelf -sW "$1" 2>/dev/null | grep -Eq ' UND __[a-z0-9_]+_chk(@|$)'; }
is_pie() {
	readelf -hW "$1" 2>/dev/null | grep -Eq '^ *Type: *DYN' &&
		readelf -dW "$1" 2>/dev/null | grep -Eq '\(FLAGS_1\).* PIE'
}
# missing FILE: what of the above readelf does not find in FILE.
missing() {
	local m=
	has_now "$1" || m="$m BIND_NOW"
	has_relro "$1" || m="$m GNU_RELRO"
	has_ssp "$1" || m="$m __stack_chk_fail"
	has_fortify "$1" || m="$m __*_chk"
	is_pie "$1" || m="$m PIE"
	echo "${m# }"
}

# The checks fail where the flags are missing (a control built here).
cc=$(sed -n 's/^CC = //p' "$b/Makefile")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-0400.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf '#include <stdio.h>\n#include <string.h>\nint f(const char *s);\nint f(const char *s)\n{\n\tchar b[64];\n\tsnprintf(b, sizeof(b), "%%s:%%d", s, (int)strlen(s));\n\treturn (int)strlen(b);\n}\nint main(int c, char **v)\n{\n\treturn f(c > 1 ? v[1] : "x");\n}\n' >"$tmp/c.c"
if [ -n "$cc" ] &&
	$cc -O2 -U_FORTIFY_SOURCE -fno-stack-protector -fPIC -shared -Wl,-z,lazy -Wl,-z,norelro -o "$tmp/lib.so" "$tmp/c.c" 2>"$tmp/err" &&
	$cc -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -pie -Wl,-z,now -Wl,-z,relro -o "$tmp/good" "$tmp/c.c" 2>>"$tmp/err"; then
	is "$(missing "$tmp/lib.so")" "BIND_NOW GNU_RELRO __stack_chk_fail __*_chk PIE" \
		"the checks find none of the flags in a library built without them"
	is "$(missing "$tmp/good")" "" "the checks find each flag in a program built with them ($cc)"
else
	fail "build the control library and programs with '$cc'"
	diag "$(cat "$tmp/err")"
	fail "(no control programs)"
fi

for f in $files; do
	if [ ! -e "$b/$f" ]; then
		for c in BIND_NOW GNU_RELRO stack-protector FORTIFY; do fail "$f: $c (not built)"; done
		continue
	fi
	if has_now "$b/$f"; then pass "$f: BIND_NOW (-z now)"; else fail "$f: BIND_NOW (-z now)"; diag "$(readelf -dW "$b/$f" | grep -E 'FLAGS')"; fi
	if has_relro "$b/$f"; then pass "$f: GNU_RELRO (-z relro)"; else fail "$f: GNU_RELRO (-z relro)"; fi
	if has_ssp "$b/$f"; then pass "$f: __stack_chk_fail (-fstack-protector-strong)"; else fail "$f: __stack_chk_fail (-fstack-protector-strong)"; fi
	if [ $fortify = 0 ]; then
		skip "$f: __*_chk (-D_FORTIFY_SOURCE=2)" "configure left FORTIFY out (sanitizers or no -O; see its summary)"
	elif has_fortify "$b/$f"; then
		pass "$f: __*_chk calls (-D_FORTIFY_SOURCE=2)"
	else
		fail "$f: __*_chk calls (-D_FORTIFY_SOURCE=2)"
	fi
done

# The core library (linked into all of the above): its objects' symbols.
if has_ssp "$b/$core"; then pass "libvgpucore: __stack_chk_fail"; else fail "libvgpucore: __stack_chk_fail ($core)"; fi
if [ $fortify = 0 ]; then
	skip "libvgpucore: __*_chk" "configure left FORTIFY out"
elif has_fortify "$b/$core"; then
	pass "libvgpucore: __*_chk calls"
else
	fail "libvgpucore: __*_chk calls ($core)"
fi

if is_pie "$b/vgpu"; then pass "vgpu: a position-independent executable (-fPIE -pie)"; else
	fail "vgpu: a position-independent executable (-fPIE -pie)"
	diag "$(readelf -hW "$b/vgpu" | grep Type:)" "$(readelf -dW "$b/vgpu" | grep FLAGS)"
fi
# Each flag reached the compiler and linker through the Makefile.
mk=$(sed -n 's/^VGPU_HARDEN_CFLAGS = //p; s/^VGPU_HARDEN_LDFLAGS = //p; s/^VGPU_PIE_CFLAGS = //p; s/^VGPU_PIE_LDFLAGS = //p' "$b/Makefile" | tr '\n' ' ')
like "$mk" '-fstack-protector-strong' "the Makefile passes -fstack-protector-strong"
like "$mk" '-Wl,-z,now' "the Makefile passes -Wl,-z,now"
like "$mk" '-Wl,-z,relro' "the Makefile passes -Wl,-z,relro"
like "$mk" '-fPIE .*-pie|-pie .*-fPIE' "the Makefile passes -fPIE and -pie (vgpu)"
if [ $fortify = 1 ]; then like "$mk" '-D_FORTIFY_SOURCE=2' "the Makefile passes -D_FORTIFY_SOURCE=2"; else
	skip "the Makefile passes -D_FORTIFY_SOURCE=2" "configure left FORTIFY out"; fi
done_testing
