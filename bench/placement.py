#!/usr/bin/env python3
"""bench/placement.py - the trace and the figures of bench/placement.sh.

  placement.py trace --seed S --jobs N --span SECONDS [--max-nodes M]
      print a job mix, one job per line: "OFFSET CLASS NODES GRES SECONDS"
      (OFFSET: seconds after the start; CLASS: frac, 1n, 2n, 4n, 8n; GRES:
      what --gres gets, e.g. shard:25 or gpu:4). Deterministic for a seed.
  placement.py analyse --parts FILE --gpus-per-node G --shards-per-gpu S
                       LABEL=JOBS_FILE...
      JOBS_FILE: `scontrol show job -o` of a cluster after the replay;
      FILE: "NODE PARTITION" lines (every node of every NVLink partition).
      Prints, per cluster and side by side: jobs refused at submit
      (--refused LABEL=N, counted by placement.sh), multi-node jobs, those
      that waited 2 s or more, their mean and p95 (nearest rank) wait and
      the mean per job class (the job name before its first '-'), jobs
      across partitions, completed single-node jobs placed in the largest
      partition(s), wholly free partitions over time (time-weighted mean
      over the run, over the first seconds of each run as long as the
      shortest lasted, over the arrival window, its value at each tenth of
      that window, minimum), GPU utilisation (GPU-seconds held, a shard as
      1/S GPU, over GPUs x makespan).

Times come from Slurm's job records (1 s resolution): the figures are what
the schedulers decided; the machine's load enters only through when
Slurm's scheduling passes ran and when each job was submitted.
"""
import math
import random
import re
import sys
from datetime import datetime

# 8-node jobs fit only the one 8-node partition of the default layout: each
# runs after the previous one ends when they are held inside partitions, so
# their share and lengths bound the run's length (0.08 and 20-50 s made the
# project's run ~570 s of 22.05's ~600 s in all; now ~5-7 minutes).
MIX = [  # class, share, nodes, gres choices, duration range (s)
    ("frac", 0.33, 1, ["shard:25", "shard:50"], (10, 40)),
    ("1n", 0.28, 1, ["gpu:1", "gpu:2", "gpu:4"], (10, 40)),
    ("2n", 0.20, 2, ["gpu:4"], (15, 45)),
    ("4n", 0.14, 4, ["gpu:4"], (15, 45)),
    ("8n", 0.05, 8, ["gpu:4"], (15, 40)),
]


def trace(seed, jobs, span, max_nodes):
    rng = random.Random(seed)
    mix = [m for m in MIX if m[2] <= max_nodes]
    total = sum(m[1] for m in mix)
    offs = sorted(rng.uniform(0, span) for _ in range(jobs))
    for off in offs:
        x, pick = rng.uniform(0, total), mix[-1]
        for m in mix:
            if x < m[1]:
                pick = m
                break
            x -= m[1]
        cls, _, nodes, gres, (lo, hi) = pick
        print("%.2f %s %d %s %d" % (off, cls, nodes, rng.choice(gres), rng.randint(lo, hi)))


def when(s):
    if not s or s in ("Unknown", "None", "N/A"):
        return None
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").timestamp()


def expand(hl):
    """Slurm hostlist to names (the forms scontrol prints)."""
    out, depth, item = [], 0, ""
    for ch in hl + ",":
        if ch == "," and depth == 0:
            m = re.fullmatch(r"([^\[]*)\[([^\]]*)\](.*)", item)
            if not m:
                if item:
                    out.append(item)
            else:
                for r in m.group(2).split(","):
                    a, _, b = r.partition("-")
                    w = len(a)
                    for i in range(int(a), int(b or a) + 1):
                        out.append("%s%0*d%s" % (m.group(1), w, i, m.group(3)))
            item = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        item += ch
    return out


def jobs_of(path):
    jobs = []
    for line in open(path):
        kv = dict(re.findall(r"(\w+)=(\S*)", line))
        if "JobId" not in kv:
            continue
        jobs.append(kv)
    return jobs


def gpus_of(j, gpn, spg):
    m = re.search(r"(gpu|shard):(?:[^:,]*:)?(\d+)", j.get("TresPerNode", ""))
    if not m:
        return 0.0
    n = int(j.get("NumNodes", "1").split("-")[0])
    per = int(m.group(2)) if m.group(1) == "gpu" else int(m.group(2)) / spg
    return n * per


def pct(v, p):
    """Nearest-rank percentile: the smallest value with p% of them at or below it."""
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100.0 * len(v)) - 1))]


def free_at(busy, parts, t):
    used = set()
    for st, en, ps in busy:
        if st <= t < en:
            used |= ps
    return len([p for p in parts if p not in used])


def figures(path, part_of, parts, gpn, spg):
    jobs = jobs_of(path)
    ngpus = len(part_of) * gpn
    t0 = min(when(j["SubmitTime"]) for j in jobs)
    t1 = max(when(j["EndTime"]) or t0 for j in jobs)
    waits, multi, span, unfinished, gpu_s = [], 0, 0, 0, 0.0
    busy = []  # (start, end, set of partitions)
    # The partitions of the most nodes: where single-node work keeps the
    # largest jobs waiting.
    size = {}
    for p in part_of.values():
        size[p] = size.get(p, 0) + 1
    largest = {p for p in size if size[p] == max(size.values())}
    single, big = 0, 0
    by_class = {}  # job class (the name's prefix, e.g. 4n) -> waits
    for j in jobs:
        st, en, sub = when(j.get("StartTime")), when(j.get("EndTime")), when(j["SubmitTime"])
        if j.get("JobState") != "COMPLETED" or st is None or en is None:
            unfinished += 1
            continue
        names = expand(j.get("NodeList", ""))
        ps = {part_of.get(n, "-") for n in names}
        busy.append((st, en, ps))
        gpu_s += gpus_of(j, gpn, spg) * (en - st)
        if len(names) == 1:
            single += 1
            big += ps <= largest
        if len(names) > 1:
            multi += 1
            waits.append(st - sub)
            by_class.setdefault(j.get("JobName", "?").split("-")[0], []).append(st - sub)
            if len(ps) > 1 or "-" in ps:
                span += 1
    # Wholly free partitions, second by second: over the whole run, and over
    # the arrival window (first to last submission), the same stretch of
    # wall time for both clusters whatever their makespans.
    free_t, free_min, seq = 0.0, len(parts), []
    t = t0
    while t < t1:
        n = free_at(busy, parts, t)
        seq.append(n)
        free_t += n
        free_min = min(free_min, n)
        t += 1
    ta = max(when(j["SubmitTime"]) for j in jobs)
    arr = [free_at(busy, parts, t0 + k) for k in range(int(ta - t0) + 1)]
    tenths = [arr[min(len(arr) - 1, k * len(arr) // 10)] for k in range(10)]
    dur = max(1.0, t1 - t0)
    waited = [w for w in waits if w >= 2]
    return {
        "jobs": len(jobs), "unfinished": unfinished, "multi": multi,
        "waited": len(waited),
        "wait_mean": sum(waits) / len(waits) if waits else float("nan"),
        "wait_p95": pct(waits, 95), "span": span, "single": single, "big": big,
        "largest": "%s (%d nodes)" % (",".join(sorted(largest)), max(size.values())),
        "wait_by": dict((c, sum(w) / len(w)) for c, w in by_class.items()),
        "free_mean": free_t / dur, "free_min": free_min,
        "free_arr": sum(arr) / len(arr), "free_tenths": tenths, "free_seq": seq,
        "util": gpu_s / (ngpus * dur), "makespan": dur,
    }


def analyse(args):
    parts_file, gpn, spg, runs, refused = None, 4, 100, [], {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--parts":
            parts_file, i = args[i + 1], i + 2
        elif a == "--gpus-per-node":
            gpn, i = int(args[i + 1]), i + 2
        elif a == "--shards-per-gpu":
            spg, i = int(args[i + 1]), i + 2
        elif a == "--refused":
            label, _, n = args[i + 1].partition("=")
            refused[label], i = int(n), i + 2
        else:
            runs.append(a.split("=", 1))
            i += 1
    part_of = {}
    for line in open(parts_file):
        f = line.split()
        if len(f) == 2:
            part_of[f[0]] = f[1]
    parts = sorted(set(part_of.values()))
    res = [(label, figures(path, part_of, parts, gpn, spg)) for label, path in runs]
    # The same stretch of time for every run: from its first submission for
    # as long as the shortest run lasted.
    common = min(len(r["free_seq"]) for _, r in res) or 1
    for label, r in res:
        r["refused"] = refused.get(label, 0)
        r["free_common"] = sum(r["free_seq"][:common]) / float(common)
    rows = [
        ("jobs refused at submit", lambda r: "%d" % r["refused"]),
        ("jobs (not completed)", lambda r: "%d (%d)" % (r["jobs"], r["unfinished"])),
        ("multi-node jobs", lambda r: "%d" % r["multi"]),
        ("  of them waited >= 2 s", lambda r: "%d" % r["waited"]),
        ("  mean wait, s", lambda r: "%.1f" % r["wait_mean"]),
        ("  p95 wait, s", lambda r: "%.0f" % r["wait_p95"]),
    ] + [
        ("    mean wait of %s jobs, s" % c, lambda r, c=c: "%.1f" % r["wait_by"].get(c, float("nan")))
        for c in sorted(set(c for _, r in res for c in r["wait_by"]), key=lambda c: (len(c), c))
    ] + [
        ("  across NVLink partitions", lambda r: "%d" % r["span"]),
        ("single-node jobs in the largest", lambda r: "%d of %d" % (r["big"], r["single"])),
        ("wholly free partitions, mean", lambda r: "%.2f of %d" % (r["free_mean"], len(parts))),
        ("  mean over the first %d s" % common, lambda r: "%.2f" % r["free_common"]),
        ("  mean while jobs arrive", lambda r: "%.2f" % r["free_arr"]),
        ("  by tenths of arrival", lambda r: "".join("%d" % n for n in r["free_tenths"])),
        ("wholly free partitions, min", lambda r: "%d" % r["free_min"]),
        ("GPU utilisation", lambda r: "%.1f%%" % (100 * r["util"])),
        ("makespan, s", lambda r: "%.0f" % r["makespan"]),
    ]
    print("largest NVLink partition(s): %s" % res[0][1]["largest"])
    print("  %-32s" % "" + "".join("%18s" % label for label, _ in res))
    for name, fn in rows:
        print("  %-32s" % name + "".join("%18s" % fn(r) for _, r in res))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "trace":
        o = {"--seed": "1", "--jobs": "160", "--span": "120", "--max-nodes": "8"}
        a = argv[2:]
        for k in range(0, len(a) - 1, 2):
            o[a[k]] = a[k + 1]
        trace(int(o["--seed"]), int(o["--jobs"]), float(o["--span"]), int(o["--max-nodes"]))
        return 0
    if len(argv) >= 2 and argv[1] == "analyse":
        return analyse(argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
