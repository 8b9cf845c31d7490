#!/usr/bin/python3
"""Science check: b2m encode recovers the simulator's ground truth.

`b2m simulate` (1 subject, 1500 voxels, seed 3, on the real ds003720 events)
writes responses, clip embeddings and the truth: which feature spaces drive
each voxel (/drivers bits, named by the attribute `spaces`) and each voxel's
noise ceiling. The responses are then encoded from the clip embeddings of
three spaces (`--features --space --events`), and the results must match the
truth.

Thresholds. The data are deterministic (fixed seed, rank-independent
simulator), so the margins below were set from the numbers a correct pipeline
gives (noted as "observed") and from what broken pipelines give. The
simulator's spaces are correlated the way the real ones are (MuLan-text reads
the clip's semantic latent = genre centroid + clip deviation; SoundStream
mostly a fast acoustic latent), so a wrong space still predicts a voxel in
part: text-only voxels get r ~ 0.42 from SoundStream (observed), not ~ 0.
A one-clip misalignment of the features keeps the genre part and drops
text-only voxels from r = 0.585 to 0.345 (observed, and re-checked here as a
negative control with the mulan_text embeddings rolled by one clip), so the
text-only bar is 0.45. Undriven voxels are noise: mean |r| ~ 0.043 for 60 s
test clips (observed), and ~5-6% of them reach p < 0.05 (observed; the
p-value corrects for autocorrelation within test clips).
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import harness  # noqa: E402

SPACES = ["mulan_text", "soundstream", "mulan_music"]
DOC_BITS = ["mulan_music", "mulan_text", "w2v_bert", "soundstream", "genre"]  # docs/formats.md


def encode_args(opts, study, features, space, out):
    return ["encode", os.path.join(study, "sub-01_responses.h5"), "--features", features,
            "--space", space, "--events", opts.events, "--out", out]


def body(opts, checks):
    w = opts.scratch
    if not checks.check("events directory exists", os.path.isdir(opts.events), opts.events):
        return
    study = harness.simulate_study(opts, checks, 1, 1500, 3)
    if study is None:
        return
    with h5py.File(os.path.join(study, "sub-01_truth.h5"), "r") as f:
        drivers = f["drivers"][...].astype(np.int64)
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["drivers"].attrs["spaces"]]
        ceiling = f["noise_ceiling"][...].astype(np.float64)
    checks.check("truth: /drivers bits are named in the documented order", names == DOC_BITS, f"{names}")
    bit = {n: 1 << i for i, n in enumerate(names)}
    undriven = drivers == 0
    driven = ~undriven
    text_only = drivers == bit["mulan_text"]
    checks.check("truth: enough undriven, text-only, soundstream- and mulan_music-driven voxels",
                 undriven.sum() >= 200 and text_only.sum() >= 50 and (drivers & bit["soundstream"] > 0).sum() >= 30
                 and (drivers & bit["mulan_music"] > 0).sum() >= 50,
                 f"undriven {undriven.sum()}, text-only {text_only.sum()}, "
                 f"soundstream {(drivers & bit['soundstream'] > 0).sum()}")

    features = os.path.join(study, "features.h5")
    r_test, p_test = {}, {}
    for space in SPACES:
        out = os.path.join(w, f"encode_{space}.h5")
        r = harness.run_b2m(opts, encode_args(opts, study, features, space, out))
        if not checks.require_run(f"b2m encode --space {space}", r):
            continue
        with h5py.File(out, "r") as f:
            r_test[space] = f["voxels/r_test"][...]
            p_test[space] = f["voxels/p_test"][...]
            valid = f["voxels/valid"][...]
        checks.check(f"{space}: one valid, finite result per voxel",
                     r_test[space].shape == drivers.shape and (valid == 1).all() and np.isfinite(r_test[space]).all())

    for space, r in r_test.items():
        own = (drivers & bit[space]) > 0
        # observed: |mean r| <= 0.002, mean |r| 0.041..0.044, driven-by-space mean r 0.51..0.57
        checks.check(f"{space}: undriven voxels are noise: |mean r| < 0.015, mean |r| < 0.05",
                     abs(r[undriven].mean()) < 0.015 and np.abs(r[undriven]).mean() < 0.05,
                     f"mean r {r[undriven].mean():.4f}, mean |r| {np.abs(r[undriven]).mean():.4f}")
        checks.check(f"{space}: voxels driven by {space} have mean r > 0.40 and > undriven + 0.3",
                     r[own].mean() > 0.40 and r[own].mean() > r[undriven].mean() + 0.3,
                     f"driven {r[own].mean():.3f} (n={own.sum()}), undriven {r[undriven].mean():.3f}")
        frac = float((p_test[space][undriven] < 0.05).mean())
        checks.check(f"{space}: fraction of undriven voxels with p_test < 0.05 is < 0.15", frac < 0.15,
                     f"{frac:.3f}")
        c = np.corrcoef(r[driven], ceiling[driven])[0, 1]
        checks.check(f"{space}: r_test tracks the noise ceiling across driven voxels (corr > 0.5)", c > 0.5,
                     f"corr {c:.3f}")  # observed 0.83..0.94
        excess = r[driven] - ceiling[driven]
        checks.check(f"{space}: r_test does not beat the noise ceiling (mean excess < 0.02, max < 0.1)",
                     excess.mean() < 0.02 and excess.max() < 0.1,
                     f"mean {excess.mean():.3f}, max {excess.max():.3f}")  # observed mean <= -0.09, max 0.015

    if "mulan_text" in r_test and "soundstream" in r_test:
        rt, rs = r_test["mulan_text"], r_test["soundstream"]
        # observed: text-only 0.585 with mulan_text, 0.419 with soundstream, mulan_text higher on all
        checks.check("text-only voxels: mean r with mulan_text > 0.45", rt[text_only].mean() > 0.45,
                     f"{rt[text_only].mean():.3f} (n={text_only.sum()})")
        diff = rt[text_only] - rs[text_only]
        checks.check("text-only voxels: soundstream clearly lower (mean gap > 0.08, ratio < 0.85, "
                     "mulan_text better on >= 90%)",
                     diff.mean() > 0.08 and rs[text_only].mean() < 0.85 * rt[text_only].mean()
                     and (diff > 0).mean() >= 0.9,
                     f"soundstream {rs[text_only].mean():.3f}, gap {diff.mean():.3f}, better on {(diff > 0).mean():.2f}")
        sound = (drivers & bit["soundstream"]) > 0
        diff = rs[sound] - rt[sound]
        # observed: 0.509 with soundstream, gap 0.166, soundstream better on 89%
        checks.check("soundstream-driven voxels: predicted by soundstream (mean r > 0.40, better than "
                     "mulan_text by > 0.08 on average, on >= 75%)",
                     rs[sound].mean() > 0.40 and diff.mean() > 0.08 and (diff > 0).mean() >= 0.75,
                     f"mean r {rs[sound].mean():.3f}, gap {diff.mean():.3f}, better on {(diff > 0).mean():.2f}")
    if "mulan_music" in r_test:
        music = (drivers & bit["mulan_music"]) > 0
        checks.check("mulan_music-driven voxels: mean r with mulan_music > 0.45",
                     r_test["mulan_music"][music].mean() > 0.45,
                     f"{r_test['mulan_music'][music].mean():.3f}")  # observed 0.565

    # Negative control: the text embeddings shifted by one clip must fail the
    # text-only bar (shows that bar catches a one-clip misalignment).
    rolled = os.path.join(w, "features_rolled.h5")
    shutil.copy(features, rolled)
    with h5py.File(rolled, "r+") as f:
        e = f["spaces/mulan_text/embeddings"]
        e[...] = np.roll(e[...], 1, axis=0)
    out = os.path.join(w, "encode_rolled.h5")
    r = harness.run_b2m(opts, encode_args(opts, study, rolled, "mulan_text", out))
    if checks.require_run("b2m encode with mulan_text rolled by one clip", r):
        with h5py.File(out, "r") as f:
            rr = f["voxels/r_test"][...]
        checks.check("negative control: one-clip misalignment drops text-only r below the 0.45 bar",
                     rr[text_only].mean() < 0.45, f"{rr[text_only].mean():.3f}")  # observed 0.345


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
