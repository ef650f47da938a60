#!/bin/bash
# tests/pkg/inchroot.sh - the part of tests/pkg/install.sh that runs inside
# the throwaway chroot (never by hand): install the previous package
# version, configure Slurm and slurm-vgpu only as the packages' README.Debian
# files say, upgrade to the new version (the site's edited conffiles must
# stay), start slurmctld and slurmd, run a slice job and a job past the
# slice. TAP lines continue the outer script's numbering ($PKG_TAP_N); the
# counts go back in $PKG_SHARE/tap.counts.
#
# Environment: PKG_SHARE (the debs: new/, old/, shimprobe, tap.sh),
# PKG_TAP_N, PKG_CTLD_PORT, PKG_SLURMD_PORT, PKG_REL.
set -u
. "$PKG_SHARE/tap.sh"
tap_n=$PKG_TAP_N
export DEBIAN_FRONTEND=noninteractive
h=$(hostname -s)
pids=
log=/var/log/slurm-vgpu-pkgtest
mkdir -p "$log"
finish() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
		kill -9 "$p" 2>/dev/null
	done
	umount /run/slurm-vgpu 2>/dev/null
	if [ "$tap_failed" -gt 0 ]; then
		for f in "$log"/*.log "$log"/*.out; do [ -s "$f" ] && diag "--- $PKG_REL: tail of $f" "$(tail -n 15 "$f")"; done
	fi
	echo "$tap_n $tap_failed" >"$PKG_SHARE/tap.counts"
}
trap finish EXIT
t="$PKG_REL:"

# --- the previous version, as a site had it
ok "$t dpkg -i the previous version (slurm-vgpu, slurm-vgpu-sim): its Depends are met by this release's Slurm" \
	dpkg -i "$PKG_SHARE"/old/slurm-vgpu_*.deb "$PKG_SHARE"/old/slurm-vgpu-sim_*.deb
is "$(grep -c '^required' /etc/slurm/plugstack.conf.d/vgpu.conf)" 0 "$t installed, the SPANK line is commented out (installing changes nothing)"

# --- the site's own Slurm basics (not slurm-vgpu's business): one node,
# root daemons, no cgroups (a chroot), munge as installed.
mkdir -p /run/munge /var/spool/slurmctld-pkgtest /var/spool/slurmd-pkgtest
chown munge:munge /run/munge
cat >/etc/slurm/slurm.conf <<EOC
ClusterName=pkgtest
SlurmctldHost=$h(127.0.0.1)
SlurmctldPort=$PKG_CTLD_PORT
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld-pkgtest
SlurmdSpoolDir=/var/spool/slurmd-pkgtest
SlurmctldPidFile=/run/slurmctld-pkgtest.pid
SlurmdPidFile=/run/slurmd-pkgtest.pid
SlurmctldLogFile=$log/slurmctld.log
SlurmdLogFile=$log/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerParameters=batch_sched_delay=0,bf_interval=1
ReturnToService=2
MailProg=/bin/true
EOC
case $PKG_REL in 22.* | 23.0*) ;; *) echo "CgroupPlugin=disabled" >/etc/slurm/cgroup.conf ;; esac

# --- slurm-vgpu-sim's README.Debian: a simulated node
sim=$(dirname "$(dpkg -L slurm-vgpu-sim | grep '/slurm-vgpu/sim/libcuda\.so\.1$')")
node=/var/lib/slurm-vgpu-sim/$h.json
mkdir -p /var/lib/slurm-vgpu-sim
ok "$t sim step 1: vgpu-simnode describes the node" sh "$sim/vgpu-simnode" --model h100 --gpus 2 --hostname "$h" -o "$node"
cd /root || exit 1
# slurm-vgpu's README.Debian step 1 (with the simulated driver) and step 2
ok "$t step 1: vgpu discover --json" sh -c "LD_LIBRARY_PATH=$sim VGPU_SIM_NODE=$node vgpu discover --json >$h.json"
mkdir -p /etc/slurm/vgpu-generated
ok "$t step 2: vgpu conf --dev-dir --out-dir /etc/slurm/vgpu-generated" \
	vgpu conf --dev-dir /var/lib/slurm-vgpu-sim/dev --out-dir /etc/slurm/vgpu-generated "$h.json"
mkdir -p /var/lib/slurm-vgpu-sim/dev
for f in $(grep -o 'File=[^ ]*' /etc/slurm/vgpu-generated/gres.conf | cut -d= -f2 | sort -u); do
	mknod "$f" c 1 3
done
cat /etc/slurm/vgpu-generated/vgpu.conf.types >>/etc/slurm/vgpu.conf
cp /etc/slurm/vgpu-generated/gres.conf /etc/slurm/gres.conf
# the generated GresTypes= line; the node's NodeName line with its Gres= and
# Features= and the site's own address and port
{
	grep -v '^NodeName=' /etc/slurm/vgpu-generated/slurm.conf.vgpu
	echo "$(grep "^NodeName=$h " /etc/slurm/vgpu-generated/slurm.conf.vgpu) NodeAddr=127.0.0.1 Port=$PKG_SLURMD_PORT CPUs=$(nproc) State=UNKNOWN"
	echo "PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
	# step 3
	echo "SelectType=select/cons_tres"
	echo "CliFilterPlugins=vgpu"
	echo "JobSubmitPlugins=vgpu"
} >>/etc/slurm/slurm.conf
# step 4
sed -i 's/^#required vgpu_spank.so/required vgpu_spank.so/' /etc/slurm/plugstack.conf.d/vgpu.conf
# step 5 (a mount instead of the fstab line: this chroot has no boot)
mkdir -p /run/slurm-vgpu
mount -t tmpfs -o size=64m,nr_inodes=65536,mode=0755 slurm-vgpu /run/slurm-vgpu
# sim step 3
printf 'LD_LIBRARY_PATH=%s\nVGPU_SIM_NODE=%s\n' "$sim" "$node" >>/etc/default/slurmd
cp /etc/slurm/vgpu.conf /root/vgpu.conf.site
cp /etc/slurm/plugstack.conf.d/vgpu.conf /root/plugstack-vgpu.conf.site
like "$(grep -c '^GpuType=h100 ' /etc/slurm/vgpu.conf)" '^1$' "$t vgpu.conf has the generated GpuType line"

# --- the upgrade keeps the site's conffiles
ok "$t dpkg -i --force-confold the new version over the previous one" \
	dpkg -i --force-confold "$PKG_SHARE"/new/slurm-vgpu_*.deb "$PKG_SHARE"/new/slurm-vgpu-sim_*.deb
is "$(dpkg-query -W -f='${Version}' slurm-vgpu)" "$(dpkg-deb -f "$PKG_SHARE"/new/slurm-vgpu_*.deb Version)" "$t the new version is installed"
ok "$t upgrade: the edited /etc/slurm/vgpu.conf is kept" cmp /root/vgpu.conf.site /etc/slurm/vgpu.conf
ok "$t upgrade: the edited plugstack.conf.d/vgpu.conf is kept" cmp /root/plugstack-vgpu.conf.site /etc/slurm/plugstack.conf.d/vgpu.conf
ok "$t upgrade: the package's new vgpu.conf is beside it as vgpu.conf.dpkg-dist" test -f /etc/slurm/vgpu.conf.dpkg-dist

# --- the daemons (systemd would start them; the env file as slurmd.service reads it)
# munged as Debian runs it: user munge, the key munge's postinst made
runuser -u munge -- munged --foreground >"$log/munged.out" 2>&1 &
pids="$pids $!"
slurmctld -D -i >"$log/slurmctld.out" 2>&1 &
pids="$pids $!"
(set -a && . /etc/default/slurmd && set +a && exec slurmd -D) >"$log/slurmd.out" 2>&1 &
pids="$pids $!"
st=
for _ in $(seq 1 150); do
	st=$(sinfo -h -n "$h" -o %T 2>/dev/null)
	[ "$st" = idle ] && break
	sleep 0.2
done
like "$st $(sinfo -h -n "$h" -o %G 2>/dev/null)" '^idle .*shard' "$t slurmctld and slurmd up, the node idle with its shards"

# --- a slice job: sees its slice, is refused past it
export LD_LIBRARY_PATH=$sim VGPU_SIM_NODE=$node
probe=$PKG_SHARE/shimprobe
out=$(timeout 30 srun --gres=vgpu:mem=10G bash -c 'echo "shards $SLURM_SHARDS_ON_NODE"; sed -n "s/^gpu .* mem=\([0-9]*\) .*/limit \1/p" "$VGPU_STEP_DESC"' 2>"$log/srun1.err")
limit=$(echo "$out" | sed -n 's/^limit //p')
like "$out" "^shards [0-9]+" "$t srun --gres=vgpu:mem=10G runs with shards (the cli_filter from PluginDir rewrote it)"
ok "$t the step's slice is at least 10 GiB and less than the GPU" test "${limit:-0}" -ge 10737418240 -a "${limit:-0}" -lt 85520809984
out=$(timeout 30 srun --gres=vgpu:mem=10G "$probe" dlopen init info alloc mem $((${limit:-0} + 2097152)) alloc mem 1073741824 2>"$log/srun2.err")
is "$(echo "$out" | grep '^info:' | cut -d' ' -f4)" "${limit:-none}" "$t cuMemGetInfo in the job shows the slice as the total (through the sim driver)"
is "$(echo "$out" | grep '^alloc mem [0-9]*: ' | cut -d' ' -f4 | tr '\n' ' ')" "2 0 " \
	"$t an allocation past the slice fails with CUDA_ERROR_OUT_OF_MEMORY, 1 GiB succeeds"
out=$(timeout 30 srun --gres=vgpu:mem=100G echo ran 2>&1)
rc=$?
like "$rc $out" '^[1-9][0-9]* .*vgpu' "$t srun --gres=vgpu:mem=100G (more than a GPU) is refused, saying why"
diag "$out"
