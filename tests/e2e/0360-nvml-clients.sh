#!/bin/bash
# NVML monitoring clients inside a slice and on the node (doc/shim.md, "What
# a step sees in NVML"), on a 1-node, 1-GPU devcluster with the SPANK
# plugin, job_submit/vgpu and the C cli_filter. Job B (shard:30) holds
# 512 MiB and queues 600 s of SM work on the GPU; then a slice job
# `srun --gres=vgpu:mem=10G:cores=25` holds 1 GiB (shimprobe) and runs the
# clients beside it: tests/e2e/nvmlclient.py (ctypes, the calls pynvml
# makes), pynvml itself (Debian: python3-pynvml, contrib) and gpustat --json
# (Debian: gpustat, contrib) where they can be imported. Inside the slice
# every client sees memory total = the slice's limit (vgpu show --json) and
# used = what the job holds (1 GiB + one context), only the job's own
# process in the process lists and the per-process samples, and a GPU
# utilisation of 0 (the job queued no work; the other job's load is not
# shown). The same clients on the node (no shim, as a node agent runs) see
# the whole GPU, both processes with their memory and the GPU 100% busy.
# Temperature, power and clocks pass through: the same inside and out.
# nvtop (Debian: bookworm contrib 3.0.1, trixie/sid main 3.2.0; no snapshot
# mode) runs under a pty on the node and inside the slice: its screen lists
# the GPU by name with its PCIe link, and shows the whole GPU's memory on
# the node, the slice's inside. Where nvtop is not installed, the suite's
# .deb is fetched once with apt-get download and unpacked (dpkg -x, never
# installed) into a cache: VGPU_NVTOP_CACHE, else /var/cache/slurm-vgpu/nvtop
# where writable, else the build directory. No mirror, or a binary that does
# not run here: the nvtop checks skip with the reason.
# Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
client=$VGPU_SRCDIR/tests/e2e/nvmlclient.py
# The real clients, where they can be had (PYTHONPATH is exported to the jobs).
has_pynvml=0 has_gpustat=0
python3 -c 'import pynvml' 2>/dev/null && has_pynvml=1
python3 -c 'import gpustat, psutil' 2>/dev/null && has_gpustat=1

# nvtop_get: set $nvtop to an nvtop binary for this Debian suite (installed,
# or unpacked from the suite's .deb into the cache once), or leave it empty
# with the reason in $nvtop_why.
nvtop=
nvtop_why=
nvtop_get() {
	local suite mirror cache d o keys=/usr/share/keyrings/debian-archive-keyring.gpg
	if command -v nvtop >/dev/null; then
		nvtop=$(command -v nvtop)
		return
	fi
	# The suite and mirror apt already uses: a chroot's one-line sources.list,
	# else the host's deb822 sources and os-release.
	[ -r /etc/apt/sources.list ] && read -r _ mirror suite _ </etc/apt/sources.list
	if [ -z "$suite" ]; then
		mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
			grep -v -- '-security' | head -1)
		suite=$(. /etc/os-release 2>/dev/null && echo "$VERSION_CODENAME")
	fi
	mirror=${VGPU_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}
	[ -n "$suite" ] || { nvtop_why="no Debian suite found in /etc/apt/sources.list or /etc/os-release"; return; }
	cache=${VGPU_NVTOP_CACHE:-}
	if [ -z "$cache" ]; then
		cache=/var/cache/slurm-vgpu/nvtop
		mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || cache=$VGPU_BUILDDIR/nvtop-cache
	fi
	d=$cache/$suite
	mkdir -p "$d" || { nvtop_why="cannot make the cache directory $d"; return; }
	(
		flock 9
		[ -x "$d/root/usr/bin/nvtop" ] && exit 0
		rm -rf "$d/apt" "$d/root.new"
		mkdir -p "$d/apt/lists/partial" "$d/apt/cache" "$d/apt/dl" "$d/root.new" && : >"$d/apt/status" || exit 1
		echo "deb [signed-by=$keys] $mirror $suite main contrib" >"$d/apt/sources.list"
		o="-q -o Dir::Etc::sourcelist=$d/apt/sources.list -o Dir::Etc::sourceparts=/dev/null
		   -o Dir::State::Lists=$d/apt/lists -o Dir::Cache=$d/apt/cache -o Dir::State::status=$d/apt/status
		   -o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root"
		timeout 300 apt-get $o update >"$d/apt/log" 2>&1 &&
			(cd "$d/apt/dl" && timeout 300 apt-get $o download nvtop) >>"$d/apt/log" 2>&1 &&
			dpkg -x "$d"/apt/dl/nvtop_*.deb "$d/root.new" >>"$d/apt/log" 2>&1 &&
			[ -x "$d/root.new/usr/bin/nvtop" ] && mv "$d/root.new" "$d/root"
	) 9>"$d/lock"
	if [ ! -x "$d/root/usr/bin/nvtop" ]; then
		nvtop_why="nvtop ($suite) could not be fetched from $mirror (is it reachable?): $(tail -1 "$d/apt/log" 2>/dev/null)"
	elif ldd "$d/root/usr/bin/nvtop" 2>&1 | grep -q 'not found'; then
		nvtop_why="$suite's nvtop does not run here: $(ldd "$d/root/usr/bin/nvtop" 2>&1 | grep 'not found' | head -1)"
	else
		nvtop=$d/root/usr/bin/nvtop
	fi
}
nvtop_get
[ -n "$nvtop" ] || diag "nvtop checks skip: $nvtop_why"
plan 47
# ctx= as a site sets it (doc/slurm-integration.md): the simulated H100's
# context cost, so the ledger charges each process's context as the node does.
ctx_bytes=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["gpus"][0]["context_bytes"])' \
	"$VGPU_SRCDIR/sim/nodes/h100x8.json")
e2e_up nvmlcli --nodes 1 --gpus 1 --spank-args "ctx=$ctx_bytes" --job-submit --cli-filter=c
conf=$e2e_dir/etc/vgpu.conf
cd "$e2e_tmp" || exit 1
G=1073741824 M512=536870912

# node QUERY: a fact of the node's simulated GPU 0 (its JSON).
node() {
	python3 -c 'import json, sys; g = json.load(open(sys.argv[1]))["gpus"][0]; print(g[sys.argv[2]])' \
		"$VGPU_SIM_DIR/n1.json" "$1"
}
is "$(node context_bytes)" "$ctx_bytes" "the node's H100 costs $ctx_bytes bytes per context (the plugstack.conf ctx=)"
gpu_bytes=$(node memory_bytes)

# The clients, each writing its JSON to PREFIX.{client,pynvml,gpustat}.json;
# pynvml and gpustat only where installed. Run inside the job by the job's
# script, and on the node by the test.
cat >"$e2e_tmp/clients.sh" <<EOF
#!/bin/bash
p=\$1
python3 $client >\$p.client.json 2>\$p.client.err
if [ $has_pynvml = 1 ]; then
	python3 - >\$p.pynvml.json 2>\$p.pynvml.err <<'PY'
import json, pynvml
pynvml.nvmlInit()
h = pynvml.nvmlDeviceGetHandleByIndex(0)
m = pynvml.nvmlDeviceGetMemoryInfo(h)
u = pynvml.nvmlDeviceGetUtilizationRates(h)
procs = pynvml.nvmlDeviceGetComputeRunningProcesses(h)
print(json.dumps({"count": pynvml.nvmlDeviceGetCount(), "total": m.total, "used": m.used, "gpu": u.gpu,
                  "procs": sorted([p.pid, p.usedGpuMemory] for p in procs),
                  "temp": pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU)}))
PY
fi
[ $has_gpustat = 1 ] && python3 -m gpustat --json >\$p.gpustat.json 2>\$p.gpustat.err
exit 0
EOF
chmod +x "$e2e_tmp/clients.sh"

# ptyrun.py OUT PROGRAM ARGS...: PROGRAM on a 40x160 xterm pty until its
# screen, with the escape sequences taken out, shows a device's memory gauge
# (or 120 s pass, or it exits); that text into OUT. nvtop is a full-screen
# program with no snapshot mode: it draws its first frame and keeps running.
cat >"$e2e_tmp/ptyrun.py" <<'EOF'
import fcntl, os, pty, re, select, signal, struct, sys, termios, time
out, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    os.environ["TERM"] = "xterm"
    os.execvp(argv[0], argv)
esc = re.compile(rb"\x1b(\[[0-9;?]*[A-Za-z@]|[()][0-9A-Za-z]|[=>])")
raw, text, end = b"", "", time.monotonic() + 120
while time.monotonic() < end and not re.search(r"MEM\[[| ]*[0-9.]+\w+/[0-9.]+\w+\]", text):
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    raw += b
    text = esc.sub(b"", raw).decode("utf-8", "replace")
try:
    os.kill(pid, signal.SIGTERM)
except ProcessLookupError:
    pass
while True:
    try:
        if not os.read(fd, 65536):
            break
    except OSError:
        break
os.waitpid(pid, 0)
open(out, "w").write(text)
EOF
# nvtop_screen FILE: facts of the first device on the screen text, one a
# line: "name DEVICE-NAME", "pcie GEN@WIDTHx", "mem USED/TOTAL".
nvtop_screen() {
	python3 - "$1" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"Device 0 *\[([^]]*)\]", t)
print("name %s" % (m.group(1) if m else "-"))
m = re.search(r"PCIe GEN *([0-9]+@[0-9]+x)", t)
print("pcie %s" % (m.group(1) if m else "-"))
m = re.search(r"MEM\[[| ]*([0-9.]+\w+)/([0-9.]+\w+)\]", t)
print("mem %s" % ("%s/%s" % m.groups() if m else "-"))
EOF
}
nvfact() { nvtop_screen "$1" 2>/dev/null | sed -n "s/^$2 //p"; }
# gib BYTES: nvtop's figure for a memory size (GiB, three decimals).
gib() { python3 -c 'import sys; print("%.3fGi" % (int(sys.argv[1]) / 2**30))' "$1"; }

# Job B: 512 MiB and one launch of 600 blocks of 1 s each (VGPU_SIM_BLOCK_NS),
# queued at once; the GPU stays busy while the test runs.
cat >"$e2e_tmp/other.sh" <<EOF
#!/bin/bash
VGPU_SIM_BLOCK_NS=1000000000 $probe dlopen init alloc mem $M512 spin 1 kernel 600 >$e2e_tmp/other.out 2>&1 &
echo \$! >$e2e_tmp/other.pid
t=0; while [ ! -e $e2e_tmp/release-\$SLURM_JOB_ID ] && [ \$t -lt 3000 ]; do sleep 0.1; t=\$((t + 1)); done
kill %1
wait
EOF
b=$(sbatch --parsable -o "$e2e_tmp/b.out" --gres=shard:30 "$e2e_tmp/other.sh")
is_job "$b" RUNNING "job $b (shard:30) runs"
t=0
until grep -q '^alloc' "$e2e_tmp/other.out" 2>/dev/null || [ $t -ge 300 ]; do sleep 0.1; t=$((t + 1)); done
is "$(grep '^alloc' "$e2e_tmp/other.out")" "alloc mem $M512: 0" "job $b holds 512 MiB through the shim"
bpid=$(cat "$e2e_tmp/other.pid")
# outside NAME...: nvmlclient.py's JSON of the node's view (no shim, the
# simulated library found as the node's driver).
outside_util() {
	env -u LD_PRELOAD SLURMD_NODENAME=n1 python3 "$client" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["gpus"][0]["utilization"]["gpu"])' 2>/dev/null
}
t=0
until [ "$(outside_util)" = 100 ] || [ $t -ge 150 ]; do sleep 0.2; t=$((t + 1)); done
is "$(outside_util)" 100 "job $b's queued work makes the GPU busy (utilisation 100 on the node)"

# Job A: the slice; its script holds 1 GiB, runs the clients, waits.
cat >"$e2e_tmp/mine.sh" <<EOF
#!/bin/bash
$probe dlopen init alloc mem $G hold >$e2e_tmp/mine.out 2>&1 &
echo \$! >$e2e_tmp/mine.pid
t=0; until grep -q '^hold: ready' $e2e_tmp/mine.out || [ \$t -ge 300 ]; do sleep 0.1; t=\$((t + 1)); done
$e2e_tmp/clients.sh $e2e_tmp/in
[ -z "$nvtop" ] || python3 $e2e_tmp/ptyrun.py $e2e_tmp/in.nvtop $nvtop >$e2e_tmp/in.nvtop.err 2>&1
python3 -c 'print(open("/proc/self/maps").read())' | grep -c -F '$shim' >$e2e_tmp/in.preload
: >$e2e_tmp/in.done
t=0; while [ ! -e $e2e_tmp/release-\$SLURM_JOB_ID ] && [ \$t -lt 3000 ]; do sleep 0.1; t=\$((t + 1)); done
kill %1
wait
EOF
chmod +x "$e2e_tmp/mine.sh"
srun -Q -o "$e2e_tmp/a.out" --gres=vgpu:mem=10G:cores=25 "$e2e_tmp/mine.sh" &
spid=$!
t=0
until [ -e "$e2e_tmp/in.done" ] || [ $t -ge 600 ]; do sleep 0.1; t=$((t + 1)); done
a=$(squeue -h -o '%i %j' | awk '$2 == "mine.sh" { print $1 }')
ok "slice job $a ran the clients" test -e "$e2e_tmp/in.done" -a -n "$a"
is "$(grep '^alloc' "$e2e_tmp/mine.out")" "alloc mem $G: 0" "job $a holds 1 GiB through the shim"
apid=$(cat "$e2e_tmp/mine.pid")
like "$(cat "$e2e_tmp/in.preload")" "^[1-9]" "the clients inside job $a run under the shim (its library mapped in python3)"
limit=$("$VGPU_BUILDDIR/vgpu" show --conf "$conf" --json | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    for g in n["gpus"]:
        for h in g["holders"]:
            if str(h["job_id"]) == sys.argv[1]:
                print(h["memory_limit"])' "$a")
held=$((G + ctx_bytes))
# ledger JOB: the memory in use of the job's slice, from its ledger (vgpu metrics).
ledger() {
	"$VGPU_BUILDDIR/vgpu" metrics --conf "$conf" --format prometheus |
		sed -n "s/^vgpu_slice_memory_used_bytes{.*jobid=\"$1\".*} \([0-9]*\)\$/\1/p"
}
is "$(ledger "$a")" "$held" "job $a's ledger holds 1 GiB and one context"
bheld=$(ledger "$b")
like "$bheld" '^[0-9]+$' "job $b's ledger: $bheld bytes"
env -u LD_PRELOAD SLURMD_NODENAME=n1 "$e2e_tmp/clients.sh" "$e2e_tmp/out"

# facts FILE: nvmlclient.py's JSON as one fact per line.
facts() {
	python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
g = d["gpus"][0]
def lst(p):
    return "%d:%s" % (p["rc"], " ".join("%d=%s" % (x["pid"], x["used"]) for x in sorted(p["list"] or [], key=lambda x: x["pid"])))
print("count %d:%d" % (d["count"]["rc"], d["count"]["value"]))
m, m2 = g["memory"], g["memory_v2"]
print("mem %d:%d %d %d" % (m["rc"], m["total"], m["used"], m["free"]))
print("mem2 %d:%d %d %d %d" % (m2["rc"], m2["total"], m2["reserved"], m2["used"], m2["free"]))
print("procs " + lst(g["processes"]))
print("procs1 " + lst(g["processes_v1"]))
s = g["samples"]
print("samples %d:%s" % (s["rc"], " ".join(str(x["pid"]) for x in sorted(s["list"] or [], key=lambda x: x["pid"]))))
print("sm %s" % " ".join("%d=%d" % (x["pid"], x["sm"]) for x in sorted(s["list"] or [], key=lambda x: x["pid"])))
print("util %d:%s" % (g["utilization"]["rc"], g["utilization"]["gpu"]))
print("board %s" % " ".join("%s=%s" % (k, g[k]["value"]) for k in ("temperature", "power_mw", "power_limit_mw")))
print("clocks %s" % " ".join("%s=%s/%s" % (k, g["clocks"][k]["value"], g["max_clocks"][k]["value"]) for k in ("graphics", "sm", "mem")))
EOF
}
fact() { facts "$1" | sed -n "s/^$2 //p"; }
in=$e2e_tmp/in.client.json out=$e2e_tmp/out.client.json
[ -s "$in" ] || diag "inside: $(cat "$e2e_tmp/in.client.err" 2>/dev/null)"
[ -s "$out" ] || diag "outside: $(cat "$e2e_tmp/out.client.err" 2>/dev/null)"
like "$limit" '^[0-9]+$' "vgpu show --json: job $a's slice memory limit ($limit)"

# nvmlclient.py inside the slice.
is "$(fact "$in" count)" "0:1" "inside: nvmlDeviceGetCount_v2 sees the GPU"
is "$(fact "$in" mem)" "0:$limit $held $((limit - held))" \
	"inside: memory v1 is the slice: total = the limit, used = 1 GiB + a context (the job's), free = the rest"
is "$(fact "$in" mem2)" "0:$limit 0 $held $((limit - held))" "inside: memory v2 the same, reserved 0"
is "$(fact "$in" procs)" "0:$apid=$held" "inside: compute processes (v3) = the job's own process and what it holds; job $b's $bpid not listed"
is "$(fact "$in" procs1)" "0:$apid=$held" "inside: the same with the bare name and the 16-byte v1 struct"
is "$(fact "$in" samples)" "0:$apid" "inside: per-process utilisation samples of the job's process only"
is "$(fact "$in" util)" "0:0" "inside: GPU utilisation 0 (the slice's share; job $b's load is not shown)"

# nvmlclient.py on the node.
is "$(fact "$out" count)" "0:1" "node: nvmlDeviceGetCount_v2 sees the GPU"
is "$(fact "$out" mem | cut -d' ' -f1)" "0:$gpu_bytes" "node: memory total is the whole GPU ($gpu_bytes)"
used=$(fact "$out" mem2 | cut -d' ' -f3)
is "$used" "$((held + bheld))" "node: memory v2 used = both jobs' processes (what their ledgers hold)"
want=$(printf '%s\n' "$apid=$held" "$bpid=$bheld" | sort -t= -k1,1n | tr '\n' ' ')
is "$(fact "$out" procs)" "0:${want% }" "node: compute processes = both jobs' processes, each with what its job's ledger holds"
is "$(fact "$out" samples)" "0:$(printf '%s\n' "$apid" "$bpid" | sort -n | tr '\n' ' ' | sed 's/ $//')" \
	"node: per-process samples of both processes"
is "$(fact "$out" util)" "0:100" "node: GPU utilisation 100 (job $b's work)"
like "$(fact "$out" sm)" "(^| )$bpid=[1-9][0-9]*( |\$)" "node: job $b's process has a share of the SM time"
board_in=$(fact "$in" board) board_out=$(fact "$out" board)
is "$board_in" "$board_out" "temperature, power draw and limit pass through the shim ($board_out)"
is "$(fact "$in" clocks)" "$(fact "$out" clocks)" "clocks pass through the shim"

# pynvml: the package's own calls (nvmlInit, unversioned lists).
pyfact() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["count"], d["total"], d["used"], d["gpu"], " ".join("%d=%d" % tuple(p) for p in d["procs"]))' "$1"
}
if [ $has_pynvml = 1 ]; then
	is "$(pyfact "$e2e_tmp/in.pynvml.json" 2>&1)" "1 $limit $held 0 $apid=$held" \
		"pynvml inside: the slice's memory, the job's process only, utilisation 0"
	got=$(pyfact "$e2e_tmp/out.pynvml.json" 2>&1)
	is "$got" "1 $gpu_bytes $(fact "$out" mem | cut -d' ' -f2) 100 ${want% }" \
		"pynvml on the node: the whole GPU, both processes, utilisation 100"
else
	skip "pynvml inside the slice" "pynvml is not installed (Debian: python3-pynvml, contrib)"
	skip "pynvml on the node" "pynvml is not installed (Debian: python3-pynvml, contrib)"
fi

# gpustat --json: MiB figures, processes looked up with psutil.
gsfact() {
	python3 -c '
import json, sys
g = json.load(open(sys.argv[1]))["gpus"][0]
print(g["memory.total"], g["memory.used"], g["utilization.gpu"], " ".join(str(p["pid"]) for p in sorted(g["processes"], key=lambda p: p["pid"])))' "$1"
}
if [ $has_gpustat = 1 ]; then
	is "$(gsfact "$e2e_tmp/in.gpustat.json" 2>&1)" "$((limit >> 20)) $((held >> 20)) 0 $apid" \
		"gpustat inside: the slice's MiB, the job's process only, utilisation 0"
	is "$(gsfact "$e2e_tmp/out.gpustat.json" 2>&1)" \
		"$((gpu_bytes >> 20)) $(($(fact "$out" mem | cut -d' ' -f2) >> 20)) 100 $(printf '%s\n' "$apid" "$bpid" | sort -n | tr '\n' ' ' | sed 's/ $//')" \
		"gpustat on the node: the whole GPU, both processes, utilisation 100"
else
	skip "gpustat inside the slice" "gpustat or psutil is not installed (Debian: gpustat, contrib; python3-psutil)"
	skip "gpustat on the node" "gpustat or psutil is not installed (Debian: gpustat, contrib; python3-psutil)"
fi

# nvtop on the node (no shim) and inside the slice.
if [ -n "$nvtop" ]; then
	env -u LD_PRELOAD SLURMD_NODENAME=n1 python3 "$e2e_tmp/ptyrun.py" "$e2e_tmp/out.nvtop" "$nvtop" \
		>"$e2e_tmp/out.nvtop.err" 2>&1
	[ -s "$e2e_tmp/out.nvtop" ] || diag "nvtop on the node: $(tail -3 "$e2e_tmp/out.nvtop.err" 2>/dev/null)"
	gname=$(node name)
	is "$(nvfact "$e2e_tmp/out.nvtop" name)" "$gname" "nvtop on the node lists the GPU ($gname)"
	is "$(nvfact "$e2e_tmp/out.nvtop" pcie)" "5@16x" "nvtop on the node shows the H100's PCIe link (gen 5, x16)"
	is "$(nvfact "$e2e_tmp/out.nvtop" mem | cut -d/ -f2)" "$(gib "$gpu_bytes")" \
		"nvtop on the node: memory total is the whole GPU"
	[ -s "$e2e_tmp/in.nvtop" ] || diag "nvtop inside: $(tail -3 "$e2e_tmp/in.nvtop.err" 2>/dev/null)"
	is "$(nvfact "$e2e_tmp/in.nvtop" name)" "$gname" "nvtop inside slice job $a lists the GPU ($gname)"
	is "$(nvfact "$e2e_tmp/in.nvtop" mem | cut -d/ -f2)" "$(gib "$limit")" \
		"nvtop inside: memory total is the slice's limit, not the GPU's"
	is "$(nvfact "$e2e_tmp/in.nvtop" mem | cut -d/ -f1)" "$(gib "$held")" \
		"nvtop inside: memory used is the job's (1 GiB + a context)"
else
	for w in "nvtop on the node: the GPU's name" "nvtop on the node: the PCIe link" \
		"nvtop on the node: the GPU's memory" "nvtop inside the slice: the GPU's name" \
		"nvtop inside the slice: the slice's memory total" "nvtop inside the slice: the job's memory used"; do
		skip "$w" "$nvtop_why"
	done
fi

# The control: a job's process seen from a job without --gres (no shim, all
# GPUs) is the node's view, so the slice view above is the shim's doing.
srun -Q "$e2e_tmp/clients.sh" "$e2e_tmp/plain" >/dev/null 2>&1
is "$(fact "$e2e_tmp/plain.client.json" procs)" "0:${want% }" "a job without --gres (no shim) sees both processes, as the node does"

e2e_release "$a" "$b"
wait "$spid"
is "$?" 0 "srun of slice job $a ends with 0"
e2e_health
e2e_down
