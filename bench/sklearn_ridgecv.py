#!/usr/bin/python3
"""scikit-learn RidgeCV(alphas, alpha_per_target=True, fit_intercept=False) on the same
preprocessed data as b2m / the himalaya-style baseline (report only: sklearn uses its
own efficient leave-one-out CV, not b2m's run folds, so alphas are not comparable).
Prints one JSON line (wall time, voxels/s, peak RSS); --out writes /voxels/r_test etc.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import himalaya_style_baseline as hb  # noqa: E402  (loading / preprocessing / output)


def main():
    t0 = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    hb.add_common_args(ap)
    a = ap.parse_args()
    from sklearn.linear_model import RidgeCV

    alphas = hb.alpha_grid(a)
    dtype = np.float32 if a.precision == "single" else np.float64
    Xtr, Ytr, runs, Xte, Yte = hb.load(a.responses, a.design, dtype)
    t_loaded = time.perf_counter()
    valid = hb.preprocess(Xtr, Ytr, runs, Xte, Yte)
    model = RidgeCV(alphas=alphas, alpha_per_target=True, fit_intercept=False)
    model.fit(Xtr, Ytr)
    pred = model.predict(Xte)
    yc = Yte - Yte.mean(axis=0)
    pc = pred - pred.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.einsum("ij,ij->j", pc, yc) / np.sqrt(np.einsum("ij,ij->j", pc, pc)
                                                    * np.einsum("ij,ij->j", yc, yc))
        e = Yte - pred
        r2 = 1.0 - np.einsum("ij,ij->j", e, e) / np.einsum("ij,ij->j", yc, yc)
    alpha = np.broadcast_to(np.asarray(model.alpha_, dtype=np.float64), (Ytr.shape[1],))
    res = {"alpha": np.where(valid, alpha, np.nan),
           "r_test": np.where(valid, r.astype(np.float64), np.nan),
           "r2_test": np.where(valid, r2.astype(np.float64), np.nan),
           "cv_mse": np.full(Ytr.shape[1], np.nan), "valid": valid}
    t1 = time.perf_counter()
    if a.out:
        hb.write_results(a.out, res, alphas)
    t2 = time.perf_counter()
    V = Ytr.shape[1]
    print(json.dumps({
        "tool": "sklearn_ridgecv", "precision": a.precision, "n_train": Xtr.shape[0],
        "p": Xtr.shape[1], "voxels": V, "n_test": Xte.shape[0], "n_alphas": len(alphas),
        "wall_s": round(t2 - t0, 4), "compute_s": round(t1 - t_loaded, 4),
        "voxels_per_s": round(V / (t2 - t0), 2), "peak_rss_mb": round(hb.peak_rss_mb(), 1),
        "valid_voxels": int(valid.sum()),
        "median_r_test": float(np.nanmedian(res["r_test"])) if valid.any() else None}))


if __name__ == "__main__":
    main()
