#!/usr/bin/python3
"""b2m partition (issue 17, item 2) against numpy and against b2m encode.

One simulated subject (easy preset, 240 voxels), MuLan-music and MuLan-text
with FIR delays 1 and 2, 4 alphas, --grid-steps 2: candidates (1, 0),
(0, 1) and (1/2, 1/2).
  * each single-space subset is b2m encode of that space: the same alpha,
    cv_score, r_test and r2_test, to round-off;
  * numpy banded ridge: every candidate x alpha solved in closed form fold
    by fold on the z-scored design with band b scaled by sqrt(g_b); per voxel
    and subset the pick is the least summed validation error among the
    candidates inside the subset, and its refit's test R^2 is b2m's;
  * the partition identities: the exact regions give back every subset's
    R^2 through R^2(S) = sum of the regions S touches; the corrected ones
    are >= 0 and equal the exact ones where those are;
  * the same picks at 1, 2 and 4 ranks and the same scores to round-off
    (summation order differs with the fold groups' shares; the 1-rank
    output is kept beside the work directories);
  * a voxel constant in the training rows gets no pick (candidate -1) and
    NaN scores and regions;
  * --roi-summary: per ROI and region the mean and median corrected size
    over the voxels whose joint test R^2 reaches 0.05 are numpy's;
  * bad specifications refused on every rank.
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
import testdata  # noqa: E402
from encode_vs_sklearn import make_folds, r_squared, run_ranges, zscore_within  # noqa: E402

SPACES = ["mulan_music", "mulan_text"]
DELAYS = "1,2"
ALPHAS = [1.0, 30.0, 1000.0, 30000.0]
CANDIDATES = [(1.0, 0.0), (0.0, 1.0), (0.5, 0.5)]
SETS = ["candidate", "alpha", "cv_score", "r_test", "r2_test"]
CONSTANT = 7  # this voxel is made constant


def read_partition(path):
    with h5py.File(path, "r") as f:
        out = {name: f[f"subsets/{name}"][...] for name in SETS}
        out["exact"] = f["partition/exact"][...]
        out["corrected"] = f["partition/corrected"][...]
        out["weights"] = f["candidates/weights"][...]
    return out


def numpy_banded(x_bands, x_test_bands, y, run, y_test):
    """Per subset (masks 1..3), per voxel: the pick (candidate, alpha index)
    and its refit's test R^2, by closed-form banded ridge."""
    runs = run_ranges(run)
    xs = [zscore_within(x, runs)[0] for x in x_bands]
    xts = [zscore_within(x, [(0, x.shape[0])])[0] for x in x_test_bands]
    y, _ = zscore_within(y, runs)
    yt, _ = zscore_within(y_test, [(0, y_test.shape[0])])
    folds = make_folds(runs, 5)
    n, v = y.shape

    def design(parts, g):
        return np.hstack([np.sqrt(w) * p for w, p in zip(g, parts) if w > 0])

    error = np.zeros((len(CANDIDATES), len(ALPHAS), v))
    for c, g in enumerate(CANDIDATES):
        x = design(xs, g)
        for a, b in folds:
            train = np.r_[0:a, b:n]
            gram, cross = x[train].T @ x[train], x[train].T @ y[train]
            for i, alpha in enumerate(ALPHAS):
                w = np.linalg.solve(gram + alpha * np.eye(x.shape[1]), cross)
                error[c, i] += ((y[a:b] - x[a:b] @ w) ** 2).mean(axis=0)
    picks = {}
    for mask in (1, 2, 3):
        inside = [c for c, g in enumerate(CANDIDATES)
                  if all(w == 0 or (mask >> b) & 1 for b, w in enumerate(g))]
        flat = error[inside].reshape(len(inside) * len(ALPHAS), v)
        best = np.argmin(flat, axis=0)
        ordered = np.sort(flat, axis=0)
        clear = (ordered[1] - ordered[0]) > 1e-9 * ordered[0]
        cand = np.array(inside)[best // len(ALPHAS)]
        alpha = np.array(ALPHAS)[best % len(ALPHAS)]
        r2 = np.full(v, np.nan)
        for c in np.unique(cand):
            x, xt = design(xs, CANDIDATES[c]), design(xts, CANDIDATES[c])
            for al in np.unique(alpha[cand == c]):
                cols = np.flatnonzero((cand == c) & (alpha == al))
                w = np.linalg.solve(x.T @ x + al * np.eye(x.shape[1]), x.T @ y[:, cols])
                r2[cols] = r_squared(xt @ w, yt[:, cols])
        picks[mask] = (cand, alpha, r2, clear)
    return picks


def body(opts, checks):
    study = harness.simulate_study(opts, checks, 1, 240, 3)
    if study is None:
        return
    responses = os.path.join(opts.scratch, "sub-01_responses.h5")
    shutil.copyfile(os.path.join(study, "sub-01_responses.h5"), responses)
    with h5py.File(responses, "r+") as f:
        for name in ("train/Y", "test/Y", "test/Y_reps"):
            if name in f:
                f[name][..., CONSTANT] = 2.5
    features = os.path.join(study, "features.h5")
    alphas = ",".join(str(a) for a in ALPHAS)
    common = ["--features", features, "--events", opts.events, "--delays", DELAYS, "--alphas", alphas]
    r = harness.run_b2m(opts, ["partition", responses, *common, "--space", SPACES[0], "--space", SPACES[1],
                               "--grid-steps", 2, "--block-size", 100, "--roi-summary", "rois.tsv",
                               "--out", "part.h5"])
    if not checks.require_run("b2m partition of two spaces", r):
        return
    part = read_partition(os.path.join(opts.scratch, "part.h5"))
    checks.check("the candidates are the simplex grid of 2 steps, vertices first",
                 np.allclose(part["weights"], CANDIDATES), f"{part['weights'].tolist()}")
    others = np.delete(np.arange(part["candidate"].shape[1]), CONSTANT)
    checks.check("the constant voxel: candidate -1 and NaN in every subset and region, the others picked",
                 (part["candidate"][:, CONSTANT] == -1).all() and
                 all(np.isnan(part[k][:, CONSTANT]).all() for k in SETS[1:] + ["exact", "corrected"]) and
                 (part["candidate"][:, others] >= 0).all(), f"{part['candidate'][:, CONSTANT]}")

    # Each single space's subset is encode of that space.
    for b, space in enumerate(SPACES):
        out = f"encode_{space}.h5"
        r = harness.run_b2m(opts, ["encode", responses, *common, "--space", space, "--out", out])
        if not checks.require_run(f"b2m encode {space}", r):
            continue
        with h5py.File(os.path.join(opts.scratch, out), "r") as f:
            enc = {name: f[f"voxels/{name}"][...] for name in SETS[1:]}
        s = 1 << b
        worst = max(np.nanmax(np.abs(part[name][s - 1] - enc[name])) for name in SETS[1:])
        same_nan = all(np.array_equal(np.isnan(part[name][s - 1]), np.isnan(enc[name])) for name in SETS[1:])
        checks.check(f"subset {{{space}}} is encode of {space} (alpha, cv_score, r_test, r2_test)",
                     worst <= 1e-12 and same_nan and (part["candidate"][s - 1][others] == b).all(),
                     f"largest difference {worst:.2e}")

    # numpy banded ridge.
    bands, test_bands = [], []
    for space in SPACES:
        design = os.path.join(opts.scratch, f"design_{space}.h5")
        r = harness.run_b2m(opts, ["design", "--features", features, "--space", space, "--events",
                                   opts.events, "--delays", DELAYS, "--out", design])
        if not checks.require_run(f"b2m design {space}", r):
            return
        x, xt = testdata.read_design(design)
        bands.append(x)
        test_bands.append(xt)
    y, run, y_test = testdata.read_responses(responses)
    picks = numpy_banded(bands, test_bands, y, run, y_test)
    for mask, (cand, alpha, r2, clear) in picks.items():
        same = clear & (part["candidate"][mask - 1] == cand) & (part["alpha"][mask - 1] == alpha)
        diff = np.nanmax(np.abs(part["r2_test"][mask - 1][same] - r2[same])) if same.any() else np.inf
        checks.check(f"subset {mask}: the pick of numpy's banded ridge on every voxel whose best is clear, "
                     "and its test R^2",
                     same.sum() == clear.sum() and clear.mean() > 0.9 and diff < 1e-8,
                     f"{same.sum()} of {clear.sum()} clear voxels, test R^2 within {diff:.1e}")
    interior = (part["candidate"][2] == 2).mean()
    checks.check("the joint model takes the interior candidate on some voxels", interior > 0,
                 f"{interior:.2f} of voxels")

    # The partition identities.
    ok = np.isfinite(part["r2_test"]).all(axis=0)
    ex, co, r2 = part["exact"][:, ok], part["corrected"][:, ok], part["r2_test"][:, ok]
    touches = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 1]])  # R^2(A), R^2(B), R^2(AB) from (uA, uB, shared)
    worst = np.abs(touches @ ex - r2).max()
    checks.check("exact regions give back every subset's R^2", worst < 1e-12, f"{worst:.1e}")
    checks.check("exact regions: unique = R^2(AB) - R^2(other), shared = R^2(A) + R^2(B) - R^2(AB)",
                 np.allclose(ex[0], r2[2] - r2[1], atol=1e-14) and
                 np.allclose(ex[2], r2[0] + r2[1] - r2[2], atol=1e-14))
    nonneg = (ex >= 0).all(axis=0)
    checks.check("corrected regions are >= 0, equal to the exact ones where those are, and some differ",
                 (co >= 0).all() and np.allclose(co[:, nonneg], ex[:, nonneg], atol=1e-14) and
                 (~nonneg).any(), f"{(~nonneg).sum()} voxels corrected")

    # The per-ROI table.
    with h5py.File(responses, "r") as f:
        roi = f["voxels/roi"][...]
        roi_names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["voxels/roi"].attrs["names"]]
    with open(os.path.join(opts.scratch, "rois.tsv")) as f:
        rows = {(row["subject"], row["region"], row["roi"]): row for row in csv.DictReader(f, delimiter="\t")}
    predicted = part["r2_test"][2] >= 0.05
    worst, missing = 0.0, []
    for s, region in enumerate(["mulan_music", "mulan_text", "mulan_music+mulan_text"]):
        for k, name in enumerate(roi_names):
            row = rows.get(("sub-01", region, name))
            values = part["corrected"][s][predicted & (roi == k)]
            if row is None or not rows.get(("all", region, name)):
                missing.append((region, name))
                continue
            if values.size:
                worst = max(worst, abs(float(row["mean_mean"]) - values.mean()), abs(float(row["median_mean"]) -
                            np.sort(values)[values.size // 2]), abs(int(row["voxels"]) - values.size))
    checks.check("--roi-summary: every region x ROI, per subject and across, means and medians numpy's",
                 not missing and worst < 1e-5, f"missing {missing}, worst {worst:.1e}")

    # The same output at every rank count.
    keep = os.path.join(os.path.dirname(os.path.abspath(opts.work_dir)), ".partition-np1.h5")
    mine = os.path.join(opts.scratch, "part.h5")
    if opts.ranks == 1:
        shutil.copyfile(mine, keep)
    elif os.path.exists(keep):
        one = read_partition(keep)
        picks = (np.array_equal(one["candidate"], part["candidate"]) and
                 np.array_equal(one["alpha"], part["alpha"], equal_nan=True))
        worst = max(np.nanmax(np.abs(one[k] - part[k])) for k in ("cv_score", "r_test", "r2_test", "exact"))
        checks.check(f"the same picks at {opts.ranks} ranks as at 1, the scores within 1e-12", picks and worst < 1e-12,
                     f"largest difference {worst:.1e}")

    refused = [(["--space", SPACES[0]], "2 or 3"),
               (["--space", SPACES[0], "--space", SPACES[0]], "twice"),
               (["--space", SPACES[0], "--space", "no_such_space"], "no_such_space")]
    for extra, named in refused:
        r = harness.run_b2m(opts, ["partition", responses, *common, *extra, "--out", "refused.h5"])
        checks.check(f"partition {' '.join(extra)} is refused on every rank, naming {named!r}",
                     r.rc != 0 and named in r.stderr and r.every_rank_reported(opts.ranks), r.stderr[-300:])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
