#!/usr/bin/python3
"""The paper preset's calibration at full size (issue 16): the simulated
study decoded as the paper did it, beside the paper's Table 2.

Simulates --subjects subjects (default 5) of --voxels voxels (default
60,000, the cortical voxel count the calibration targets) with b2m's
default preset, decodes MuLan-music, w2v-BERT, MuLan-text and SoundStream
with the paper's settings (--delay 0 --cut-windows --drop-first-event
--roi-models 6: windows averaging the scans inside them, the top 6 of the
parcels' models) and prints decode's Table 2 (identification mean +- sd
over subjects beside the paper's). It then checks the calibration targets:
MuLan-music identification 0.86..0.89, and the four spaces in Table 2's
order; and the generating side on the first subject: the share of driven
voxels, their single-repetition explainable variance (from /test/Y_reps,
with the repeat-count correction) and, from an encode of MuLan-music, the
median r / true noise ceiling of voxels that MuLan-music alone drives.

About an hour on 2 cores at the defaults. Exit status 1 when a target is
missed. Data are kept in --work-dir (re-running reuses complete outputs).
"""
import argparse
import csv
import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EVENTS = os.path.join(ROOT, "data", "ds003720", "func")
ORDER = ["mulan_music", "w2v_bert", "mulan_text", "soundstream"]
PAPER = {"mulan_music": (0.876, 0.015), "w2v_bert": (0.837, 0.005), "mulan_text": (0.817, 0.014),
         "soundstream": (0.674, 0.016)}


def run(cmd, ranks):
    mpi = ["mpirun", "--oversubscribe", "-n", str(ranks)]
    if os.geteuid() == 0:
        mpi.append("--allow-run-as-root")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_MCA_pml=os.environ.get("OMPI_MCA_pml", "ob1"))
    print("  $ b2m " + " ".join(str(c) for c in cmd[1:]), flush=True)
    subprocess.run(mpi + [str(c) for c in cmd], check=True, env=env)


def explainable_variance(responses):
    with h5py.File(responses, "r") as f:
        reps = f["test/Y_reps"][...].astype(np.float64)
    r = reps.shape[0]
    total = reps.var(axis=1).mean(axis=0)
    signal = (r * reps.mean(axis=0).var(axis=0) - total) / (r - 1)
    return signal / total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work-dir", default=os.path.join(ROOT, "build", "bench-calibration"))
    ap.add_argument("--voxels", type=int, default=60000)
    ap.add_argument("--subjects", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ranks", type=int, default=2)
    a = ap.parse_args()
    b2m = os.path.join(a.build, "jobs", "b2m")
    study = os.path.join(a.work_dir, "study")
    os.makedirs(a.work_dir, exist_ok=True)
    print(f"== simulate: {a.subjects} subjects x {a.voxels} voxels (default preset), seed {a.seed}", flush=True)
    run([b2m, "simulate", "--events", EVENTS, "--subjects", a.subjects, "--voxels", a.voxels, "--seed", a.seed,
         "--out-dir", study], a.ranks)
    subjects = sorted(os.path.join(study, f) for f in os.listdir(study) if f.endswith("_responses.h5"))
    summary = os.path.join(a.work_dir, "decode.tsv")
    print("== decode as the paper did it", flush=True)
    run([b2m, "decode", *subjects, "--features", os.path.join(study, "features.h5"),
         *[x for s in ORDER for x in ("--space", s)], "--events", EVENTS, "--delay", 0, "--cut-windows",
         "--drop-first-event", "--roi-models", 6, "--out", os.path.join(a.work_dir, "decode", "{subject}_{space}.h5"),
         "--summary", summary], a.ranks)
    with open(summary) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    ident = {s: [float(r["identification"]) for r in rows if r["space"] == s] for s in ORDER}

    print("\n== encode MuLan-music on the first subject (r / noise ceiling)", flush=True)
    enc = os.path.join(a.work_dir, "encode_mulan_music.h5")
    run([b2m, "encode", subjects[0], "--features", os.path.join(study, "features.h5"), "--space", "mulan_music",
         "--events", EVENTS, "--n-alphas", 8, "--out", enc], a.ranks)
    truth = subjects[0].replace("_responses.h5", "_truth.h5")
    with h5py.File(truth, "r") as t:
        drivers, ceiling = t["drivers"][...], t["noise_ceiling"][...]
        # /drivers: a bit per space, in the order of its attribute `spaces`.
        spaces = [n.decode() if isinstance(n, bytes) else n for n in t["drivers"].attrs["spaces"]]
    with h5py.File(enc, "r") as f:
        r_test = f["voxels/r_test"][...]
    ev = explainable_variance(subjects[0])
    driven = drivers != 0
    mulan_only = (drivers == (1 << spaces.index("mulan_music"))) & (ceiling > 0.2)
    normalized = np.median(r_test[mulan_only] / ceiling[mulan_only])

    print("\n== calibration targets", flush=True)
    failed = []

    def target(name, ok, detail):
        print(f"  {'PASS' if ok else 'MISS'} {name}: {detail}", flush=True)
        if not ok:
            failed.append(name)

    means = {s: np.mean(v) for s, v in ident.items()}
    for s in ORDER:
        sd = np.std(ident[s], ddof=1) if len(ident[s]) > 1 else 0.0
        print(f"  {s:12s} b2m {means[s]:.3f} +- {sd:.3f}   paper {PAPER[s][0]:.3f} +- {PAPER[s][1]:.3f}")
    target("MuLan-music identification 0.86..0.89", 0.86 <= means["mulan_music"] <= 0.89,
           f"{means['mulan_music']:.3f}")
    target("the four spaces in Table 2's order", all(means[x] > means[y] for x, y in zip(ORDER, ORDER[1:])),
           " > ".join(f"{s} {means[s]:.3f}" for s in ORDER))
    target("driven voxels 4-8% of all", 0.04 <= driven.mean() <= 0.08, f"{driven.mean():.3f}")
    lo, mid, hi = np.percentile(ev[driven], [5, 50, 95])
    inside = ((ev[driven] >= 0.01) & (ev[driven] <= 0.4)).mean()
    target("explainable variance of driven voxels about 0.01..0.4 (>= 85% inside)", inside >= 0.85,
           f"5th / 50th / 95th percentile {lo:.3f} / {mid:.3f} / {hi:.3f}, {inside:.0%} inside")
    target("the right model's r / true ceiling 0.4..0.7 (MuLan-music-only voxels, ceiling > 0.2)",
           0.4 <= normalized <= 0.7, f"median {normalized:.3f} over {mulan_only.sum()} voxels")
    print(f"\n{len(failed)} target(s) missed" if failed else "\nevery target met", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
