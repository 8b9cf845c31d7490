#!/usr/bin/python3
"""Single and double precision choose the same alpha, even at near ties.

The alpha choice is a discontinuous function of the cross-validation
scores: where the two best alphas score within float rounding of each other,
a float computation picks either. b2m rescores such voxels in double. This
test makes voxels whose two best alphas are tied to about 1e-10 relative
(far below float resolution, far above double's), by bisecting the noise
level of a voxel between the values where each of the two alphas wins, and
checks on float32-stored responses (the format's contract; then a float read
loses nothing) that
  * the crafted voxels really are near ties under the brute-force reference,
  * `--precision single` chooses exactly the alpha `--precision double` does,
    for every voxel, crafted or not,
  * and test r agrees to 1e-4 (the issue's bound) for every voxel.
Without the rescoring, about half the crafted voxels flip.
"""
import os
import sys

sys.dont_write_bytecode = True

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import testdata  # noqa: E402
from encode_vs_sklearn import ALPHAS, FOLDS, make_folds, read_result, run_ranges, zscore_within  # noqa: E402

CRAFTED = 8
TIE = 1e-9  # relative gap a crafted voxel must reach


class FoldSolver:
    """Brute-force mean validation MSE of one column, for every alpha."""

    def __init__(self, x, folds):
        self.x, self.folds = x, folds
        self.parts = []
        n = x.shape[0]
        for a, b in folds:
            train = np.r_[0:a, b:n]
            lam, vec = np.linalg.eigh(x[train].T @ x[train])
            self.parts.append((a, b, train, lam, vec))

    def scores(self, y):
        out = np.zeros(len(ALPHAS))
        for a, b, train, lam, vec in self.parts:
            proj = vec.T @ (self.x[train].T @ y[train])
            for i, alpha in enumerate(ALPHAS):
                w = vec @ (proj / (lam + alpha))
                out[i] += ((y[a:b] - self.x[a:b] @ w) ** 2).mean()
        return out / len(self.folds)


def craft(solver, runs, signal, noise):
    """Noise level c where y = float32(signal + c noise) ties its two best
    alphas; returns (y, relative gap) or None."""
    def stored(c):
        return (signal + c * noise).astype(np.float32).astype(np.float64)

    def score(c):
        z, _ = zscore_within(stored(c)[:, None], runs)
        return solver.scores(z[:, 0])

    grid = np.logspace(-1.5, 1.5, 31)
    best = [int(np.argmin(score(c))) for c in grid]
    for k in range(len(grid) - 1):
        i, j = best[k], best[k + 1]
        if i == j:
            continue
        lo, hi = grid[k], grid[k + 1]
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            s = score(mid)
            if s[i] <= s[j]:
                lo = mid
            else:
                hi = mid
        for c in (lo, hi):
            s = score(c)
            order = np.argsort(s)
            gap = (s[order[1]] - s[order[0]]) / s[order[0]]
            if {order[0], order[1]} == {i, j} and gap <= TIE:
                return stored(c), gap
    return None


def body(opts, checks):
    w = opts.scratch
    data = testdata.make_dataset(seed=21, voxels=120)
    x_train, _ = zscore_within(data.x_train, run_ranges(data.run))
    runs = run_ranges(data.run)
    solver = FoldSolver(x_train, make_folds(runs, FOLDS))
    rng = np.random.default_rng(5)
    y_train = [data.y_train[:, j] for j in range(data.y_train.shape[1])]
    y_test = [data.y_test[:, j] for j in range(data.y_test.shape[1])]
    gaps = []
    for j in range(60):
        if len(gaps) == CRAFTED:
            break
        made = craft(solver, runs, data.y_train[:, j], rng.standard_normal(data.y_train.shape[0]))
        if made is not None:
            y_train.append(made[0])
            y_test.append(data.y_test[:, j])
            gaps.append(made[1])
    checks.check(f"setup: {CRAFTED} voxels with their two best alphas tied to <= {TIE:g} relative",
                 len(gaps) == CRAFTED, f"made {len(gaps)}, gaps {gaps}")
    crafted = np.arange(len(y_train) - len(gaps), len(y_train))

    responses = os.path.join(w, "ties_responses.h5")
    design = os.path.join(w, "design.h5")
    with h5py.File(responses, "w") as f:
        f["train/Y"] = np.stack(y_train, axis=1).astype(np.float32)
        f["train/run"] = data.run
        f["test/Y"] = np.stack(y_test, axis=1).astype(np.float32)
    testdata.write_design(design, data)

    results = {}
    for precision in ("double", "single"):
        r = harness.run_b2m(opts, ["encode", responses, "--design", design, "--folds", FOLDS,
                                   "--out", precision + ".h5", "--precision", precision])
        if checks.require_run(f"{precision}: b2m encode succeeds", r):
            results[precision] = read_result(os.path.join(w, precision + ".h5"))
    if len(results) < 2:
        return
    d, s = results["double"], results["single"]
    differ = np.flatnonzero(d["alpha"] != s["alpha"])
    checks.check("single chooses the alpha double chooses, at every voxel", differ.size == 0,
                 f"{differ.size} voxels differ: {differ[:10]} (crafted: {crafted})")
    checks.check("... including every crafted near tie", np.array_equal(d["alpha"][crafted], s["alpha"][crafted]),
                 f"double {d['alpha'][crafted]} single {s['alpha'][crafted]}")
    dr = float(np.max(np.abs(d["r_test"] - s["r_test"])))
    checks.check("max |r_test single - double| <= 1e-4 over all voxels", dr <= 1e-4, f"{dr:.3g}")


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body)
