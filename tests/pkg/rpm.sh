#!/bin/bash
# tests/pkg/rpm.sh - packaging/rpm/slurm-vgpu.spec builds binary RPMs with
# Debian's rpmbuild (tools/check.sh's "pkg" suite; TAP).
#
# rpmbuild --nodeps (Debian has none of the RPM BuildRequires names) and
# --without check (make check runs in the other suites), from a tarball of
# the tree, as `rpmbuild -ta` would. Checks: both RPMs are written, the
# version is configure.ac's, slurm-vgpu requires exactly the Slurm of the
# headers, neither package provides the driver's sonames (the shim and the
# simulator are named libcuda.so.1), the simulator is only in -sim, the
# plugins are in the plugin directory and the configuration files are
# %config(noreplace).
#   VGPU_PKG_SOURCE: as for tests/pkg/install.sh (HEAD or a DIR)
set -u
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/sh/tap.sh"
src=$VGPU_SRCDIR
command -v rpmbuild >/dev/null 2>&1 || skip_all "rpmbuild is not installed (Debian: rpm)"
[ -r /usr/include/slurm/slurm_version.h ] || skip_all "no Slurm headers (Debian: libslurm-dev)"
plan 8
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-rpm.XXXXXX")
trap 'rm -rf --one-file-system -- "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
cd "$src" || exit 1
ver=$(sed -n 's/^AC_INIT(\[slurm-vgpu\], \[\([^]]*\)\].*/\1/p' configure.ac)
spec=packaging/rpm/slurm-vgpu.spec
top=$tmp/slurm-vgpu-$ver
mkdir -p "$top" "$tmp/rpm/SOURCES"
if [ "${VGPU_PKG_SOURCE:-}" = HEAD ]; then
	git archive HEAD | tar -xf - -C "$top"
elif [ -n "${VGPU_PKG_SOURCE:-}" ]; then
	tar -C "$VGPU_PKG_SOURCE" --exclude=./build --exclude='./build-*' --exclude=./debian --exclude=./packaging -cf - . | tar -xf - -C "$top" &&
		cp -a packaging "$top/"
elif [ -e .git ] && command -v git >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -z | tar --null -cf - -T - 2>/dev/null | tar -xf - -C "$top"
else
	tar --exclude=./build --exclude='./build-*' -cf - . | tar -xf - -C "$top"
fi
tar -C "$tmp" -czf "$tmp/rpm/SOURCES/slurm-vgpu-$ver.tar.gz" "slurm-vgpu-$ver"
is "$(sed -n 's/^Version: *//p' "$spec")" "$ver" "the spec's Version is configure.ac's ($ver)"
rpmbuild --define "_topdir $tmp/rpm" --nodeps --without check -bb "$top/$spec" >"$tmp/build.log" 2>&1
rc=$?
is "$rc" 0 "rpmbuild --nodeps --without check -bb builds"
[ $rc -eq 0 ] || diag "$(tail -n 30 "$tmp/build.log")"
main=$(ls "$tmp"/rpm/RPMS/*/slurm-vgpu-"$ver"-*.rpm 2>/dev/null | head -1)
sim=$(ls "$tmp"/rpm/RPMS/*/slurm-vgpu-sim-"$ver"-*.rpm 2>/dev/null | head -1)
ok "slurm-vgpu and slurm-vgpu-sim RPMs written" test -n "$main" -a -n "$sim"
n=$(sed -n 's/^#define SLURM_VERSION_NUMBER \(0x[0-9a-fA-F]*\)$/\1/p' /usr/include/slurm/slurm_version.h)
sv=$(printf '%d.%02d.%d' $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))
is "$(rpm -qpR "$main" 2>/dev/null | grep '^slurm ')" "slurm = $sv" "slurm-vgpu requires exactly Slurm $sv (the headers')"
is "$(rpm -qp --provides "$main" "$sim" 2>/dev/null | grep -c 'libcuda\|libnvidia-ml')" 0 \
	"no package provides libcuda.so.1 or libnvidia-ml.so.1"
is "$(rpm -qpl "$main" 2>/dev/null | grep -cE '/sim/|libnvidia-ml|vgpu-simnode')" 0 "slurm-vgpu holds no simulator file"
is "$(rpm -qpl "$main" 2>/dev/null | grep -cE '/slurm/(vgpu_spank|cli_filter_vgpu|job_submit_vgpu)\.so$')" 3 \
	"the three plugins are in the Slurm plugin directory"
is "$(rpm -qp --configfiles "$main" 2>/dev/null | sort | tr '\n' ' ')" \
	"/etc/slurm/plugstack.conf.d/vgpu.conf /etc/slurm/vgpu.conf " "the configuration files are %config"
