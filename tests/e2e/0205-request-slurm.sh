#!/bin/bash
# `vgpu request --slurm`, what etc/cli_filter.lua runs for --gres=vgpu:...:
# "ok SHARDS CANONICAL FEATURES" (':' separators; FEATURES the node features
# the job must be constrained to, '-' for none) or the parser's / the
# accounting's message on stderr with exit 1. No cluster needed.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
vgpu=$VGPU_BUILDDIR/vgpu
[ -x "$vgpu" ] || skip_all "no vgpu binary in $VGPU_BUILDDIR"
plan 16
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-0205.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf 'AccountingMode=strict\nShardsPerGpu=100\nGpuType=h100 Memory=81559M SMs=132\nGpuType=a100 Memory=40G SMs=108\n' >"$tmp/strict.conf"
printf 'AccountingMode=memory\nShardMemory=1G\nGpuType=h100 Memory=81559M SMs=132\n' >"$tmp/memory.conf"
r() { "$vgpu" request --slurm --conf "$tmp/$1.conf" -- "$2" 2>&1; echo "rc=$?"; }

# strict: the largest count over the types it fits (a100: 10G of 40G = 25)
is "$(r strict mem=10G)" "ok 25 mem=10G -
rc=0" "strict mem=10G: 25 shards (the a100 needs more than the h100)"
is "$(r strict mem=10G,type=h100)" "ok 13 mem=10G:type=h100 vgpu_h100
rc=0" "strict mem=10G,type=h100: 13 shards, canonical with ':'"
is "$(r strict cores=50:MEM=1g)" "ok 50 mem=1G:cores=50 -
rc=0" "strict cores=50:MEM=1g: the cores decide, canonical order"
is "$(r strict mem=50G)" "ok 63 mem=50G vgpu_h100
rc=0" "strict mem=50G: fits only the h100, 63 shards, constrained to vgpu_h100"
is "$(r strict mem=100G)" "vgpu request: request 'mem=100G' fits no configured GPU type (h100: 79.6 GiB usable, a100: 40 GiB usable)
rc=1" "strict mem=100G: fits no type"
is "$(r memory mem=10G:cores=25)" "ok 10 mem=10G:cores=25 -
rc=0" "memory mem=10G:cores=25: 10 shards of 1G"
is "$(r memory mem=1536M)" "ok 2 mem=1536M -
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
# Features: three types; untyped requests are kept to the types they fit
printf 'AccountingMode=strict\nShardsPerGpu=100\nGpuType=H100 Memory=81559M SMs=132\nGpuType=a100 Memory=40G SMs=108\nGpuType=l40s Memory=46068M SMs=142\n' >"$tmp/three.conf"
is "$(r three mem=42G)" "ok 94 mem=42G vgpu_h100|vgpu_l40s
rc=0" "three types, mem=42G: fits the h100 and the l40s (94 shards there), not the 40G a100"
is "$(r three mem=1G:type=a100)" "ok 3 mem=1G:type=a100 vgpu_a100
rc=0" "type=a100: its own feature"
is "$(r three mem=1G:type=h100)" "ok 2 mem=1G:type=h100 vgpu_h100
rc=0" "type=h100 (GpuType H100 in vgpu.conf): vgpu_h100"
is "$(r three mem=1G:type=v100)" "vgpu request: request 'mem=1G,type=v100': type 'v100' is not configured (configured: h100, a100, l40s)
rc=1" "type=v100: not configured, refused"
done_testing
