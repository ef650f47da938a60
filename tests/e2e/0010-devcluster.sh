#!/bin/bash
# tools/vgpu-devcluster itself: up (the generated slurm.conf and gres.conf,
# fake device files, idle nodes), env, status, refusal of a second up, two
# clusters side by side on distinct ports (one in memory accounting), a
# failing up that names what failed and shows its log, and down with a job
# still running: it stops exactly the recorded processes and the job's,
# frees the ports and removes the directory.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
plan 50
"$devcluster" --help >/dev/null 2>&1
is "$?" 0 "--help exits 0"
"$devcluster" frob >/dev/null 2>&1
is "$?" 2 "an unknown command exits 2"
like "$("$devcluster" up --nodes 0 2>&1)" "--nodes '0': expected 1 to 64" "a bad --nodes is named"
out=$("$devcluster" up --name e2e-nobuild-$$ --builddir /nonexistent/build 2>&1)
is "$?:$out" "1:vgpu-devcluster: up: --builddir: no such directory" "up with a missing build dir exits 1 and says so"

e2e_up tool --nodes 2 --gpus 2
like "$e2e_up_out" "^devcluster '$e2e_name' is up: 2 node\\(s\\) n\\[1-2\\], 2 x h100 each, strict accounting" "up prints a summary"
envout=$("$devcluster" env --name "$e2e_name")
like "$envout" "^export SLURM_CONF=$e2e_dir/etc/slurm.conf" "env: SLURM_CONF"
like "$envout" "export PATH=$VGPU_BUILDDIR:" "env: PATH starts with the build dir"
like "$envout" "export LD_LIBRARY_PATH=$VGPU_BUILDDIR/sim/.libs" "env: LD_LIBRARY_PATH has the simulated driver"
like "$envout" "export VGPU_SIM_DIR=$e2e_dir/sim" "env: VGPU_SIM_DIR"
is "$(command -v vgpu)" "$VGPU_BUILDDIR/vgpu" "after eval, vgpu is the built one"

conf=$e2e_dir/etc/slurm.conf
is "$(sed -n 's/^SlurmctldHost=//p' "$conf")" "$(hostname -s)(127.0.0.1)" "SlurmctldHost is this host, at 127.0.0.1"
p1=$(sed -n 2p "$e2e_dir/run/ports")
# S shards per GPU: ShardsPerGpu of the cluster's vgpu.conf (120 by default).
S=$(sed -n 's/^ShardsPerGpu=\([0-9]*\).*/\1/p' "$e2e_dir/etc/vgpu.conf")
S=${S:-120}
like "$(grep '^NodeName=n1 ' "$conf")" "^NodeName=n1 Gres=gpu:h100:2,shard:$((2 * S)) Features=vgpu_h100 NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 Port=$p1 " \
	"n1: the Gres= and Features= of vgpu conf, this host, 127.0.0.1, its own port"
is "$(grep -c '^GresTypes=gpu,shard$' "$conf")" 1 "GresTypes from vgpu conf"
files=$(grep -o 'File=[^ ]*' "$e2e_dir/etc/gres.conf" | cut -d= -f2 | sort -u)
is "$(echo "$files" | wc -l)" 4 "gres.conf names 4 device files (2 nodes x 2 GPUs)"
is "$(for f in $files; do [ -c "$f" ] || echo "$f"; done)" "" "each is a character device"
is "$(sinfo -h -N -o '%N %T %G')" "n1 idle gpu:h100:2,shard:h100:$((2 * S))
n2 idle gpu:h100:2,shard:h100:$((2 * S))" "sinfo: both nodes idle with their GPUs and shards"
out=$("$devcluster" status --name "$e2e_name")
is "$?" 0 "status exits 0"
is "$(echo "$out" | grep -cE '^  (munged|slurmctld|slurmd-n1|slurmd-n2) +pid [0-9]+ +running$')" \
	"$(command -v munged >/dev/null && echo 4 || echo 3)" "status lists every daemon running"
out=$("$devcluster" up --name "$e2e_name" --builddir "$VGPU_BUILDDIR" 2>&1)
is "$?" 1 "up on a running cluster exits 1"
like "$out" "cluster '$e2e_name' is already running" "and says so"

# A second cluster beside it: other ports, memory accounting (1G shards: 79 per H100).
b=e2e-toolb-$$
e2e_more_names=$b
out=$("$devcluster" up --name "$b" --nodes 1 --gpus 1 --mode memory --builddir "$VGPU_BUILDDIR" \
	--auth "$(command -v munged >/dev/null && echo munge || echo none)" 2>&1)
is "$?" 0 "a second cluster starts beside the first"
bdir=$(dirname "$e2e_dir")/$b
is "$(cat "$e2e_dir/run/ports" "$bdir/run/ports" | sort | uniq -d)" "" "the two use distinct ports"
is "$(SLURM_CONF=$bdir/etc/slurm.conf sinfo -h -N -o '%N %T %G')" "n1 idle gpu:h100:1,shard:h100:79" \
	"memory accounting: 79 shards of 1G on an H100"
is "$(SLURM_CONF=$bdir/etc/slurm.conf timeout 60 srun printenv SLURM_CLUSTER_NAME 2>&1)" "$b" "a job of the second cluster runs there"
is "$(timeout 60 srun printenv SLURM_CLUSTER_NAME 2>&1)" "$e2e_name" "and one of the first cluster here"
"$devcluster" down --name "$b" >/dev/null 2>&1
is "$?:$(ls -d "$bdir" 2>/dev/null)" "0:" "down of the second cluster"

# A failing up names the failure and shows the log.
c=e2e-toolc-$$
e2e_more_names="$b $c"
echo 'ShardsPerGpu=1' >"$e2e_tmp/bad.conf"
out=$("$devcluster" up --name "$c" --nodes 1 --gpus 1 --vgpu-conf "$e2e_tmp/bad.conf" --builddir "$VGPU_BUILDDIR" 2>&1)
is "$?" 1 "up with a bad vgpu.conf exits 1"
like "$out" "up: vgpu discover on simulated node n1 failed" "it names what failed"
like "$out" "ShardsPerGpu: '1' is out of range" "and shows the log that says why"
"$devcluster" down --name "$c" >/dev/null 2>&1
is "$?:$(ls -d "$(dirname "$e2e_dir")/$c" 2>/dev/null)" "0:" "down removes the failed cluster's directory"
# A daemon that dies at start (a stand-in slurmctld first in PATH).
mkdir "$e2e_tmp/bin"
printf '#!/bin/sh\necho "slurmctld: fatal: stand-in refuses to start" >&2\nexit 1\n' >"$e2e_tmp/bin/slurmctld"
chmod +x "$e2e_tmp/bin/slurmctld"
out=$(PATH=$e2e_tmp/bin:$PATH "$devcluster" up --name "$c" --nodes 1 --gpus 1 --builddir "$VGPU_BUILDDIR" \
	--auth "$(command -v munged >/dev/null && echo munge || echo none)" 2>&1)
is "$?" 1 "up with a slurmctld that dies exits 1"
like "$out" "up: slurmctld exited at start" "it names the daemon"
like "$out" "stand-in refuses to start" "and shows its output"
cdir=$(dirname "$e2e_dir")/$c
left=
while read -r role pid st; do
	[ "$(awk '{ print $22 }' "/proc/$pid/stat" 2>/dev/null)" = "$st" ] &&
		! grep -q '^State:.*Z' "/proc/$pid/status" && left="$left $role"
done <"$cdir/run/pids"
is "$left" "" "what it had started (munged) is stopped again"
"$devcluster" down --name "$c" >/dev/null 2>&1

e2e_health

# down with a job running: the job's processes and its slurmstepd end too.
job=$(sbatch --parsable -o /dev/null -w n1 --wrap "echo \$\$ >$e2e_tmp/jobpid; sleep 300")
is_job "$job" RUNNING "a long job runs"
t=150
while [ ! -s "$e2e_tmp/jobpid" ] && [ $t -gt 0 ]; do sleep 0.2; t=$((t - 1)); done
jpid=$(cat "$e2e_tmp/jobpid")
stepd=$(awk '/^PPid:/ { print $2 }' "/proc/$jpid/status" 2>/dev/null)
like "$(tr '\0' ' ' <"/proc/$stepd/cmdline" 2>/dev/null)" "^slurmstepd: \\[$job\\.batch\\]" "the job's parent is its slurmstepd"
ports=$(cat "$e2e_dir/run/ports")
name=$e2e_name
e2e_down
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; }
ok "the job's shell is gone" gone "$jpid"
ok "its slurmstepd is gone" gone "$stepd"
listening() {
	local p
	for p in $ports; do
		cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p="$(printf '%04X' "$p")" \
			'$4 == "0A" { n = split($2, a, ":"); if (a[n] == p) print p }'
	done
}
is "$(listening)" "" "no port of the cluster is listening any more"
out=$("$devcluster" down --name "$name" 2>&1)
is "$?" 1 "down of a cluster that is gone exits 1"
like "$out" "no cluster '$name'" "and says so"
done_testing
