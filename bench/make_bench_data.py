#!/usr/bin/python3
"""Write a synthetic responses file and design file (docs/formats.md) for benchmarks.

  X      : correlated gaussian features, low-rank factors with a decaying spectrum
           plus isotropic noise (train and test drawn from the same model).
  Y      : X @ W + noise, W = basis [p, q] @ loadings [q, V] (q = --w-rank); per-voxel
           signal scaled to unit variance over the training rows and multiplied by
           sqrt(snr), noise of unit variance (test noise divided by sqrt(--test-reps),
           as for a mean over repetitions). snr is log-uniform in [--snr-min, --snr-max];
           a fraction --null-frac of voxels is pure noise.
  /train/run : labels 0..runs-1, contiguous near-equal blocks.

Y is generated and written in column chunks of 2048 voxels, so memory stays a few
hundred MB whatever V is. Output: DIR/responses.h5, DIR/design.h5 (float32).
The first voxels of a larger V are identical to a smaller V with the same seed.
"""
import argparse
import json
import os
import sys
import time

import h5py
import numpy as np

CHUNK = 2048


def run_labels(n_train, runs):
    base, extra = divmod(n_train, runs)
    lengths = [base + (1 if r < extra else 0) for r in range(runs)]
    return np.repeat(np.arange(runs, dtype=np.int32), lengths)


def make_design(rng, n_all, p):
    r = max(4, p // 8)
    spectrum = 3.0 / np.sqrt(1.0 + np.arange(r) / 4.0)        # decaying factor scales
    mixing = rng.standard_normal((r, p)) * spectrum[:, None] / np.sqrt(p / r)
    X = rng.standard_normal((n_all, r)) @ mixing
    X += 0.5 * rng.standard_normal((n_all, p))
    return X


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-train", type=int, default=4920)
    ap.add_argument("--n-test", type=int, default=600)
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--p", type=int, default=512)
    ap.add_argument("--voxels", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--w-rank", type=int, default=32, help="rank of the true weights")
    ap.add_argument("--snr-min", type=float, default=0.01)
    ap.add_argument("--snr-max", type=float, default=1.0)
    ap.add_argument("--null-frac", type=float, default=0.2, help="fraction of pure-noise voxels")
    ap.add_argument("--test-reps", type=int, default=4,
                    help="test noise std is divided by sqrt(test_reps)")
    ap.add_argument("--chunked", action="store_true",
                    help="HDF5 chunked layout for Y (default contiguous)")
    ap.add_argument("--out-dir", required=True)
    a = ap.parse_args()
    if a.runs < 1 or a.n_train < a.runs:
        sys.exit("need n_train >= runs >= 1")

    t0 = time.time()
    os.makedirs(a.out_dir, exist_ok=True)
    n_tr, n_te, p, V = a.n_train, a.n_test, a.p, a.voxels
    n_all = n_tr + n_te
    rng = np.random.default_rng([a.seed, 0])
    X = make_design(rng, n_all, p)
    q = max(1, min(a.w_rank, p))
    basis = rng.standard_normal((p, q)) / np.sqrt(p)
    XB = X @ basis                                            # [n_all, q]

    def tmp(path):
        return path + ".tmp"

    dpath = os.path.join(a.out_dir, "design.h5")
    with h5py.File(tmp(dpath), "w") as f:
        f["train/X"] = X[:n_tr].astype(np.float32)
        f["test/X"] = X[n_tr:].astype(np.float32)
    del X

    rpath = os.path.join(a.out_dir, "responses.h5")
    kw = {}
    if a.chunked:
        kw = {"chunks": (min(n_tr, 256), min(V, 256))}
    with h5py.File(tmp(rpath), "w") as f:
        f["train/run"] = run_labels(n_tr, a.runs)
        ytr = f.create_dataset("train/Y", shape=(n_tr, V), dtype=np.float32, **kw)
        kwt = {"chunks": (min(n_te, 256), min(V, 256))} if a.chunked else {}
        yte = f.create_dataset("test/Y", shape=(n_te, V), dtype=np.float32, **kwt)
        test_scale = 1.0 / np.sqrt(max(1, a.test_reps))
        for ci, c0 in enumerate(range(0, V, CHUNK)):
            c1 = min(V, c0 + CHUNK)
            w = c1 - c0
            crng = np.random.default_rng([a.seed, 1, ci])
            load = crng.standard_normal((q, w))
            snr = np.exp(crng.uniform(np.log(a.snr_min), np.log(a.snr_max), w))
            snr[crng.random(w) < a.null_frac] = 0.0
            S = XB @ load                                     # [n_all, w] float64
            sd = S[:n_tr].std(axis=0)
            sd[sd == 0] = 1.0
            S *= np.sqrt(snr) / sd
            Yc = S.astype(np.float32)
            del S
            noise = crng.standard_normal((n_all, w), dtype=np.float32)
            noise[n_tr:] *= test_scale
            Yc += noise
            del noise
            ytr[:, c0:c1] = Yc[:n_tr]
            yte[:, c0:c1] = Yc[n_tr:]
            del Yc
    os.replace(tmp(dpath), dpath)
    os.replace(tmp(rpath), rpath)
    print(json.dumps({"responses": rpath, "design": dpath, "n_train": n_tr, "n_test": n_te,
                      "runs": a.runs, "p": p, "voxels": V, "seed": a.seed,
                      "seconds": round(time.time() - t0, 3)}))


if __name__ == "__main__":
    main()
