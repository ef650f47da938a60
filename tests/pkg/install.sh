#!/bin/bash
# tests/pkg/install.sh - the Debian packages, built and installed as a site
# would (tools/check.sh's "pkg" suite; TAP).
#
#   tests/pkg/install.sh [RELEASE...]     (default: $VGPU_PKG_RELEASES, else
#                                          the host's Slurm release and 24.11)
#   VGPU_PKG_SOURCE=HEAD                  package the last commit, not the
#                                         working tree; =DIR: the tree in DIR
#                                         with this tree's debian/, packaging/, tests/pkg/
#
# For each Slurm release (22.05 bookworm, 24.11 trixie, 26.05 sid):
#   1. dpkg-buildpackage -us -uc -b in a copy of the tree (on the host for
#      the host's release, else inside that release's cached chroot from
#      tools/vgpu-chroot), DEB_BUILD_OPTIONS=nocheck (make check runs in the
#      other suites);
#   2. checks of the .debs: lintian (the host's) reports no error, the
#      Depends names exactly this release's Slurm, the plugins are in the
#      directory of Slurm's own gres_gpu.so, no simulator file is in
#      slurm-vgpu, the version is configure.ac's;
#   3. a "previous version" of both packages (the new ones repacked as
#      VERSION-0 with a different vgpu.conf, so the upgrade meets a conffile
#      that changed on both sides);
#   4. a FRESH throwaway chroot of the release (an overlay over the cached
#      base chroot, in a private mount namespace: nothing of it stays)
#      where tests/pkg/inchroot.sh installs the previous version, configures
#      Slurm and slurm-vgpu as the README.Debian files say, upgrades, starts
#      munged, slurmctld and slurmd and runs slice jobs.
# A release whose chroot cannot be had is skipped with the reason. Needs
# root, dpkg-dev, debhelper, lintian (tools/deps.sh test), unshare and
# overlayfs.
set -u
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/sh/tap.sh"
src=$VGPU_SRCDIR
chroot_tool=$src/tools/vgpu-chroot
[ "$(id -u)" = 0 ] || skip_all "needs root (chroot, mount, daemons)"
for c in dpkg-buildpackage dh lintian unshare dpkg-deb; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c is not installed (Debian: dpkg-dev debhelper lintian util-linux)"
done
host_rel=$(slurmd -V 2>/dev/null | sed -n 's/^slurm[^ ]* \([0-9]*\.[0-9]*\)\..*/\1/p')
rels=${*:-${VGPU_PKG_RELEASES-${host_rel:-22.05} 24.11}}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-pkg.XXXXXX")
cur_root=

# Processes left inside a throwaway chroot (a job that hung): found by their
# root directory, which only this test's processes have.
kill_in_root() {
	local r=$1 p
	[ -n "$r" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
}
cleanup() {
	kill_in_root "$cur_root"
	rm -rf --one-file-system -- "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The tree to package: what git tracks and would track (not build/), or
# the whole tree outside build directories in a tarball without git.
cd "$src" || exit 1
mkdir -p "$tmp/tree"
if [ "${VGPU_PKG_SOURCE:-}" = HEAD ]; then
	# the last commit (a shared working tree where others are mid-edit)
	git archive HEAD | tar -xf - -C "$tmp/tree"
elif [ -n "${VGPU_PKG_SOURCE:-}" ]; then
	# another source tree (e.g. an unpacked snapshot), with this tree's
	# debian/ and tests/pkg/
	tar -C "$VGPU_PKG_SOURCE" --exclude='./build*' --exclude=./debian -cf - . | tar -xf - -C "$tmp/tree" &&
		rm -rf "$tmp/tree/tests/pkg" "$tmp/tree/packaging" && cp -a debian packaging "$tmp/tree/" && cp -a tests/pkg "$tmp/tree/tests/pkg"
elif [ -e .git ] && command -v git >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -z | tar --null -cf - -T - 2>/dev/null | tar -xf - -C "$tmp/tree"
else
	tar --exclude='./build*' --exclude='./debian/tmp' -cf - . | tar -xf - -C "$tmp/tree"
fi
ac_version=$(sed -n 's/^AC_INIT(\[slurm-vgpu\], \[\([^]]*\)\].*/\1/p' configure.ac)
deb_version=$(sed -n '1s/^slurm-vgpu (\([^)]*\)).*/\1/p' debian/changelog)

# repack_old NEWDEB OLDDIR NEWVER OLDVER: NEWDEB as version OLDVER in OLDDIR
# (its vgpu.conf changed too; md5sums remade).
repack_old() {
	local deb=$1 out=$2 nv=$3 ov=$4 r
	r=$(mktemp -d "$tmp/repack.XXXXXX")
	dpkg-deb -R "$deb" "$r" || return 1
	sed -i -e "s/^Version: .*/Version: $ov/" -e "s/(= $nv)/(= $ov)/g" "$r/DEBIAN/control"
	[ ! -f "$r/etc/slurm/vgpu.conf" ] || echo "# (the previous package version's vgpu.conf)" >>"$r/etc/slurm/vgpu.conf"
	(cd "$r" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums) || return 1
	dpkg-deb --root-owner-group -b "$r" "$out/$(basename "$deb" | sed "s/_${nv}_/_${ov}_/")" >/dev/null
}

# repack_both DEB SIMDEB OLDDIR NEWVER OLDVER
repack_both() { repack_old "$1" "$3" "$4" "$5" && repack_old "$2" "$3" "$4" "$5"; }

free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	echo 0
}

# NCASES: the TAP cases one release adds (skipped together when it cannot run).
ncases=8 ninner=17
release() {
	local rel=$1 t="$1:" in= base w rc deps v next pdir lt
	w=$tmp/$rel
	mkdir -p "$w/src" "$w/share/new" "$w/share/old"
	local t0
	t0=$(date +%s)
	# The base chroot of the release (the host's release too: its fresh
	# chroot is a copy of bookworm's base, not of this host).
	if ! base=$("$chroot_tool" ensure "$rel" 2>"$w/ensure.log" | tail -1) || [ ! -e "$base/.vgpu-chroot" ]; then
		local i why
		why=$(grep 'vgpu-chroot:' "$w/ensure.log" | tail -1)
		for i in $(seq 1 $((ncases + ninner))); do skip "$t release skipped" "no chroot: ${why:-see $w/ensure.log}"; done
		return
	fi
	local where="on the host"
	[ "$rel" = "$host_rel" ] || { in="$chroot_tool run $rel --bind $tmp --"; where="in the $rel chroot"; }
	cp -a "$tmp/tree" "$w/src/slurm-vgpu"
	# 1. build
	$in sh -c "cd '$w/src/slurm-vgpu' && DEB_BUILD_OPTIONS='nocheck parallel=2' dpkg-buildpackage -us -uc -b" >"$w/build.log" 2>&1
	rc=$?
	is "$rc" 0 "$t dpkg-buildpackage -us -uc -b builds ($where)"
	if [ $rc -ne 0 ]; then
		diag "$(tail -n 30 "$w/build.log")"
		local i
		for i in $(seq 2 $((ncases + ninner))); do fail "$t not run: the packages did not build"; done
		return
	fi
	local new=$w/src/slurm-vgpu_${deb_version}_$(dpkg --print-architecture).deb
	local newsim=$w/src/slurm-vgpu-sim_${deb_version}_$(dpkg --print-architecture).deb
	# The probe the slice job runs (tests/shim/shimprobe.c), built where the
	# package was.
	$in gcc -O2 -I"$w/src/slurm-vgpu/src/include" -I"$w/src/slurm-vgpu/tests/shim" \
		"$w/src/slurm-vgpu/tests/shim/shimprobe.c" -o "$w/share/shimprobe" -ldl -lpthread >"$w/probe.log" 2>&1 ||
		diag "$t shimprobe did not build: $(tail -5 "$w/probe.log")"
	# 2. the .debs
	lt=$(lintian --fail-on error "$w"/src/slurm-vgpu_*.changes 2>&1)
	rc=$?
	is "$rc $(echo "$lt" | grep -c '^E:')" "0 0" "$t lintian: no errors"
	echo "$lt" | grep -q '^[EW]:' && diag "$lt"
	v=$($in dpkg-query -W -f='${Version}' slurm-wlm-basic-plugins | sed 's/^[0-9]*://; s/-[^-]*$//')
	next=$(echo "$v" | awk -F. '{ printf "%s.%s.%d", $1, $2, $3 + 1 }')
	deps=$(dpkg-deb -f "$new" Depends 2>/dev/null)
	like "$deps" "slurm-wlm-basic-plugins \(>= $v\), slurm-wlm-basic-plugins \(<< $next~\)" \
		"$t Depends: exactly Slurm $v (slurm-wlm-basic-plugins >= $v, << $next~)"
	pdir=$(dirname "$($in dpkg -L slurm-wlm-basic-plugins | grep '/gres_gpu\.so$')")
	is "$(dpkg-deb -c "$new" 2>/dev/null | awk '{print $6}' | grep -cE "^\.$pdir/(vgpu_spank|cli_filter_vgpu|job_submit_vgpu)\.so$")" 3 \
		"$t the three plugins are in Slurm's PluginDir ($pdir)"
	is "$(dpkg-deb -c "$new" 2>/dev/null | awk '{print $6}' | grep -cE '/sim/|libnvidia-ml|vgpu-simnode')" 0 \
		"$t slurm-vgpu holds no simulator file"
	like "$(dpkg-deb -c "$newsim" 2>/dev/null | awk '{print $6}' | grep -E '/slurm-vgpu/sim/lib(cuda|nvidia-ml)\.so\.1$' | sort | tr '\n' ' ')" \
		'/sim/libcuda\.so\.1 .*/sim/libnvidia-ml\.so\.1 $' "$t slurm-vgpu-sim holds the stand-in driver, in slurm-vgpu/sim"
	is "$(dpkg-deb -f "$new" Version 2>/dev/null | sed 's/-[^-]*$//')" "$ac_version" "$t the package version is configure.ac's ($ac_version)"
	# 3. the previous version
	cp "$new" "$newsim" "$w/share/new/" 2>/dev/null
	ok "$t a previous version ($ac_version-0) made of both" \
		repack_both "$new" "$newsim" "$w/share/old" "$deb_version" "$ac_version-0"
	# 4. the throwaway chroot
	cp "$src/tests/sh/tap.sh" "$w/share/tap.sh"
	cp "$src/tests/pkg/inchroot.sh" "$w/share/inchroot.sh"
	mkdir -p "$w/ov/upper" "$w/ov/work" "$w/roots/slurm-$rel"
	cur_root=$w/roots/slurm-$rel
	PKG_TAP_N=$tap_n unshare --mount --propagation private -- sh -c '
		mount -t overlay vgpu-pkg -o "lowerdir=$1,upperdir=$2/ov/upper,workdir=$2/ov/work" "$2/roots/slurm-$3" || exit 1
		VGPU_CHROOT_CACHE=$2/roots exec "$4" run "$3" --bind "$2/share" --env PKG_SHARE="$2/share" --env PKG_TAP_N="$PKG_TAP_N" \
			--env PKG_REL="$3" --env PKG_CTLD_PORT="$5" --env PKG_SLURMD_PORT="$6" -- bash "$2/share/inchroot.sh"
	' vgpu-pkg "$base" "$w" "$rel" "$chroot_tool" "$(free_port)" "$(free_port)"
	kill_in_root "$cur_root"
	local n f
	read -r n f <"$w/share/tap.counts" 2>/dev/null || { n=$tap_n; f=0; }
	[ "$n" -eq $((tap_n + ninner)) ] || { echo "# $t the chroot part ran $((n - tap_n)) of $ninner cases"; f=$((f + 1)); }
	while [ "$n" -lt $((tap_n + ninner)) ]; do n=$((n + 1)); echo "not ok $n - $t chroot case did not run"; done
	tap_n=$n
	tap_failed=$((tap_failed + f))
	cur_root=
	diag "$t took $(($(date +%s) - t0)) s"
}

for rel in $rels; do
	release "$rel"
done
echo "1..$tap_n"
done_testing
