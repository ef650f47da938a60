#!/bin/bash
# Plugins built for another Slurm release say so where people look: Slurm
# refuses cli_filter and job_submit plugins of another release (to the
# micro version) and SPANK plugins of another major.minor with one terse
# line ("Incompatible Slurm plugin ... version (22.05.8)"); the plugins'
# constructors run at dlopen, before that check, and print which release
# they were built for, which one loaded them, and what to do
# (src/lib/vgpu_slurmcheck.h). The other release's build is
# $VGPU_OTHER_RELEASE_BUILD (tools/check.sh sets it to the host's build when
# it runs the suite inside another release's chroot, where the host's tree
# is at the same path); without it the test is skipped.
#  1. On a devcluster of this release: a client whose slurm.conf names the
#     other build's cli_filter_vgpu.so (PluginDir) fails, and its stderr
#     has the plugin's message once, then Slurm's own lines (srun, sbatch,
#     salloc); nothing is queued. With the other build's vgpu_spank.so in
#     plugstack.conf srun fails with the SPANK plugin's message (when the
#     releases differ in major.minor). Then (e).
#  2. A devcluster whose slurmctld gets the other build's job_submit_vgpu.so:
#     slurmctld refuses it and exits; its log and its stderr have the
#     plugin's message.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plain_build
other=${VGPU_OTHER_RELEASE_BUILD:-}
[ -n "$other" ] || skip_all "VGPU_OTHER_RELEASE_BUILD is not set (a build of slurm-vgpu against another Slurm release's headers; tools/check.sh sets it in the other releases' chroots)"
[ -r "$other/config.h" ] || skip_all "VGPU_OTHER_RELEASE_BUILD=$other: no config.h there (not a build directory)"
for f in cli_filter/.libs/cli_filter_vgpu.so job_submit/.libs/job_submit_vgpu.so spank/.libs/vgpu_spank.so; do
	[ -e "$other/plugins/$f" ] || skip_all "VGPU_OTHER_RELEASE_BUILD=$other: plugins/$f is not built"
	[ -e "$VGPU_BUILDDIR/plugins/$f" ] || skip_all "plugins/$f is not built in $VGPU_BUILDDIR"
done
orel=$(sed -n 's/^#define VGPU_SLURM_VERSION "\(.*\)"$/\1/p' "$other/config.h")
rel=$(slurmd -V 2>/dev/null)
rel=${rel##* }
[ -n "$orel" ] || skip_all "VGPU_OTHER_RELEASE_BUILD=$other: its config.h has no VGPU_SLURM_VERSION (built before it was recorded)"
[ "$orel" != "$rel" ] || skip_all "the build in $other is for Slurm $orel, the release running here"
# A build made on a newer system (the chroots' glibc) cannot be loaded here at
# all, whatever Slurm does: that is the C library's refusal, not Slurm's.
out=$(python3 -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$other/plugins/cli_filter/.libs/cli_filter_vgpu.so" 2>&1) ||
	skip_all "VGPU_OTHER_RELEASE_BUILD=$other cannot be loaded on this system at all (a newer C library?): $(printf '%s' "$out" | tail -n 1)"
same_mm=0
[ "${orel%.*}" != "${rel%.*}" ] || same_mm=1
plan 29
e2e_up rel --nodes 1 --gpus 1 --cli-filter=c
cd "$e2e_tmp" || exit 1
plugdir=$(sed -n 's/^PluginDir=//p' "$SLURM_CONF")
slurm_plugdir=${plugdir##*:}
[ -e "$slurm_plugdir/select_cons_tres.so" ] || echo "Bail out! cannot find Slurm's plugin directory in PluginDir=$plugdir"
exact="built for Slurm $orel but loaded into Slurm $rel: Slurm refuses cli_filter and job_submit plugins built for another release, to the micro version; rebuild slurm-vgpu against this Slurm's headers (its libslurm-dev: configure && make && make install) and install the new plugins"

# 1. the clients, with the other build's cli_filter alone on PluginDir.
mkdir -p other own spank
cp "$other/plugins/cli_filter/.libs/cli_filter_vgpu.so" "$other/plugins/spank/.libs/vgpu_spank.so" other/
sed -e "s|^PluginDir=.*|PluginDir=$e2e_tmp/other:$slurm_plugdir|" "$SLURM_CONF" >own/slurm.conf
for c in srun sbatch salloc; do
	case $c in
	srun) out=$(SLURM_CONF=$e2e_tmp/own/slurm.conf timeout 30 srun true 2>&1) ;;
	sbatch) out=$(SLURM_CONF=$e2e_tmp/own/slurm.conf timeout 30 sbatch --wrap true 2>&1) ;;
	salloc) out=$(SLURM_CONF=$e2e_tmp/own/slurm.conf timeout 30 salloc true 2>&1) ;;
	esac
	rc=$?
	is "$rc" 1 "$c with the cli_filter of Slurm $orel exits 1"
	is "$(printf '%s\n' "$out" | head -n 1)" "$c: error: cli_filter/vgpu: $exact" \
		"... its first line is the plugin's: built for $orel, loaded into $rel, rebuild"
	is "$(printf '%s\n' "$out" | grep -c 'cli_filter/vgpu: built for')" 1 \
		"... once, although Slurm opens the plugin twice"
done
like "$out" "Incompatible Slurm plugin .*cli_filter_vgpu.so version \($orel\)" "Slurm's own line is still there"
is "$(scontrol -o show job 2>&1)" "No jobs in the system" "nothing was queued"

# the SPANK plugin of the other release in plugstack.conf
echo "required $e2e_tmp/other/vgpu_spank.so conf=$e2e_dir/etc/vgpu.conf" >spank/plugstack.conf
sed -e "s|^PlugStackConfig=.*|PlugStackConfig=$e2e_tmp/spank/plugstack.conf|" "$SLURM_CONF" >spank/slurm.conf
out=$(SLURM_CONF=$e2e_tmp/spank/slurm.conf timeout 30 srun true 2>&1)
rc=$?
if [ $same_mm -eq 1 ]; then
	skip "srun with the SPANK plugin of Slurm $orel" "Slurm $rel has the same major.minor: it takes it"
	skip "... the SPANK plugin's message" "same major.minor"
else
	is "$rc" 1 "srun with the SPANK plugin of Slurm $orel in plugstack.conf exits 1"
	is "$(printf '%s\n' "$out" | grep -c "^srun: error: vgpu_spank: built for Slurm $orel but loaded into Slurm $rel: Slurm refuses SPANK plugins built for another major release (this one needs Slurm ${orel%.*}.x); rebuild slurm-vgpu against this Slurm's headers")" 1 \
		"... with the SPANK plugin's message, once"
fi
is "$(SLURM_CONF=$SLURM_CONF timeout 30 srun true 2>&1; echo rc=$?)" "rc=0" "the cluster's own clients still run jobs"
e2e_health
e2e_down

# 2. slurmctld with the other build's job_submit plugin: a build directory
# of this release whose job_submit_vgpu.so is the other one.
farm=$e2e_tmp/farm
mkdir -p "$farm/plugins/job_submit/.libs"
for e in "$VGPU_BUILDDIR"/*; do
	[ "${e##*/}" = plugins ] || ln -s "$e" "$farm/"
done
for e in "$VGPU_BUILDDIR"/plugins/*; do
	[ "${e##*/}" = job_submit ] || ln -s "$e" "$farm/plugins/"
done
ln -s "$other/plugins/job_submit/.libs/job_submit_vgpu.so" "$farm/plugins/job_submit/.libs/"
auth=munge
command -v munged >/dev/null 2>&1 || auth=none
# (not under $e2e_tmp, mode 0700: munged wants its socket's directories open)
ctld_name=e2e-relctld-$$
ctld_dir=${VGPU_DEVCLUSTER_BASE:-/tmp/vgpu-devcluster-$(id -u)}/$ctld_name
e2e_more_names=$ctld_name
out=$("$devcluster" up --name "$ctld_name" --auth "$auth" --builddir "$farm" \
	--nodes 1 --gpus 1 --job-submit --timeout 20 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
	fail "a slurmctld with the job_submit plugin of Slurm $orel does not start"
	diag "$out"
else
	pass "a slurmctld with the job_submit plugin of Slurm $orel does not start (up exits $rc)"
fi
log=$ctld_dir/log/slurmctld.log
[ -e "$log" ] || diag "no $log; up said:" "$out"
is "$(grep -c "error: job_submit/vgpu: $exact" "$log" 2>/dev/null)" 1 "its log has the plugin's message, once"
like "$(cat "$log" 2>/dev/null)" "Incompatible Slurm plugin .*job_submit_vgpu.so version \($orel\)" "... and Slurm's line"
like "$(cat "$log" 2>/dev/null)" "fatal: .*job_submit" "... and slurmctld's fatal error"
like "$(cat "$ctld_dir"/log/slurmctld.out 2>/dev/null)" "slurmctld: error: job_submit/vgpu: built for Slurm $orel but loaded into Slurm $rel" \
	"its stderr (a service's journal) has the plugin's message too"
"$devcluster" down --name "$ctld_name" >/dev/null 2>&1
ok "(e) the refused cluster is down and gone" test ! -e "$ctld_dir"
done_testing
