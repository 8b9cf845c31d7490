#!/usr/bin/python3
"""Two builds of b2m on the same data, in the same run: is the new one slower?

Runs `b2m encode` (the encode benchmark's data: p = 512 with V = 20,000 and
p = 4,096 with V = 5,000; double precision) and `b2m decode` (one simulated
subject of --voxels voxels into SoundStream, the decode benchmark's problem)
with --old and --new in turn, --repeat times each, all at --ranks ranks with
one BLAS thread per rank, and prints per problem the best wall time and peak
RSS of each build, their ratios (new / old: above 1 is slower) and the
largest difference between their results.

Usage: bench/compare_builds.py --old OLD_B2M --new NEW_B2M [--ranks 2]
         [--parts encode,decode] [--repeat 1] [--voxels 60000] [--work-dir DIR]
"""
import argparse
import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from decode_retrieve_bench import EVENTS, PY, mpi, mpi_env, timed  # noqa: E402

ENCODE_DATA = {"p512-v20000": (512, 20000), "p4096-v5000": (4096, 5000)}


def encode_data(work_dir, p, v):
    d = os.path.join(work_dir, f"data-n4920-t600-r12-p{p}-v{v}-s0")
    if not os.path.exists(os.path.join(d, "design.h5")):
        print(f"making encode data p={p} V={v} in {d}", flush=True)
        subprocess.check_call([PY, os.path.join(HERE, "make_bench_data.py"), "--n-train", "4920",
                               "--n-test", "600", "--runs", "12", "--p", str(p), "--voxels", str(v),
                               "--seed", "0", "--out-dir", d])
    return d


def decode_study(work_dir, b2m, voxels, ranks):
    study = os.path.join(work_dir, f"decode-v{voxels}")
    if not os.path.exists(os.path.join(study, "sub-01_responses.h5")):
        print(f"simulating 1 subject x {voxels} voxels in {study}", flush=True)
        subprocess.check_call(mpi(ranks) + [b2m, "simulate", "--preset", "easy", "--events", EVENTS, "--subjects", "1",
                                            "--voxels", str(voxels), "--seed", "0", "--out-dir", study],
                              stdout=subprocess.DEVNULL, env=mpi_env())
    return study


def max_difference(a, b, dataset):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        x, y = fa[dataset][...], fb[dataset][...]
    both = ~(np.isnan(x) & np.isnan(y))
    return float(np.nanmax(np.abs(x[both] - y[both]))) if both.any() else 0.0


def compare(label, command, dataset, builds, repeat, log_dir):
    """command(b2m, out) -> argv; returns a result row."""
    best = {}
    outs = {}
    for r in range(repeat):
        for name, b2m in builds:  # alternate, so drifts in the machine hit both
            out = os.path.join(log_dir, f"{label}-{name}.h5")
            for stale in (out, out + ".partial", out + ".partial.checkpoint"):
                if os.path.exists(stale):
                    os.remove(stale)
            run = timed(f"{label} {name} #{r + 1}", command(b2m, out), log_dir)
            if run["rc"] != 0:
                sys.exit(f"{label} with {b2m} failed: see {log_dir}")
            outs[name] = out
            if name not in best or run["wall"] < best[name]["wall"]:
                best[name] = run
    old, new = best["old"], best["new"]
    return {"problem": label, "old_s": old["wall"], "new_s": new["wall"],
            "time_ratio": new["wall"] / old["wall"], "old_mb": old["rss_mb"], "new_mb": new["rss_mb"],
            "rss_ratio": new["rss_mb"] / old["rss_mb"],
            "max_diff": max_difference(outs["old"], outs["new"], dataset)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--parts", default="encode,decode")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--voxels", type=int, default=60000)
    ap.add_argument("--work-dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "b2m-bench"))
    a = ap.parse_args()
    builds = [("old", os.path.abspath(a.old)), ("new", os.path.abspath(a.new))]
    log_dir = os.path.join(a.work_dir, "compare-builds")
    os.makedirs(log_dir, exist_ok=True)
    rows = []
    if "encode" in a.parts:
        for label, (p, v) in ENCODE_DATA.items():
            d = encode_data(a.work_dir, p, v)
            rows.append(compare(f"encode-{label}", lambda b2m, out, d=d: mpi(a.ranks) + [
                b2m, "encode", "--responses", os.path.join(d, "responses.h5"), "--design",
                os.path.join(d, "design.h5"), "--out", out], "/voxels/r_test", builds, a.repeat, log_dir))
    if "decode" in a.parts:
        study = decode_study(a.work_dir, builds[1][1], a.voxels, a.ranks)
        resp = os.path.join(study, "sub-01_responses.h5")
        rows.append(compare(f"decode-v{a.voxels}", lambda b2m, out: mpi(a.ranks) + [
            b2m, "decode", resp, "--features", os.path.join(study, "features.h5"), "--space",
            "soundstream", "--events", EVENTS, "--out", out], "/test/prediction", builds, a.repeat,
                            log_dir))
    print(f"\n{a.ranks} ranks x 1 BLAS thread; best of {a.repeat}; ratios new / old (> 1: slower)")
    print(f"{'problem':<20} {'old s':>8} {'new s':>8} {'time':>6} {'old MB':>8} {'new MB':>8} "
          f"{'RSS':>6} {'max |diff|':>11}")
    for r in rows:
        print(f"{r['problem']:<20} {r['old_s']:8.1f} {r['new_s']:8.1f} {r['time_ratio']:6.3f} "
              f"{r['old_mb']:8.0f} {r['new_mb']:8.0f} {r['rss_ratio']:6.3f} {r['max_diff']:11.3g}")


if __name__ == "__main__":
    main()
