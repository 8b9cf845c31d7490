#!/usr/bin/python3
"""numpy baseline of b2m decode's dual algorithm (or scikit-learn KernelRidge per alpha).

Same inputs and the same steps as `b2m decode` (whole-brain model): samples from
the events (the reference test's builder), inputs z-scored per run, targets
standardized; K = X X^T; per run-grouped fold one eigh of K[tr, tr] serves all
alphas; argmin of the mean validation MSE per target; refit eigh(K); test
predictions. --sklearn instead fits sklearn KernelRidge(kernel="precomputed")
for every fold and alpha (what a user without the eigen trick would do).
Writes /test/prediction and /dims/alpha for comparison.
"""
import argparse
import os
import sys
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
sys.dont_write_bytecode = True
from decode_vs_sklearn import build_samples, folds_of, run_ranges, zscore  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--responses", required=True)
    ap.add_argument("--features", required=True)
    ap.add_argument("--space", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--alphas", default="")
    ap.add_argument("--sklearn", action="store_true")
    a = ap.parse_args()
    alphas = np.array([float(x) for x in a.alphas.split(",")]) if a.alphas else np.logspace(0, 9, 20)
    t0 = time.time()
    with h5py.File(a.responses, "r") as f:
        y_train = f["train/Y"][...]
        run = f["train/run"][...]
        y_test = f["test/Y"][...]
    with h5py.File(a.features, "r") as f:
        ids = [c.decode() if isinstance(c, bytes) else c for c in f["clips"].attrs["ids"]]
        emb = f[f"spaces/{a.space}/embeddings"][...].astype(np.float64)
        window_s = float(f[f"spaces/{a.space}"].attrs["window_s"][0])
        step_s = float(f[f"spaces/{a.space}"].attrs["step_s"][0])
    lengths = [e - b for b, e in run_ranges(list(run))]
    train, test = build_samples(a.events, lengths, ids, emb.shape[1], window_s, step_s, False)
    runs = run_ranges([s[3] for s in train])
    x = zscore(np.stack([y_train[s[0]].mean(axis=0, dtype=np.float64) for s in train]), runs)
    xt = zscore(np.stack([y_test[s[0]].mean(axis=0, dtype=np.float64) for s in test]), [(0, len(test))])
    del y_train, y_test
    y = np.stack([emb[s[1], s[2]] for s in train])
    mean, sd = y.mean(axis=0), y.std(axis=0)
    yz = (y - mean) / sd
    print(f"loaded and aligned in {time.time() - t0:.1f} s", flush=True)
    k = x @ x.T
    k_test = xt @ x.T
    n, d = yz.shape
    mse = np.zeros((len(alphas), d))
    for lo, hi in folds_of(runs, 5):
        tr = np.r_[0:lo, hi:n]
        if a.sklearn:
            from sklearn.kernel_ridge import KernelRidge
            for i, alpha in enumerate(alphas):
                model = KernelRidge(alpha=alpha, kernel="precomputed").fit(k[np.ix_(tr, tr)], yz[tr])
                pred = model.predict(k[lo:hi][:, tr])
                mse[i] += ((yz[lo:hi] - pred) ** 2).mean(axis=0)
        else:
            lam, u = np.linalg.eigh(k[np.ix_(tr, tr)])
            lam = np.maximum(lam, 0)
            left = k[lo:hi][:, tr] @ u
            b = u.T @ yz[tr]
            for i, alpha in enumerate(alphas):
                pred = left @ (b / (lam + alpha)[:, None])
                mse[i] += ((yz[lo:hi] - pred) ** 2).mean(axis=0)
    best = np.argmin(mse, axis=0)
    lam, u = np.linalg.eigh(k)
    lam = np.maximum(lam, 0)
    dual = u @ ((u.T @ yz) / (lam[:, None] + alphas[best][None, :]))
    pred = (k_test @ dual) * sd + mean
    with h5py.File(a.out, "w") as f:
        f["test/prediction"] = pred
        f["dims/alpha"] = alphas[best]
    print(f"done in {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
