#!/usr/bin/python3
"""Check himalaya_style_baseline.py against a brute-force loop with
sklearn.linear_model.Ridge(fit_intercept=False) per alpha per fold, on tiny data
(a few seconds). Also checks the preprocessing independently, the constant-voxel
handling, --voxel-batch and single precision. Exits 1 on failure.
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from sklearn.linear_model import Ridge

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import himalaya_style_baseline as hb  # noqa: E402


def zscore(A):
    sd = A.std(axis=0)
    return np.where(sd > 0, (A - A.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)


def brute_force(resp, design, alphas, folds):
    with h5py.File(resp) as f:
        Y, runs, Yt = f["train/Y"][...].astype(float), f["train/run"][...], f["test/Y"][...].astype(float)
    with h5py.File(design) as f:
        X, Xt = f["train/X"][...].astype(float), f["test/X"][...].astype(float)
    for lab in np.unique(runs):
        rows = runs == lab
        X[rows], Y[rows] = zscore(X[rows]), zscore(Y[rows])
    Xt, Yt = zscore(Xt), zscore(Yt)
    V = Y.shape[1]
    mse = np.zeros((len(alphas), V))
    groups = np.array_split(np.unique(runs), folds)      # first n % K groups one larger
    for g in groups:
        val = np.isin(runs, g)
        for ai, a in enumerate(alphas):
            pred = Ridge(alpha=a, fit_intercept=False).fit(X[~val], Y[~val]).predict(X[val])
            mse[ai] += ((pred - Y[val]) ** 2).mean(axis=0)
    mse /= len(groups)
    best = np.argmin(mse, axis=0)
    r = np.zeros(V)
    for v in range(V):
        pred = Ridge(alpha=alphas[best[v]], fit_intercept=False).fit(X, Y[:, v]).predict(Xt)
        r[v] = np.corrcoef(pred, Yt[:, v])[0, 1] if Yt[:, v].std() > 0 and pred.std() > 0 else np.nan
    return mse, best, r


def main():
    fails = []

    def check(cond, msg):
        print(("ok   " if cond else "FAIL ") + msg)
        if not cond:
            fails.append(msg)

    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(HERE, "make_bench_data.py"),
                        "--n-train", "240", "--n-test", "60", "--runs", "12", "--p", "20",
                        "--voxels", "300", "--seed", "3", "--snr-min", "0.02",
                        "--snr-max", "2", "--out-dir", d], check=True, stdout=subprocess.DEVNULL)
        resp, design = os.path.join(d, "responses.h5"), os.path.join(d, "design.h5")
        with h5py.File(resp, "r+") as f:                    # edge cases
            Y = f["train/Y"]
            Y[:, 0] = 3.0                                     # constant voxel -> NaN
            Y[0:20, 1] = 1.5                                  # constant within run 0 only
        alphas = np.logspace(0, 7, 20)
        folds = 5
        mse, best_bf, r_bf = brute_force(resp, design, alphas, folds)
        res = hb.run(resp, design, alphas, folds, "double")
        valid = res["valid"]
        check(not valid[0] and valid[1:].all(), "valid mask (voxel 0 constant, voxel 1 not)")
        check(np.isnan(res["alpha"][0]) and np.isnan(res["r_test"][0]), "constant voxel -> NaN")
        check(np.allclose(res["scores"], mse, rtol=1e-9, atol=1e-12),
              f"CV MSE equals brute force (max rel diff "
              f"{np.max(np.abs(res['scores'] - mse) / np.maximum(mse, 1e-300)):.1e})")
        v = np.flatnonzero(valid)
        diff = v[res["best"][v] != best_bf[v]]
        # a differing choice is only acceptable on an exact tie of the brute-force scores
        ties = [x for x in diff if abs(mse[res["best"][x], x] - mse[best_bf[x], x])
                <= 1e-12 * mse[best_bf[x], x]]
        check(len(diff) == len(ties),
              f"chosen alphas equal brute force ({len(v) - len(diff)}/{len(v)} same, "
              f"{len(ties)} exact ties; {len(np.unique(best_bf[v]))} distinct alphas chosen)")
        dr = np.nanmax(np.abs(res["r_test"][v] - r_bf[v]))
        check(dr < 1e-9, f"test r equals sklearn Ridge refit (max |dr| {dr:.1e})")
        resb = hb.run(resp, design, alphas, folds, "double", voxel_batch=37)
        check(np.array_equal(resb["best"], res["best"])
              and np.allclose(resb["r_test"][v], res["r_test"][v], rtol=0, atol=1e-12),
              "--voxel-batch gives the same result")
        ress = hb.run(resp, design, alphas, folds, "single")
        same = np.mean(ress["best"][v] == res["best"][v])
        drs = np.nanmax(np.abs(ress["r_test"][v] - res["r_test"][v]))
        check(same > 0.95 and drs < 1e-3,
              f"single precision close to double (same alpha {100 * same:.1f} %, max |dr| {drs:.1e})")
    print("check_baseline: " + ("PASS" if not fails else f"FAIL ({len(fails)})"))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
