# tools/deps.sh - install the Debian packages slurm-vgpu needs (sourced by
# tools/demo.sh and tools/check.sh). Installs only what is missing, and runs
# `apt-get update` only when something is.
#
#   vgpu_deps build    compiler, autotools, libraries
#   vgpu_deps test     build + clang (the clang -Werror suite), clang-format
#                      and clang-tidy (tools/format-check.sh), binutils
#                      (readelf: tests/sh/0400-hardening.sh), git, and
#                      clang's runtime libraries (fuzzing:
#                      libclang-rt-N-dev, N the major version of the clang
#                      installed: 14 on Debian 12, 19 on trixie, 21 on sid),
#                      hwloc, Slurm daemons, munge, procps
#                      (tools/test-timeout.sh: ps, pgrep, pkill), debootstrap
#                      (chroots of the other Slurm releases), debhelper,
#                      lintian and rpm (the packages: tests/pkg)
#   vgpu_deps demo     build + Slurm daemons and clients, munge (tools/demo.sh)

vgpu_deps_build="gcc make autoconf automake libtool pkg-config libslurm-dev libhwloc-dev libjson-c-dev check python3"
vgpu_deps_demo="$vgpu_deps_build slurmctld slurmd slurm-client munge"
vgpu_deps_test="$vgpu_deps_build clang clang-format clang-tidy binutils git hwloc slurmctld slurmd slurm-client munge procps debootstrap debhelper lintian rpm"
# Wanted by one test only (tests/e2e/0350-metrics.sh, which skips without
# it), installed without starting its service (policy-rc.d), and never
# fatal: a machine without it runs everything else.
vgpu_deps_test_optional="prometheus"

# The compiler-rt package of the clang that `clang` runs (the fuzzers'
# -fsanitize=fuzzer and the sanitizers need the runtime of that very major
# version): libclang-rt-<major>-dev, the major taken from the compiler's
# own __clang_major__.
vgpu_clang_rt_pkg() {
	local major
	major=$(clang -dM -E -x c /dev/null 2>/dev/null | sed -n 's/^#define __clang_major__ \([0-9][0-9]*\)$/\1/p')
	if [ -z "$major" ]; then
		echo "vgpu_deps: cannot tell the major version of clang ($(command -v clang || echo 'not installed'))" >&2
		return 1
	fi
	echo "libclang-rt-$major-dev"
}

vgpu_deps() {
	local rt
	case "$1" in
	build) vgpu_deps_install $vgpu_deps_build ;;
	demo) vgpu_deps_install $vgpu_deps_demo ;;
	test)
		# clang first: its runtime package is named after its version
		vgpu_deps_install $vgpu_deps_test || return
		rt=$(vgpu_clang_rt_pkg) || return
		vgpu_deps_install "$rt" || return
		vgpu_deps_optional $vgpu_deps_test_optional
		;;
	*) echo "vgpu_deps: unknown set '$1'" >&2; return 2 ;;
	esac
}

# vgpu_deps_install PACKAGE...: install those that are missing.
# vgpu_deps_optional PKG...: install what is missing with services kept
# from starting (a policy-rc.d of our own while none exists); a failure is
# reported, the return is 0.
vgpu_deps_optional() {
	local own=0
	if [ "$(id -u)" = 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && own=1
	fi
	vgpu_deps_install "$@" || echo "vgpu_deps: optional packages not installed ($*): the tests that need them skip" >&2
	[ $own -eq 0 ] || rm -f /usr/sbin/policy-rc.d
	return 0
}

vgpu_deps_install() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages:$missing (run as root, or install them)" >&2
		return 1
	fi
	echo "installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
