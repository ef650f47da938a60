#!/bin/bash
# User namespaces in slice steps (src/lib/vgpu_seccomp.c, installed by
# plugins/spank/vgpu_spank.c; doc/shim.md "Threat model"), on a 1-node,
# 1-GPU devcluster with the SPANK plugin: a
# `--gres=shard:5` step cannot `unshare -Ur true` (nor a grandchild of
# it: the filter crosses fork and exec), while the same command without a
# slice runs; the slice task has seccomp mode 2 and no_new_privs off (jobs
# run as root here: the filter is installed before the drop to the user, so
# setuid programs keep working); threads still start in it (glibc's clone3
# falls back to clone: checked with the glibc of the release under test).
# With `userns=allow` in plugstack.conf (re-read per step) the slice step may
# unshare again. The unshare checks need a machine that lets the job's user
# (root) make user namespaces: a chrooted process never may (the chroot
# releases, tools/vgpu-chroot), nor one where user.max_user_namespaces is 0;
# there they are skipped with the reason, and the filter, threads and CUDA
# checks still run (with that release's glibc).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
command -v unshare >/dev/null 2>&1 || skip_all "no unshare(1) (util-linux)"
why=
unshare -Ur true 2>/dev/null ||
	why="root cannot make user namespaces here ($(unshare -Ur true 2>&1 | head -1); chrooted: $([ "$(stat -c %d:%i /)" = "$(stat -c %d:%i /proc/1/root/. 2>/dev/null)" ] && echo no || echo yes), user.max_user_namespaces=$(cat /proc/sys/user/max_user_namespaces 2>/dev/null))"
# uns GOT REGEX DESCRIPTION: like, where user namespaces can be made
uns() {
	if [ -n "$why" ]; then skip "$3" "$why"; else like "$1" "$2" "$3"; fi
}
plan 16
e2e_up userns --nodes 1 --gpus 1 --spank
cd "$e2e_tmp" || exit 1
ps=$e2e_dir/etc/plugstack.conf

# run SRUN-OPTIONS -- COMMAND...: "rc=N" and the output, one line
run() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	out=$(timeout 60 srun -Q "${opts[@]}" "$@" 2>&1)
	echo "rc=$? $(echo "$out" | tr '\n' ' ')"
}

uns "$(run -- unshare -Ur true)" "^rc=0 " "no slice: srun unshare -Ur true runs"
r=$(run --gres=shard:5 -- unshare -Ur true)
uns "$r" "^rc=[1-9]" "shard:5: srun unshare -Ur true fails"
uns "$r" "Operation not permitted" "shard:5: unshare says Operation not permitted (EPERM)"
uns "$(run --gres=shard:5 -- sh -c 'sh -c "unshare -U true 2>/dev/null" && echo UNSHARED; echo done')" "^rc=0 done" \
	"shard:5: a grandchild's unshare -U fails too, the step itself runs"
like "$(run --gres=shard:5 -- unshare -m true)" "^rc=0 " \
	"shard:5: root may still make a mount namespace without a user namespace"
st=$(run --gres=shard:5 -- grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status)
like "$st" "Seccomp:[[:space:]]+2" "shard:5: the task runs under a seccomp filter (mode 2)"
like "$st" "NoNewPrivs:[[:space:]]+0" "shard:5: no_new_privs is off (installed as root)"
like "$(run -- grep '^Seccomp:' /proc/self/status)" "Seccomp:[[:space:]]+0" "no slice: no filter"
like "$(run --gres=shard:5 -- python3 -c 'import threading
ts = [threading.Thread(target=lambda: None) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]; print("threads ok")')" "^rc=0 threads ok" \
	"shard:5: threads start (clone3 gets ENOSYS, glibc falls back to clone)"
like "$(run --gres=shard:5 -- "$probe" dlopen init alloc mem 1073741824)" "^rc=0 .*alloc mem 1073741824: 0" \
	"shard:5: CUDA through the shim still works under the filter"

# userns=allow: no filter in slice steps
sed -i 's|^\(required .*vgpu_spank.so.*\)$|\1 userns=allow|' "$ps"
like "$(grep vgpu_spank.so "$ps")" "userns=allow$" "plugstack.conf now says userns=allow"
uns "$(run --gres=shard:5 -- unshare -Ur true)" "^rc=0 " "userns=allow: the slice step may unshare -Ur"
e2e_down
