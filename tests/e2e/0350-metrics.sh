#!/bin/bash
# `vgpu metrics` scraped by a real Prometheus (Debian's prometheus package)
# on a 1-node, 2-GPU devcluster with the SPANK plugin, job_submit/vgpu and the
# C cli_filter: `vgpu metrics --listen` serves the node's view, the test's own
# prometheus (its own port, config and storage under the test's directory,
# stopped by PID) scrapes it every second. With a batch slice job whose
# script holds 1 GiB through the shim, a second slice job, a whole-GPU job, a
# slice step and a step the SPANK plugin refuses, the values Prometheus's
# HTTP API (/api/v1/query) returns for every GPU and slice equal what
# `vgpu show --json` says, the slice's and step's memory in use equal what
# the probe holds (the ledger), the counters count the steps, the scrape is
# healthy in OpenMetrics; the textfile for node_exporter holds the same
# samples and passes promtool; after the jobs end the slices are gone from
# Prometheus and every shard is free. Then (e).
. "$VGPU_SRCDIR/tests/sh/tap.sh"
. "$VGPU_SRCDIR/tests/e2e/lib.sh"
e2e_require
e2e_need_plugins
command -v prometheus >/dev/null 2>&1 || skip_all "prometheus is not installed (Debian: prometheus)"
plan 21
e2e_up metrics --nodes 1 --gpus 2 --spank --job-submit --cli-filter=c
conf=$e2e_dir/etc/vgpu.conf
cd "$e2e_tmp" || exit 1

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mport=$(free_port)
pport=$(free_port)
mpid= ppid_=
stop_ours() {
	local p
	for p in $mpid $ppid_; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	mpid= ppid_=
}
trap 'stop_ours; e2e_cleanup' EXIT

"$VGPU_BUILDDIR/vgpu" metrics --conf "$conf" --listen "127.0.0.1:$mport" 2>"$e2e_tmp/metrics.err" &
mpid=$!
cat >"$e2e_tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: vgpu
    static_configs:
      - targets: ['127.0.0.1:$mport']
EOF
prometheus --config.file="$e2e_tmp/prometheus.yml" --storage.tsdb.path="$e2e_tmp/tsdb" \
	--web.listen-address="127.0.0.1:$pport" >"$e2e_tmp/prometheus.log" 2>&1 &
ppid_=$!

# pq QUERY: the instant vector, one "name{labels} value" line per series
# (Prometheus's own instance/job labels left out), sorted.
pq() {
	python3 - "$pport" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
url = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2]))
try:
    d = json.load(urllib.request.urlopen(url, timeout=10))
except Exception as e:
    print("query failed: %s" % e)
    sys.exit(0)
out = []
for r in d["data"]["result"]:
    m = dict(r["metric"])
    name = m.pop("__name__", "")
    m.pop("instance", None)
    m.pop("job", None)
    out.append("%s{%s} %s" % (name, ",".join("%s=%s" % kv for kv in sorted(m.items())), r["value"][1]))
print("\n".join(sorted(out)))
EOF
}
# wait_pq QUERY WANT: poll until Prometheus answers WANT (it scrapes every
# second; bounded at 60 s, then the last answer is compared).
wait_pq() {
	local t=0 got
	while :; do
		got=$(pq "$1")
		[ "$got" = "$2" ] || [ $t -ge 300 ] && break
		sleep 0.2
		t=$((t + 1))
	done
	printf '%s' "$got"
}

is "$(wait_pq 'up{job="vgpu"}' 'up{} 1')" 'up{} 1' "prometheus (port $pport) scrapes vgpu metrics --listen (port $mport): up is 1"

# The jobs: a batch slice job holding 1 GiB through the shim, a second slice
# job, a whole-GPU job; then a slice step and a step SPANK refuses.
G=1073741824
cat >"$e2e_tmp/hold.sh" <<EOF
#!/bin/bash
$probe dlopen init alloc mem $G hold >$e2e_tmp/hold.out 2>&1 &
t=0; while [ ! -e $e2e_tmp/release-\$SLURM_JOB_ID ] && [ \$t -lt 3000 ]; do sleep 0.1; t=\$((t + 1)); done
kill %1
wait
EOF
a=$(sbatch --parsable -o "$e2e_tmp/a.out" --gres=shard:20 "$e2e_tmp/hold.sh")
b=$(e2e_hold --gres=shard:30)
c=$(e2e_hold --gres=gpu:1)
for id in $a $b $c; do is_job "$id" RUNNING "job $id runs"; done
t=0
until grep -q '^hold: ready' "$e2e_tmp/hold.out" 2>/dev/null || [ $t -ge 300 ]; do sleep 0.1; t=$((t + 1)); done
is "$(grep '^alloc' "$e2e_tmp/hold.out")" "alloc mem $G: 0" "job $a's script holds 1 GiB through the shim"
srun -Q --gres=shard:10 true
is "$?" 0 "a slice step (srun --gres=shard:10) runs"
srun -Q --gres=shard:10 --export=ALL,VGPU_REQUEST=bogus true 2>"$e2e_tmp/refused.err"
is "$?" 1 "a step with a bad VGPU_REQUEST is refused by the SPANK plugin"

# Counters: three slice steps set up (two batch steps, one srun step; the
# whole-GPU job's is none), one refused.
is "$(wait_pq 'vgpu_steps_started_total' 'vgpu_steps_started_total{node=n1} 3')" 'vgpu_steps_started_total{node=n1} 3' \
	"vgpu_steps_started_total: 3 slice steps on n1"
is "$(wait_pq 'vgpu_steps_refused_total' 'vgpu_steps_refused_total{node=n1,reason=not_enforceable} 1')" \
	'vgpu_steps_refused_total{node=n1,reason=not_enforceable} 1' "vgpu_steps_refused_total: 1 step refused as not enforceable"

# What vgpu show --json says, as the series it must give.
expect() {
	"$VGPU_BUILDDIR/vgpu" show --conf "$conf" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
out = []
def s(name, labels, v):
    out.append("%s{%s} %s" % (name, ",".join("%s=%s" % kv for kv in sorted(labels.items())), v))
def ratio(bp):
    v = bp / 10000
    return str(int(v)) if v == int(v) else repr(v)
for n in d["nodes"]:
    for g in n["gpus"]:
        l = {"node": n["name"], "gpu": str(g["index"]), "type": g["type"] or "-"}
        s("vgpu_gpu_shards", l, g["shards_total"])
        s("vgpu_gpu_shards_used", l, g["shards_used"])
        s("vgpu_gpu_shards_free", l, g["shards_free"])
        s("vgpu_gpu_whole_held", l, int(g["whole_gpu_held"]))
        s("vgpu_gpu_memory_reserved_bytes", l, g["memory_reserved"])
        s("vgpu_gpu_memory_free_bytes", l, g["memory_free"])
        s("vgpu_gpu_sm_reserved_ratio", l, ratio(g["sm_share_reserved"]))
        s("vgpu_gpu_sm_free_ratio", l, ratio(g["sm_share_free"]))
        for h in g["holders"]:
            hl = {"node": n["name"], "gpu": str(g["index"]), "jobid": str(h["job_id"]), "user": h["user"]}
            if h["whole_gpu"]:
                s("vgpu_gpu_whole_holder", hl, 1)
            else:
                s("vgpu_slice_shards", hl, h["shards"])
                s("vgpu_slice_memory_limit_bytes", hl, h["memory_limit"])
                s("vgpu_slice_sm_limit_ratio", hl, ratio(h["sm_share"]))
print("\n".join(sorted(out)))
'
}
Q='{__name__=~"vgpu_gpu_(shards|shards_used|shards_free|whole_held|memory_reserved_bytes|memory_free_bytes|sm_reserved_ratio|sm_free_ratio|whole_holder)|vgpu_slice_(shards|memory_limit_bytes|sm_limit_ratio)"}'
want=$(expect)
like "$want" "vgpu_slice_shards\\{gpu=[01],jobid=$b,node=n1,user=root\\} 30" "vgpu show --json has job $b's 30 shards"
is "$(wait_pq "$Q" "$want")" "$want" "Prometheus's values for every GPU and slice equal vgpu show --json's"
ga=$(printf '%s\n' "$want" | sed -n "s/^vgpu_slice_shards{gpu=\\([01]\\),jobid=$a,.*/\\1/p")
# The ledger charges the probe's context too: ContextMemory of the GpuType
# line vgpu conf wrote (every context is charged).
ctx=$(($(sed -n 's/^GpuType=h100 .* ContextMemory=\([0-9]*\)M.*/\1/p' "$conf") * 1048576))
is "$(pq "vgpu_slice_memory_used_bytes{jobid=\"$a\"}")" "vgpu_slice_memory_used_bytes{gpu=$ga,jobid=$a,node=n1} $((G + ctx))" \
	"vgpu_slice_memory_used_bytes: job $a's ledger holds the probe's 1 GiB and its context on GPU $ga"
is "$(pq "vgpu_step_memory_used_bytes{jobid=\"$a\"}")" "vgpu_step_memory_used_bytes{gpu=$ga,jobid=$a,node=n1,step=$a.batch} $((G + ctx))" \
	"vgpu_step_memory_used_bytes: all of it in step $a.batch"
is "$(pq 'sum(vgpu_scrape_errors)')" "{} 0" "no part of the view failed to read (vgpu_scrape_errors)"

# The textfile for node_exporter: the same samples, in the 0.0.4 format.
mkdir -p "$e2e_tmp/textfile"
"$VGPU_BUILDDIR/vgpu" metrics --conf "$conf" --textfile "$e2e_tmp/textfile" &&
	"$VGPU_BUILDDIR/vgpu" metrics --conf "$conf" --format prometheus >"$e2e_tmp/stdout.prom"
is "$(diff "$e2e_tmp/textfile/slurm_vgpu.prom" "$e2e_tmp/stdout.prom" && grep -c '^# TYPE vgpu_steps_started_total counter$' "$e2e_tmp/textfile/slurm_vgpu.prom")" 1 \
	"--textfile writes slurm_vgpu.prom: what --format prometheus prints, counters typed with _total"
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check metrics <"$e2e_tmp/textfile/slurm_vgpu.prom" 2>&1)
	is "$?:$out" "0:" "promtool check metrics: the textfile is clean"
else
	skip "promtool is not installed"
fi

e2e_release "$a" "$b" "$c"
e2e_wait_idle
is "$(wait_pq 'count(vgpu_slice_shards) or sum(vgpu_gpu_shards_used)' '{} 0')" "{} 0" \
	"after the jobs end: no slice left in Prometheus and every shard free"
stop_ours
e2e_down
