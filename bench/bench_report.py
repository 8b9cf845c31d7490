#!/usr/bin/python3
"""Summarise an encode_bench.sh run: table of wall time, voxels/s, peak RSS, GFLOP/s
(b2m's FLOP model, flop_model.py) and fraction of GEMM peak, then the targets as
PASS/MISS. Input: the runs.tsv written by encode_bench.sh (one row per timed command,
with the /usr/bin/time -v log of each) and the gemm_peak JSON lines, if any.
"""
import argparse
import csv
import json
import os
import re
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_results  # noqa: E402
import flop_model  # noqa: E402


def parse_time_log(path):
    """Wall seconds, max RSS (KiB) and exit status from a /usr/bin/time -v log."""
    wall = rss = status = None
    try:
        text = open(path).read()
    except OSError:
        return None, None, None
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if m:
        parts = [float(x) for x in m.group(1).split(":")]
        wall = 0.0
        for x in parts:
            wall = wall * 60 + x
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        rss = int(m.group(1))
    m = re.search(r"Exit status: (\d+)", text)
    if m:
        status = int(m.group(1))
    return wall, rss, status


def read_gemm_peak(path):
    """{precision: gflops} from JSON lines {"precision": ..., "gflops": ...} (max per precision)."""
    peak = {}
    if not path or not os.path.exists(path):
        return peak
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            d = json.loads(line)
            prec, g = str(d["precision"]), float(d["gflops"])
        except (ValueError, KeyError, TypeError):
            continue
        peak[prec] = max(g, peak.get(prec, 0.0))
    return peak


def data_shape(data_dir):
    with h5py.File(os.path.join(data_dir, "responses.h5"), "r") as f:
        runs = f["train/run"][...]
        V = f["train/Y"].shape[1]
        n_test = f["test/Y"].shape[0]
    with h5py.File(os.path.join(data_dir, "design.h5"), "r") as f:
        p = f["train/X"].shape[1]
    labels = np.unique(runs)
    run_lengths = [int((runs == lab).sum()) for lab in labels]
    return run_lengths, p, V, n_test


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def verdict(ok):
    return "PASS" if ok else "MISS"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", required=True, help="runs.tsv from encode_bench.sh")
    ap.add_argument("--gemm", help="gemm_peak output (JSON lines)")
    ap.add_argument("--n-alphas", type=int, default=20)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--json-out", help="also write all numbers here")
    a = ap.parse_args()

    peak = read_gemm_peak(a.gemm)
    rows = list(csv.DictReader(open(a.runs), delimiter="\t"))
    shapes = {}
    for r in rows:
        r["ranks"], r["threads"] = int(r["ranks"]), int(r["threads"])
        r["wall"], r["rss_kb"], st = parse_time_log(r["timelog"])
        r["ok"] = r["rc"] == "0" and st in (0, None) and r["wall"] is not None
        if r["data"] not in shapes:
            shapes[r["data"]] = data_shape(r["data"])
        rl, p, V, n_test = shapes[r["data"]]
        r["p"], r["V"] = p, V
        fl = flop_model.encode_flops(rl, p, V, n_test, a.n_alphas, a.folds)["total"]
        r["gflops"] = fl / r["wall"] / 1e9 if r["ok"] else None
        r["peak_frac"] = None
        pk = peak.get(r["precision"])
        if r["ok"] and pk and r["tool"] == "b2m":
            # gemm_peak ran with --threads threads in one process; MPI rows use 1 thread/rank
            if r["ranks"] == 1:
                r["peak_frac"] = r["gflops"] / pk if r["threads"] == int(r["peak_threads"]) else None
            elif r["threads"] == 1 and int(r["peak_threads"]) == 1:
                r["peak_frac"] = r["gflops"] / (pk * r["ranks"])

    if peak:
        print("GEMM peak: " + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in sorted(peak.items()))
              + f" ({rows[0]['peak_threads'] if rows else '?'} thread(s))")
    else:
        print("GEMM peak: not measured (no gemm_peak binary)")
    hdr = (f"{'config':<16} {'run':<16} {'prec':<6} {'ranks x thr':>11} {'wall s':>9} "
           f"{'voxels/s':>10} {'peak RSS MB':>11} {'GFLOP/s*':>9} {'% peak':>7}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        wall = r["wall"] if r["ok"] else None
        print(f"{r['config']:<16} {r['label']:<16} {r['precision']:<6} "
              f"{str(r['ranks']) + ' x ' + str(r['threads']):>11} "
              f"{fmt(wall, '9.2f'):>9} {fmt(r['V'] / wall if wall else None, '10.1f'):>10} "
              f"{fmt(r['rss_kb'] / 1024 if r['rss_kb'] else None, '11.1f'):>11} "
              f"{fmt(r['gflops'], '9.2f'):>9} "
              f"{fmt(100 * r['peak_frac'] if r['peak_frac'] else None, '6.1f'):>7}"
              + ("" if r["ok"] else f"   FAILED (rc {r['rc']}, see {r['stdout']})"))
    print("* GFLOP/s under b2m's FLOP model (flop_model.py) for every row, so it is a rate of "
          "useful work; wall time and peak RSS from /usr/bin/time -v (RSS per process).")

    summary = {"gemm_peak": peak, "runs": [{k: r[k] for k in (
        "config", "label", "tool", "precision", "ranks", "threads", "p", "V", "wall", "rss_kb",
        "gflops", "peak_frac", "ok")} for r in rows], "targets": []}
    configs = []
    for r in rows:
        if r["config"] not in configs:
            configs.append(r["config"])

    def get(cfg, label):
        for r in rows:
            if r["config"] == cfg and r["label"] == label and r["ok"]:
                return r
        return None

    def target(cfg, name, value, ok, goal, fmt_spec=".3f"):
        s = f"  {name:<44} {format(value, fmt_spec):>10}   target {goal:<9}"
        if ok is None:
            print(s + " (info)")
        else:
            print(s + " " + verdict(ok))
        summary["targets"].append({"config": cfg, "name": name, "value": value,
                                   "goal": goal, "pass": ok})

    print()
    for cfg in configs:
        mem_rows = [r for r in rows if r["config"] == cfg and r["label"].startswith("b2m_mem_")]
        if mem_rows:
            continue
        any_row = next(r for r in rows if r["config"] == cfg)
        p = any_row["p"]
        print(f"{cfg} (p={p}, V={any_row['V']}):")
        bd, bs = get(cfg, "b2m_double"), get(cfg, "b2m_single")
        hd, hs = get(cfg, "baseline_double"), get(cfg, "baseline_single")
        m1, m2 = get(cfg, "b2m_mpi1"), get(cfg, "b2m_mpi2")
        speed_goal = 3.0 if p <= 1024 else 1.2
        if bd and hd:
            x = hd["wall"] / bd["wall"]
            target(cfg, "baseline/b2m time (double)", x, x >= speed_goal, f">= {speed_goal:g}")
            x = bd["rss_kb"] / hd["rss_kb"]
            target(cfg, "b2m/baseline peak RSS (double)", x, x <= 1 / 3, "<= 0.333")
        if bs and hs:
            x = hs["wall"] / bs["wall"]
            target(cfg, "baseline/b2m time (single)", x, None, f">= {speed_goal:g}")
        if bd and bs:
            target(cfg, "b2m single vs double speedup", bd["wall"] / bs["wall"], None, "-")
            c = compare_results.compare(bd["out"], bs["out"])
            if "error" not in c:
                x = c["max_abs_delta_r_test"]
                target(cfg, "b2m max |dr| single vs double", x, x <= 1e-4, "<= 1e-4", ".2e")
                target(cfg, "  same alpha single vs double", c["same_alpha_frac"], None, "-", ".4f")
                target(cfg, "  max |dr| where alphas agree", c["max_abs_delta_r_test_same_alpha"],
                       None, "-", ".2e")
        if m1 and m2:
            x = m1["wall"] / (m2["ranks"] * m2["wall"])
            target(cfg, f"{m2['ranks']}-rank vs 1-rank efficiency", x, x >= 0.85, ">= 0.85")
        if bd and hd:
            c = compare_results.compare(bd["out"], hd["out"])
            if "error" not in c:
                target(cfg, "b2m vs baseline max |dr| (double)", c["max_abs_delta_r_test"], None,
                       "-", ".2e")
                target(cfg, "b2m vs baseline same alpha (double)", c["same_alpha_frac"], None,
                       "-", ".4f")
                target(cfg, "  max |dr| where alphas agree", c["max_abs_delta_r_test_same_alpha"],
                       None, "-", ".2e")
        sk = get(cfg, "sklearn_ridgecv")
        if sk and bd:
            target(cfg, "sklearn RidgeCV (LOO)/b2m time", sk["wall"] / bd["wall"], None, "-")
        print()

    mem = [r for r in rows if r["label"].startswith("b2m_mem_")]
    if mem:
        mem.sort(key=lambda r: r["V"])
        print("memory scaling (b2m, double):")
        for r in mem:
            print(f"  p={r['p']} V={r['V']:<8} peak RSS {fmt(r['rss_kb'] / 1024 if r['rss_kb'] else None, '.1f')} MB"
                  f"   wall {fmt(r['wall'], '.2f')} s")
        good = [r for r in mem if r["ok"] and r["rss_kb"]]
        if len(good) >= 2:
            lo, hi = good[0], good[-1]
            growth_mb = (hi["rss_kb"] - lo["rss_kb"]) / 1024
            allowed = max(0.10 * lo["rss_kb"] / 1024, 32.0)
            target("memory", f"RSS growth V={lo['V']}->{hi['V']} (MB)", growth_mb,
                   growth_mb <= allowed, f"<= {allowed:.0f}", ".1f")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(summary, f, indent=1, default=float)


if __name__ == "__main__":
    main()
