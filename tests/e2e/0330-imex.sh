#!/bin/bash
# Per-job IMEX on real daemons (doc/imex.md): a 4-node devcluster whose
# slurm.conf has Prolog=vgpu-imex-prolog, Epilog=vgpu-imex-epilog and
# PrologFlags=Alloc (and, on 23.11+, SwitchType=switch/nvidia_imex), each
# node with its own stand-in IMEX config (sim/nvidia-imex, %n paths):
#  1. two 2-node jobs at once (n1-n2, n3-n4): each node's nodes_config.cfg
#     holds exactly its job's nodes, the same on both peers; the four
#     stand-in daemons report READY; on 24.11+ each job's steps see one
#     channel in /dev/nvidia-caps-imex-channels, the same on its two nodes,
#     another than the other job's (22.05 has no switch/nvidia_imex: those
#     checks are skipped there, with the reason);
#  2. one ends normally, one is cancelled, then a failing job: afterwards no
#     stand-in daemon runs, every nodes_config.cfg is the original again (or
#     absent where there was none), no node is drained; the failing job got
#     a channel from a pool of two, so A's and B's were released (24.11+);
#  3. a broken setting (bad value, unknown key) is reported with file:line,
#     the job still gets its daemon, no node is drained;
#  4. a node that truly cannot run IMEX (Daemon= names no program): the
#     prolog fails with the reason, Slurm drains the node (as it must).
# Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
prolog=$VGPU_BUILDDIR/src/imex/vgpu-imex-prolog
epilog=$VGPU_BUILDDIR/src/imex/vgpu-imex-epilog
daemon=$VGPU_BUILDDIR/sim/nvidia-imex
ctl=$VGPU_BUILDDIR/sim/nvidia-imex-ctl
[ -x "$prolog" ] && [ -x "$daemon" ] || skip_all "vgpu-imex-prolog or the stand-in nvidia-imex is not built"
channels=1
e2e_slurm_before 23.11 && channels=0
nochan="Slurm $(e2e_slurm) has no switch/nvidia_imex (24.05+): no IMEX channels (doc/imex.md)"
plan 43

{
	echo "Prolog=$prolog"
	echo "Epilog=$epilog"
	echo "PrologFlags=Alloc"
	if [ $channels = 1 ]; then
		# No nvidia-caps-imex-channels in /proc/devices here: the major is
		# given, and the plugin makes channelN nodes with it in each step.
		# Three channels, 0 never given: two jobs take them all, so a third
		# has one only when they were released.
		echo "SwitchType=switch/nvidia_imex"
		echo "SwitchParameters=imex_channel_count=3,imex_dev_major=507"
	fi
} >"$e2e_tmp/extra.conf"
cat >"$e2e_tmp/vgpu-imex.conf" <<EOF
# vgpu-imex.conf of the devcluster: one IMEX config per node (%n)
ImexConfig=@DIR@/imex/%n/config.cfg
Daemon=$daemon
Control=$ctl
AddressSource=nodename
StateDir=@DIR@/imex/%n/state
LogFile=@DIR@/log/vgpu-imex-%n.log
ReadyTimeout=30
Syslog=no
EOF
e2e_up imex --nodes 4 --gpus 1 --conf-extra "$e2e_tmp/extra.conf" --etc-file "$e2e_tmp/vgpu-imex.conf"
cd "$e2e_tmp" || exit 1
imex=$e2e_dir/imex
for i in 1 2 3 4; do
	mkdir -p "$imex/n$i"
	cat >"$imex/n$i/config.cfg" <<EOF
IMEX_NODE_CONFIG_FILE=$imex/n$i/nodes_config.cfg
LOG_FILE_NAME=$e2e_dir/log/nvidia-imex-n$i.log
SIM_PEER_DIR=$imex/peers
SERVER_PORT=50000
DAEMONIZE=1
EOF
	# n4 has no nodes_config.cfg: the epilog must leave none there either
	[ $i = 4 ] || printf '# site nodes_config.cfg of n%s\n10.0.0.%s\n' "$i" "$i" >"$imex/n$i/nodes_config.cfg"
	cp -p "$imex/n$i/nodes_config.cfg" "$imex/n$i/orig" 2>/dev/null
done

# daemons: the stand-in daemons running on this machine for this cluster.
daemons() {
	local f a d c
	for f in /proc/[0-9]*/cmdline; do
		d=0 c=0
		while IFS= read -r -d '' a; do
			[ "$a" = "$daemon" ] && d=1
			case $a in "$imex"/n*/config.cfg) c=1 ;; esac
		done 2>/dev/null <"$f"
		[ $d = 1 ] && [ $c = 1 ] && { f=${f#/proc/}; echo "${f%/cmdline}"; }
	done
	return 0
}
# restored: every nodes_config.cfg is the original again, n4 has none.
restored() {
	local i
	for i in 1 2 3; do cmp -s "$imex/n$i/orig" "$imex/n$i/nodes_config.cfg" || return 1; done
	[ ! -e "$imex/n4/nodes_config.cfg" ]
}
# wait_gone: no stand-in daemon and every config restored (30 s at most:
# the epilogs run after the job's state changed).
wait_gone() {
	local t=150
	until [ -z "$(daemons)" ] && restored; do
		[ $t -gt 0 ] || return 1
		sleep 0.2
		t=$((t - 1))
	done
}
cat >"$e2e_tmp/job.sh" <<EOF
#!/bin/bash
srun -N2 --ntasks-per-node=1 bash -c 'echo "\$SLURMD_NODENAME \$(ls /dev/nvidia-caps-imex-channels 2>/dev/null | tr "\n" " ")"' | sort >$e2e_tmp/steps.\$SLURM_JOB_ID.tmp
mv $e2e_tmp/steps.\$SLURM_JOB_ID.tmp $e2e_tmp/steps.\$SLURM_JOB_ID
echo "batch \$(ls /dev/nvidia-caps-imex-channels 2>/dev/null | tr '\n' ' ')" >$e2e_tmp/batch.\$SLURM_JOB_ID
t=0
while [ ! -e $e2e_tmp/release-\$SLURM_JOB_ID ] && [ \$t -lt 600 ]; do sleep 0.1; t=\$((t + 1)); done
exit \${EXIT:-0}
EOF
chmod +x "$e2e_tmp/job.sh"
wait_file() {
	local t=150
	until [ -e "$1" ]; do
		[ $t -gt 0 ] || return 1
		sleep 0.2
		t=$((t - 1))
	done
}
wait_files() {
	local f
	for f in "$@"; do wait_file "$f" || return 1; done
}
# chan ID: the channel the job's steps saw on both its nodes ("" when they
# differ or see none or more than one).
chan() {
	awk '{ if (NF != 2) bad = 1; c[$2] = 1; n++ } END { k = 0; for (x in c) k++; if (!bad && n == 2 && k == 1) for (x in c) print x }' "$e2e_tmp/steps.$1"
}

# 1. two 2-node jobs at once.
a=$(sbatch --parsable -N2 -w 'n[1-2]' -o "$e2e_tmp/out.%j" "$e2e_tmp/job.sh")
b=$(sbatch --parsable -N2 -w 'n[3-4]' -o "$e2e_tmp/out.%j" "$e2e_tmp/job.sh")
is_job "$a" RUNNING "job A (-N2 on n[1-2]) runs"
is_job "$b" RUNNING "job B (-N2 on n[3-4]) runs"
ok "both jobs' 2-node steps ran" wait_files "$e2e_tmp/steps.$a" "$e2e_tmp/steps.$b"
is "$(cat "$imex/n1/nodes_config.cfg")" "n1
n2" "n1's nodes_config.cfg holds exactly job A's nodes"
ok "... identical on its peer n2" cmp -s "$imex/n1/nodes_config.cfg" "$imex/n2/nodes_config.cfg"
is "$(cat "$imex/n3/nodes_config.cfg")" "n3
n4" "n3's nodes_config.cfg holds exactly job B's nodes"
ok "... identical on its peer n4" cmp -s "$imex/n3/nodes_config.cfg" "$imex/n4/nodes_config.cfg"
r=
for i in 1 2 3 4; do r="$r $(SLURMD_NODENAME=n$i "$ctl" -c "$imex/n$i/config.cfg" -q 2>&1)"; done
is "$r" " READY READY READY READY" "nvidia-imex-ctl -q: the stand-in daemon of every node is READY"
is "$(daemons | wc -l)" 4 "four stand-in daemons run (one per node)"
ok "the prolog reported job A's daemon ready" grep -q "job $a on n1: IMEX daemon ready for 2 nodes (n1 n2)" "$e2e_dir/log/vgpu-imex-n1.log"
if [ $channels = 1 ]; then
	ca=$(chan "$a") cb=$(chan "$b")
	like "$ca" '^channel[0-9]+$' "job A's steps see one IMEX channel, the same on n1 and n2 ($ca)"
	like "$cb" '^channel[0-9]+$' "job B's steps see one IMEX channel, the same on n3 and n4 ($cb)"
	ok "jobs A and B have different channels" [ -n "$ca" -a "$ca" != "$cb" ]
	diag "batch steps: $(cat "$e2e_tmp/batch.$a" "$e2e_tmp/batch.$b" 2>/dev/null | tr '\n' ';') (24.11: none; 26.05: the job's)"
	ok "the host's /dev has no IMEX channel (only the steps' namespaces do)" [ ! -e /dev/nvidia-caps-imex-channels/"$ca" ]
else
	for d in "job A's steps see one channel" "job B's steps see one channel" "jobs A and B have different channels" "no channel outside the steps"; do
		skip "$d" "$nochan"
	done
fi

# 2. A ends normally, B is cancelled, C fails.
e2e_release "$a"
is_job "$a" COMPLETED "job A completed"
scancel "$b"
is_job "$b" CANCELLED "job B was cancelled"
ok "after A and B: no stand-in daemon left, every nodes_config.cfg restored (n4: none)" wait_gone
c=$(EXIT=3 sbatch --parsable -N2 -w 'n[2-3]' -o "$e2e_tmp/out.%j" "$e2e_tmp/job.sh")
ok "job C (-N2 on n[2-3], exits 3) ran its step" wait_file "$e2e_tmp/steps.$c"
is "$(cat "$imex/n2/nodes_config.cfg")" "n2
n3" "job C's nodes_config.cfg on n2"
if [ $channels = 1 ]; then
	like "$(chan "$c")" '^channel[12]$' "job C has a channel: A's and B's, the pool's only two, were released"
else
	skip "job C has a channel released by A and B" "$nochan"
fi
e2e_release "$c"
is_job "$c" FAILED "job C failed (exit 3)"
ok "after C: no stand-in daemon left, every nodes_config.cfg restored" wait_gone
is "$(ls "$imex"/n*/state/owner 2>/dev/null)" "" "no node's StateDir names an owner"
ok "every node idle, none drained" e2e_wait_idle

# 3. a broken setting: reported with its line, the job still gets IMEX.
printf 'ReadyTimeout=soon\nColour=blue\n' >>"$e2e_dir/etc/vgpu-imex.conf"
nl=$(wc -l <"$e2e_dir/etc/vgpu-imex.conf")
d=$(sbatch --parsable -N2 -w 'n[1-2]' -o "$e2e_tmp/out.%j" "$e2e_tmp/job.sh")
ok "job D (-N2, with the broken settings) ran its step" wait_file "$e2e_tmp/steps.$d"
like "$(cat "$e2e_dir/log/vgpu-imex-n1.log")" "vgpu-imex.conf:$((nl - 1)): ReadyTimeout: bad value 'soon' .*keeping ReadyTimeout=30" \
	"the bad value is reported with file:line and the setting kept"
like "$(cat "$e2e_dir/log/vgpu-imex-n1.log")" "vgpu-imex.conf:$nl: unknown setting 'Colour'" "the unknown key is reported with file:line"
is "$(SLURMD_NODENAME=n1 "$ctl" -c "$imex/n1/config.cfg" -q 2>&1)" READY "job D's daemon is READY all the same"
e2e_release "$d"
is_job "$d" COMPLETED "job D completed"
ok "after D: no daemon, configs restored" wait_gone
ok "no node drained by the broken settings" e2e_wait_idle

# 4. no daemon binary: this node cannot give IMEX; the prolog says so and fails.
sed -i 's|^Daemon=.*|Daemon=/nonexistent/nvidia-imex|; /^ReadyTimeout=soon/d; /^Colour=/d' "$e2e_dir/etc/vgpu-imex.conf"
e2e_expected_errors='Requeue of JobId=[0-9]+ returned an error|[Pp]rolog failed|prolog_slurmd|Prolog failure|Job .* requeued|_run_prolog|launch failure|drain'
f=$(sbatch --parsable -N2 -w 'n[3-4]' -o "$e2e_tmp/out.%j" --no-requeue "$e2e_tmp/job.sh")
t=150
until sinfo -h -N -n n3 -o '%T' | grep -q drain || [ $t -le 0 ]; do sleep 0.2; t=$((t - 1)); done
like "$(sinfo -h -N -n n3 -o '%T %E')" "drain" "Daemon=/nonexistent: the prolog fails and Slurm drains n3"
like "$(cat "$e2e_dir/log/vgpu-imex-n3.log")" "IMEX cannot run on this node: Daemon=/nonexistent/nvidia-imex is not an executable file" \
	"... with the reason in the report"
scancel "$f" 2>/dev/null
scontrol update nodename=n3,n4 state=resume 2>/dev/null
ok "nothing was changed on n3: nodes_config.cfg is the original, no daemon" wait_gone
sed -i "s|^Daemon=.*|Daemon=$daemon|" "$e2e_dir/etc/vgpu-imex.conf"

e2e_health
e2e_down
done_testing
