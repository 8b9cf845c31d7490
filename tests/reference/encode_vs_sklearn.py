#!/usr/bin/python3
"""b2m encode against an independent reference built on scikit-learn.

The reference re-implements the documented behaviour of `b2m encode` as
plainly as possible: per-run z-scoring (population std, constant -> 0),
run-grouped contiguous folds in order of appearance, a brute-force grid
search with sklearn Ridge(fit_intercept=False) per fold and alpha, argmin of
the mean validation MSE, refit on all training rows. Checks:
  (a) chosen alpha (equal, except near ties of the reference CV scores)
  (b) r_test / r2_test against the sklearn refit at the chosen alpha
  (c) cv_score against the brute force at the chosen alpha
  (d) /weights against the closed form solve(X'X + aI, X'y)
  (e) --block-size / --fold-groups / --factor-memory variants equal the default run
      (--factor-memory 0: one pass over the responses per fold instead of one
      for all folds; single precision too, whose near-tie rescoring reads the
      parked factors)
  (f) constant voxels: NaN everywhere, valid == 0
plus p_test against the documented one-sided Fisher-z test with Bartlett's
effective sample size within test clips (analysis/significance.hpp), and a
two-subject run.
"""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np
from scipy.stats import norm
from scipy.stats import t as t_dist
from sklearn.linear_model import Ridge

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import testdata  # noqa: E402

FOLDS = 5
ALPHAS = np.logspace(0.0, 7.0, 20)  # b2m's documented default grid: 20 values, 1 .. 1e7
CLIP_ROWS = 5
RESULT_SETS = ["alpha", "cv_score", "r_test", "r2_test", "p_test"]


# ----------------------------------------------------------------- reference
def run_ranges(labels):
    out = []
    for i, label in enumerate(labels):
        if i == 0 or label != labels[i - 1]:
            out.append([i, i])
        out[-1][1] = i + 1
    return [tuple(r) for r in out]


def zscore_within(m, ranges):
    """Per range, per column: (x - mean) / population std; constant -> 0.
    Returns the z-scored copy and, per column, whether it varied anywhere."""
    out = np.zeros_like(m, dtype=np.float64)
    varies = np.zeros(m.shape[1], dtype=bool)
    for a, b in ranges:
        block = m[a:b].astype(np.float64)
        mean = block.mean(axis=0)
        std = block.std(axis=0)
        ok = std > 0
        out[a:b][:, ok] = (block[:, ok] - mean[ok]) / std[ok]
        varies |= ok
    return out, varies


def make_folds(runs, k):
    """Runs dealt, in order, into k contiguous groups of near-equal run count
    (the first len(runs) % k groups get one more run); rows of each group."""
    base, extra = divmod(len(runs), k)
    folds, r = [], 0
    for f in range(k):
        count = base + (1 if f < extra else 0)
        folds.append((runs[r][0], runs[r + count - 1][1]))
        r += count
    return folds


class Reference:
    def __init__(self, x_train, x_test, y_train, run, y_test, folds=FOLDS, alphas=ALPHAS):
        self.runs = run_ranges(run)
        self.x, _ = zscore_within(x_train, self.runs)
        self.xt, _ = zscore_within(x_test, [(0, x_test.shape[0])])
        self.y, self.varies = zscore_within(y_train, self.runs)
        self.yt, _ = zscore_within(y_test, [(0, y_test.shape[0])])
        self.folds = make_folds(self.runs, folds)
        self.alphas = alphas
        self._brute_force()

    def _brute_force(self):
        n, v = self.y.shape
        mse = np.zeros((len(self.alphas), v))
        r2 = np.zeros((len(self.alphas), v))
        for a, b in self.folds:
            train = np.r_[0:a, b:n]
            y_val = self.y[a:b]
            var = y_val.var(axis=0)
            for i, alpha in enumerate(self.alphas):
                model = Ridge(alpha=alpha, fit_intercept=False).fit(self.x[train], self.y[train])
                fold_mse = ((y_val - model.predict(self.x[a:b])) ** 2).mean(axis=0)
                mse[i] += fold_mse
                with np.errstate(divide="ignore", invalid="ignore"):
                    r2[i] += 1.0 - fold_mse / var
        self.score = mse / len(self.folds)  # mean validation MSE [alpha, V]
        self.cv_r2 = r2 / len(self.folds)
        self.best = np.argmin(self.score, axis=0)  # first minimum on ties

    def refit(self, alpha_per_voxel):
        """Test prediction of sklearn ridge at each voxel's alpha."""
        pred = np.full(self.yt.shape, np.nan)
        for alpha in np.unique(alpha_per_voxel[np.isfinite(alpha_per_voxel)]):
            cols = np.flatnonzero(alpha_per_voxel == alpha)
            model = Ridge(alpha=alpha, fit_intercept=False).fit(self.x, self.y[:, cols])
            pred[:, cols] = model.predict(self.xt).reshape(len(self.xt), len(cols))
        return pred

    def closed_form_weights(self, alpha_per_voxel):
        p = self.x.shape[1]
        w = np.full((p, self.y.shape[1]), np.nan)
        gram = self.x.T @ self.x
        for alpha in np.unique(alpha_per_voxel[np.isfinite(alpha_per_voxel)]):
            cols = np.flatnonzero(alpha_per_voxel == alpha)
            w[:, cols] = np.linalg.solve(gram + alpha * np.eye(p), self.x.T @ self.y[:, cols])
        return w


def pearson(pred, truth):
    pc = pred - pred.mean(axis=0)
    tc = truth - truth.mean(axis=0)
    return (pc * tc).sum(axis=0) / np.sqrt((pc ** 2).sum(axis=0) * (tc ** 2).sum(axis=0))


def r_squared(pred, truth):
    return 1.0 - ((truth - pred) ** 2).sum(axis=0) / ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)


def bartlett_p(pred, truth, r, segment, max_lag=20):
    """One-sided Fisher-z p of r over n / (1 + 2 sum_k (N_k / n) rho_x(k) rho_y(k))
    samples, the test rows being independent segments of `segment` rows: N_k
    pairs (t, t + k) lie inside a segment, and rho(k) is their mean lag
    product over the variance."""
    n = pred.shape[0]
    seg = np.arange(n) // segment

    def lag_products(x):
        xc = x - x.mean(axis=0)
        var = (xc ** 2).sum(axis=0) / n
        out, pairs = [], []
        for k in range(1, min(max_lag, segment - 1) + 1):
            inside = seg[k:] == seg[:-k]
            out.append((xc[k:][inside] * xc[:-k][inside]).sum(axis=0) / var)
            pairs.append(inside.sum())
        return np.array(out).reshape(-1, x.shape[1]), np.array(pairs, dtype=np.float64)

    sx, pairs = lag_products(pred)
    sy, _ = lag_products(truth)
    inflation = 1.0 + 2.0 * (sx * sy / (n * pairs[:, None])).sum(axis=0)
    n_eff = n / np.maximum(1.0, inflation)
    z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15)) * np.sqrt(n_eff - 3.0)
    return norm.sf(z)


# ---------------------------------------------------------------- utilities
def read_result(path):
    out = {}
    with h5py.File(path, "r") as f:
        for name in RESULT_SETS:
            out[name] = f["voxels/" + name][...].astype(np.float64)
        out["valid"] = f["voxels/valid"][...]
        out["alphas_attr"] = np.asarray(f["voxels"].attrs["alphas"], dtype=np.float64)
        out["weights"] = f["weights"][...].astype(np.float64) if "weights" in f else None
        out["complete"] = f.attrs.get("complete")
        if isinstance(out["complete"], bytes):
            out["complete"] = out["complete"].decode()
    return out


def max_abs(a, b, mask=None):
    d = np.abs(a - b)
    if mask is not None:
        d = d[..., mask]
    return float(np.max(d)) if d.size else 0.0


def alpha_indices(alpha):
    """Index of each chosen alpha in the reference grid (-1 if not on it)."""
    idx = np.full(alpha.shape, -1)
    for i, a in enumerate(ALPHAS):
        idx[np.isclose(alpha, a, rtol=1e-12, atol=0)] = i
    return idx


def gaussian_null_p(r, n):
    """The paper's null: r of two independent Gaussian vectors of n rows
    (r sqrt((n - 2) / (1 - r^2)) ~ t with n - 2 degrees of freedom)."""
    return t_dist.sf(r * np.sqrt((n - 2) / (1 - r ** 2)), n - 2)


def compare_to_reference(checks, tag, res, ref, double, constant, segment, null="autocorrelation"):
    """Checks (a), (b), (c), (d), (f) and p_test of one output (test clips of
    `segment` rows; `null` as encode --null)."""
    v = res["r_test"].shape[0]
    valid = np.ones(v, dtype=bool)
    valid[list(constant)] = False
    checks.check(f"{tag}: output marked complete", res["complete"] == "yes", f"complete={res['complete']!r}")
    checks.check(f"{tag}: alphas attribute is the 20-value grid 1..1e7",
                 res["alphas_attr"].shape == ALPHAS.shape and np.allclose(res["alphas_attr"], ALPHAS, rtol=1e-12, atol=0),
                 f"got {res['alphas_attr']}")

    # (a) chosen alpha
    idx = alpha_indices(res["alpha"])
    on_grid = idx[valid] >= 0
    checks.check(f"{tag}: (a) every chosen alpha lies on the grid", on_grid.all(),
                 f"{(~on_grid).sum()} voxels off the grid, e.g. {res['alpha'][valid][~on_grid][:5]}")
    cols = np.flatnonzero(valid)
    best_score = ref.score[ref.best[cols], cols]
    chosen_score = ref.score[np.maximum(idx[cols], 0), cols]
    tie_tol = 1e-9 if double else 1e-4
    same = idx[cols] == ref.best[cols]
    near_tie = (idx[cols] >= 0) & (chosen_score - best_score <= tie_tol * np.abs(best_score))
    bad = ~(same | near_tie)
    checks.check(f"{tag}: (a) chosen alpha == brute-force argmin (near ties <= {tie_tol:g} rel. allowed)",
                 not bad.any(),
                 f"{bad.sum()} voxels differ, e.g. voxel {cols[bad][:5]}: b2m {res['alpha'][cols][bad][:5]} "
                 f"ref {ALPHAS[ref.best[cols][bad][:5]]}; same={same.sum()}, ties={int((near_tie & ~same).sum())}")
    n_distinct = len(np.unique(ref.best[cols]))
    checks.check(f"{tag}: (a) the data exercise the grid (>= 4 distinct best alphas)", n_distinct >= 4,
                 f"{n_distinct} distinct")

    # (b) test scores against the sklearn refit at b2m's alpha
    pred = ref.refit(np.where(valid, res["alpha"], np.nan))
    r_ref = pearson(pred[:, cols], ref.yt[:, cols])
    r2_ref = r_squared(pred[:, cols], ref.yt[:, cols])
    tol = 1e-8 if double else 1e-4
    d_r = max_abs(res["r_test"][cols], r_ref)
    d_r2 = max_abs(res["r2_test"][cols], r2_ref)
    checks.check(f"{tag}: (b) r_test vs sklearn refit, max |delta| <= {tol:g}", d_r <= tol, f"max |delta| = {d_r:.3g}")
    checks.check(f"{tag}: (b) r2_test vs sklearn refit, max |delta| <= {tol:g}", d_r2 <= tol, f"max |delta| = {d_r2:.3g}")

    # (c) cv_score at the chosen alpha
    cv_ref = ref.cv_r2[np.maximum(idx[cols], 0), cols]
    ctol = 1e-8 if double else 1e-4
    d_cv = max_abs(res["cv_score"][cols], cv_ref)
    checks.check(f"{tag}: (c) cv_score vs brute force, max |delta| <= {ctol:g}", d_cv <= ctol, f"max |delta| = {d_cv:.3g}")

    # p_test: documented one-sided Fisher z with Bartlett's effective n, or
    # the paper's Gaussian null
    if null == "gaussian":
        p_ref, name = gaussian_null_p(r_ref, ref.yt.shape[0]), "the Gaussian null (scipy's t)"
    else:
        p_ref, name = bartlett_p(pred[:, cols], ref.yt[:, cols], r_ref, segment), "Fisher-z/Bartlett reference"
    ptol = 1e-7 if double else 1e-3
    d_p = max_abs(res["p_test"][cols], p_ref)
    checks.check(f"{tag}: p_test vs {name}, max |delta| <= {ptol:g}", d_p <= ptol,
                 f"max |delta| = {d_p:.3g}")

    # (d) weights against the closed form
    if res["weights"] is not None:
        w_ref = ref.closed_form_weights(np.where(valid, res["alpha"], np.nan))
        w = res["weights"]
        shape_ok = checks.check(f"{tag}: (d) /weights has shape [p, V]", w.shape == w_ref.shape,
                                f"{w.shape} vs {w_ref.shape}")
        if shape_ok:
            rel = np.linalg.norm(w[:, cols] - w_ref[:, cols], axis=0) / np.linalg.norm(w_ref[:, cols], axis=0)
            wtol = 1e-8 if double else 1e-3
            checks.check(f"{tag}: (d) weights vs solve(X'X + aI, X'y), max rel. error <= {wtol:g}",
                         float(rel.max()) <= wtol, f"max rel = {rel.max():.3g} at voxel {cols[np.argmax(rel)]}")

    # validity, (f) constant voxels
    checks.check(f"{tag}: valid == 1 and results finite for non-constant voxels",
                 (res["valid"][cols] == 1).all() and all(np.isfinite(res[k][cols]).all() for k in RESULT_SETS),
                 f"valid zeros at {cols[res['valid'][cols] != 1][:10]}")
    if len(constant):
        c = list(constant)
        checks.check(f"{tag}: (f) constant voxels {c}: valid == 0", (res["valid"][c] == 0).all(),
                     f"valid = {res['valid'][c]}")
        nan_all = all(np.isnan(res[k][c]).all() for k in RESULT_SETS)
        checks.check(f"{tag}: (f) constant voxels: NaN in every /voxels dataset", nan_all,
                     ", ".join(f"{k}={res[k][c]}" for k in RESULT_SETS))
    return pred


def compare_outputs(checks, tag, a, b, tol=1e-10):
    """(e) every output of a variant equals the default run."""
    worst, where = 0.0, ""
    ok = True
    for k in RESULT_SETS + ["weights"]:
        x, y = a[k], b[k]
        if x is None or y is None:
            ok &= x is None and y is None
            continue
        if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
            ok = False
            where += f" {k}: shape/NaN pattern differ;"
            continue
        d = max_abs(np.nan_to_num(x), np.nan_to_num(y))
        if d > worst:
            worst, where = d, where + f" {k}: {d:.3g};"
    ok &= np.array_equal(a["valid"], b["valid"])
    checks.check(f"{tag}: (e) every output equals the default run to {tol:g}", ok and worst <= tol,
                 f"max |delta| = {worst:.3g};{where}")


# ---------------------------------------------------------------- the test
def body(opts, checks):
    w = opts.scratch
    constant = (7, 298)
    data = testdata.make_dataset(seed=11, constant_voxels=constant, partly_constant_voxel=40)
    responses = os.path.join(w, "sub-01_responses.h5")
    design = os.path.join(w, "design.h5")
    testdata.write_responses(responses, data)
    with h5py.File(responses, "r+") as f:  # 12 test clips of 5 rows (p_test's segments)
        f["test"].attrs["ids"] = [b"clip%02d" % c for c in range(data.y_test.shape[0] // CLIP_ROWS)]
    testdata.write_design(design, data)
    x_train, x_test = testdata.read_design(design)
    y_train, run, y_test = testdata.read_responses(responses)
    ref = Reference(x_train, x_test, y_train, run, y_test)
    checks.check("reference: constant voxels detected by the reference z-scoring",
                 list(np.flatnonzero(~ref.varies)) == list(constant), f"{np.flatnonzero(~ref.varies)}")

    base = ["encode", responses, "--design", design, "--folds", FOLDS, "--save-weights"]
    runs = {
        "double": base + ["--out", "double.h5"],
        "single": base + ["--out", "single.h5", "--precision", "single"],
        "block7": base + ["--out", "block7.h5", "--block-size", 7],
        "perfold": base + ["--out", "perfold.h5", "--factor-memory", 0],
        "single_perfold": base + ["--out", "single_perfold.h5", "--precision", "single",
                                  "--factor-memory", 0],
    }
    if opts.ranks % 2 == 0:
        runs["foldgroups2"] = base + ["--out", "foldgroups2.h5", "--fold-groups", 2]
    results = {}
    for tag, args in runs.items():
        r = harness.run_b2m(opts, args)
        if checks.require_run(f"{tag}: b2m encode succeeds", r):
            results[tag] = read_result(os.path.join(w, tag + ".h5"))
            checks.check(f"{tag}: no .partial left", not os.path.exists(os.path.join(w, tag + ".h5.partial")))

    if "double" in results:
        compare_to_reference(checks, "double", results["double"], ref, True, constant, CLIP_ROWS)
        pc = data.partly_constant_voxel
        checks.check("double: voxel constant in one run only is still valid",
                     results["double"]["valid"][pc] == 1 and np.isfinite(results["double"]["r_test"][pc]))
    if "single" in results:
        compare_to_reference(checks, "single", results["single"], ref, False, constant, CLIP_ROWS)
    for tag in ("block7", "foldgroups2", "perfold"):
        if tag in results and "double" in results:
            compare_outputs(checks, tag, results[tag], results["double"])
    if "single_perfold" in results and "single" in results:
        compare_outputs(checks, "single_perfold", results["single_perfold"], results["single"])

    # Two subjects in one call: per-subject runs (other run boundaries for the
    # second subject, so the design is z-scored differently), float32 / int16
    # storage for the first.
    other = testdata.responses_for(data, seed=12, run_lengths=[36] * 10, voxels=120)
    # (inputs in a subdirectory: the subject name is the file name without
    # its directory, and sub-b.h5 is also the name of sub-b's output)
    os.makedirs(os.path.join(w, "inputs"))
    sub_a = os.path.join(w, "inputs", "sub-a_responses.h5")
    sub_b = os.path.join(w, "inputs", "sub-b.h5")
    testdata.write_responses(sub_a, data, dtype=np.float32, run_dtype=np.int16)
    testdata.write_responses(sub_b, other)
    r = harness.run_b2m(opts, ["encode", sub_a, "--responses", sub_b, "--design", design,
                               "--out", "{subject}.h5", "--folds", FOLDS])
    if checks.require_run("multi-subject: b2m encode of two responses files succeeds", r):
        for name, path in (("sub-a", sub_a), ("sub-b", sub_b)):
            out = os.path.join(w, name + ".h5")
            if not checks.check(f"multi-subject: {name}.h5 written", os.path.exists(out), f"files: {sorted(os.listdir(w))}"):
                continue
            yt, rn, ys = testdata.read_responses(path)
            sub_ref = Reference(x_train, x_test, yt, rn, ys)
            res = read_result(out)
            checks.check(f"multi-subject {name}: one result per voxel of its own file",
                         res["r_test"].shape == (yt.shape[1],), f"{res['r_test'].shape} vs V={yt.shape[1]}")
            if res["r_test"].shape == (yt.shape[1],):
                const = tuple(np.flatnonzero(~sub_ref.varies))
                compare_to_reference(checks, f"multi-subject {name}", res, sub_ref, True, const,
                                     ys.shape[0])  # no ids: one segment


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body)
