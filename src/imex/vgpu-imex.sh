#!/bin/bash
# vgpu-imex-prolog / vgpu-imex-epilog: one IMEX daemon per multi-node job,
# as NVIDIA recommends for Slurm (doc/imex.md). Slurm runs them as root on
# every node of the job (Prolog=, Epilog=, PrologFlags=Alloc), without
# arguments; the name picks the role (or the first argument, for tests).
#
# Prolog, for a job on at least MinNodes nodes: writes the job's node
# addresses into the daemon's nodes_config.cfg (the same lines, in the same
# order, on every node), keeps the original, starts the daemon in a session
# of its own and waits (ReadyTimeout) until its control tool says READY.
# Epilog: stops the daemon this job started and restores the original file.
# Both are idempotent and take a lock, so a rerun or an epilog without a
# prolog does nothing wrong.
#
# Exit status: a failing prolog or epilog DRAINS the node. So they exit 1
# only when this node cannot give IMEX at all (no daemon binary, state or
# config not writable, a daemon that dies at start or does not stop), and
# say so. Everything else (a bad setting, a job too small, peers that are
# slow, an address that does not resolve, a daemon another job holds) is
# reported (stderr, LogFile, syslog) and the job runs.
#
# Settings: KEY=VALUE lines of vgpu-imex.conf ($VGPU_IMEX_CONF, else beside
# $SLURM_CONF, else /etc/slurm/vgpu-imex.conf); never sourced. %n in a path
# is the node name (SLURMD_NODENAME), %% a percent sign.
set -u
umask 022
PATH=${PATH:-}:/usr/sbin:/usr/bin:/sbin:/bin
prog=${0##*/}
case $prog in
*prolog*) mode=prolog ;;
*epilog*) mode=epilog ;;
*) mode=${1:-} ;;
esac
job=${SLURM_JOB_ID:-}
node=${SLURMD_NODENAME:-$(hostname -s 2>/dev/null)}

# Defaults (doc/imex.md has the table).
ImexConfig=/etc/nvidia-imex/config.cfg
NodesConfig=
Daemon=/usr/bin/nvidia-imex
Control=/usr/bin/nvidia-imex-ctl
AddressSource=nodeaddr
MinNodes=2
ReadyTimeout=60
StopTimeout=10
StateDir=/run/slurm-vgpu/imex/%n
LogFile=
Syslog=yes

# report MESSAGE: to stderr (slurmd logs it when the script fails), to
# LogFile when set, to syslog (daemon facility) when Syslog=yes.
report() {
	local msg="$prog: job ${job:-?} on ${node:-?}: $*"
	echo "$msg" >&2
	if [ -n "$LogFile" ]; then
		printf '%s %s\n' "$(date '+%F %T')" "$msg" >>"$LogFile" 2>/dev/null
	fi
	if [ "$Syslog" = yes ] && command -v logger >/dev/null 2>&1; then
		logger -t vgpu-imex -p daemon.notice -- "$msg" 2>/dev/null
	fi
	return 0
}
# cannot MESSAGE: this node cannot give IMEX; the node is drained by Slurm.
cannot() {
	report "IMEX cannot run on this node: $*"
	exit 1
}

# expand VALUE: %n -> node name, %% -> %; other % sequences stay as written.
expand() {
	local v=$1 out=
	while [[ $v == *%* ]]; do
		out=$out${v%%\%*}
		v=${v#*%}
		case $v in
		n*) out=$out$node v=${v#n} ;;
		%*) out=$out% v=${v#%} ;;
		*) out=$out% ;;
		esac
	done
	printf '%s' "$out$v"
}

# readconf FILE: the settings of FILE. An unknown key or a bad value is
# reported with FILE:LINE and the default is kept: a typo in a setting must
# not drain every node of the cluster.
readconf() {
	local f=$1 line n=0 k v ok
	[ -e "$f" ] || return 0
	if [ ! -r "$f" ]; then
		report "$f: cannot read it; using the defaults"
		return 0
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%$'\r'}
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		if ! [[ $line =~ ^[[:space:]]*([A-Za-z]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]]; then
			report "$f:$n: not a KEY=VALUE line ('$line'); ignored"
			continue
		fi
		k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]:-}
		ok=1
		case $k in
		ImexConfig | Daemon | Control | StateDir) v=$(expand "$v"); [[ $v == /* ]] || ok=0 ;;
		NodesConfig | LogFile) v=$(expand "$v"); [ -z "$v" ] || [[ $v == /* ]] || ok=0 ;;
		AddressSource) case $v in nodeaddr | nodehostname | nodename | resolve) ;; *) ok=0 ;; esac ;;
		MinNodes) [[ $v =~ ^[0-9]{1,4}$ ]] && [ "$v" -ge 1 ] || ok=0 ;;
		ReadyTimeout | StopTimeout) [[ $v =~ ^[0-9]{1,4}$ ]] && [ "$v" -ge 1 ] && [ "$v" -le 3600 ] || ok=0 ;;
		Syslog) case $v in yes | no) ;; *) ok=0 ;; esac ;;
		*)
			report "$f:$n: unknown setting '$k' (known: ImexConfig NodesConfig Daemon Control AddressSource MinNodes ReadyTimeout StopTimeout StateDir LogFile Syslog); ignored"
			continue ;;
		esac
		if [ $ok = 0 ]; then
			report "$f:$n: $k: bad value '$v' (doc/imex.md lists what it takes); keeping $k=${!k}"
			continue
		fi
		printf -v "$k" '%s' "$v"
	done <"$f"
}

# imexkey KEY: the value of KEY= in the IMEX daemon's own config file.
imexkey() {
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$ImexConfig" 2>/dev/null | tail -n 1
}

# daemon_pids: the processes of an IMEX daemon of this node: an argument is
# the Daemon path (or its name) and one is ImexConfig. Slurm's prolog
# process group is gone by then; the daemon runs in a session of its own.
daemon_pids() {
	local f pid a hasd hasc dname=${Daemon##*/}
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/} pid=${pid%/cmdline}
		[ "$pid" = $$ ] && continue
		hasd=0 hasc=0
		while IFS= read -r -d '' a; do
			[ "$a" = "$Daemon" ] || [ "${a##*/}" = "$dname" ] && hasd=1
			[ "$a" = "$ImexConfig" ] && hasc=1
		done 2>/dev/null <"$f"
		[ $hasd = 1 ] && [ $hasc = 1 ] && echo "$pid"
	done
	return 0
}

# stop_daemon: TERM, then KILL after StopTimeout; 1 when one survives.
stop_daemon() {
	local pids t
	pids=$(daemon_pids)
	[ -z "$pids" ] && return 0
	kill -TERM $pids 2>/dev/null
	for ((t = 0; t < StopTimeout * 10; t++)); do
		pids=$(daemon_pids)
		[ -z "$pids" ] && return 0
		sleep 0.1
	done
	report "the IMEX daemon (pid $pids) did not stop in $StopTimeout s after SIGTERM; killing it"
	kill -KILL $pids 2>/dev/null
	for ((t = 0; t < 20; t++)); do
		[ -z "$(daemon_pids)" ] && return 0
		sleep 0.1
	done
	return 1
}

# restore: put the original nodes_config.cfg back (or remove ours when there
# was none) and forget the owner.
restore() {
	local saved
	saved=$(cat "$StateDir/saved" 2>/dev/null)
	case $saved in
	present) mv -f "$StateDir/nodes_config.orig" "$NodesConfig" || return 1 ;;
	absent) rm -f "$NodesConfig" || return 1 ;;
	esac
	rm -f "$StateDir/saved" "$StateDir/owner" "$StateDir/daemon.out"
}

# owner_job: the job whose daemon this node runs, from StateDir/owner.
owner_job() {
	sed -n 's/^job=//p' "$StateDir/owner" 2>/dev/null
}

# job_running ID: slurmctld says that job still runs (or cannot say).
job_running() {
	local st
	st=$(scontrol -o show job "$1" 2>/dev/null) || return 0
	st=${st#*JobState=}
	st=${st%% *}
	case $st in RUNNING | SUSPENDED | CONFIGURING | COMPLETING | STOPPED) return 0 ;; esac
	return 1
}

# addresses NODE...: one address per node, in the order given, into addrs[].
addresses() {
	local n a out line name
	local -A addr=()
	addrs=()
	case $AddressSource in
	nodename) addrs=("$@"); return 0 ;;
	nodeaddr | nodehostname)
		out=$(scontrol -o show node "$SLURM_NODELIST_ALL" 2>&1) || {
			report "scontrol show node $SLURM_NODELIST_ALL failed: $out"
			return 1
		}
		while IFS= read -r line; do
			name=${line#NodeName=} name=${name%% *}
			if [ $AddressSource = nodeaddr ]; then a=${line#* NodeAddr=}; else a=${line#* NodeHostName=}; fi
			a=${a%% *}
			[ -n "$name" ] && [ -n "$a" ] && addr[$name]=$a
		done <<<"$out" ;;
	resolve)
		for n in "$@"; do
			a=$(getent ahosts "$n" 2>/dev/null | awk 'NR == 1 { print $1 }')
			[ -n "$a" ] && addr[$n]=$a
		done ;;
	esac
	for n in "$@"; do
		a=${addr[$n]:-}
		if [ -z "$a" ] || ! [[ $a =~ ^[A-Za-z0-9.:_-]+$ ]]; then
			report "no usable address for node $n (AddressSource=$AddressSource gave '${a}')"
			return 1
		fi
		addrs+=("$a")
	done
}

# ready: the control tool says the domain is READY.
ready() {
	[ "$("$Control" -c "$ImexConfig" -q 2>/dev/null)" = READY ]
}

prolog() {
	local -a nodes
	local out t st other tmp front=
	SLURM_NODELIST_ALL=${SLURM_JOB_NODELIST:-${SLURM_NODELIST:-}}
	[ -n "$SLURM_NODELIST_ALL" ] || { report "no SLURM_JOB_NODELIST or SLURM_NODELIST in the environment: no IMEX for this job"; return 0; }
	if ! out=$(scontrol show hostnames "$SLURM_NODELIST_ALL" 2>&1); then
		report "scontrol show hostnames $SLURM_NODELIST_ALL failed ($out): no IMEX for this job"
		return 0
	fi
	mapfile -t nodes <<<"$out"
	[ ${#nodes[@]} -ge "$MinNodes" ] || return 0
	[ -x "$Daemon" ] || cannot "Daemon=$Daemon is not an executable file"
	[ -x "$Control" ] || cannot "Control=$Control is not an executable file"
	[ -r "$ImexConfig" ] || cannot "ImexConfig=$ImexConfig cannot be read"
	addresses "${nodes[@]}" || { report "no IMEX for this job"; return 0; }
	lock
	other=$(owner_job)
	if [ "$other" = "$job" ] && [ -n "$(daemon_pids)" ]; then
		: # a rerun: wait for the daemon we started
	else
		if [ -n "$other" ]; then
			if [ -n "$(daemon_pids)" ] && job_running "$other"; then
				report "the IMEX daemon of this node serves job $other ($(sed -n 's/^nodes=//p' "$StateDir/owner")); this job gets none here (give IMEX jobs whole nodes: --exclusive)"
				return 0
			fi
			[ "$other" = "$job" ] || report "job $other's IMEX daemon was left behind (its epilog did not run); stopping it"
			stop_daemon || cannot "the IMEX daemon left by job $other does not stop"
			restore || cannot "cannot restore $NodesConfig from $StateDir"
		elif [ -n "$(daemon_pids)" ]; then
			report "an IMEX daemon that vgpu-imex did not start runs (pid $(daemon_pids | tr '\n' ' ')): disable its service for per-job IMEX; this job gets no IMEX daemon of its own"
			return 0
		fi
		if [ ! -e "$StateDir/saved" ]; then
			if [ -e "$NodesConfig" ]; then
				cp -p "$NodesConfig" "$StateDir/nodes_config.orig" || cannot "cannot keep a copy of $NodesConfig in $StateDir"
				echo present >"$StateDir/saved" || cannot "cannot write $StateDir/saved"
			else
				echo absent >"$StateDir/saved" || cannot "cannot write $StateDir/saved"
			fi
		fi
		printf 'job=%s\nnodes=%s\n' "$job" "$SLURM_NODELIST_ALL" >"$StateDir/owner" || cannot "cannot write $StateDir/owner"
		mkdir -p "${NodesConfig%/*}" 2>/dev/null
		tmp=$NodesConfig.vgpu-imex.$$
		if ! printf '%s\n' "${addrs[@]}" >"$tmp" || ! mv -f "$tmp" "$NodesConfig"; then
			rm -f "$tmp"
			restore
			cannot "cannot write $NodesConfig"
		fi
		# A session of its own (Slurm kills the prolog's process group when
		# it ends), no lock descriptor, output to a file, not to slurmd's pipe.
		setsid "$Daemon" -c "$ImexConfig" </dev/null >"$StateDir/daemon.out" 2>&1 9>&- &
		front=$!
	fi
	# Wait for every peer: their prologs run at the same time as this one.
	for ((t = 0; t < ReadyTimeout * 5; t++)); do
		if ready; then
			report "IMEX daemon ready for ${#nodes[@]} nodes (${addrs[*]})"
			return 0
		fi
		if [ -n "$front" ] && ! kill -0 "$front" 2>/dev/null; then
			wait "$front"
			st=$?
			front=
			if [ $st -ne 0 ] && [ -z "$(daemon_pids)" ]; then
				out=$(head -c 2000 "$StateDir/daemon.out" 2>/dev/null | tr '\n' ' ')
				restore
				cannot "$Daemon -c $ImexConfig exited with status $st at start: $out"
			fi
		fi
		[ -n "$front" ] || [ -n "$(daemon_pids)" ] || break
		sleep 0.2
	done
	if [ -z "$(daemon_pids)" ]; then
		restore
		cannot "the IMEX daemon exited before the domain was ready ($("$Control" -c "$ImexConfig" -N 2>&1 | tr '\n' ' '))"
	fi
	report "the IMEX domain is not ready after ReadyTimeout=$ReadyTimeout s ($("$Control" -c "$ImexConfig" -N 2>&1 | tr '\n' ' ')); the job runs, the daemon keeps trying until the epilog"
	return 0
}

epilog() {
	local other
	[ -e "$StateDir/owner" ] || return 0
	lock
	other=$(owner_job)
	[ -n "$other" ] && [ "$other" != "$job" ] && return 0
	stop_daemon || cannot "the IMEX daemon does not stop (pid $(daemon_pids | tr '\n' ' '))"
	restore || cannot "cannot restore $NodesConfig from $StateDir"
	report "IMEX daemon stopped, $NodesConfig restored"
	return 0
}

# lock: StateDir exists and this script holds its lock (30 s at most).
lock() {
	mkdir -p "$StateDir" || cannot "cannot create StateDir=$StateDir"
	exec 9>>"$StateDir/lock" || cannot "cannot open $StateDir/lock"
	flock -w 30 9 || cannot "$StateDir/lock is held for more than 30 s"
}

conf=${VGPU_IMEX_CONF:-}
if [ -z "$conf" ]; then
	if [ -n "${SLURM_CONF:-}" ]; then conf=${SLURM_CONF%/*}/vgpu-imex.conf; else conf=/etc/slurm/vgpu-imex.conf; fi
fi
StateDir=$(expand "$StateDir")
readconf "$conf"
[ -n "$NodesConfig" ] || NodesConfig=$(imexkey IMEX_NODE_CONFIG_FILE)
[ -n "$NodesConfig" ] || NodesConfig=/etc/nvidia-imex/nodes_config.cfg
[[ $NodesConfig == /* ]] || { report "IMEX_NODE_CONFIG_FILE=$NodesConfig of $ImexConfig is not an absolute path; no IMEX"; exit 0; }
case $mode in
prolog) prolog ;;
epilog) epilog ;;
*) echo "usage: vgpu-imex-prolog | vgpu-imex-epilog (or $prog prolog|epilog); run by slurmd, doc/imex.md" >&2; exit 2 ;;
esac
exit 0
