#!/usr/bin/python3
"""numpy baseline that does what himalaya's RidgeCV(solver="svd") does, for benchmarks.

Preprocessing (identical to b2m): train X and train Y z-scored per run (population
std; a column with std 0 becomes 0); test X and test Y z-scored per column over all
test rows. Folds: sorted unique run labels cut into K contiguous groups of near-equal
size (the first n % K groups one larger); a fold validates on its group's runs.

Per fold: thin SVD X_f = U diag(s) V^T; for each alpha the explicit matrix
M_a = X_val V diag(s / (s^2 + a)) U^T  [n_val x n_train], predictions M_a Y_f for all
voxels at once, score = MSE per voxel. CV score = mean over folds; best alpha per
voxel = argmin (first on ties). Refit: thin SVD of all training X; per chosen alpha
W_a = V diag(s / (s^2 + a)) U^T Y[:, voxels]; test predictions X_test W; Pearson r and
R^2 (1 - SSE/SST, SST around the test mean) per voxel.

All voxels are processed at once (himalaya's memory behaviour) unless --voxel-batch
is given, which bounds the per-alpha intermediates (Y itself stays in memory).
Prints one JSON line: wall time, voxels/s, peak RSS.
"""
import argparse
import json
import resource
import sys
import time

import h5py
import numpy as np

from flop_model import fold_groups


def _rows(mask):
    """A slice when the selected rows are contiguous (no copy on indexing), else indices."""
    idx = np.flatnonzero(mask)
    if idx.size and idx[-1] - idx[0] + 1 == idx.size:
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def _zscore_block(A, rows):
    """z-score A[rows] in place per column (ddof=0); returns the per-column std."""
    B = A[rows]
    mu = B.mean(axis=0, dtype=np.float64)
    sd = B.std(axis=0, dtype=np.float64)
    inv = np.zeros_like(sd)
    nz = sd > 0
    inv[nz] = 1.0 / sd[nz]
    B = (B - mu.astype(A.dtype)) * inv.astype(A.dtype)
    A[rows] = B
    return sd


def zscore_per_run(A, runs):
    """In place; returns a bool per column: nonzero variance in at least one run."""
    any_var = np.zeros(A.shape[1], dtype=bool)
    for lab in np.unique(runs):
        any_var |= _zscore_block(A, _rows(runs == lab)) > 0
    return any_var


def load(responses, design, dtype):
    with h5py.File(responses, "r") as f:
        Ytr = f["train/Y"][...].astype(dtype, copy=False)
        runs = f["train/run"][...].astype(np.int64)
        Yte = f["test/Y"][...].astype(dtype, copy=False)
    with h5py.File(design, "r") as f:
        Xtr = f["train/X"][...].astype(dtype, copy=False)
        Xte = f["test/X"][...].astype(dtype, copy=False)
    return Xtr, Ytr, runs, Xte, Yte


def preprocess(Xtr, Ytr, runs, Xte, Yte):
    """In place (arrays must be writable); returns the valid-voxel mask."""
    zscore_per_run(Xtr, runs)
    valid = zscore_per_run(Ytr, runs)
    all_rows = slice(0, Xte.shape[0])
    _zscore_block(Xte, all_rows)
    _zscore_block(Yte, all_rows)
    return valid


def _batches(n, batch):
    step = n if not batch else batch
    for b0 in range(0, n, max(1, step)):
        yield slice(b0, min(n, b0 + step))


def cv_scores(Xtr, Ytr, runs, alphas, folds, voxel_batch=None):
    """Mean over folds of the validation MSE, [n_alphas, V] in the working dtype."""
    dt = Xtr.dtype
    V = Ytr.shape[1]
    scores = np.zeros((len(alphas), V), dtype=dt)
    groups = fold_groups(np.unique(runs), folds)
    for group in groups:
        val = np.isin(runs, group)
        tr_idx, val_idx = _rows(~val), _rows(val)
        U, s, Vt = np.linalg.svd(Xtr[tr_idx], full_matrices=False)
        XvV = Xtr[val_idx] @ Vt.T                           # [m, k]
        m = XvV.shape[0]
        Yv = Ytr[val_idx]
        # himalaya indexes Y[train] with an index array: a full copy of the fold's rows
        Yf = None if voxel_batch else Ytr[np.flatnonzero(~val)]
        for ai, a in enumerate(alphas):
            d = (s / (s * s + dt.type(a))).astype(dt)
            M = (XvV * d) @ U.T                             # [m, n_f]
            for b in _batches(V, voxel_batch):
                pred = M @ (Yf if Yf is not None else Ytr[tr_idx, b])
                pred -= Yv[:, b]
                scores[ai, b] += np.einsum("ij,ij->j", pred, pred) / dt.type(m)
                del pred
            del M
        del U, Vt, XvV, Yv, Yf
    scores /= dt.type(len(groups))
    return scores


def refit_test(Xtr, Ytr, Xte, Yte, alphas, best, valid, voxel_batch=None):
    """Refit on all training rows with each voxel's alpha; returns (r, r2) float64."""
    dt = Xtr.dtype
    V = Ytr.shape[1]
    r = np.full(V, np.nan)
    r2 = np.full(V, np.nan)
    U, s, Vt = np.linalg.svd(Xtr, full_matrices=False)
    for ai in np.unique(best[valid]):
        sel_all = np.flatnonzero((best == ai) & valid)
        d = (s / (s * s + dt.type(alphas[ai]))).astype(dt)
        for b in _batches(sel_all.size, voxel_batch):
            sel = sel_all[b]
            W = Vt.T @ ((U.T @ Ytr[:, sel]) * d[:, None])  # [p, |sel|]
            pred = Xte @ W
            y = Yte[:, sel]
            pc = pred - pred.mean(axis=0)
            yc = y - y.mean(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                r[sel] = (np.einsum("ij,ij->j", pc, yc)
                          / np.sqrt(np.einsum("ij,ij->j", pc, pc) * np.einsum("ij,ij->j", yc, yc)))
                e = y - pred
                r2[sel] = 1.0 - np.einsum("ij,ij->j", e, e) / np.einsum("ij,ij->j", yc, yc)
    return r, r2


def run(responses, design, alphas, folds=5, precision="double", voxel_batch=None):
    dtype = np.float32 if precision == "single" else np.float64
    Xtr, Ytr, runs, Xte, Yte = load(responses, design, dtype)
    t_loaded = time.perf_counter()
    valid = preprocess(Xtr, Ytr, runs, Xte, Yte)
    scores = cv_scores(Xtr, Ytr, runs, alphas, folds, voxel_batch)
    best = np.argmin(scores, axis=0)
    r, r2 = refit_test(Xtr, Ytr, Xte, Yte, alphas, best, valid, voxel_batch)
    alpha = np.where(valid, np.asarray(alphas, dtype=np.float64)[best], np.nan)
    cv_mse = np.where(valid, scores[best, np.arange(scores.shape[1])].astype(np.float64), np.nan)
    return {"alpha": alpha, "best": best, "cv_mse": cv_mse, "r_test": r, "r2_test": r2,
            "valid": valid, "scores": scores, "t_loaded": t_loaded,
            "shape": (Xtr.shape[0], Xtr.shape[1], Ytr.shape[1], Xte.shape[0])}


def write_results(path, res, alphas):
    with h5py.File(path, "w") as f:
        g = f.create_group("voxels")
        g["alpha"] = res["alpha"]
        g["r_test"] = res["r_test"]
        g["r2_test"] = res["r2_test"]
        g["cv_mse"] = res["cv_mse"]
        g["valid"] = res["valid"].astype(np.uint8)
        g.attrs["alphas"] = np.asarray(alphas, dtype=np.float64)
        f.attrs["command_line"] = " ".join(sys.argv)
        f.attrs["complete"] = "yes"


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # ru_maxrss is KiB


def alpha_grid(args):
    return np.logspace(np.log10(args.alpha_min), np.log10(args.alpha_max), args.alphas_n)


def add_common_args(ap):
    ap.add_argument("--responses", required=True)
    ap.add_argument("--design", required=True)
    ap.add_argument("--out", help="results .h5 (/voxels/alpha, r_test, r2_test)")
    ap.add_argument("--alphas-n", type=int, default=20)
    ap.add_argument("--alpha-min", type=float, default=1.0)
    ap.add_argument("--alpha-max", type=float, default=1e7)
    ap.add_argument("--precision", choices=["single", "double"], default="double")


def main():
    t0 = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--voxel-batch", type=int, default=0,
                    help="voxels per batch for the per-alpha intermediates (0 = all at once)")
    a = ap.parse_args()
    alphas = alpha_grid(a)
    res = run(a.responses, a.design, alphas, a.folds, a.precision, a.voxel_batch or None)
    t1 = time.perf_counter()
    if a.out:
        write_results(a.out, res, alphas)
    t2 = time.perf_counter()
    n, p, V, n_test = res["shape"]
    print(json.dumps({
        "tool": "himalaya_style", "precision": a.precision, "n_train": n, "p": p,
        "voxels": V, "n_test": n_test, "n_alphas": len(alphas), "folds": a.folds,
        "wall_s": round(t2 - t0, 4), "compute_s": round(t1 - res["t_loaded"], 4),
        "voxels_per_s": round(V / (t2 - t0), 2), "peak_rss_mb": round(peak_rss_mb(), 1),
        "valid_voxels": int(res["valid"].sum()),
        "median_r_test": float(np.nanmedian(res["r_test"])) if res["valid"].any() else None}))


if __name__ == "__main__":
    main()
