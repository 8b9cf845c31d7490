#!/usr/bin/python3
"""numpy baseline of b2m retrieve: cosine top-k of every query over the corpus,
float32 GEMM in chunks and np.argpartition, then a sort of the k best.
Writes /topk/index for comparison."""
import argparse
import time

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--chunk", type=int, default=65536)
    a = ap.parse_args()
    t0 = time.time()
    with h5py.File(a.queries, "r") as f:
        q = f["test/prediction"][...].astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    best_s = np.full((len(q), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(q), 0), dtype=np.int64)
    with h5py.File(a.corpus, "r") as f:
        e = f["embeddings"]
        for lo in range(0, e.shape[0], a.chunk):
            c = e[lo:lo + a.chunk].astype(np.float32)
            c /= np.linalg.norm(c, axis=1, keepdims=True)
            s = q @ c.T
            kk = min(a.k, s.shape[1])
            part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
            best_s = np.concatenate([best_s, np.take_along_axis(s, part, axis=1)], axis=1)
            best_i = np.concatenate([best_i, part + lo], axis=1)
            keep = np.argsort(-best_s, axis=1, kind="stable")[:, :a.k]
            best_s = np.take_along_axis(best_s, keep, axis=1)
            best_i = np.take_along_axis(best_i, keep, axis=1)
    with h5py.File(a.out, "w") as f:
        f["topk/index"] = best_i
        f["topk/score"] = best_s
    print(f"done in {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
