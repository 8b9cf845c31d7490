#!/usr/bin/python3
"""b2m decode against an independent reference built on numpy and scikit-learn.

A small simulated subject (`b2m simulate`, real ds003720 events) is decoded
into MuLan-music embeddings. The reference rebuilds everything from the files
as plainly as possible:
  * samples from the events TSVs (clip windows or whole clips, shifted by the
    hemodynamic delay; test windows cut at the clip's end), inputs as means of
    the raw response rows, z-scored per run (training) or over the test set;
  * targets from the feature file, standardized over the training samples;
  * a brute-force grid search with sklearn KernelRidge(kernel="linear") per
    run-grouped fold and alpha, argmin of the mean validation MSE per target;
  * the refit with sklearn Ridge(fit_intercept=False) per target (primal);
  * identification accuracy and per-sample embedding correlation by loops.
Checks (double precision: relative error <= 1e-8): chosen alphas (up to near
ties), cross-validated and test predictions, voxel-space weights against
Ridge's coefficients, the metrics; the ScaLAPACK eigensolver on every grid of
the job equals the LAPACK run, and so does the kernel kept block-cyclic on
that grid (--kernel-layout distributed); top-N voxel selection from an encode result;
and one model per ROI with the top-k averaged. Bad inputs (unknown or empty
ROI, k larger than the ROI count, NaN in the embeddings, responses whose rows
do not match the events) fail with a clear message and leave nothing behind.
"""
import glob
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True

import h5py
import numpy as np
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Ridge

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from encode_vs_sklearn import make_folds as folds_of, run_ranges, zscore_within  # noqa: E402,F401

TR = 1.5
DELAY = 4.5
FOLDS = 5
ALPHAS = np.logspace(1.5, 3.5, 9)  # fine steps around the optimum, so dimensions differ
SPACE = "mulan_music"


# ------------------------------------------------------------ reference
def read_events(path):
    rows = []
    with open(path, newline="") as f:
        lines = f.read().replace("\r", "").strip().split("\n")
    header = lines[0].split("\t")
    for line in lines[1:]:
        cells = dict(zip(header, line.split("\t")))
        genre = cells["genre"].strip().strip("'\"")
        rows.append((float(cells["onset"]), float(cells["duration"]), f"{genre}.{int(cells['track']):05d}"))
    return rows


def task_runs(events_dir, task):
    files = glob.glob(os.path.join(events_dir, f"*task-{task}_run-*_events.tsv"))
    files.sort(key=lambda p: int(re.search(r"run-(\d+)", p).group(1)))
    return [read_events(p) for p in files]


def rows_in(begin, end, count):
    rows = [k for k in range(count) if k * TR + 1e-9 >= begin and k * TR < end - 1e-9]
    if not rows:
        rows = [min(count - 1, max(0, int(round(0.5 * (begin + end) / TR))))]
    return rows


def build_samples(events_dir, run_lengths, ids, windows, window_s, step_s, per_clip, delay=DELAY,
                  cut=False, drop_first=False, exclude_genre=None):
    """[(rows, clip index, window, run)] for training and test samples. With
    `cut` a training window stops at its clip's end (as test windows do);
    with `drop_first` each training run's first event gives no samples; no
    training clip of `exclude_genre` gives any."""
    index = {c: i for i, c in enumerate(ids)}
    train, offset = [], 0
    for r, (run, length) in enumerate(zip(task_runs(events_dir, "Training"), run_lengths)):
        first = min(onset for onset, _, _ in run)
        for onset, duration, clip in run:
            if (drop_first and onset == first) or clip.split(".")[0] == exclude_genre:
                continue
            spans = [(0, delay, duration + delay)] if per_clip else \
                [(w, w * step_s + delay, w * step_s + delay + window_s) for w in range(windows)]
            for w, a, b in spans:
                if cut:
                    own = int(np.ceil(duration / TR - 1e-9))
                    start = int(round(onset / TR))
                    rows = [start + k for k in rows_in(a, min(b, duration), min(own, length - start))]
                else:
                    rows = rows_in(onset + a, onset + b, length)
                train.append(([offset + k for k in rows], index[clip], w, r))
        offset += length
    test_runs = task_runs(events_dir, "Test")
    test_ids = sorted({clip for run in test_runs for _, _, clip in run})
    trs = 10
    test = []
    for c, clip in enumerate(test_ids):
        spans = [(0, delay, trs * TR + delay)] if per_clip else \
            [(w, w * step_s + delay, w * step_s + delay + window_s) for w in range(windows)]
        for w, a, b in spans:
            test.append(([c * trs + k for k in rows_in(a, min(b, trs * TR), trs)], index[clip], w, 0))
    return train, test


def zscore(m, ranges):
    return zscore_within(m, ranges)[0]


class Reference:
    def __init__(self, study, events_dir, voxels=None, per_clip=False, **samples):
        with h5py.File(os.path.join(study, "sub-01_responses.h5"), "r") as f:
            y_train = f["train/Y"][...].astype(np.float64)
            run = f["train/run"][...]
            y_test = f["test/Y"][...].astype(np.float64)
            self.roi = f["voxels/roi"][...]
            self.roi_names = [n.decode() if isinstance(n, bytes) else n for n in f["voxels/roi"].attrs["names"]]
        if voxels is not None:
            y_train, y_test, self.roi = y_train[:, voxels], y_test[:, voxels], self.roi[voxels]
        with h5py.File(os.path.join(study, "features.h5"), "r") as f:
            ids = [c.decode() if isinstance(c, bytes) else c for c in f["clips"].attrs["ids"]]
            emb = f[f"spaces/{SPACE}/embeddings"][...].astype(np.float64)
            window_s = float(f[f"spaces/{SPACE}"].attrs["window_s"][0])
            step_s = float(f[f"spaces/{SPACE}"].attrs["step_s"][0])
        lengths = [b - a for a, b in run_ranges(list(run))]
        train, test = build_samples(events_dir, lengths, ids, emb.shape[1], window_s, step_s, per_clip,
                                    **samples)
        self.train, self.test = train, test
        self.sample_runs = run_ranges([s[3] for s in train])
        self.x = zscore(np.stack([y_train[s[0]].mean(axis=0) for s in train]), self.sample_runs)
        self.xt = zscore(np.stack([y_test[s[0]].mean(axis=0) for s in test]), [(0, len(test))])

        def target(s):
            return emb[s[1]].mean(axis=0) if per_clip else emb[s[1], s[2]]
        self.y = np.stack([target(s) for s in train])
        self.yt = np.stack([target(s) for s in test])
        self.mean, self.sd = self.y.mean(axis=0), self.y.std(axis=0)
        self.yz = (self.y - self.mean) / self.sd
        self.folds = folds_of(self.sample_runs, FOLDS)
        self.genres = [ids[s[1]].split(".")[0] for s in test]

    def fit(self, cols=None, opts=None):
        """Brute-force CV (KernelRidge) and refit (Ridge) on voxel columns
        `cols`; with `opts`, kept for the test's runs at other rank counts."""
        x = self.x if cols is None else self.x[:, cols]
        xt = self.xt if cols is None else self.xt[:, cols]
        if opts is not None:
            return harness.cached(opts, [x, xt, self.yz, ALPHAS, self.folds],
                                  lambda: self.brute_force(x, xt))
        return self.brute_force(x, xt)

    def brute_force(self, x, xt):
        n, d = self.yz.shape
        mse = np.zeros((len(ALPHAS), d))
        cv = np.zeros((len(ALPHAS), n, d))
        for a, b in self.folds:
            train = np.r_[0:a, b:n]
            for i, alpha in enumerate(ALPHAS):
                model = KernelRidge(alpha=alpha, kernel="linear").fit(x[train], self.yz[train])
                cv[i, a:b] = model.predict(x[a:b])
                mse[i] += ((self.yz[a:b] - cv[i, a:b]) ** 2).mean(axis=0) / len(self.folds)
        best = np.argmin(mse, axis=0)
        coef = np.zeros((x.shape[1], d))
        for j in range(d):
            coef[:, j] = Ridge(alpha=ALPHAS[best[j]], fit_intercept=False).fit(x, self.yz[:, j]).coef_
        return {"mse": mse, "best": best, "cv_z": cv[best, :, np.arange(d)].T, "coef": coef,
                "test_z": xt @ coef}

    def original(self, z):
        return z * self.sd + self.mean


def identification(pred, truth):
    """For each prediction i, the fraction of j != i with corr(pred_i,
    truth_j) < corr(pred_i, truth_i): every correlation from numpy."""
    p = (pred - pred.mean(axis=1, keepdims=True)) / pred.std(axis=1, keepdims=True)
    t = (truth - truth.mean(axis=1, keepdims=True)) / truth.std(axis=1, keepdims=True)
    corr = p @ t.T / pred.shape[1]
    own = np.diag(corr)
    n = len(pred)
    return ((corr < own[:, None]).sum(axis=1)) / (n - 1)


def rel(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def read(path):
    with h5py.File(path, "r") as f:
        out = {k: f[k][...] for k in ["test/prediction", "test/target", "train/cv_prediction", "dims/alpha",
                                      "test/identification", "test/embedding_r", "voxels/selected",
                                      "genres/identification"]}
        out["weights"] = f["weights"][...] if "weights" in f else None
        out["rois/cv_r"] = f["rois/cv_r"][...] if "rois/cv_r" in f else None
        out["rois/top"] = f["rois/top"][...] if "rois/top" in f else None
        out["rois/alpha"] = f["rois/alpha"][...] if "rois/alpha" in f else None
        out["identification_accuracy"] = float(f.attrs["identification_accuracy"][0])
        out["complete"] = f.attrs.get("complete")
    return out


# ------------------------------------------------------------ the test
def body(opts, checks):
    w = opts.scratch
    study = harness.simulate_study(opts, checks, 1, 240, 5)
    if study is None:
        return
    responses = os.path.join(study, "sub-01_responses.h5")
    base = ["decode", responses, "--features", os.path.join(study, "features.h5"), "--space", SPACE,
            "--events", opts.events, "--alphas", ",".join(f"{a:.17g}" for a in ALPHAS), "--folds", FOLDS]

    # Whole-brain model, per-clip samples, weights; the kernel replicated
    # (with several ranks the default distributes it: compared below).
    ref = Reference(study, opts.events, per_clip=True)
    fit = ref.fit(opts=opts)
    r = harness.run_b2m(opts, base + ["--per-clip", "--kernel-layout", "replicated", "--save-weights",
                                      "--out", "clip.h5"])
    if checks.require_run("decode --per-clip --kernel-layout replicated --save-weights", r):
        res = read(os.path.join(w, "clip.h5"))
        check_whole(checks, "per-clip", res, ref, fit)
        wz = res["weights"]
        checks.check("per-clip: weights [voxels, dim] equal Ridge coef_ (rel <= 1e-8)",
                     wz is not None and wz.shape == fit["coef"].shape and rel(wz, fit["coef"]) <= 1e-8,
                     f"shape {None if wz is None else wz.shape}, rel {rel(wz, fit['coef']) if wz is not None else '-'}")
        npy = np.load(os.path.join(w, "clip_test_prediction.npy"))
        checks.check("per-clip: .npy test predictions equal the HDF5 ones", np.array_equal(npy, res["test/prediction"]))
        clip_res = res
        # ScaLAPACK on every grid shape of this job: each eigensolve of the
        # replicated kernel on the grid, then the kernel itself block-cyclic.
        for rows in [k for k in range(1, opts.ranks + 1) if opts.ranks % k == 0]:
            grid = f"{rows}x{opts.ranks // rows}"
            out = f"clip-{grid}.h5"
            r = harness.run_b2m(opts, base + ["--per-clip", "--kernel-layout", "replicated", "--eigensolver",
                                              "scalapack", "--grid", grid, "--block", 16, "--out", out])
            if checks.require_run(f"decode --kernel-layout replicated --eigensolver scalapack --grid {grid}", r):
                s = read(os.path.join(w, out))
                # The CV predictions come from the folds' eigensolves (the
                # refit is a Cholesky solve either way).
                d = max(rel(s[k], clip_res[k]) for k in ("test/prediction", "train/cv_prediction"))
                checks.check(f"scalapack {grid}: predictions and CV predictions equal the LAPACK run "
                             "(rel <= 1e-9)",
                             d <= 1e-9 and np.array_equal(s["dims/alpha"], clip_res["dims/alpha"]), f"rel {d:.3g}")
            # The kernel itself block-cyclic on that grid, weights included.
            out = f"clip-distributed-{grid}.h5"
            r = harness.run_b2m(opts, base + ["--per-clip", "--kernel-layout", "distributed", "--grid", grid,
                                              "--block", 16, "--save-weights", "--out", out])
            if checks.require_run(f"decode --kernel-layout distributed --grid {grid}", r):
                s = read(os.path.join(w, out))
                worst = max(rel(s[k], clip_res[k]) for k in ("test/prediction", "train/cv_prediction", "weights"))
                checks.check(f"distributed kernel {grid}: predictions, CV predictions and weights equal the "
                             "replicated run (rel <= 1e-9)",
                             worst <= 1e-9 and np.array_equal(s["dims/alpha"], clip_res["dims/alpha"]),
                             f"rel {worst:.3g}")

    # Window samples (the default), a top-N voxel selection from an encode result.
    scores = np.random.default_rng(1).standard_normal(240)
    scores[7] = np.nan
    encode_result = os.path.join(w, "encode.h5")
    with h5py.File(encode_result, "w") as f:
        f["voxels/cv_score"] = scores
    top = np.sort(np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")[:150])
    ref_w = Reference(study, opts.events, voxels=top)
    fit_w = ref_w.fit(opts=opts)
    r = harness.run_b2m(opts, base + ["--top-voxels", 150, "--encode-result", encode_result, "--out", "top.h5"])
    if checks.require_run("decode --top-voxels 150 (windows)", r):
        res = read(os.path.join(w, "top.h5"))
        checks.check("top-voxels: /voxels/selected are the 150 best cv_score voxels",
                     np.array_equal(res["voxels/selected"], top), f"{res['voxels/selected'][:10]} vs {top[:10]}")
        check_whole(checks, "windows/top-voxels", res, ref_w, fit_w)

    # One model per ROI, top 2 averaged.
    ref_r = Reference(study, opts.events, per_clip=True)
    labels = [l for l in range(len(ref_r.roi_names)) if (ref_r.roi == l).any()]
    per_roi = [ref_r.fit(np.flatnonzero(ref_r.roi == l), opts) for l in labels]
    cv_r = []
    for f in per_roi:
        cv_r.append(np.mean([np.corrcoef(f["cv_z"][:, j], ref_r.yz[:, j])[0, 1] for j in range(ref_r.yz.shape[1])]))
    order = np.argsort(-np.array(cv_r), kind="stable")[:2]
    test_z = np.mean([per_roi[i]["test_z"] for i in order], axis=0)
    r = harness.run_b2m(opts, base + ["--per-clip", "--roi-models", 2, "--out", "rois.h5"])
    if checks.require_run("decode --roi-models 2", r):
        res = read(os.path.join(w, "rois.h5"))
        checks.check("roi-models: per-ROI mean CV r equals the reference (<= 1e-8)",
                     res["rois/cv_r"] is not None and np.allclose(res["rois/cv_r"], cv_r, rtol=0, atol=1e-8),
                     f"{res['rois/cv_r']} vs {cv_r}")
        alpha_ok = res["rois/alpha"] is not None and res["rois/alpha"].shape == (len(per_roi), ref_r.yz.shape[1])
        if alpha_ok:
            for l, f in enumerate(per_roi):
                idx = np.abs(np.log(ALPHAS)[:, None] - np.log(res["rois/alpha"][l])[None, :]).argmin(axis=0)
                cols = np.arange(len(idx))
                on_grid = np.isclose(ALPHAS[idx], res["rois/alpha"][l], rtol=1e-12, atol=0)
                tie = f["mse"][idx, cols] <= f["mse"][f["best"], cols] * (1 + 1e-9)
                alpha_ok = alpha_ok and bool(on_grid.all() and tie.all())
        checks.check("roi-models: /rois/alpha holds each ROI's brute-force alpha per dimension (ties <= 1e-9)",
                     alpha_ok, f"{None if res['rois/alpha'] is None else res['rois/alpha'].shape}")
        checks.check("roi-models: the top-2 ROIs are flagged", res["rois/top"] is not None and
                     list(np.flatnonzero(res["rois/top"])) == sorted(order.tolist()), f"{res['rois/top']} vs {order}")
        d = rel(res["test/prediction"], ref_r.original(test_z))
        checks.check("roi-models: averaged test predictions equal the reference (rel <= 1e-8)", d <= 1e-8, f"{d:.3g}")
        # One model per batch (--roi-memory 0): ranks run different numbers
        # of batches, and the kept best models span batches.
        r = harness.run_b2m(opts, base + ["--per-clip", "--roi-models", 2, "--roi-memory", 0,
                                          "--out", "rois_batched.h5"])
        if checks.require_run("decode --roi-models 2 --roi-memory 0", r):
            batched = read(os.path.join(w, "rois_batched.h5"))
            checks.check("roi-models in one-model batches: same ROI scores and predictions",
                         np.array_equal(batched["rois/cv_r"], res["rois/cv_r"]) and
                         np.array_equal(batched["test/prediction"], res["test/prediction"]),
                         f"{batched['rois/cv_r']} vs {res['rois/cv_r']}")

    # Bad inputs: unknown ROI, k larger than the ROI count, NaN in the embeddings.
    r = harness.run_b2m(opts, base + ["--roi", "no_such_roi", "--out", "bad.h5"])
    checks.check("unknown ROI: non-zero exit on every rank, naming the ROI and the file",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and "no_such_roi" in r.stderr and "sub-01_responses.h5" in r.stderr, r.describe())
    r = harness.run_b2m(opts, base + ["--roi-models", 99, "--out", "bad.h5"])
    checks.check("--roi-models larger than the ROI count: non-zero exit on every rank", r.rc != 0 and r.every_rank_reported(opts.ranks) and "99" in r.stderr, r.describe())
    bad_features = os.path.join(w, "nan_features.h5")
    with h5py.File(os.path.join(study, "features.h5"), "r") as src, h5py.File(bad_features, "w") as dst:
        for k in src:
            src.copy(k, dst)
        e = dst[f"spaces/{SPACE}/embeddings"]
        v = e[...]
        v[3, 1, 2] = np.nan
        e[...] = v
    bad = list(base)
    bad[bad.index("--features") + 1] = bad_features
    r = harness.run_b2m(opts, bad + ["--out", "bad.h5"])
    checks.check("NaN in the embeddings: non-zero exit on every rank, naming the file",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and "nan_features.h5" in r.stderr and "non-finite" in r.stderr, r.describe())
    # Responses whose rows do not match the events: a test set one clip short,
    # and a training set whose last run is cut.
    with h5py.File(responses, "r") as src:
        tables = {k: src[k][...] for k in ("train/Y", "train/run", "test/Y", "voxels/roi")}
        roi_names = src["voxels/roi"].attrs["names"]
    short_test = os.path.join(w, "short_test_responses.h5")
    short_train = os.path.join(w, "short_train_responses.h5")
    empty_roi = os.path.join(w, "empty_roi_responses.h5")
    for path, cut in ((short_test, "test"), (short_train, "train"), (empty_roi, None)):
        with h5py.File(path, "w") as f:
            keep = len(tables["train/run"]) - (40 if cut == "train" else 0)
            f["train/Y"] = tables["train/Y"][:keep]
            f["train/run"] = tables["train/run"][:keep]
            f["test/Y"] = tables["test/Y"][:-10] if cut == "test" else tables["test/Y"]
            f["voxels/roi"] = tables["voxels/roi"]
            names = list(roi_names) + ([b"empty_roi"] if cut is None else [])
            f["voxels/roi"].attrs["names"] = np.array(names, dtype="S32")
    for path, words in ((short_test, ["/test/Y", "590", "600"]), (short_train, ["training run 12", "410"])):
        bad = list(base)
        bad[1] = path
        r = harness.run_b2m(opts, bad + ["--out", "bad.h5"])
        checks.check(f"responses not matching the events ({os.path.basename(path)}): clear error on every rank",
                     r.rc != 0 and r.every_rank_reported(opts.ranks) and os.path.basename(path) in r.stderr and all(x in r.stderr for x in words),
                     r.describe())
    unnamed = os.path.join(w, "unnamed_label_responses.h5")
    shutil.copy(responses, unnamed)
    with h5py.File(unnamed, "r+") as f:
        labels = f["voxels/roi"][...]
        labels[5] = len(roi_names)  # one past the last name
        f["voxels/roi"][...] = labels
    bad = list(base)
    bad[1] = unnamed
    r = harness.run_b2m(opts, bad + ["--roi-models", 2, "--out", "bad.h5"])
    checks.check("an ROI label without a name: non-zero exit on every rank, naming the file and label",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and "unnamed_label_responses.h5" in r.stderr
                 and f"label {len(roi_names)} has no name" in r.stderr, r.describe())
    bad = list(base)
    bad[1] = empty_roi
    r = harness.run_b2m(opts, bad + ["--roi", "empty_roi", "--out", "bad.h5"])
    checks.check("an ROI without voxels: non-zero exit on every rank, naming it",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and "empty_roi" in r.stderr and "no voxels" in r.stderr, r.describe())
    checks.check("no output left by the failed runs", not glob.glob(os.path.join(w, "bad*")), str(glob.glob(os.path.join(w, "bad*"))))


def check_whole(checks, tag, res, ref, fit):
    d_alpha = res["dims/alpha"]
    best = fit["best"]
    chosen = np.array([np.argmin(np.abs(ALPHAS - a)) for a in d_alpha])
    score_chosen = fit["mse"][chosen, np.arange(len(best))]
    score_best = fit["mse"][best, np.arange(len(best))]
    ok = (chosen == best) | (score_chosen - score_best <= 1e-9 * np.abs(score_best))
    checks.check(f"{tag}: chosen alpha per dimension == brute-force argmin (near ties allowed)", ok.all(),
                 f"{(~ok).sum()} differ")
    checks.check(f"{tag}: the data exercise several alphas", len(np.unique(best)) >= 2, f"{np.unique(best)}")
    d = rel(res["train/cv_prediction"], ref.original(fit["cv_z"]))
    checks.check(f"{tag}: CV predictions equal KernelRidge's (rel <= 1e-8)", d <= 1e-8, f"{d:.3g}")
    pred = ref.original(fit["test_z"])
    d = rel(res["test/prediction"], pred)
    checks.check(f"{tag}: test predictions equal Ridge's (rel <= 1e-8)", d <= 1e-8, f"{d:.3g}")
    checks.check(f"{tag}: test targets equal the reference's", rel(res["test/target"], ref.yt) <= 1e-12)
    ident = identification(res["test/prediction"], res["test/target"])
    checks.check(f"{tag}: identification per sample equals numpy's",
                 np.allclose(res["test/identification"], ident, rtol=0, atol=1e-12),
                 f"max diff {np.max(np.abs(res['test/identification'] - ident)):.3g}")
    checks.check(f"{tag}: identification accuracy attribute is the mean",
                 abs(res["identification_accuracy"] - ident.mean()) <= 1e-12)
    er = [np.corrcoef(p, t)[0, 1] for p, t in zip(res["test/prediction"], res["test/target"])]
    checks.check(f"{tag}: embedding r per sample", np.allclose(res["test/embedding_r"], er, rtol=0, atol=1e-12))
    genres = sorted(set(ref.genres))
    per_genre = [np.mean([ident[i] for i, g in enumerate(ref.genres) if g == x]) for x in genres]
    checks.check(f"{tag}: identification per genre", np.allclose(res["genres/identification"], per_genre, atol=1e-12))
    checks.check(f"{tag}: decodable simulated space identifies far above chance (> 0.7)",
                 res["identification_accuracy"] > 0.7, f"{res['identification_accuracy']:.3f}")


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, harness.add_events_option)
