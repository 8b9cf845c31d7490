#!/usr/bin/python3
"""Science check: b2m encode recovers the simulator's ground truth.

`b2m simulate` (1 subject, 1500 voxels, seed 3, on the real ds003720 events)
writes responses, clip embeddings and the truth: which feature spaces drive
each voxel (/drivers bits, named by the attribute `spaces`) and each voxel's
noise ceiling. The responses are then encoded from the clip embeddings of
three spaces (`--features --space --events`), and the results must match the
truth.

Thresholds come from the ground truth and from sampling error, not from
numbers earlier b2m runs printed:

- a voxel's noise ceiling (the correlation of its noiseless test signal with
  its test responses) is the most any model can reach: test r may not beat
  it beyond the sampling error of the mean excess (3 standard errors);
- the right model of a voxel driven by one space alone recovers most of that
  ceiling: its mean normalized r (r / ceiling) is at least 0.8 (the model is
  the simulator's own forward model; what is lost is estimation error at
  4,920 training rows);
- a wrong space (the simulator's spaces are correlated the way the real ones
  are, so it still predicts such a voxel in part) and a misaligned one (the
  mulan_text embeddings rolled by one clip, a negative control) recover
  significantly less: their normalized r is lower on average by more than 3
  standard errors of the paired differences, and lower on more voxels than a
  sign test allows by chance (p < 0.001);
- undriven voxels are noise: their mean r is within 4 standard errors of 0,
  and the fraction with p_test < 0.05 is 0.05 within 3 binomial standard
  errors plus the 2.5 points that noise shared by clips presented back to
  back adds (documented in the README; p_test models autocorrelation within
  test clips only).
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import harness  # noqa: E402

SPACES = ["mulan_text", "soundstream", "mulan_music"]
DOC_BITS = ["mulan_music", "mulan_text", "w2v_bert", "soundstream", "genre", "modulation"]  # docs/formats.md


def encode_args(opts, study, features, space, out):
    return ["encode", os.path.join(study, "sub-01_responses.h5"), "--features", features,
            "--space", space, "--events", opts.events, "--delays", "1,2,3,4", "--out", out]


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

    def normalized(r, voxels):
        return r[voxels] / ceiling[voxels]

    def clearly_lower(low, high):
        """Paired: high - low above 3 standard errors, and low below high on
        more voxels than chance allows (sign test, p < 0.001)."""
        diff = high - low
        wins = int((diff > 0).sum())
        p = stats.binomtest(wins, diff.size, 0.5, alternative="greater").pvalue
        return diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(diff.size) and p < 1e-3, diff, wins

    for space, r in r_test.items():
        own_only = drivers == bit[space]
        n_und = int(undriven.sum())
        se = r[undriven].std(ddof=1) / np.sqrt(n_und)
        checks.check(f"{space}: undriven voxels: mean r within 4 standard errors of 0",
                     abs(r[undriven].mean()) < 4 * se, f"mean r {r[undriven].mean():.4f}, se {se:.4f}")
        frac = float((p_test[space][undriven] < 0.05).mean())
        bound = 0.05 + 3 * np.sqrt(0.05 * 0.95 / n_und) + 0.025
        checks.check(f"{space}: undriven voxels with p_test < 0.05: {frac:.3f} <= {bound:.3f}",
                     frac <= bound, f"n = {n_und}")
        excess = r[driven] - ceiling[driven]
        se_excess = excess.std(ddof=1) / np.sqrt(excess.size)
        checks.check(f"{space}: driven voxels do not beat their noise ceiling (mean excess < 3 se)",
                     excess.mean() < 3 * se_excess, f"mean excess {excess.mean():.3f}, se {se_excess:.4f}")
        if own_only.sum() >= 20:
            nr = normalized(r, own_only)
            checks.check(f"{space}: voxels driven by {space} alone: mean r / ceiling >= 0.8",
                         nr.mean() >= 0.8, f"{nr.mean():.3f} (n={own_only.sum()})")

    if "mulan_text" in r_test and "soundstream" in r_test:
        rt, rs = r_test["mulan_text"], r_test["soundstream"]
        ok, diff, wins = clearly_lower(normalized(rs, text_only), normalized(rt, text_only))
        checks.check("text-only voxels: soundstream (a wrong space) recovers clearly less of the ceiling",
                     ok, f"gap {diff.mean():.3f}, mulan_text better on {wins} of {diff.size}")
        sound_only = drivers == bit["soundstream"]
        sound = sound_only if sound_only.sum() >= 20 else (drivers & bit["soundstream"]) > 0
        ok, diff, wins = clearly_lower(normalized(rt, sound), normalized(rs, sound))
        checks.check("soundstream-driven voxels: mulan_text (a wrong space) recovers clearly less",
                     ok, f"gap {diff.mean():.3f}, soundstream better on {wins} of {diff.size}")

    # Negative control: the text embeddings shifted by one clip must fail the
    # text-only bar (shows that bar catches a one-clip misalignment).
    rolled = os.path.join(w, "features_rolled.h5")
    shutil.copy(features, rolled)
    with h5py.File(rolled, "r+") as f:
        e = f["spaces/mulan_text/embeddings"]
        e[...] = np.roll(e[...], 1, axis=0)
    out = os.path.join(w, "encode_rolled.h5")
    r = harness.run_b2m(opts, encode_args(opts, study, rolled, "mulan_text", out))
    if checks.require_run("b2m encode with mulan_text rolled by one clip", r) and "mulan_text" in r_test:
        with h5py.File(out, "r") as f:
            rr = f["voxels/r_test"][...]
        ok, diff, wins = clearly_lower(normalized(rr, text_only), normalized(r_test["mulan_text"], text_only))
        checks.check("negative control: a one-clip misalignment recovers clearly less of the ceiling",
                     ok, f"gap {diff.mean():.3f}, aligned better on {wins} of {diff.size}")


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
