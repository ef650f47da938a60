# tools/deps.sh - install the Debian packages slurm-vgpu needs (sourced by
# tools/demo.sh and tools/check.sh). Installs only what is missing, and runs
# `apt-get update` only when something is.
#
#   vgpu_deps build    compiler, autotools, libraries
#   vgpu_deps test     build + clang (fuzzing), hwloc, Slurm daemons, munge,
#                      procps (tools/test-timeout.sh: ps, pgrep, pkill)
#   vgpu_deps demo     build + Slurm daemons and clients, munge (tools/demo.sh)

vgpu_deps_build="gcc make autoconf automake libtool pkg-config libslurm-dev libhwloc-dev libjson-c-dev check python3"
vgpu_deps_demo="$vgpu_deps_build slurmctld slurmd slurm-client munge"
vgpu_deps_test="$vgpu_deps_build clang libclang-rt-14-dev hwloc slurmctld slurmd slurm-client munge procps"

vgpu_deps() {
	local want missing="" p
	case "$1" in
	build) want=$vgpu_deps_build ;;
	test) want=$vgpu_deps_test ;;
	demo) want=$vgpu_deps_demo ;;
	*) echo "vgpu_deps: unknown set '$1'" >&2; return 2 ;;
	esac
	for p in $want; do
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
