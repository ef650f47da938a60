#!/usr/bin/env python3
"""bench/replay.py - the report of tools/vgpu-replay (doc/replay.md).

  replay.py report [--gpu-mem MIB] [--check-only] DIR...
  replay.py plot DIR...     alloc.png and waits.png into each DIR (matplotlib)

DIR: a run's output directory (tools/vgpu-replay run --out DIR): trace.csv,
params ("compress X"), plan-slices (`vgpu replay plan --config strict`: the
slice requests the demand bound is computed from), and one subdirectory per configuration (whole, strict, memory) with
plan (from `vgpu replay plan`), submitted ("IDX JOBID EPOCH", the moment
sbatch returned), refused, records-NODE (the Prolog/Epilog lines of
tools/vgpu-replay-record: "start|end JOBID NODE EPOCH GPUS"), jobs
(`scontrol -d show job -o` at the end), nodes (`sinfo -N -o '%N %G'`) and
slurm (SLURM_VERSION).

Times are what slurmd's Prolog and Epilog saw (ns clock of the node); a
job's start is its first Prolog, its end its last Epilog; its shards come
from Slurm's JOB_GRES, its GPUs from SLURM_JOB_GPUS. All figures are in
trace time (compressed seconds x the compression of params). Printed per
configuration: makespan, mean and p95 (nearest rank) wait per kind and in
all, GPU-hours reserved (whole GPUs x time; a slice: its shards / the GPU's
shards x time), the demand bound (a slice's larger share of memory, of a
--gpu-mem MiB GPU, and SMs x its trace duration; whole GPUs x duration),
jobs per GPU at once (over the time a GPU held any job: time-weighted
mean, p95, max), jobs refused or not completed, and the over-commit check:
on no GPU at any moment more shards than it has, nor a whole-GPU job
beside any other job, among the jobs that ran (COMPLETED): where Slurm
placed jobs so but one of them did not run (the SPANK guard refused a
whole-GPU step beside slices, Slurm 22.05's shard bug), that is counted
and listed apart. Then the ratios against whole. Exit status 1 when the
check fails in any configuration (the figures are printed still).

Written in Python, not in the C core: it reads files only this driver
writes, does arithmetic only, and is where the plots (matplotlib, from
Debian) will go.
"""
import math
import os
import re
import sys


def nearest_rank(vals, p):
    if not vals:
        return float("nan")
    s = sorted(vals)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)]


def weighted_pct(pairs, p):
    """p-th percentile of values weighted by durations: pairs (value, dt)."""
    tot = sum(dt for _, dt in pairs)
    if tot <= 0:
        return float("nan")
    acc = 0.0
    for v, dt in sorted(pairs):
        acc += dt
        if acc >= p / 100.0 * tot - 1e-12:
            return v
    return sorted(pairs)[-1][0]


def read_lines(path):
    try:
        with open(path) as f:
            return [l.rstrip("\n") for l in f if l.strip()]
    except FileNotFoundError:
        return []


def trace_info(path):
    """(seed, mix) from the generator's comment line, else ('-', '-')."""
    for l in read_lines(path)[:3]:
        m = re.search(r"--mix (\S+).*--seed (\S+)", l)
        if l.startswith("#") and m:
            return m.group(2), m.group(1)
    return "-", "-"


def job_shards(gres):
    """Shards per job from JOB_GRES (shard:30, gres/shard:30, shard:h100:30)."""
    for item in gres.split(","):
        m = re.match(r"(?:gres/)?shard(?::[^:=]+)?[:=](\d+)", item)
        if m:
            return int(m.group(1))
    return 0


def load_config(d, compress, gpu_mem):
    plan = {}
    for l in read_lines(os.path.join(d, "plan")):
        f = l.split("\t")
        plan[f[0]] = {"kind": f[2], "nodes": int(f[3]), "gres": f[4], "hold": float(f[6]),
                      "mib": int(f[7])}
    sub = {}
    for l in read_lines(os.path.join(d, "submitted")):
        idx, jid, t = l.split()[:3]
        sub[jid] = (idx, float(t))
    refused = len(read_lines(os.path.join(d, "refused")))
    slurm = {}
    for l in read_lines(os.path.join(d, "jobs")):
        kv = dict(re.findall(r"(\w+)=(\S*)", l))
        if "JobId" in kv:
            slurm[kv["JobId"]] = kv
    spg = None
    for l in read_lines(os.path.join(d, "nodes")):
        g = l.split()[1] if len(l.split()) > 1 else ""
        gm = re.search(r"gpu:(?:[^:,(]+:)?(\d+)", g)
        sm = re.search(r"shard:(?:[^:,(]+:)?(\d+)", g)
        if gm and sm and int(gm.group(1)) > 0:
            spg = int(sm.group(1)) // int(gm.group(1))
    rel = "-"
    for l in read_lines(os.path.join(d, "slurm")):
        if l.startswith("SLURM_VERSION"):
            rel = l.split("=")[-1].strip()
    ev = {}
    for name in sorted(os.listdir(d)):
        if not name.startswith("records-"):
            continue
        for l in read_lines(os.path.join(d, name)):
            f = l.split()
            if len(f) < 5:
                continue
            e = ev.setdefault(f[1], {"start": {}, "end": {}})
            e[f[0]][f[2]] = (float(f[3]), [] if f[4] == "-" else [int(x) for x in re.findall(r"\d+", f[4])])
    jobs = []
    for jid, (idx, tsub) in sub.items():
        p = plan[idx]
        j = {"id": jid, "idx": idx, "kind": p["kind"], "submit": tsub, "hold": p["hold"],
             "nodes": p["nodes"], "whole": not p["gres"].startswith("vgpu:") or spg is None,
             "gres": p["gres"], "mib": p["mib"]}
        s = slurm.get(jid, {})
        j["state"] = s.get("JobState", "?")
        j["shards"] = job_shards(s.get("JOB_GRES", "")) // max(1, p["nodes"])
        if j["shards"]:
            j["whole"] = False
        e = ev.get(jid)
        if e and e["start"]:
            j["start"] = min(t for t, _ in e["start"].values())
            ends = [e["end"].get(n, (None,))[0] for n in e["start"]]
            j["end"] = max(ends) if all(x is not None for x in ends) else None
            j["gpus"] = {n: g for n, (t, g) in e["start"].items()}
        jobs.append(j)
    return {"dir": d, "jobs": jobs, "refused": refused, "spg": spg, "rel": rel,
            "compress": compress, "gpu_mem": gpu_mem}


def share(gres, gpu_mem):
    """The demand of one job on each of its GPUs, from its slice request."""
    m = re.search(r"mem=(\d+)M(?::cores=(\d+))?", gres)
    if m:
        return min(1.0, max(int(m.group(1)) / gpu_mem, int(m.group(2) or 0) / 100.0))
    return 1.0


def overcommitted(jobs, spg):
    """A whole-GPU job beside any other, or more shards than the GPU has."""
    jobs = list(jobs)
    shards = sum(a["shards"] for a in jobs if not a["whole"])
    return (any(a["whole"] for a in jobs) and len(jobs) > 1) or bool(spg and shards > spg)


def figures(c, plan_gres):
    x, jobs, spg = c["compress"], c["jobs"], c["spg"]
    done = [j for j in jobs if j.get("start") is not None and j.get("end") is not None]
    out = {"jobs": len(jobs), "done": len(done), "refused": c["refused"],
           "not_completed": sum(1 for j in jobs if j["state"] != "COMPLETED")}
    if not done:
        return out, []
    t0 = min(j["submit"] for j in jobs)
    out["makespan_s"] = (max(j["end"] for j in done) - t0) * x
    waits = {}
    for j in done:
        waits.setdefault(j["kind"], []).append(max(0.0, j["start"] - j["submit"]) * x)
    out["waits"] = {k: (sum(v) / len(v), nearest_rank(v, 95), len(v)) for k, v in sorted(waits.items())}
    allw = [w for v in waits.values() for w in v]
    out["waits"]["all"] = (sum(allw) / len(allw), nearest_rank(allw, 95), len(allw))
    gh = dh = 0.0
    for j in done:
        ng = sum(len(g) for g in j["gpus"].values())
        held = (j["end"] - j["start"]) * x / 3600.0
        if j["whole"]:
            gh += ng * held
        else:
            gh += len(j["gpus"]) * (j["shards"] / spg) * held
    for j in jobs:
        g = plan_gres.get(j["idx"], j["gres"])
        ng = j["nodes"] * (int(re.search(r"gpu:(\d+)", g).group(1)) if g.startswith("gpu:") else 1)
        dh += ng * share(g, c["gpu_mem"]) * j["hold"] * x / 3600.0
    out["gpu_h"], out["demand_h"] = gh, dh
    # per GPU sweep: jobs at once and the over-commit check
    ev = {}
    for j in done:
        for n, gl in j["gpus"].items():
            for g in gl:
                ev.setdefault((n, g), []).append((j["start"], 1, j))
                ev.setdefault((n, g), []).append((j["end"], 0, j))
    pairs, bad = [], []
    for key, evs in sorted(ev.items()):
        evs.sort(key=lambda e: (e[0], e[1]))
        live, prev = {}, None
        for t, kind, j in evs:
            if prev is not None and live:
                pairs.append((len(live), t - prev))
            prev = t
            if kind == 0:
                live.pop(j["id"], None)
                continue
            live[j["id"]] = j
            if not overcommitted(live.values(), spg):
                continue
            ran = overcommitted([a for a in live.values() if a["state"] == "COMPLETED"], spg)
            bad.append((ran, "%s GPU %d at %+.3f s: %s%s" % (key[0], key[1], (t - t0) * x, ", ".join(
                "%s(%s%s)" % (a["id"], "whole" if a["whole"] else "%d shards" % a["shards"],
                              "" if a["state"] == "COMPLETED" else ", " + a["state"]) for a in live.values()),
                "" if ran else ": not all of them ran")))
    if pairs:
        tot = sum(dt for _, dt in pairs)
        out["per_gpu"] = (sum(v * dt for v, dt in pairs) / tot if tot else float("nan"),
                          weighted_pct(pairs, 95), max(v for v, _ in pairs))
    return out, bad


def report(dirs, gpu_mem, check_only):
    failed = 0
    for d in dirs:
        params = dict(l.split(None, 1) for l in read_lines(os.path.join(d, "params")) if " " in l)
        x = float(params.get("compress", "1"))
        seed, mix = trace_info(os.path.join(d, "trace.csv"))
        res = {}
        for cfg in ("whole", "strict", "memory"):
            cd = os.path.join(d, cfg)
            if not os.path.isdir(cd):
                continue
            c = load_config(cd, x, gpu_mem)
            slice_plan = {}
            for l in read_lines(os.path.join(d, "plan-slices")):
                f = l.split("\t")
                slice_plan[f[0]] = f[4]
            fig, bad = figures(c, slice_plan)
            res[cfg] = (c, fig, bad)
        print("== replay %s: trace %s (mix %s, seed %s), compressed %gx" % (d, os.path.join(d, "trace.csv"), mix, seed, x))
        for cfg, (c, fig, bad) in res.items():
            sliced = any(j["shards"] for j in c["jobs"])
            print("-- %s, Slurm %s, %s" % (cfg, c["rel"], "%d shards per GPU" % c["spg"] if c["spg"] and sliced
                                           else "whole GPUs only"))
            print("   jobs %d, ran %d (Prolog and Epilog recorded), refused at submit %d, not COMPLETED %d" % (
                fig["jobs"], fig["done"], fig["refused"], fig["not_completed"]))
            if "makespan_s" in fig and not check_only:
                print("   makespan %.0f s (trace time)" % fig["makespan_s"])
                for k, (m, p95, n) in fig["waits"].items():
                    print("   wait %-8s mean %8.1f s  p95 %8.1f s  (%d jobs)" % (k, m, p95, n))
                print("   GPU-hours reserved %.2f, demand bound %.2f (%.2fx the demand)" % (
                    fig["gpu_h"], fig["demand_h"], fig["gpu_h"] / fig["demand_h"] if fig["demand_h"] else float("nan")))
                if "per_gpu" in fig:
                    print("   jobs per GPU at once (while held): mean %.2f, p95 %d, max %d" % fig["per_gpu"])
            ran = [b for r, b in bad if r]
            if len(bad) > len(ran):
                print("   Slurm over-committed a GPU %d time(s) where not every job then ran (the SPANK guard "
                      "refuses a whole-GPU step beside slices: Slurm 22.05's shard bug, doc/developers.md):"
                      % (len(bad) - len(ran)))
                for r, b in [x for x in bad if not x[0]][:5]:
                    print("     " + b)
            print("   over-commit check: %s" % ("PASS (of the jobs that ran: no GPU over its shards, no whole "
                                              "GPU beside another job)" if not ran else "FAIL, %d time(s)" % len(ran)))
            for b in ran[:5]:
                print("     " + b)
            failed |= bool(ran)
        if "whole" in res and not check_only:
            w = res["whole"][1]
            for cfg in ("strict", "memory"):
                if cfg not in res or "makespan_s" not in res[cfg][1] or "makespan_s" not in w:
                    continue
                f = res[cfg][1]
                ratio = lambda a, b: a / b if b else float("nan")
                print("ratios %s/whole (Slurm %s, trace %s, mix %s, seed %s): mean wait %.2fx shorter, "
                      "GPU-hours %.2fx fewer, jobs per GPU %.2fx, makespan %.2fx" % (
                          cfg, res[cfg][0]["rel"], os.path.join(d, "trace.csv"), mix, seed,
                          ratio(w["waits"]["all"][0], f["waits"]["all"][0]), ratio(w["gpu_h"], f["gpu_h"]),
                          ratio(f.get("per_gpu", (0,))[0], w.get("per_gpu", (0,))[0]),
                          ratio(f["makespan_s"], w["makespan_s"])))
    return 1 if failed else 0


def reserved(j, spg):
    """GPUs a job reserves while it runs (a slice: shards / the GPU's)."""
    if j["whole"]:
        return float(sum(len(g) for g in j["gpus"].values()))
    return len(j["gpus"]) * j["shards"] / float(spg)


def plot(dirs, outdir):
    """alloc.png (GPUs reserved and jobs running over trace time, per
    configuration) and waits.png (mean and p95 wait per kind and
    configuration) for each DIR, into outdir (default: the DIR)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        # Debian's python3-matplotlib is for Debian's python3, which another
        # python3 on PATH (pyenv, a venv) does not see
        deb = "/usr/bin/python3"
        if os.path.exists(deb) and os.path.realpath(sys.executable) != os.path.realpath(deb):
            os.execv(deb, [deb, "-B", os.path.abspath(__file__), "plot"] + dirs)
        print("replay.py plot: no matplotlib (Debian: python3-matplotlib): no plots", file=sys.stderr)
        return 1
    for d in dirs:
        params = dict(l.split(None, 1) for l in read_lines(os.path.join(d, "params")) if " " in l)
        x = float(params.get("compress", "1"))
        seed, mix = trace_info(os.path.join(d, "trace.csv"))
        cfgs = [c for c in ("whole", "strict", "memory") if os.path.isdir(os.path.join(d, c))]
        loaded = {c: load_config(os.path.join(d, c), x, 81089) for c in cfgs}
        od = outdir or d
        fig, axes = plt.subplots(len(cfgs), 1, figsize=(9, 2.6 * len(cfgs)), sharex=True, squeeze=False)
        for ax, c in zip(axes[:, 0], cfgs):
            cf = loaded[c]
            done = [j for j in cf["jobs"] if j.get("start") is not None and j.get("end") is not None]
            if not done:
                continue
            t0 = min(j["submit"] for j in cf["jobs"])
            ev = []
            for j in done:
                r = reserved(j, cf["spg"] or 1)
                ev += [(j["start"], r, 1), (j["end"], -r, -1)]
            ev.sort()
            ts, gs, ns, g, n = [0.0], [0.0], [0], 0.0, 0
            for t, dr, dn in ev:
                g += dr
                n += dn
                ts.append((t - t0) * x / 3600.0)
                gs.append(g)
                ns.append(n)
            ax.step(ts, gs, where="post", label="GPUs reserved")
            ax.step(ts, ns, where="post", label="jobs running", alpha=0.6)
            ax.set_ylabel(c)
            ax.set_title("%s, Slurm %s" % (c, cf["rel"]), fontsize=9, loc="left")
            ax.legend(fontsize=7, loc="upper right")
        axes[-1, 0].set_xlabel("trace time (h)")
        fig.suptitle("replay: mix %s, seed %s, %gx" % (mix, seed, x), fontsize=10)
        fig.tight_layout()
        fig.savefig(os.path.join(od, "alloc.png"), dpi=100)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(9, 3.5))
        kinds = sorted({j["kind"] for c in cfgs for j in loaded[c]["jobs"]}) + ["all"]
        wd = 0.8 / max(1, len(cfgs))
        for i, c in enumerate(cfgs):
            f, _ = figures(loaded[c], {})
            w = f.get("waits", {})
            xs = [k + i * wd for k in range(len(kinds))]
            ax.bar(xs, [w.get(k, (0, 0, 0))[0] / 60 for k in kinds], wd, label="%s mean" % c)
            ax.scatter(xs, [w.get(k, (0, 0, 0))[1] / 60 for k in kinds], marker="_", s=200, color="k")
        ax.set_xticks([k + wd * (len(cfgs) - 1) / 2 for k in range(len(kinds))])
        ax.set_xticklabels(kinds)
        ax.set_ylabel("wait (min; bar mean, dash p95)")
        ax.set_title("waits per kind: mix %s, seed %s, %gx, Slurm %s" % (
            mix, seed, x, loaded[cfgs[0]]["rel"] if cfgs else "-"), fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(od, "waits.png"), dpi=100)
        plt.close(fig)
        print("plots: %s %s" % (os.path.join(od, "alloc.png"), os.path.join(od, "waits.png")))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "plot":
        return plot(argv[2:], None)
    if len(argv) < 2 or argv[1] != "report":
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    args, gpu_mem, check_only = argv[2:], 81089, False
    dirs = []
    while args:
        a = args.pop(0)
        if a == "--gpu-mem":
            gpu_mem = int(args.pop(0))
        elif a == "--check-only":
            check_only = True
        else:
            dirs.append(a)
    if not dirs:
        print("replay.py report: expected DIR...", file=sys.stderr)
        return 2
    return report(dirs, gpu_mem, check_only)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
