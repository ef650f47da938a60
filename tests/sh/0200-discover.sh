#!/bin/bash
# vgpu discover without a GPU: inventories from hwloc XML topologies
# (--no-nvml) compared with the expected outputs in tests/golden/discover/,
# and the messages and exit codes of usage errors and missing drivers.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
vgpu=$VGPU_BUILDDIR/vgpu
golden=$VGPU_SRCDIR/tests/golden/discover
[ -x "$vgpu" ] || skip_all "no vgpu binary in $VGPU_BUILDDIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/empty.conf"
plan 32

# run NAME ARGS...: output, error and status of `vgpu discover ARGS`.
run() {
	local name=$1; shift
	"$vgpu" discover "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}
# golden NAME FILE ARGS...: output equals the golden file, nothing on stderr.
golden() {
	local name=$1 file=$2; shift 2
	run "$name" "$@"
	is "$(cat "$tmp/$name.rc")" 0 "$name: exit 0"
	if diff -u "$golden/$file" "$tmp/$name.out" >"$tmp/$name.diff"; then
		pass "$name: output is $file"
	else
		fail "$name: output is $file"
		diag "$(cat "$tmp/$name.diff")"
	fi
	is "$(cat "$tmp/$name.err")" "" "$name: no warnings"
}

golden h100x4-json h100x4-nvlink.json --json --no-nvml --topology "$golden/h100x4-nvlink.xml"
golden h100x4-table h100x4-nvlink.txt --no-nvml --topology "$golden/h100x4-nvlink.xml"
golden minimal-json minimal-2gpu.json --no-nvml --topology "$golden/minimal-2gpu.xml" --json --hostname node-b200-1
golden minimal-table minimal-2gpu.txt --no-nvml --topology "$golden/minimal-2gpu.xml" --hostname node-b200-1
golden smt-table smt-3gpu.txt --topology="$golden/smt-3gpu.xml" --no-nvml
golden smt-json smt-3gpu.json --topology="$golden/smt-3gpu.xml" --no-nvml --json

# vgpu.conf names the type of a model.
printf '%s\n' 'GpuType=A4000 Memory=16G SMs=48 Model="nvidia rtx a4000"' >"$tmp/types.conf"
run conftype --no-nvml --topology "$golden/smt-3gpu.xml" --conf "$tmp/types.conf"
is "$(cat "$tmp/conftype.rc"):$(grep -c ' a4000 ' "$tmp/conftype.out"):$(grep -c ' a100 ' "$tmp/conftype.out")" \
	"0:1:2" "GpuType Model= names the type (a4000), others keep theirs"
is "$(cat "$tmp/conftype.err")" "" "GpuType Model=: no warnings"

# Failures: exit 1 with a message that names the cause.
run nogpu --no-nvml --topology "$golden/nogpu.xml"
is "$(cat "$tmp/nogpu.rc"):$(cat "$tmp/nogpu.err")" \
	"1:vgpu discover: no GPU found: $golden/nogpu.xml has no NVIDIA PCI device (class 0302 or 0300)" \
	"a topology without NVIDIA GPU: no GPU found"
run nodriver --conf "$tmp/empty.conf" --nvml /nonexistent/libnvidia-ml.so.1
is "$(cat "$tmp/nodriver.rc")" 1 "no NVML library: exit 1"
like "$(cat "$tmp/nodriver.err")" \
	'^vgpu discover: no NVIDIA driver: /nonexistent/libnvidia-ml.so.1 could not be loaded \(.*No such file or directory\)$' \
	"no NVML library: says so and why"
run notopo --no-nvml --topology /nonexistent/topo.xml
is "$(cat "$tmp/notopo.rc")" 1 "unreadable topology: exit 1"
like "$(cat "$tmp/notopo.err")" '^vgpu discover: topology /nonexistent/topo.xml: ' "unreadable topology: named"
run badhost --no-nvml --topology "$golden/minimal-2gpu.xml" --hostname 'a b'
is "$(cat "$tmp/badhost.rc"):$(cat "$tmp/badhost.err")" \
	"1:vgpu discover: --hostname 'a b' is not a usable node name (letters, digits, '-', '_', '.')" \
	"--hostname with a space is refused"

# Usage errors: exit 2, the option named.
usage_error() {
	local want=$1; shift
	run usage "$@"
	is "$(cat "$tmp/usage.rc"):$(head -n1 "$tmp/usage.err")" "2:$want" "usage: $*"
}
usage_error "vgpu discover: unknown option '--bogus'" --bogus
usage_error "vgpu discover: unexpected argument 'extra'" extra
usage_error "vgpu discover: --topology needs a value" --topology
usage_error "vgpu discover: --hostname needs a value" --hostname=
usage_error "vgpu discover: --nvml and --no-nvml exclude each other" --no-nvml --nvml lib.so
run help --help
is "$(cat "$tmp/help.rc"):$(head -n1 "$tmp/help.out")" \
	"0:usage: vgpu discover [--json] [--topology FILE.xml] [--no-nvml] [--nvml LIB] [--cuda LIB]" "--help"
done_testing
