#!/usr/bin/python3
"""`b2m stats` throughput: permutations x voxels per second, against numpy
doing the same test on the same data (issue 17's benchmark).

The data: an encode result's test rows at real size (60 test clips of 10
TRs, --voxels voxels, default 60,000; autocorrelated prediction and
responses with a weak shared signal), written in the layout encode
--save-predictions gives. b2m stats runs --permutations (default 1,000)
permutations at 1 and 2 ranks; the numpy baseline recomputes r for every
permutation from the permuted rows (the way one writes it in numpy, on
float64 with BLAS-free elementwise products) on a --numpy-voxels subset, and
its throughput is scaled to the whole. Both must give the same p on the
subset. Target: 1,000 permutations x 60,000 voxels in under 10 minutes on
2 cores; printed beside the ratio to numpy.

Usage: bench/stats_bench.py --b2m build/jobs/b2m [--voxels N] [--permutations P]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_env import env, mpirun  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def write_result(path, voxels, clips=60, rows=10, seed=0):
    rng = np.random.default_rng(seed)
    m = clips * rows
    with h5py.File(path, "w") as f:
        pred = f.create_dataset("test/prediction", (m, voxels), dtype="f4")
        obs = f.create_dataset("test/observed", (m, voxels), dtype="f4")
        r = f.create_dataset("voxels/r_test", (voxels,), dtype="f8")
        for b in range(0, voxels, 8192):
            n = min(8192, voxels - b)
            shared = rng.standard_normal((m, n))
            p = 0.2 * shared + rng.standard_normal((m, n))
            y = 0.2 * shared + rng.standard_normal((m, n))
            pred[:, b:b + n], obs[:, b:b + n] = p, y
            r[b:b + n] = np.array([np.corrcoef(p[:, j], y[:, j])[0, 1] for j in range(n)])
        f["test"].attrs["clip_rows"] = [float(rows)]
        # Every row tested, as numpy_p does (leaving carry-over rows out
        # only lowers the one-time cost of the clip products).
        f["test"].attrs["carry_over_rows"] = [0.0]


def numpy_p(pred, obs, rows, perms):
    def z(x):
        x = x.astype(np.float64) - x.mean(axis=0)
        return x / np.sqrt((x ** 2).mean(axis=0))
    m, v = pred.shape
    zp, zy = z(pred), z(obs)
    r = (zp * zy).mean(axis=0)
    blocks = zy.reshape(m // rows, rows, v)
    exceed = np.zeros(v)
    for pi in perms:
        exceed += (zp * blocks[pi].reshape(m, v)).mean(axis=0) >= r
    return (1 + exceed) / (1 + len(perms))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--b2m", default=os.path.join(ROOT, "build", "jobs", "b2m"))
    ap.add_argument("--voxels", type=int, default=60000)
    ap.add_argument("--numpy-voxels", type=int, default=2000)
    ap.add_argument("--permutations", type=int, default=1000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as w:
        data = os.path.join(w, "enc.h5")
        write_result(data, a.voxels)
        times = {}
        for ranks in (1, 2):
            out = os.path.join(w, f"stats{ranks}.h5")
            start = time.monotonic()
            r = subprocess.run(mpirun(ranks) + [a.b2m, "stats", data, "--permutations", str(a.permutations),
                                                "--seed", "1", "--out", out],
                               capture_output=True, text=True, env=env())
            times[ranks] = time.monotonic() - start
            if r.returncode != 0:
                sys.exit(f"b2m stats failed:\n{r.stderr[-2000:]}")
        with h5py.File(out, "r") as f:
            perms = f["null/permutations"][...]
            p_b2m = f["voxels/p_permutation"][: a.numpy_voxels]
        with h5py.File(data, "r") as f:
            pred = f["test/prediction"][:, : a.numpy_voxels]
            obs = f["test/observed"][:, : a.numpy_voxels]
        start = time.monotonic()
        p_np = numpy_p(pred, obs, 10, perms)
        t_np = (time.monotonic() - start) * a.voxels / a.numpy_voxels
    work = a.permutations * a.voxels
    same = np.mean(p_np == p_b2m)
    print(f"b2m stats, {a.permutations} permutations x {a.voxels} voxels (60 clips x 10 TRs)")
    print(f"  numpy (scaled from {a.numpy_voxels} voxels)  {t_np:8.1f} s  {work / t_np:12.3g} permutation-voxels/s")
    for ranks, t in times.items():
        print(f"  b2m, {ranks} rank(s)                  {t:8.1f} s  {work / t:12.3g} permutation-voxels/s"
              f"  ({t_np / t:.0f}x numpy)")
    print(f"  p equal to numpy's on the subset: {same:.2%}")
    target = times[2] < 600 * a.permutations * a.voxels / (1000 * 60000)
    print(f"  target (1,000 x 60,000 in under 10 minutes on 2 cores): {'met' if target else 'MISSED'}")
    return 0 if target and same > 0.999 else 1


if __name__ == "__main__":
    sys.exit(main())
