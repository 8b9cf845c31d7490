#!/usr/bin/python3
"""`b2m partition` cost: banded ridge over 2 and 3 feature spaces against
one b2m encode of the same joint design and against numpy doing
himalaya's banded ridge on the same data (issue 17's benchmark).

The data: a simulated subject (easy preset, --voxels voxels, default
20,000) and the designs of MuLan-music, MuLan-text and SoundStream (128
dimensions each; delays 1-4: 512 columns per space). b2m runs at 2 ranks:
  * encode of the joint design of the spaces (the columns side by side):
    the cost of one model of the partition's size;
  * partition of the 2 spaces (--grid-steps 4: 5 candidates) and of the 3
    spaces (--grid-steps 3: 10 candidates).
The numpy baseline does what himalaya's BandedRidgeCV(solver="random_search")
does, on b2m's candidates instead of Dirichlet draws: for each candidate the
z-scored design with band b scaled by sqrt(g_b), then RidgeCV by thin SVD per
fold and the explicit per-alpha prediction matrix (bench/himalaya_style_baseline.py,
with the 2 cores to BLAS), the least mean validation error per voxel and
subset, and a refit of the joint subset's picks. Its time is measured at two
voxel counts (--numpy-voxels and 3x that) and extrapolated linearly to all
voxels (the per-candidate SVDs and per-alpha matrices do not grow with the
voxels, so scaling one measurement would overstate numpy). Both must pick
the same candidate and alpha for the joint model on the voxels numpy ran
(where the best is clear).
Targets: a 2-band partition at most 5x one encode and faster than numpy.

Usage: bench/partition_bench.py --b2m build/jobs/b2m [--voxels N] [--alphas N]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import himalaya_style_baseline as hb  # noqa: E402
from stats_bench import env, mpirun  # noqa: E402

SPACES = ["mulan_music", "mulan_text", "soundstream"]
DELAYS = "1,2,3,4"
EVENTS = os.path.join(ROOT, "data", "ds003720", "func")


def simplex_grid(bands, steps):
    """b2m's candidates, in b2m's order (solvers/banded_ridge.hpp)."""
    def parts(left, n):
        if n == 1:
            yield (left,)
            return
        for k in range(left, -1, -1):
            for rest in parts(left - k, n - 1):
                yield (k,) + rest
    grid = sorted(parts(steps, bands), key=lambda p: sum(1 for v in p if v > 0))
    return [tuple(k / steps for k in p) for p in grid]


def b2m(args, cmd, ranks=2):
    start = time.monotonic()
    r = subprocess.run(mpirun(ranks) + [args.b2m] + [str(c) for c in cmd], capture_output=True,
                       text=True, env=env())
    if r.returncode != 0:
        sys.exit(f"b2m {cmd[0]} failed:\n{r.stderr[-2000:]}")
    return time.monotonic() - start


def numpy_banded(bands, bands_test, y, runs, y_test, alphas, candidates):
    """Per voxel the joint model's pick (candidate, alpha index) and its test R^2."""
    x = np.hstack(bands)
    xt = np.hstack(bands_test)
    y, y_test = y.copy(), y_test.copy()
    valid = hb.preprocess(x, y, runs, xt, y_test)
    edges = np.cumsum([0] + [b.shape[1] for b in bands])

    def weighted(a, g):
        return np.hstack([np.sqrt(w) * a[:, edges[b]:edges[b + 1]] for b, w in enumerate(g) if w > 0])

    best_mse = np.full(y.shape[1], np.inf)
    pick = np.zeros(y.shape[1], dtype=int)
    alpha = np.zeros(y.shape[1], dtype=int)
    for c, g in enumerate(candidates):
        scores = hb.cv_scores(weighted(x, g), y, runs, alphas, 5)
        a = np.argmin(scores, axis=0)
        mse = scores[a, np.arange(y.shape[1])]
        better = mse < best_mse
        best_mse[better], pick[better], alpha[better] = mse[better], c, a[better]
    r2 = np.full(y.shape[1], np.nan)
    for c in np.unique(pick):
        mine = (pick == c) & valid
        _, r2c = hb.refit_test(weighted(x, candidates[c]), y, weighted(xt, candidates[c]), y_test,
                               alphas, alpha, mine)
        r2[mine] = r2c[mine]
    return pick, alpha, r2


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--b2m", default=os.path.join(ROOT, "build", "jobs", "b2m"))
    ap.add_argument("--voxels", type=int, default=20000)
    ap.add_argument("--numpy-voxels", type=int, default=500)
    ap.add_argument("--alphas", type=int, default=20)
    a = ap.parse_args()
    alphas = np.logspace(0, 7, a.alphas)
    alpha_opts = ["--n-alphas", a.alphas, "--alpha-min", 1, "--alpha-max", 1e7]
    with tempfile.TemporaryDirectory() as w:
        study = os.path.join(w, "study")
        b2m(a, ["simulate", "--preset", "easy", "--events", EVENTS, "--subjects", 1, "--voxels", a.voxels,
                "--seed", 3, "--out-dir", study])
        responses = os.path.join(study, "sub-01_responses.h5")
        features = os.path.join(study, "features.h5")
        designs = []
        for space in SPACES:
            designs.append(os.path.join(w, f"{space}.h5"))
            b2m(a, ["design", "--features", features, "--space", space, "--events", EVENTS, "--delays",
                    DELAYS, "--out", designs[-1]])
        parts = []
        for path in designs:
            with h5py.File(path, "r") as f:
                parts.append((f["train/X"][...], f["test/X"][...]))
        times = {}
        for bands in (2, 3):
            joint = os.path.join(w, f"joint{bands}.h5")
            with h5py.File(joint, "w") as f:
                f["train/X"] = np.hstack([p[0] for p in parts[:bands]])
                f["test/X"] = np.hstack([p[1] for p in parts[:bands]])
            times[f"encode{bands}"] = b2m(a, ["encode", responses, "--design", joint, *alpha_opts, "--out",
                                              os.path.join(w, f"enc{bands}.h5")])
            steps = 4 if bands == 2 else 3
            spaces = [o for s in SPACES[:bands] for o in ("--space", s)]
            times[f"partition{bands}"] = b2m(a, ["partition", responses, "--features", features, "--events",
                                                 EVENTS, *spaces, "--delays", DELAYS, "--grid-steps", steps,
                                                 *alpha_opts, "--out", os.path.join(w, f"part{bands}.h5")])
            print(f"{bands} bands: encode {times[f'encode{bands}']:.1f} s, "
                  f"partition {times[f'partition{bands}']:.1f} s", flush=True)
        with h5py.File(responses, "r") as f:
            y_all, runs, yt_all = f["train/Y"][...], f["train/run"][...], f["test/Y"][...]
        with h5py.File(os.path.join(w, "part2.h5"), "r") as f:
            b2m_pick = f["subsets/candidate"][2]
            b2m_alpha = f["subsets/alpha"][2]
            b2m_r2 = f["subsets/r2_test"][2]
    candidates = simplex_grid(2, 4)
    measured = {}
    for v in (a.numpy_voxels, 3 * a.numpy_voxels):
        start = time.monotonic()
        pick, alpha, r2 = numpy_banded([p[0].astype(np.float64) for p in parts[:2]],
                                       [p[1].astype(np.float64) for p in parts[:2]], y_all[:, :v].astype(np.float64),
                                       runs, yt_all[:, :v].astype(np.float64), alphas, candidates)
        measured[v] = time.monotonic() - start
    v1, v2 = sorted(measured)
    t_numpy = measured[v1] + (measured[v2] - measured[v1]) / (v2 - v1) * (a.voxels - v1)
    agree = (pick == b2m_pick[:v2]) & np.isclose(alphas[alpha], b2m_alpha[:v2], rtol=1e-9)
    r2_diff = np.nanmax(np.abs(r2[agree] - b2m_r2[:v2][agree]))

    print(f"b2m partition, {a.voxels} voxels, {a.alphas} alphas, 5 folds, spaces of 512 columns, 2 ranks")
    for bands in (2, 3):
        enc, part = times[f"encode{bands}"], times[f"partition{bands}"]
        print(f"  {bands} bands: encode of the joint design {enc:7.1f} s, partition {part:7.1f} s "
              f"= {part / enc:.2f}x one encode")
    print(f"  numpy himalaya-style banded ridge, 2 bands (5 candidates; {measured[v1]:.1f} s at {v1}, "
          f"{measured[v2]:.1f} s at {v2} voxels, extrapolated): {t_numpy:.1f} s "
          f"= {t_numpy / times['partition2']:.2f}x b2m's partition")
    print(f"  joint picks equal to numpy's on {agree.mean():.1%} of {v2} voxels, test R^2 within {r2_diff:.1e}")
    ratio_ok = times["partition2"] <= 5 * times["encode2"]
    faster = times["partition2"] < t_numpy
    print(f"  target (2 bands at most 5x one encode): {'met' if ratio_ok else 'MISSED'}")
    print(f"  target (faster than numpy's banded ridge): {'met' if faster else 'MISSED'}")
    return 0 if ratio_ok and faster and agree.mean() > 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
