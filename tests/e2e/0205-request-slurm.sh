#!/bin/bash
# `vgpu request --slurm`, what etc/cli_filter.lua runs for --gres=vgpu:...:
# "ok SHARDS CANONICAL" (':' separators) or the parser's / the accounting's
# message on stderr with exit 1. No cluster needed.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
vgpu=$VGPU_BUILDDIR/vgpu
[ -x "$vgpu" ] || skip_all "no vgpu binary in $VGPU_BUILDDIR"
plan 12
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-0205.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf 'AccountingMode=strict\nShardsPerGpu=100\nGpuType=h100 Memory=81559M SMs=132\nGpuType=a100 Memory=40G SMs=108\n' >"$tmp/strict.conf"
printf 'AccountingMode=memory\nShardMemory=1G\nGpuType=h100 Memory=81559M SMs=132\n' >"$tmp/memory.conf"
r() { "$vgpu" request --slurm --conf "$tmp/$1.conf" -- "$2" 2>&1; echo "rc=$?"; }

# strict: the largest count over the types it fits (a100: 10G of 40G = 25)
is "$(r strict mem=10G)" "ok 25 mem=10G
rc=0" "strict mem=10G: 25 shards (the a100 needs more than the h100)"
is "$(r strict mem=10G,type=h100)" "ok 13 mem=10G:type=h100
rc=0" "strict mem=10G,type=h100: 13 shards, canonical with ':'"
is "$(r strict cores=50:MEM=1g)" "ok 50 mem=1G:cores=50
rc=0" "strict cores=50:MEM=1g: the cores decide, canonical order"
is "$(r strict mem=50G)" "ok 63 mem=50G
rc=0" "strict mem=50G: fits only the h100, 63 shards"
is "$(r strict mem=100G)" "vgpu request: request 'mem=100G' fits no configured GPU type (h100: 79.6 GiB usable, a100: 40 GiB usable)
rc=1" "strict mem=100G: fits no type"
is "$(r memory mem=10G:cores=25)" "ok 10 mem=10G:cores=25
rc=0" "memory mem=10G:cores=25: 10 shards of 1G"
is "$(r memory mem=1536M)" "ok 2 mem=1536M
rc=0" "memory mem=1536M: rounded up to 2 shards"
is "$(r memory cores=25)" "vgpu request: request 'cores=25': memory accounting needs mem= (e.g. mem=10G)
rc=1" "memory cores=25: needs mem="
is "$(r strict mem=10X)" "vgpu request: --gres=vgpu: mem: unknown unit 'X' in '10X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)
rc=1" "a bad size: the parser's message, named --gres=vgpu"
is "$(r strict '')" "vgpu request: --gres=vgpu: empty request (expected e.g. mem=10G or mem=10G,cores=25)
rc=1" "empty request"
is "$(r strict mem=1G,gpus=2)" "vgpu request: gpus=2: a slice is one GPU's share; Slurm 22.05 places shards on one GPU per node (ask for gpus=1 or whole GPUs)
rc=1" "gpus=2: refused for Slurm 22.05"
is "$(r strict "mem=1G';x")" "vgpu request: --gres=vgpu: mem: unexpected '';x' after '1G' in '1G';x' (no spaces, one unit)
rc=1" "a quote in the request: quoted back in the message"
done_testing
