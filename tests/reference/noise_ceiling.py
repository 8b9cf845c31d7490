#!/usr/bin/python3
"""The noise ceiling encode writes beside r (issue 16, item 2).

From /test/Y_reps, encode writes per voxel the single-repetition explainable
variance EV = SP / TP with SP = (R var(mean) - TP) / (R - 1), the ceiling of
the correlation against the repeat mean sqrt(SP / var(mean)) and r / ceiling.
Checked against a numpy implementation of the same formulas on the same
file (1e-9), against the simulator's true ceiling (the correlation of the
noiseless signal with the measured mean, which no estimate sees), in the
summary (voxels whose ceiling clears 0.4, median normalized r), and in a
file without repetitions (no ceiling written) and one whose /test/Y_reps
has the wrong shape (refused on every rank, naming the dataset).
"""
import csv
import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from prepare_derivatives import expect_failure  # noqa: E402


def numpy_ceiling(reps):
    """reps [R, m, V] -> EV, ceiling (Sahani & Linden, with the R - 1 correction)."""
    reps = reps.astype(np.float64)
    r = reps.shape[0]
    total = reps.var(axis=1).mean(axis=0)
    of_mean = reps.mean(axis=0).var(axis=0)
    signal = (r * of_mean - total) / (r - 1)
    ev = signal / total
    ceiling = np.sqrt(np.clip(signal, 0, None) / of_mean)
    return ev, ceiling


def body(opts, checks):
    w = opts.scratch
    study = harness.simulate_study(opts, checks, 1, 600, 8)
    if study is None:
        return
    resp = os.path.join(study, "sub-01_responses.h5")
    common = ["--features", os.path.join(study, "features.h5"), "--space", "mulan_music",
              "--events", opts.events, "--n-alphas", 6, "--block-size", 128]
    enc, summary = os.path.join(w, "enc.h5"), os.path.join(w, "enc.tsv")
    r = harness.run_b2m(opts, ["encode", resp, *common, "--out", enc, "--summary", summary])
    if not checks.require_run("b2m encode of a study with 4 repetitions", r):
        return
    with h5py.File(resp, "r") as f:
        reps = f["test/Y_reps"][...]
    with h5py.File(enc, "r") as f:
        ev, ceiling, normalized, rt = (f[f"voxels/{n}"][...] for n in (
            "explainable_variance", "noise_ceiling", "r_normalized", "r_test"))
    with h5py.File(os.path.join(study, "sub-01_truth.h5"), "r") as t:
        truth, drivers = t["noise_ceiling"][...], t["drivers"][...]
    ev_ref, ceiling_ref = numpy_ceiling(reps)
    checks.check("explainable variance and ceiling equal numpy's (1e-9)",
                 np.abs(ev - ev_ref).max() < 1e-9 and np.abs(ceiling - ceiling_ref).max() < 1e-9,
                 f"max |d| {np.abs(ev - ev_ref).max():.1e}, {np.abs(ceiling - ceiling_ref).max():.1e}")
    expect = np.where(ceiling_ref > 0, rt / np.where(ceiling_ref > 0, ceiling_ref, 1), np.nan)
    same_nan = np.array_equal(np.isnan(normalized), np.isnan(expect))
    d = np.nanmax(np.abs(normalized - expect))
    checks.check("r_normalized = r / ceiling, NaN where the ceiling is 0", same_nan and d < 1e-9,
                 f"same NaNs {same_nan}, max |d| {d:.1e}, {np.isnan(normalized).sum()} NaN")
    driven = drivers != 0
    err = np.abs(ceiling[driven] - truth[driven])
    corr = np.corrcoef(ceiling[driven], truth[driven])[0, 1]
    checks.check("the estimate tracks the simulator's true ceiling on driven voxels "
                 "(r > 0.9, median |error| < 0.05)", corr > 0.9 and np.median(err) < 0.05,
                 f"r {corr:.3f}, median |error| {np.median(err):.3f} (n={driven.sum()})")
    null_ev = ev[~driven]
    checks.check("undriven voxels: explainable variance centred on 0 (|mean| < 0.01)",
                 abs(null_ev.mean()) < 0.01, f"mean {null_ev.mean():.4f}, sd {null_ev.std():.4f}")
    with open(summary) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    reliable = ceiling >= 0.4
    want = np.sort(rt[reliable] / ceiling[reliable])[reliable.sum() // 2]
    got = rows[0] if rows else {}
    checks.check("summary: voxels with ceiling >= 0.4 and their median normalized r",
                 int(got.get("reliable_voxels", -1)) == reliable.sum() and
                 abs(float(got.get("median_r_normalized", "nan")) - want) < 1e-6,
                 f"{got.get('reliable_voxels')} vs {reliable.sum()}, "
                 f"{got.get('median_r_normalized')} vs {want:.6f}")

    # Without repetitions: no ceiling columns, the summary says NaN.
    plain = os.path.join(w, "plain.h5")
    shutil.copy(resp, plain)
    with h5py.File(plain, "r+") as f:
        del f["test/Y_reps"]
    out = os.path.join(w, "plain_enc.h5")
    r = harness.run_b2m(opts, ["encode", plain, *common, "--out", out])
    if checks.require_run("b2m encode of a file without /test/Y_reps", r):
        with h5py.File(out, "r") as f:
            names = set(f["voxels"])
            same = np.array_equal(f["voxels/r_test"][...], rt)
        checks.check("... writes no ceiling and the same r",
                     not names & {"explainable_variance", "noise_ceiling", "r_normalized"} and same,
                     str(sorted(names)))

    # /test/Y_reps that does not match /test/Y: refused.
    bad_dir = os.path.join(w, "bad")
    os.makedirs(bad_dir)
    bad = os.path.join(w, "bad_reps.h5")
    shutil.copy(resp, bad)
    with h5py.File(bad, "r+") as f:
        kept = f["test/Y_reps"][:, :-1, :]
        del f["test/Y_reps"]
        f["test/Y_reps"] = kept
    expect_failure(opts, checks, "/test/Y_reps with a row fewer than /test/Y",
                   ["encode", bad, *common, "--out", os.path.join(bad_dir, "e.h5")], bad_dir,
                   [bad, "/test/Y_reps"])
    nan = os.path.join(w, "nan_reps.h5")
    shutil.copy(resp, nan)
    with h5py.File(nan, "r+") as f:
        f["test/Y_reps"][2, 5, 599] = np.nan
    expect_failure(opts, checks, "a NaN in /test/Y_reps (the last voxel)",
                   ["encode", nan, *common, "--out", os.path.join(bad_dir, "n.h5")], bad_dir,
                   [nan, "/test/Y_reps[2]", "voxel 599"])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
