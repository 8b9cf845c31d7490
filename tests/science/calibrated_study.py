#!/usr/bin/python3
"""The paper preset of `b2m simulate` (issue 16, item 1): the structure of a
study at the paper's effect sizes, checked on what the simulator wrote.

A 6,000-voxel subject (seed 7; one parameter overridden with --sim) must
have:
  * every generating parameter in the truth file's /parameters, the
    override included;
  * the 148 Destrieux parcels as ROIs, sizes lognormal with Destrieux's
    mean / median ratio (1.86: the measured ratio within 1.4..2.6);
  * 4-8% of voxels driven, most of them in the 8 auditory parcels (primary:
    Heschl's gyrus and the transverse sulcus; belt: planum temporale and the
    lateral STG), under 1.5% in the other parcels;
  * single-repetition explainable variance of driven voxels (measured from
    /test/Y_reps) spread over more than a decade, most of it inside
    0.01..0.4;
  * noise correlated within a parcel (0.1..0.35 between undriven voxels of
    one parcel) and not between parcels (|mean| < 0.05 over 66 pairs);
  * a signal share no space reads: encode of MuLan-music reaches a median
    r / true ceiling of 0.35..0.75 on voxels MuLan-music alone drives;
  * the same files at 1 rank as at the test's rank count;
  * `decode --roi-models 6` (the README's example: top 6 of the parcels)
    runs, and takes its 6 ROIs from the auditory parcels;
  * bad --sim settings refused.
The preset's calibration to the paper's Table 2 is checked by
calibrated_decoding.py and, at full size, bench/calibration_bench.py.
"""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import harness  # noqa: E402

VOXELS = 6000
AUDITORY = ("G_temp_sup-G_T_transv", "S_temporal_transverse", "G_temp_sup-Plan_tempo",
            "G_temp_sup-Lateral")
ADJACENT = ("S_temporal_sup", "G_temp_sup-Plan_polar", "Lat_Fis-post")


def text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def simulate(opts, out, ranks=None):
    args = ["simulate", "--preset", "paper", "--events", opts.events, "--subjects", 1, "--voxels",
            VOXELS, "--seed", 7, "--sim", "unread_max=0.75", "--out-dir", out]
    if ranks is None:
        return harness.run_b2m(opts, args)
    one = harness.argparse.Namespace(**vars(opts))
    one.ranks = ranks
    return harness.run_b2m(one, args)


def body(opts, checks):
    w = opts.scratch
    study = os.path.join(w, "study")
    if not checks.require_run("b2m simulate --preset paper", simulate(opts, study)):
        return
    with h5py.File(os.path.join(study, "sub-01_truth.h5"), "r") as t:
        params = {k: t["parameters"].attrs[k] for k in t["parameters"].attrs}
        drivers, ceiling, unread = (t[n][...] for n in ("drivers", "noise_ceiling", "unread"))
    with h5py.File(os.path.join(study, "sub-01_responses.h5"), "r") as f:
        roi = f["voxels/roi"][...]
        names = [text(n) for n in f["voxels/roi"].attrs["names"]]
        train = f["train/Y"][...]
        reps = f["test/Y_reps"][...].astype(np.float64)
    wanted = {"snr_scale", "snr_decades", "other_snr", "unread_min", "unread_max", "unread_dims",
              "unread_rank", "drive_noise", "noise_factors",
              "shared_noise", "parcel_rank", "basis_rank", "spectrum_decay", "drive_primary",
              "drive_belt", "drive_adjacent", "drive_other", "latent_dims", "clip_spread", "voxels"}
    checks.check("truth: every generating parameter recorded, the --sim override and the preset",
                 wanted <= set(params) and float(params["unread_max"][0]) == 0.75 and
                 text(params["preset"]) == "paper", str(sorted(set(wanted) - set(params))))

    sizes = np.bincount(roi, minlength=len(names))
    ratio = sizes.mean() / np.median(sizes)
    checks.check("148 Destrieux parcels, every one with voxels, mean / median size 1.4..2.6",
                 len(names) == 148 and all(n.startswith(("lh.", "rh.")) for n in names) and
                 sizes.min() > 0 and 1.4 <= ratio <= 2.6, f"{len(names)} parcels, ratio {ratio:.2f}")
    label = np.array(names)[roi]
    auditory = np.array([any(a in n for a in AUDITORY) for n in label])
    adjacent = np.array([any(a in n for a in ADJACENT) for n in label])
    driven = drivers != 0
    other = ~(auditory | adjacent)
    checks.check("4-8% of voxels driven", 0.04 <= driven.mean() <= 0.08, f"{driven.mean():.4f}")
    checks.check("driven voxels mostly in the 8 auditory parcels (> 50% of them), few elsewhere "
                 "(< 1.5% of other parcels' voxels)",
                 auditory[driven].mean() > 0.5 and driven[other].mean() < 0.015,
                 f"{auditory[driven].mean():.2f} in auditory parcels ({len(set(label[auditory]))} "
                 f"parcels), {driven[other].mean():.4f} of the others")
    # Single-repetition explainable variance with the repeat-count correction
    # (noise_ceiling.py's formula), as a user measures it.
    total = reps.var(axis=1).mean(axis=0)
    ev = ((len(reps) * reps.mean(axis=0).var(axis=0) - total) / (len(reps) - 1) / total)[driven]
    lo, hi = np.percentile(ev, [10, 90])
    inside = ((ev >= 0.01) & (ev <= 0.4)).mean()
    checks.check("explainable variance of driven voxels spread over more than a decade (10th-90th "
                 "percentile), >= 75% of them inside 0.01..0.4",
                 hi / max(lo, 1e-9) > 10 and inside >= 0.75,
                 f"10th-90th percentile {lo:.4f}..{hi:.4f}, {inside:.0%} inside")

    # Noise correlations between undriven voxels (training data).
    # (pairs of parcels load on the shared factors at random: single pairs
    # correlate by +-0.08 about 0; the 66 pairs of 12 parcels share their
    # parcels, so their mean still wanders by a few hundredths)
    big = np.argsort(-sizes)[:12]
    idx = [np.where((roi == p) & ~driven)[0][:20] for p in big]
    c = np.corrcoef(np.concatenate([train[:, i] for i in idx], axis=1).T)
    at = np.cumsum([0] + [len(i) for i in idx])
    within = [(c[a:b, a:b].sum() - (b - a)) / ((b - a) ** 2 - (b - a)) for a, b in zip(at, at[1:])]
    between = [c[at[i]:at[i + 1], at[j]:at[j + 1]].mean()
               for i in range(len(idx)) for j in range(i + 1, len(idx))]
    checks.check("noise correlated within a parcel (0.1..0.35), not between parcels (|mean| < 0.05, "
                 "0.15 below within)",
                 0.1 <= min(within) and max(within) <= 0.35 and abs(np.mean(between)) < 0.05 and
                 np.mean(within) - np.mean(between) > 0.15,
                 f"within {min(within):.3f}..{max(within):.3f}, between: mean {np.mean(between):.3f}, "
                 f"sd {np.std(between):.3f}")

    # The share no space reads caps even the right model.
    common = [os.path.join(study, "sub-01_responses.h5"), "--features",
              os.path.join(study, "features.h5"), "--space", "mulan_music", "--events", opts.events]
    enc = os.path.join(w, "enc.h5")
    r = harness.run_b2m(opts, ["encode", *common, "--n-alphas", 6, "--out", enc])
    if checks.require_run("b2m encode mulan_music", r):
        with h5py.File(enc, "r") as f:
            rt = f["voxels/r_test"][...]
        own = (drivers == 1) & (ceiling > 0.3)
        norm = np.median(rt[own] / ceiling[own])
        checks.check("the right model's r / true ceiling is 0.35..0.75 (voxels MuLan-music alone "
                     "drives, ceiling > 0.3)", own.sum() >= 10 and 0.35 <= norm <= 0.75,
                     f"{norm:.3f} (n={own.sum()}; sqrt(1 - unread) median "
                     f"{np.median(np.sqrt(1 - unread[own])):.3f})")

    # Rank invariance.
    if opts.ranks > 1:
        one = os.path.join(w, "one")
        if checks.require_run("b2m simulate --preset paper at 1 rank", simulate(opts, one, 1)):
            differ = []
            for name in ("sub-01_responses.h5", "sub-01_truth.h5", "features.h5"):
                with h5py.File(os.path.join(study, name), "r") as a, \
                        h5py.File(os.path.join(one, name), "r") as b:
                    def visit(n, obj):
                        if isinstance(obj, h5py.Dataset) and not np.array_equal(obj[...], b[n][...]):
                            differ.append(f"{name}:{n}")
                    a.visititems(visit)
            checks.check(f"the same files at 1 rank and at {opts.ranks}", not differ, str(differ))

    # The README's ROI-model decode: the top 6 of the parcels.
    dec = os.path.join(w, "rois.h5")
    r = harness.run_b2m(opts, ["decode", *common, "--roi-models", 6, "--out", dec])
    if checks.require_run("b2m decode --roi-models 6", r):
        with h5py.File(dec, "r") as f:
            top = f["rois/top"][...].astype(bool)
            roi_names = [text(n) for n in f["rois/cv_r"].attrs["names"]]
        chosen = [n for n, t in zip(roi_names, top) if t]
        checks.check("decode --roi-models 6 takes 6 parcels, all auditory or adjacent",
                     len(chosen) == 6 and all(any(a in n for a in AUDITORY + ADJACENT) for n in chosen),
                     str(chosen))

    for bad, needle in ((["--sim", "colour=3"], "unknown simulator parameter 'colour'"),
                        (["--sim", "shared_noise=1.5"], "shared_noise must be in"),
                        (["--sim", "parcel_rank"], "NAME=VALUE"),
                        (["--preset", "hard"], "unknown simulator preset 'hard'")):
        r = harness.run_b2m(opts, ["simulate", "--preset", "paper", "--events", opts.events, "--voxels",
                                   100, "--subjects", 1, *bad, "--out-dir", os.path.join(w, "bad")])
        checks.check(f"refused: {' '.join(bad)}", r.rc != 0 and needle in r.stderr and
                     not os.path.exists(os.path.join(w, "bad", "sub-01_truth.h5")), r.stderr[-300:])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
