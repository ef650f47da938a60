#!/bin/bash
# The vgpu command's dispatch, usage errors and `vgpu request`.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
vgpu=$VGPU_BUILDDIR/vgpu
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
cat >"$conf" <<'EOC'
AccountingMode=strict
ShardsPerGpu=100
GpuType=h100 Memory=80G SMs=132
GpuType=l4 Memory=24G SMs=58
EOC
plan 18

ok "vgpu --help exits 0" "$vgpu" --help
like "$("$vgpu" --version)" '^slurm-vgpu [0-9]+\.[0-9]+' "vgpu --version names the package"
"$vgpu" frobnicate >/dev/null 2>&1; is "$?" 2 "an unknown command exits 2"
like "$("$vgpu" frobnicate 2>&1)" "unknown command 'frobnicate'" "and names it"
"$vgpu" >/dev/null 2>&1; is "$?" 2 "no command exits 2"
"$vgpu" request --bogus x >/dev/null 2>&1; is "$?" 2 "an unknown option exits 2"

out=$("$vgpu" request -c "$conf" 'mem=10G:cores=25')
is "$?" 0 "a good request exits 0"
like "$out" '^request +mem=10G,cores=25$' "it prints the canonical form"
# strict, 100 shards: 10G of 80G = 12.5 -> 13 shards, but cores=25 -> 25 shards
like "$out" 'h100 +25 of 100 shards -> memory 20 GiB \(19\.5 GiB after one 512 MiB context\), SM share 25\.00%, 4 per GPU' "h100: dominant share is cores"
# l4: 10G and a context (512M, no ContextMemory=) of 24G -> 43.75 -> 44 shards = 10.56 GiB
like "$out" 'l4 +44 of 100 shards -> memory 10\.6 GiB \(10\.1 GiB after one 512 MiB context\), SM share 44\.00%, 2 per GPU' "l4: dominant share is memory"

out=$("$vgpu" request -c "$conf" -t l4 'mem=30G' 2>&1)
is "$?" 1 "a request larger than the GPU exits 1"
like "$out" 'l4 +does not fit: .*mem=30G' "and says it does not fit"

out=$("$vgpu" request -c "$conf" 'mem=10X' 2>&1)
is "$?" 1 "a bad unit exits 1"
like "$out" "^vgpu request: .*10X" "the message quotes the bad text"

out=$("$vgpu" request -c "$conf" -t a100 'mem=1G' 2>&1)
like "$out" "--type: no GpuType 'a100'" "an unknown --type is named"

out=$(VGPU_CONF="$conf" "$vgpu" request -t l4 'mem=1G' 2>&1)
like "$out" 'l4 +7 of 100 shards' "VGPU_CONF names the vgpu.conf when --conf is not given"
out=$(VGPU_CONF=/nonexistent/vgpu.conf "$vgpu" request 'mem=1G' 2>&1)
like "$out" "^vgpu request: .*/nonexistent/vgpu.conf" "an unreadable VGPU_CONF is an error, not the defaults"

printf 'AccountingMode=maybe\n' >"$conf"
out=$("$vgpu" request -c "$conf" 'mem=1G' 2>&1)
like "$out" "^vgpu request: .*:1: .*AccountingMode" "a bad vgpu.conf is reported with file and line"
done_testing
