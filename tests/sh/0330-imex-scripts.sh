#!/bin/bash
# vgpu-imex-prolog/-epilog and the stand-in nvidia-imex without Slurm (any
# user): a fake scontrol answers hostnames, nodes and job states; a fake
# daemon (a foreground loop, DAEMONIZE=0-like) and control tool stand for
# the IMEX pair where the addresses are not node names; the stand-in
# (sim/nvidia-imex) is checked for its peer rule. tests/e2e/0330 runs the
# same scripts under slurmd.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
prolog=$VGPU_BUILDDIR/src/imex/vgpu-imex-prolog
epilog=$VGPU_BUILDDIR/src/imex/vgpu-imex-epilog
standin=$VGPU_BUILDDIR/sim/nvidia-imex
standin_ctl=$VGPU_BUILDDIR/sim/nvidia-imex-ctl
[ -x "$prolog" ] && [ -x "$standin" ] || skip_all "the IMEX scripts are not built"
command -v setsid >/dev/null && command -v flock >/dev/null || skip_all "setsid and flock (util-linux) are needed"
plan 37
t=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-imex-sh.XXXXXX")
trap 'for p in $(pids); do kill -9 $p; done 2>/dev/null; rm -rf "$t"' EXIT
mkdir -p "$t/bin" "$t/imex"

# Fake scontrol: hostnames of the lists used here, NodeAddr 10.1.0.I and
# NodeHostName hI for node nI, job states from $t/jobstate.ID.
cat >"$t/bin/scontrol" <<EOF
#!/bin/bash
case "\$*" in
"show hostnames n1") echo n1 ;;
"show hostnames n[1-2]") printf 'n1\nn2\n' ;;
"-o show node n[1-2]") for i in 1 2; do echo "NodeName=n\$i Arch=x86_64 CoresPerSocket=1 NodeAddr=10.1.0.\$i NodeHostName=h\$i Version=22.05"; done ;;
"-o show job "*) echo "JobId=\$4 JobName=x JobState=\$(cat $t/jobstate.\$4 2>/dev/null || echo COMPLETED) Reason=None" ;;
*) echo "fake scontrol: \$*" >&2; exit 1 ;;
esac
EOF
# Fake IMEX pair: the daemon loops in the foreground (its argv names the
# config, as the prolog's process match expects); "fail" in the config makes
# it exit 1 at start; the control tool says READY while it runs, once
# $t/ready exists.
cat >"$t/bin/fakeimex" <<EOF
#!/bin/bash
grep -q '^fail' "\$2" && { echo "fakeimex: driver stack not compatible" >&2; exit 1; }
echo \$\$ >"\$2.running"
trap 'rm -f "\$2.running"; exit 0' TERM
while :; do sleep 0.1; done
EOF
cat >"$t/bin/fakectl" <<EOF
#!/bin/bash
[ -e $t/ready ] && [ -e "\$2.running" ] && kill -0 "\$(cat "\$2.running")" 2>/dev/null && { echo READY; exit 0; }
echo UNAVAILABLE; exit 1
EOF
chmod +x "$t/bin/"*
export PATH="$t/bin:$PATH"
unset SLURM_CONF SLURM_JOB_NODELIST
export VGPU_IMEX_CONF=$t/vgpu-imex.conf
pids() {
	local f a
	for f in /proc/[0-9]*/cmdline; do
		while IFS= read -r -d '' a; do
			case $a in "$t"/imex/*/config.cfg) f=${f#/proc/}; echo "${f%/cmdline}"; break ;; esac
		done 2>/dev/null <"$f"
	done
}
conf() {
	cat >"$VGPU_IMEX_CONF" <<EOF
ImexConfig=$t/imex/%n/config.cfg
NodesConfig=$t/imex/%n/nodes_config.cfg
Daemon=$t/bin/fakeimex
Control=$t/bin/fakectl
StateDir=$t/imex/%n/state
Syslog=no
ReadyTimeout=2
StopTimeout=2
$*
EOF
}
# run MODE NODE JOB [NODELIST]: the script as slurmd runs it; its stderr in $err.
run() {
	err=$(env -i PATH="$PATH" VGPU_IMEX_CONF="$VGPU_IMEX_CONF" SLURMD_NODENAME=$2 SLURM_JOB_ID=$3 \
		SLURM_NODELIST="${4:-n[1-2]}" "$VGPU_BUILDDIR/src/imex/vgpu-imex-$1" 2>&1)
}
for n in n1 n2; do
	mkdir -p "$t/imex/$n"
	echo "DAEMONIZE=0" >"$t/imex/$n/config.cfg"
done
echo "# the site's list" >"$t/imex/n1/nodes_config.cfg"
cp "$t/imex/n1/nodes_config.cfg" "$t/orig"

# Settings: reported with file:line, defaults kept, nothing fails.
conf 'MinNodes=many
Colour=blue
this is not a setting
LogFile=relative.log
AddressSource=dns'
run prolog n1 7 n1
is "$?" 0 "a 1-node job with broken settings: the prolog exits 0"
like "$err" "vgpu-imex.conf:9: MinNodes: bad value 'many' .*keeping MinNodes=2" "bad MinNodes: file:line, default kept"
like "$err" "vgpu-imex.conf:10: unknown setting 'Colour'" "unknown key: file:line"
like "$err" "vgpu-imex.conf:11: not a KEY=VALUE line" "a line without =: file:line"
like "$err" "vgpu-imex.conf:12: LogFile: bad value 'relative.log'" "a relative path is refused"
like "$err" "vgpu-imex.conf:13: AddressSource: bad value 'dns'" "an unknown address source is refused"
is "$(pids)" "" "... and no daemon was started for a 1-node job"

# NodeAddr addresses, the same file on both peers, save and restore.
conf
: >"$t/ready"
run prolog n1 7
is "$?" 0 "prolog on n1 (2-node job 7, AddressSource=nodeaddr) exits 0"
like "$err" "job 7 on n1: IMEX daemon ready for 2 nodes \(10.1.0.1 10.1.0.2\)" "... and reports the daemon ready"
is "$(cat "$t/imex/n1/nodes_config.cfg")" "10.1.0.1
10.1.0.2" "n1's nodes_config.cfg: the NodeAddr of each node, in node order"
run prolog n2 7
cmp -s "$t/imex/n1/nodes_config.cfg" "$t/imex/n2/nodes_config.cfg"
is "$?" 0 "n2 (which had no nodes_config.cfg) writes the identical file"
is "$(pids | wc -l)" 2 "one daemon per node"
d1=$(pids | head -1)
run prolog n1 7
is "$(pids | head -1) $(pids | wc -l)" "$d1 2" "the prolog again (a rerun): the same daemon, no second one"
run epilog n1 8
is "$(pids | wc -l) $(cat "$t/imex/n1/nodes_config.cfg" | wc -l)" "2 2" "the epilog of another job (8) leaves job 7's daemon and file alone"
run epilog n1 7
is "$?" 0 "epilog of job 7 on n1 exits 0"
cmp -s "$t/orig" "$t/imex/n1/nodes_config.cfg"
is "$?" 0 "... n1's original nodes_config.cfg is back"
run epilog n2 7
ok "... n2 had none: there is none again" [ ! -e "$t/imex/n2/nodes_config.cfg" ]
is "$(pids)" "" "... both daemons stopped"
run epilog n1 7
is "$?:$(ls "$t/imex/n1/state")" "0:lock" "the epilog again: nothing to do, nothing left but the lock"

# AddressSource=nodehostname.
conf AddressSource=nodehostname
run prolog n1 9
is "$(cat "$t/imex/n1/nodes_config.cfg" | tr '\n' ' ')" "h1 h2 " "AddressSource=nodehostname: NodeHostName of each node"

# A daemon of a job that still runs is not taken over; one left behind is.
echo RUNNING >"$t/jobstate.9"
run prolog n1 10
is "$?" 0 "job 10 while job 9 holds n1's daemon: exit 0"
like "$err" "serves job 9 \(n\[1-2\]\); this job gets none here" "... reported"
is "$(cat "$t/imex/n1/nodes_config.cfg" | tr '\n' ' ')" "h1 h2 " "... job 9's file untouched"
echo COMPLETED >"$t/jobstate.9"
conf
run prolog n1 10
like "$err" "job 9's IMEX daemon was left behind .*stopping it" "job 9 ended without its epilog: job 10 stops its daemon"
is "$(pids | wc -l) $(cat "$t/imex/n1/nodes_config.cfg" | tr '\n' ' ')" "1 10.1.0.1 10.1.0.2 " "... and starts its own"
run epilog n1 10
cmp -s "$t/orig" "$t/imex/n1/nodes_config.cfg"
is "$?" 0 "job 10's epilog restores the site's file (kept since job 9)"

# Peers slow: not ready in ReadyTimeout is reported, the job runs.
rm -f "$t/ready"
conf ReadyTimeout=1
run prolog n1 11
is "$?" 0 "domain not ready after ReadyTimeout=1: the prolog exits 0"
like "$err" "not ready after ReadyTimeout=1 s" "... reported"
run epilog n1 11
is "$(pids)" "" "... its epilog stops the daemon that kept trying"

# The node cannot give IMEX: exit 1 with the reason, nothing left changed.
: >"$t/ready"
echo "fail" >"$t/imex/n1/config.cfg"
conf
run prolog n1 12
is "$?" 1 "a daemon that exits 1 at start: the prolog fails (the node cannot give IMEX)"
like "$err" "IMEX cannot run on this node: .*fakeimex -c .* exited with status 1 at start: fakeimex: driver stack not compatible" "... with the daemon's own message"
cmp -s "$t/orig" "$t/imex/n1/nodes_config.cfg"
is "$?:$(ls "$t/imex/n1/state" | tr '\n' ' ')" "0:lock " "... the original file is back, no owner left"
conf "Daemon=$t/bin/none"
run prolog n1 13
is "$?" 1 "Daemon= names no program: the prolog fails"
like "$err" "IMEX cannot run on this node: Daemon=$t/bin/none is not an executable file" "... and says which setting"

# The stand-in: READY only when every peer runs with the same node list.
for n in s1 s2; do
	mkdir -p "$t/imex/$n"
	printf 'IMEX_NODE_CONFIG_FILE=%s\nLOG_FILE_NAME=%s\nSIM_PEER_DIR=%s\n' "$t/imex/$n/nodes.cfg" "$t/imex/$n/log" "$t/peers" >"$t/imex/$n/config.cfg"
	printf 's1\ns2\n' >"$t/imex/$n/nodes.cfg"
done
printf 's1\ns2\ns3\n' >"$t/imex/s2/nodes.cfg"
SLURMD_NODENAME=s1 "$standin" -c "$t/imex/s1/config.cfg"
SLURMD_NODENAME=s2 "$standin" -c "$t/imex/s2/config.cfg"
waitq() { # waitq NODE WORD: ctl -q prints WORD within 60 s (a bound, not a timing check)
	local end=$((SECONDS + 60)) n
	while [ $SECONDS -lt $end ]; do
		[ "$(SLURMD_NODENAME=$1 "$standin_ctl" -c "$t/imex/$1/config.cfg" -q 2>/dev/null)" = "$2" ] && return 0
		sleep 0.2
	done
	# Say why: what each stand-in logged and published.
	for n in s1 s2; do
		sed "s/^/# $n log: /" "$t/imex/$n/log" 2>/dev/null | tail -8
		sed "s/^/# $n state: /" "$t/peers/$n.state" 2>/dev/null
	done
	return 1
}
sleep 1
ok "stand-ins whose nodes_config.cfg differ: s1 is not READY" waitq s1 UNAVAILABLE
like "$(SLURMD_NODENAME=s1 "$standin_ctl" -c "$t/imex/s1/config.cfg" -N)" "s1:C s2:I" "... -N marks s2 as a config mismatch"
for p in $(pids); do kill "$p"; done
for i in $(seq 50); do [ -z "$(pids)" ] && break; sleep 0.2; done
printf 's1\ns2\n' >"$t/imex/s2/nodes.cfg"
SLURMD_NODENAME=s1 "$standin" -c "$t/imex/s1/config.cfg"
SLURMD_NODENAME=s2 "$standin" -c "$t/imex/s2/config.cfg"
ok "the same list on both: READY" waitq s2 READY
for p in $(pids); do kill "$p"; done
done_testing
