#!/bin/bash
# A second user on a 1-node, 1-GPU devcluster with the SPANK plugin and the
# cli_filter: a local user made for this test (useradd, removed at exit).
# A job of root holds 1 GiB of a shard:25 slice in a long-running step; a job
# of the user (runuser -u USER -- srun ...) on the same GPU cannot list, read
# or write root's step accounting (its acct/ is root's, 0700), nor create a
# file there: each fails with EACCES from inside the user's job. The user's
# own step has its acct/ owned by the user, 0700, its ledger created by the
# user, and still runs limited to its slice (also with LD_PRELOAD dropped).
# Root's ledger is unchanged afterwards. Then the same between two users:
# a job of the first user holds memory, a job of a second user cannot
# reach its accounting, and the first user's ledger is unchanged. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
for c in useradd userdel runuser; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c is not installed"
done

# The user: a unique name, no home, no group of its own; removed at exit
# (after the cluster is down, so none of its processes is left).
user=vgpue2e$$
user2=vgpuf2e$$
useradd -M -N -d /nonexistent -s /bin/sh "$user" 2>"$e2e_tmp/useradd.err" ||
	skip_all "useradd $user failed: $(cat "$e2e_tmp/useradd.err")"
if ! useradd -M -N -d /nonexistent -s /bin/sh "$user2" 2>"$e2e_tmp/useradd.err"; then
	userdel "$user" 2>/dev/null
	skip_all "useradd $user2 failed: $(cat "$e2e_tmp/useradd.err")"
fi
trap 'e2e_cleanup; for u in "$user" "$user2"; do userdel "$u" 2>/dev/null || echo "# cleanup: userdel $u failed" >&2; done' EXIT
uid=$(id -u "$user")
runuser -u "$user" -- test -x "$probe" || skip_all "$user cannot run $probe (a build directory others cannot reach?)"
plan 35
e2e_up user --nodes 1 --gpus 1 --spank --cli-filter
state=$e2e_dir/vgpu-state
uuid=$(sed -n 's/.*"uuid": *"\(GPU-[^"]*\)".*/\1/p' "$e2e_dir/sim/n1.json" | head -1)
# slice K: K of the GPU's ShardsPerGpu (120 by default) shards of Memory -
# DriverReserved, from the GpuType line vgpu conf wrote; every context is
# charged ContextMemory (ctx).
type_line=$(grep '^GpuType=h100 ' "$e2e_dir/etc/vgpu.conf")
mib() { echo "$type_line" | sed -n "s/.* $1=\([0-9]*\)M.*/\1/p"; }
mem=$(mib Memory) drv=$(mib DriverReserved) ctx=$(($(mib ContextMemory) * 1048576))
per=$(sed -n 's/^ShardsPerGpu=\([0-9]*\).*/\1/p' "$e2e_dir/etc/vgpu.conf")
slice() { echo $(($1 * (mem - drv) * 1048576 / ${per:-120})); }
G=1073741824
# The user works in a directory of its own ($e2e_tmp is made 0700).
chmod 0755 "$e2e_tmp"
install -d -o "$user" -m 0755 "$e2e_tmp/u"
cd "$e2e_tmp/u" || exit 1
# as_user COMMAND...: run COMMAND as the user with the cluster's environment.
as_user() {
	runuser -u "${as:-$user}" -- env SLURM_CONF="$SLURM_CONF" PATH="$PATH" LD_LIBRARY_PATH="$LD_LIBRARY_PATH" \
		VGPU_SIM_DIR="$VGPU_SIM_DIR" "$@"
}
# joined ID: cuMemGetInfo and NVML's process list of a process joining the
# batch step's ledger (root, on the host, through the shim).
joined() {
	LD_PRELOAD=$shim VGPU_STEP_DESC=$state/$1.batch.0/step.desc VGPU_SIM_NODE=$e2e_dir/sim/n1.json \
		"$probe" dlopen init info nvmlprocs "$uuid" 2>/dev/null | grep -E '^(info|nvmlprocs):' | tr '\n' ' ' |
		sed -E "s/ [0-9]+:$ctx( |\$)/\1/" # its own context (its pid differs each time)
}

# 1. root's job: shard:25, 1 GiB held
a=$(sbatch --parsable -o "$e2e_tmp/a.out" -e /dev/null --gres=shard:25 --wrap "exec $probe dlopen init alloc mem $G hold")
t=150
until grep -q '^hold: ready' "$e2e_tmp/a.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
is "$(grep -E '^(alloc|hold)' "$e2e_tmp/a.out" | tr '\n' ' ')" "alloc mem $G: 0 hold: ready " "root's job $a holds 1 GiB of its shard:25 slice"
acct=$state/job.$a.0/acct
is "$(stat -c '%a %u' "$acct" 2>&1)" "700 0" "its acct dir is root's, 0700"
ok "its ledger exists ($acct/$uuid.ledger)" test -f "$acct/$uuid.ledger"
before=$(joined "$a")
like "$before" "^info: 0 $(($(slice 25) - G - 2 * ctx)) $(slice 25) nvmlprocs: 0 [0-9]+:$((G + ctx)) \$" \
	"root's ledger: 1 GiB and the holder's context held (free: less the joiner's own context too)"

# 2. the user's job, on the same GPU, tries root's accounting
cat >"$e2e_tmp/u/poke.py" <<'PY'
import errno, os, sys
acct, ledger = sys.argv[1], sys.argv[2]
def tryit(name, fn):
    try:
        fn()
        print(name, "OK")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
tryit("list", lambda: os.listdir(acct))
tryit("stat-ledger", lambda: os.stat(ledger))
tryit("read-ledger", lambda: os.close(os.open(ledger, os.O_RDONLY)))
tryit("write-ledger", lambda: os.close(os.open(ledger, os.O_WRONLY)))
tryit("create", lambda: os.close(os.open(os.path.join(acct, "planted"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)))
print("uid", os.getuid(), "shards", os.environ.get("SLURM_SHARDS_ON_NODE"))
PY
out=$(cd "$e2e_tmp/u" && as_user timeout 30 srun --gres=shard:10 python3 "$e2e_tmp/u/poke.py" "$acct" "$acct/$uuid.ledger" 2>&1)
is "$(echo "$out" | grep '^uid')" "uid $uid shards 10" "the user's srun --gres=shard:10 step runs as $user (uid $uid)"
is "$(echo "$out" | grep '^list')" "list EACCES" "from the user's job: listing root's acct dir fails with EACCES"
is "$(echo "$out" | grep '^stat-ledger')" "stat-ledger EACCES" "... stat of root's ledger: EACCES"
is "$(echo "$out" | grep '^read-ledger')" "read-ledger EACCES" "... opening root's ledger for reading: EACCES"
is "$(echo "$out" | grep '^write-ledger')" "write-ledger EACCES" "... opening it for writing: EACCES"
is "$(echo "$out" | grep '^create')" "create EACCES" "... creating a file in root's acct dir: EACCES"
ok "nothing was planted there" test ! -e "$acct/planted"

# 3. the user's own step: its accounting is the user's, its slice holds
s10=$(slice 10)
out=$(as_user timeout 30 srun --gres=shard:10 bash -c 'a=$(sed -n "s/^acct=//p" "$VGPU_STEP_DESC"); stat -c "acct %a %u" "$a";
	"$0" dlopen init info alloc mem $(($1 + 2097152)) alloc mem '$G'; stat -c "ledger %a %u" "$a"/*.ledger' \
	"$probe" "$s10" 2>&1)
is "$(echo "$out" | grep '^acct')" "acct 700 $uid" "the user's step: its acct dir is the user's, 0700"
is "$(echo "$out" | grep '^info:')" "info: 0 $((s10 - ctx)) $s10" "the user's step: cuMemGetInfo shows its shard:10 slice (less its context)"
is "$(echo "$out" | grep '^alloc' | tr '\n' ' ')" "alloc mem $((s10 + 2097152)): 2 alloc mem $G: 0 " \
	"the user's step: past the slice OUT_OF_MEMORY, 1 GiB succeeds"
is "$(echo "$out" | grep '^ledger')" "ledger 600 $uid" "the user's step: its ledger was created by the user, 0600"
out=$(as_user timeout 30 srun --gres=shard:10 env -u LD_PRELOAD "$probe" dlopen init info alloc mem $((s10 + 2097152)) 2>/dev/null)
is "$(echo "$out" | grep -E '^(info|alloc)' | tr '\n' ' ')" "info: 0 $((s10 - ctx)) $s10 alloc mem $((s10 + 2097152)): 2 " \
	"the user's step with env -u LD_PRELOAD: still its slice, still refused past it"

# 4. root's job was not disturbed
is "$(joined "$a")" "$before" "root's ledger: unchanged"
is "$(e2e_job_state "$a")" "RUNNING None" "root's job still runs"
scancel "$a"
ok "root's job ends" e2e_wait_idle
is "$(ls -A "$state")" "" "no step directory left under StateDir"

# 5. user against user: the first user's job holds 1 GiB, the second's pokes
b=$(as_user sbatch --parsable -o "$e2e_tmp/u/b.out" -e /dev/null --gres=shard:25 --wrap "exec $probe dlopen init alloc mem $G hold")
t=150
until grep -q '^hold: ready' "$e2e_tmp/u/b.out" 2>/dev/null || [ $t -eq 0 ]; do sleep 0.2; t=$((t - 1)); done
is "$(grep -E '^(alloc|hold)' "$e2e_tmp/u/b.out" | tr '\n' ' ')" "alloc mem $G: 0 hold: ready " "$user's job $b holds 1 GiB of its slice"
acct2=$state/job.$b.0/acct
is "$(stat -c '%a %u' "$acct2" 2>&1)" "700 $uid" "its accounting dir is $user's, 0700"
before=$(joined "$b")
uid2=$(id -u "$user2")
out=$(as=$user2 as_user timeout 30 srun --gres=shard:10 python3 "$e2e_tmp/u/poke.py" "$acct2" "$acct2/$uuid.ledger" 2>&1)
is "$(echo "$out" | grep '^uid')" "uid $uid2 shards 10" "$user2's step runs as $user2 (uid $uid2) on the same GPU"
is "$(echo "$out" | grep -E '^(list|stat-ledger|read-ledger|write-ledger|create)' | tr '\n' ' ')" \
	"list EACCES stat-ledger EACCES read-ledger EACCES write-ledger EACCES create EACCES " \
	"from $user2's job: listing, stat, read, write and create in $user's accounting all fail with EACCES"
is "$(joined "$b")" "$before" "$user's ledger: unchanged"
as_user scancel "$b"
ok "$user's job ends" e2e_wait_idle

e2e_health
e2e_down
done_testing
