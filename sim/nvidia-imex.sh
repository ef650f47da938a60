#!/bin/bash
# sim/nvidia-imex.sh - stand-in for NVIDIA's IMEX daemon and its control tool
# on the devcluster, where every node runs on one machine (doc/imex.md, "The
# stand-in daemon"). Installed in the build as sim/nvidia-imex and
# sim/nvidia-imex-ctl; the name it is called by picks the role.
#
#   nvidia-imex [-c CONFIG]                 the daemon (DAEMONIZE=1: detaches)
#   nvidia-imex-ctl [-c CONFIG] -q|-N [-j]  READY/UNAVAILABLE; the node table
#
# It reads the real daemon's config file format (KEY=VALUE lines:
# IMEX_NODE_CONFIG_FILE, DAEMONIZE, LOG_FILE_NAME, IMEX_CONN_WAIT_TIMEOUT,
# SERVER_PORT ...) plus one key of its own, SIM_PEER_DIR, the directory where
# the stand-ins of all nodes publish their view. It is a simulation: no
# network, no GPU memory, no channels. What it checks is what matters to
# the prolog: every peer named in nodes_config.cfg runs a daemon whose
# nodes_config.cfg is identical; until then the domain is not READY.
# A node is named by SLURMD_NODENAME (set for Slurm's prolog), else by the
# short host name, and nodes_config.cfg lines are node names there.
set -u
PATH=${PATH:-}:/usr/sbin:/usr/bin:/sbin:/bin
me=${0##*/}
conf=/etc/nvidia-imex/config.cfg
self=${SLURMD_NODENAME:-$(hostname -s 2>/dev/null)}

die() {
	echo "$me: $*" >&2
	exit 1
}

# readconf: the keys this stand-in uses, from $conf. A line that is not
# KEY=VALUE is an error naming the file and line.
readconf() {
	local line n=0 k v
	nodes_file=/etc/nvidia-imex/nodes_config.cfg daemonize=1 logfile=/var/log/nvidia-imex.log
	wait_timeout=0 peer_dir=/run/nvidia-imex-sim
	[ -r "$conf" ] || die "cannot read the config file $conf"
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%$'\r'}
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		[[ $line =~ ^[[:space:]]*([A-Z_]+)=(.*)$ ]] || die "$conf:$n: not a KEY=VALUE line: '$line'"
		k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
		case $k in
		IMEX_NODE_CONFIG_FILE) nodes_file=$v ;;
		DAEMONIZE) daemonize=$v ;;
		LOG_FILE_NAME) logfile=$v ;;
		IMEX_CONN_WAIT_TIMEOUT) wait_timeout=$v ;;
		SIM_PEER_DIR) peer_dir=$v ;;
		esac
	done <"$conf"
	[[ $wait_timeout =~ ^[0-9]+$ ]] || die "$conf: IMEX_CONN_WAIT_TIMEOUT=$wait_timeout is not a number of seconds"
	[ -n "$self" ] || die "no node name (SLURMD_NODENAME unset and no host name)"
	state=$peer_dir/$self.state
}

log() {
	[ -n "$logfile" ] && printf '%s %s[%s]: %s\n' "$(date '+%F %T')" nvidia-imex "$$" "$*" >>"$logfile" 2>/dev/null
	return 0
}

# readnodes: the peers, one per line of nodes_config.cfg (blank lines and
# # comments skipped), into nodes[]; their checksum into $hash.
readnodes() {
	local line
	nodes=()
	[ -r "$nodes_file" ] || die "cannot read IMEX_NODE_CONFIG_FILE $nodes_file (from $conf)"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		line=${line//[[:space:]]/}
		[ -n "$line" ] && nodes+=("$line")
	done <"$nodes_file"
	[ ${#nodes[@]} -gt 0 ] || die "$nodes_file names no node"
	hash=$(printf '%s\n' "${nodes[@]}" | cksum | tr ' ' -)
}

# alive PID START: that process still runs (not a zombie, not a reused pid).
alive() {
	local pid=$1 start=$2 st
	st=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	st=${st##*) }
	set -- $st
	[ "$1" != Z ] && [ "${20}" = "$start" ]
}
# field FILE KEY: the value of KEY= in a state file.
field() {
	sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1
}
# live_state FILE: the daemon that wrote this state file still runs.
live_state() {
	local f=$1 pid start
	pid=$(field "$f" pid) start=$(field "$f" start)
	[ -n "$pid" ] && [ -n "$start" ] && alive "$pid" "$start"
}

publish() {
	local tmp=$state.tmp.$$
	{
		echo "pid=$$"
		echo "start=$mystart"
		echo "hash=$hash"
		echo "nodes=$(
			IFS=,
			echo "${nodes[*]}"
		)"
		echo "state=$1"
		echo "peers=$2"
	} >"$tmp" && mv -f "$tmp" "$state"
}

# daemon_loop: publish this node's view every 0.2 s; READY once every peer
# runs with the same node list, MISMATCH while one runs with another.
daemon_loop() {
	local st peers p f h last='' waited=0 said_timeout=0
	mystart=$(cat /proc/$$/stat)
	mystart=${mystart##*) }
	set -- $mystart
	mystart=${20}
	trap 'rm -f "$state"; log "stopped (signal)"; exit 0' TERM INT HUP
	log "started: node $self, peers ${nodes[*]} (${#nodes[@]}), config $conf"
	while :; do
		st=READY peers=
		for p in "${nodes[@]}"; do
			f=$peer_dir/$p.state
			if [ "$p" = "$self" ]; then
				peers="$peers $p:C"
			elif ! live_state "$f"; then
				peers="$peers $p:W"
				[ $st = MISMATCH ] || st=WAITING
			elif h=$(field "$f" hash) && [ "$h" = "$hash" ]; then
				peers="$peers $p:C"
			else
				peers="$peers $p:I"
				st=MISMATCH
			fi
		done
		peers=${peers# }
		if [ "$st $peers" != "$last" ]; then
			case $st in
			MISMATCH) log "nodes_config.cfg differs from a peer's ($peers; I = mismatch): domain not ready" ;;
			*) log "domain $st ($peers)" ;;
			esac
			last="$st $peers"
		fi
		if [ $st = WAITING ] && [ "$wait_timeout" -gt 0 ] && [ $said_timeout = 0 ] &&
			[ $waited -ge $((wait_timeout * 5)) ]; then
			log "IMEX_CONN_WAIT_TIMEOUT ($wait_timeout s) passed with peers missing ($peers); still waiting"
			said_timeout=1
		fi
		publish "$st" "$peers" || die "cannot write $state"
		sleep 0.2 &
		wait $!
		waited=$((waited + 1))
	done
}

run_daemon() {
	local child='' opt fg=0 t
	while [ $# -gt 0 ]; do
		case $1 in
		-c) [ $# -ge 2 ] || die "-c needs a config file"; conf=$2; shift ;;
		-p) shift ;; # SERVER_PORT override: no network here
		--foreground) fg=1 ;;
		-h | --help) echo "usage: $me [-c CONFIG] (a stand-in, doc/imex.md)"; exit 0 ;;
		*) die "unknown option '$1' (usage: $me [-c CONFIG])" ;;
		esac
		shift
	done
	readconf
	readnodes
	opt=0
	for t in "${nodes[@]}"; do [ "$t" = "$self" ] && opt=1; done
	[ $opt = 1 ] || die "this node ($self) is not in IMEX_NODE_CONFIG_FILE $nodes_file: no local address to bind"
	mkdir -p "$peer_dir" || die "cannot create SIM_PEER_DIR $peer_dir"
	if live_state "$state"; then
		die "an IMEX daemon already runs on $self (pid $(field "$state" pid))"
	fi
	if [ $fg = 1 ] || [ "$daemonize" = 0 ]; then
		daemon_loop
	fi
	# Detach like the real daemon: a new session, so the prolog's process
	# group can end without it. The parent returns once the child published.
	setsid "$0" --foreground -c "$conf" </dev/null >/dev/null 2>&1 &
	child=$!
	for t in $(seq 50); do
		[ "$(field "$state" pid)" = "$child" ] && exit 0
		kill -0 "$child" 2>/dev/null || die "the daemon exited at start (see $logfile)"
		sleep 0.1
	done
	die "the daemon did not start within 5 s"
}

run_ctl() {
	local q='' json=0 st
	while [ $# -gt 0 ]; do
		case $1 in
		-c) [ $# -ge 2 ] || die "-c needs a config file"; conf=$2; shift ;;
		-q) q=q ;;
		-N) q=N ;;
		-j) json=1 ;;
		-H) ;;
		*) die "unknown option '$1' (usage: $me [-c CONFIG] -q|-N [-j])" ;;
		esac
		shift
	done
	[ -n "$q" ] || die "one of -q, -N is needed"
	readconf
	if ! live_state "$state"; then
		echo "$me: cannot connect to the IMEX daemon of $self (not running)" >&2
		[ $q = q ] && echo UNAVAILABLE
		exit 1
	fi
	st=$(field "$state" state)
	if [ $q = q ]; then
		[ "$st" = READY ] && { echo READY; exit 0; }
		echo UNAVAILABLE
		exit 1
	fi
	if [ $json = 1 ]; then
		printf '{"node":"%s","state":"%s","peers":"%s"}\n' "$self" "$st" "$(field "$state" peers)"
	else
		echo "Nodes (C connected, W waiting, I config mismatch): $(field "$state" peers)"
		case $st in READY) echo "Domain State: UP" ;; *) echo "Domain State: DOWN ($st)" ;; esac
	fi
	exit 0
}

case $me in
*-ctl*) run_ctl "$@" ;;
*) run_daemon "$@" ;;
esac
