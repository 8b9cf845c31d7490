#!/usr/bin/python3
"""decode as the paper did it (issue 16, item 3), against the numpy /
scikit-learn reference of decode_vs_sklearn.py.

One simulated subject (240 voxels). Three runs of b2m decode with the
reference's alpha grid:
  * --cut-windows --drop-first-event --delay 0: the paper's literal reading
    (a window averages the scans inside it, no shift; training windows
    built as the test's, cut at the clip's end; no warm-up clip). Train
    samples, CV predictions, test predictions and alphas equal the
    reference built with the same three settings, and differ from the
    reference built without them (each setting changes the samples);
  * the same windows at b2m's default delay: the training windows have as
    many scans as the test windows of the same index;
  * every run reports the clip level (window predictions averaged per clip,
    identified among the 60 test clips), the mean per-dimension test r and
    the mean-embedding baseline, each equal to numpy's;
  * --exclude-genre jazz (the paper's one-genre-out ablation): no jazz clip
    in training, predictions equal the reference trained without jazz, and
    the summary scores the jazz test clips; an unknown genre is refused.
"""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from decode_vs_sklearn import (ALPHAS, FOLDS, SPACE, Reference, check_whole,  # noqa: E402
                               identification, read)


def clip_level(values, clips):
    order = list(dict.fromkeys(clips))
    return np.stack([values[[i for i, c in enumerate(clips) if c == k]].mean(axis=0) for k in order])


def check_extras(checks, tag, path, ref):
    with h5py.File(path, "r") as f:
        pred, target = f["test/prediction"][...], f["test/target"][...]
        clip_id = f["test/clip_identification"][...]
        attrs = {k: float(f.attrs[k][0]) for k in ("clip_identification_accuracy", "mean_test_r",
                                                     "baseline_embedding_r")}
    clips = [s[1] for s in ref.test]
    want = identification(clip_level(pred, clips), clip_level(target, clips))
    checks.check(f"{tag}: clip-level identification (60 clips) equals numpy's",
                 len(clip_id) == 60 and np.allclose(clip_id, want, atol=1e-12) and
                 abs(attrs["clip_identification_accuracy"] - want.mean()) < 1e-12,
                 f"{attrs['clip_identification_accuracy']:.4f} vs {want.mean():.4f}")
    test_r = np.mean([np.corrcoef(pred[:, j], target[:, j])[0, 1] for j in range(pred.shape[1])])
    base = np.mean([np.corrcoef(ref.y.mean(axis=0), t)[0, 1] for t in target])
    checks.check(f"{tag}: mean per-dimension test r and the mean-embedding baseline equal numpy's",
                 abs(attrs["mean_test_r"] - test_r) < 1e-10 and abs(attrs["baseline_embedding_r"] - base) < 1e-10,
                 f"test r {attrs['mean_test_r']:.4f} vs {test_r:.4f}, baseline "
                 f"{attrs['baseline_embedding_r']:.4f} vs {base:.4f}")


def body(opts, checks):
    w = opts.scratch
    study = harness.simulate_study(opts, checks, 1, 240, 5)
    if study is None:
        return
    base = ["decode", os.path.join(study, "sub-01_responses.h5"), "--features",
            os.path.join(study, "features.h5"), "--space", SPACE, "--events", opts.events, "--alphas",
            ",".join(f"{a:.17g}" for a in ALPHAS), "--folds", FOLDS]

    paper = Reference(study, opts.events, delay=0.0, cut=True, drop_first=True)
    r = harness.run_b2m(opts, base + ["--cut-windows", "--drop-first-event", "--delay", 0, "--out", "paper.h5"])
    if checks.require_run("decode --cut-windows --drop-first-event --delay 0", r):
        path = os.path.join(w, "paper.h5")
        res = read(path)
        checks.check("paper settings: 12 runs x 40 clips x 4 windows training samples (warm-up dropped)",
                     len(res["train/cv_prediction"]) == len(paper.train) == 12 * 40 * 4,
                     f"{len(res['train/cv_prediction'])} vs {len(paper.train)}")
        check_whole(checks, "paper settings", res, paper, paper.fit(opts=opts))
        # (Unshifted, MuLan's windows end inside their clip, so cutting them
        # changes nothing here; the run below shows what it changes.)
        for name, other in (("b2m's delay", dict(cut=True, drop_first=True)),
                            ("the warm-up clip kept", dict(delay=0.0, cut=True))):
            ref = Reference(study, opts.events, **other)
            same = len(ref.train) == len(paper.train) and \
                all(a[0] == b[0] for a, b in zip(ref.train, paper.train))
            checks.check(f"paper settings: {name} gives other samples (the option matters)", not same)
        check_extras(checks, "paper settings", path, paper)

    cut = Reference(study, opts.events, cut=True)
    r = harness.run_b2m(opts, base + ["--cut-windows", "--out", "cut.h5"])
    if checks.require_run("decode --cut-windows (b2m's 4.5 s delay)", r):
        res = read(os.path.join(w, "cut.h5"))
        check_whole(checks, "cut windows", res, cut, cut.fit(opts=opts))
        sizes = {}
        for rows, _, window, _ in cut.train:
            sizes.setdefault(("train", window), set()).add(len(rows))
        for rows, _, window, _ in cut.test:
            sizes.setdefault(("test", window), set()).add(len(rows))
        windows = sorted({k[1] for k in sizes})
        same = all(sizes[("train", k)] == sizes[("test", k)] for k in windows)
        default = Reference(study, opts.events)
        spill = {len(rows) for rows, _, window, _ in default.train if window == windows[-1]}
        checks.check("cut windows: a training window has as many scans as the test window of its index "
                     "(by default the last window runs on)",
                     same and spill != sizes[("test", windows[-1])],
                     f"{[(k, sorted(sizes[('train', k)]), sorted(sizes[('test', k)])) for k in windows]}; "
                     f"default last window {sorted(spill)}")
        check_extras(checks, "cut windows", os.path.join(w, "cut.h5"), cut)


    # One genre out of training (the paper's Fig. 7a ablation).
    held = Reference(study, opts.events, exclude_genre="jazz")
    summary = os.path.join(w, "held.tsv")
    r = harness.run_b2m(opts, base + ["--exclude-genre", "jazz", "--out", "held.h5", "--summary", summary])
    if checks.require_run("decode --exclude-genre jazz", r):
        path = os.path.join(w, "held.h5")
        res = read(path)
        with h5py.File(path, "r") as f:
            ids = [c.decode() if isinstance(c, bytes) else c for c in f.attrs["clip_ids"]]
            train_genres = {ids[c].split(".")[0] for c in f["train/clip"][...]}
            names = [n.decode() if isinstance(n, bytes) else n for n in f["genres/identification"].attrs["names"]]
            jazz = float(f["genres/identification"][names.index("jazz")])
        checks.check("one genre out: no jazz clip among the training samples, 9 genres left",
                     "jazz" not in train_genres and len(train_genres) == 9 and len(res["train/cv_prediction"])
                     == len(held.train) < len(Reference(study, opts.events).train), str(sorted(train_genres)))
        check_whole(checks, "one genre out", res, held, held.fit(opts=opts))
        with open(summary) as f:
            row = dict(zip(*[line.rstrip("\n").split("\t") for line in f][:2]))
        checks.check("one genre out: the summary scores the held-out genre's test clips",
                     row.get("held_out_genre") == "jazz" and
                     abs(float(row.get("identification_held_out", "nan")) - jazz) < 1e-5,
                     f"{row.get('held_out_genre')} {row.get('identification_held_out')} vs {jazz:.6f}")
    r = harness.run_b2m(opts, base + ["--exclude-genre", "polka", "--out", "polka.h5"])
    checks.check("--exclude-genre of a genre no training clip has is refused on every rank",
                 r.rc != 0 and "polka" in r.stderr and r.every_rank_reported(opts.ranks), r.stderr[-300:])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
