#!/bin/bash
# `vgpu replay` (src/cli/cmd_replay.c): generate is deterministic and
# prints what check and plan read back; plan's lines (offset, the --gres a
# user types per configuration, the time limit) worked out by hand; usage
# and trace errors name the option or file:line:column, with exit 2 / 1.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
v=$VGPU_BUILDDIR/vgpu
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
[ -x "$v" ] || skip_all "no vgpu in $VGPU_BUILDDIR"
plan 19

"$v" replay generate --mix mixed --jobs 50 --seed 3 >"$t/a.csv"
is "$?" 0 "generate exits 0"
"$v" replay generate --mix mixed --jobs 50 --seed 3 -o "$t/b.csv"
ok "the same options print the same trace (stdout and -o)" cmp "$t/a.csv" "$t/b.csv"
"$v" replay generate --mix mixed --jobs 50 --seed 4 >"$t/c.csv"
nok "another seed, another trace" cmp -s "$t/a.csv" "$t/c.csv"
is "$(head -n 1 "$t/a.csv")" "# vgpu replay generate --mix mixed --jobs 50 --seed 3 --gpu-mem 81089 --max-gpus 4 --load 1" \
	"the first line records the options"
like "$("$v" replay check "$t/a.csv")" "^$t/a.csv: 50 jobs, submitted over " "check reads the generated trace back"
like "$("$v" replay check - <"$t/a.csv")" "^stdin: 50 jobs, submitted over " "check - reads stdin"
is "$("$v" replay generate --mix desktop --jobs 5 --gpu-mem 60000 | awk -F, 'NR > 2 { print $5, $6, $7 }' | sort -u)" \
	"20000 33 desktop" "desktop: a third of --gpu-mem, 33% of the SMs"

cat >"$t/t.csv" <<'CSV'
submit_s,duration_s,nodes,gpus_per_node,gpu_mem_mib,gpu_cores_pct,kind
0,600,1,1,20272,25,ci
12.5,3600.125,2,4,0,0,train
30,60,1,1,8192,0,sim
CSV
is "$("$v" replay plan "$t/t.csv" --config strict)" "$(printf '%s\n' \
	"1	0.000	ci	1	vgpu:mem=20272M:cores=25	0:04	2.000	20272" \
	"2	0.042	train	2	gpu:4	0:20	12.000	1024" \
	"3	0.100	sim	1	vgpu:mem=8192M	0:02	0.200	8192")" \
	"plan strict: vgpu:mem= for slices, gpu:N for whole GPUs, limit ceil(1.5 x duration) + 1 s"
is "$("$v" replay plan "$t/t.csv" --config memory)" "$("$v" replay plan "$t/t.csv" --config strict)" \
	"plan memory asks the same (the clusters differ, not the requests)"
is "$("$v" replay plan "$t/t.csv" --config whole --compress 10 --limit-factor 2 | cut -f 2,5,6)" "$(printf '%s\n' \
	"0.000	gpu:1	2:01" "1.250	gpu:4	12:02" "3.000	gpu:1	0:13")" \
	"plan whole: slices ask a whole GPU; --compress and --limit-factor"
is "$("$v" replay plan "$t/t.csv" --config whole --compress 1 | cut -f 6)" "$(printf '%s\n' 15:01 1:30:02 1:31)" \
	"time limits of an hour or more as hours:minutes:seconds"

out=$("$v" replay plan "$t/t.csv" --config half 2>&1)
is "$?:$out" "2:vgpu replay plan: --config 'half': expected whole, strict or memory" "a bad --config"
out=$("$v" replay plan "$t/t.csv" --config whole --compress 0.5 2>&1)
is "$?:$out" "2:vgpu replay: --compress '0.5': expected a number 1 to 1e+06" "a bad --compress"
out=$("$v" replay generate --mix nope --jobs 3 2>&1)
is "$?:$out" "2:vgpu replay generate: mix 'nope': not one of ci sim infer train desktop mixed" "an unknown mix"
out=$("$v" replay generate --mix ci 2>&1)
is "$?" 2 "generate without --jobs: usage error"
out=$("$v" replay generate --mix ci --jobs 3 --max-gpus 0 2>&1)
is "$?:$out" "2:vgpu replay: --max-gpus '0': expected a whole number 1 to 64" "--max-gpus 0"
printf 'submit_s,duration_s,nodes,gpus_per_node,gpu_mem_mib,gpu_cores_pct,kind\n0,60,1,1,12X,0,ci\n' >"$t/bad.csv"
out=$("$v" replay check "$t/bad.csv" 2>&1)
is "$?:$out" "1:vgpu replay check: $t/bad.csv:2: column gpu_mem_mib: '12X' is not a whole number" "a bad trace: file:line: column"
out=$("$v" replay check "$t/none.csv" 2>&1)
like "$?:$out" "^1:vgpu replay check: $t/none.csv: cannot open" "a missing trace"
out=$("$v" replay frobnicate 2>&1)
is "$?:$out" "2:vgpu replay: unknown subcommand 'frobnicate' (generate, check, plan)" "an unknown subcommand"
done_testing
