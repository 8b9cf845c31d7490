#!/usr/bin/python3
"""b2m stats (issue 17, item 1): permutation p, max-statistic family-wise p
and BH-FDR q of encode results.

1. An encode result made with --save-predictions: b2m stats' r, permutation
   p, family-wise p and q equal a numpy implementation that recomputes r for
   every permutation b2m recorded (/null/permutations), directly from the
   permuted rows; the same at 1 rank as at this rank count, with the
   permutations split over rank groups where the ranks allow; the recorded
   permutations are permutations of the test clips, reproducible from the
   seed. On the simulated study, discoveries at q < 0.05 are mostly driven
   voxels (false discovery proportion within its error of 0.05).
   The tested rows leave out each clip's first max(delays) rows, and r
   over them equals numpy's.
2. Null studies (files with the layout of an encode result: a prediction
   independent of the responses, both carrying each clip into the next as
   test clips shown back to back do: a strong clip-level signal through
   the HRF in the responses, an unrelated clip-level space through FIR
   delays 2 and 3 in the prediction): voxelwise p is uniform (P(p <= 0.05)
   within binomial error of 0.05), the fraction at q < 0.05 is at most 0.05
   within its error, and the max-statistic p holds the family-wise error at
   0.05 over 40 null studies. Testing every row (--carry-over-rows 0) is
   liberal there (the observed pairing keeps each clip's carry-over
   matched, every permutation breaks it), which the check proves. The
   paper's Gaussian null on the same data is printed beside it.
3. --roi-summary: per subject and ROI, mean and median r and the fractions
   significant, equal to numpy's from the stats output and the atlas.
4. Bad input: a result without --save-predictions, too few permutations for
   the level, a result that does not say its clip length or its carry-over
   rows, carry-over rows that leave no row, NaN predictions, permutation
   groups that do not divide the ranks: refused on every rank with the
   file or option named.
5. Tests across subjects: decode results of 3 subjects (MuLan-music, and a
   random control space that drives nothing) and retrieve results of the
   MuLan-music ones. For each space and figure the t statistic and its p
   equal scipy's one-sample t-test of value - chance (alternative
   "greater"), and the sign-flip p equals a numpy enumeration of the 2^3
   sign patterns; the values are read from the results' own datasets.
   MuLan-music is above chance, the random space is not. A subject counted
   twice is refused, naming both files.
"""
import shutil
import csv
import itertools
import os
import sys
import types

sys.dont_write_bytecode = True

import h5py
import numpy as np
from scipy import stats as sps

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import testdata  # noqa: E402

PERMS = 300


def standardized(x):
    x = x.astype(np.float64)
    x = x - x.mean(axis=0)
    sd = np.sqrt((x ** 2).mean(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / sd


def numpy_stats(pred, obs, clip_rows, perms, carry_over):
    """r, exceedance counts and the max-statistic null over the rows of each
    clip past its first `carry_over`, recomputing r for each permutation
    from the permuted rows."""
    keep = np.arange(pred.shape[0]) % clip_rows >= carry_over
    pred, obs, clip_rows = pred[keep], obs[keep], clip_rows - carry_over
    m, v = pred.shape
    zp, zy = standardized(pred), standardized(obs)
    r = (zp * zy).mean(axis=0)
    blocks = zy.reshape(m // clip_rows, clip_rows, v)
    exceed = np.zeros(v, dtype=np.int64)
    max_r = np.empty(len(perms))
    for k, pi in enumerate(perms):
        rk = (zp * blocks[pi].reshape(m, v)).mean(axis=0)
        exceed += rk >= r
        max_r[k] = np.nanmax(rk)
    return r, exceed, max_r


def bh(p):
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    order = np.argsort(p[ok], kind="stable")
    ranked = p[ok][order] * ok.sum() / np.arange(1, ok.sum() + 1)
    q_ok = np.empty(ok.sum())
    q_ok[order] = np.minimum(1, np.minimum.accumulate(ranked[::-1])[::-1])
    q[ok] = q_ok
    return q


def read_all(path):
    with h5py.File(path, "r") as f:
        out = {}
        f.visititems(lambda n, o: out.__setitem__(n, o[...]) if isinstance(o, h5py.Dataset) else None)
        return out


def same_files(a, b):
    x, y = read_all(a), read_all(b)
    if x.keys() != y.keys():
        return False, f"datasets {sorted(x)} vs {sorted(y)}"
    bad = [k for k in x if not np.array_equal(x[k], y[k], equal_nan=x[k].dtype.kind == "f")]
    return not bad, f"differ: {bad}"


# A haemodynamic response sampled at the TR (peak at 3 rows, tail to 8).
HRF = np.array([0.0, 0.3, 0.8, 1.0, 0.8, 0.5, 0.3, 0.15, 0.05])


def null_result(path, rng, voxels, clips=60, clip_rows=10, delays=(2, 3)):
    """The layout of an encode result made with --save-predictions, for a
    prediction that is independent of the responses, with the carry-over of
    real test clips shown back to back: the responses are a strong
    clip-level signal through the HRF plus noise, so each clip's first rows
    hold the clip before; the prediction is a ridge map of an unrelated
    clip-level feature space through FIR delays, so each clip's first
    max(delays) rows hold the clip before's features."""
    def steps(dim):
        return np.repeat(rng.standard_normal((clips, dim)), clip_rows, axis=0)
    m = clips * clip_rows
    s = steps(voxels)
    y = np.stack([np.convolve(s[:, v], HRF)[:m] for v in range(voxels)], axis=1)
    obs = 3 * y / y.std(axis=0) + rng.standard_normal((m, voxels))
    f = steps(8)
    x = np.hstack([np.vstack([np.zeros((d, 8)), f[:-d]]) for d in delays])
    pred = x @ rng.standard_normal((x.shape[1], voxels))
    pred, obs = pred.astype(np.float32), obs.astype(np.float32)
    with h5py.File(path, "w") as h:
        h["test/prediction"], h["test/observed"] = pred, obs
        h["test"].attrs["clip_rows"] = [float(clip_rows)]
        h["test"].attrs["carry_over_rows"] = [float(max(delays))]
        h["voxels/r_test"] = (standardized(pred) * standardized(obs)).mean(axis=0)
    return pred, obs


def reference_checks(opts, checks, enc, truth):
    w = opts.scratch
    out = os.path.join(w, "stats.h5")
    groups = 2 if opts.ranks % 2 == 0 else 1
    r = harness.run_b2m(opts, ["stats", enc, "--permutations", PERMS, "--seed", 5,
                               "--permutation-groups", groups, "--out", out])
    if not checks.require_run(f"b2m stats, {PERMS} permutations, {groups} permutation group(s)", r):
        return None
    s = read_all(out)
    e = read_all(enc)
    with h5py.File(enc, "r") as f:
        clip_rows = int(f["test"].attrs["clip_rows"][0])
    perms = s["null/permutations"]
    clips = e["test/prediction"].shape[0] // clip_rows
    checks.check("the recorded permutations are permutations of the test clips",
                 perms.shape == (PERMS, clips) and
                 all(np.array_equal(np.sort(p), np.arange(clips)) for p in perms) and
                 len({tuple(p) for p in perms}) == PERMS, f"shape {perms.shape}")
    with h5py.File(out, "r") as f:
        carry = f["null"].attrs["carry_over_rows"][0]
    checks.check("the tested rows leave out the largest FIR delay (4 rows) of each clip",
                 carry == 4, f"carry_over_rows {carry}")
    r_np, exceed, max_r = numpy_stats(e["test/prediction"], e["test/observed"], clip_rows, perms, 4)
    p_np = (1 + exceed) / (1 + PERMS)
    fwer_np = (1 + (max_r[None, :] >= r_np[:, None]).sum(axis=1)) / (1 + PERMS)
    d_r = np.nanmax(np.abs(s["voxels/r_tested"] - r_np))
    checks.check("the tested r equals numpy's on those rows (1e-9); r_test is encode's",
                 d_r < 1e-9 and np.array_equal(s["voxels/r_test"], e["voxels/r_test"], equal_nan=True),
                 f"max |d| {d_r:.1e}")
    same_p = np.mean(s["voxels/p_permutation"] == p_np)
    step = np.nanmax(np.abs(s["voxels/p_permutation"] - p_np)) * (1 + PERMS)
    checks.check("permutation p equals numpy's on the same permutations (>= 99.9% exactly, "
                 "the rest within one count: ties at round-off)", same_p >= 0.999 and step <= 1 + 1e-9,
                 f"{same_p:.4%} equal, max {step:.2f} counts apart")
    d_null = np.abs(s["null/max_r"] - max_r).max()
    checks.check("the max-statistic null equals numpy's (1e-9)", d_null < 1e-9, f"{d_null:.1e}")
    checks.check("family-wise p and q follow from them",
                 np.nanmax(np.abs(s["voxels/p_fwer"] - fwer_np)) * (1 + PERMS) <= 1 + 1e-9 and
                 np.nanmax(np.abs(s["voxels/q"] - bh(s["voxels/p_permutation"]))) < 1e-12 and
                 np.array_equal(s["voxels/significant"], (s["voxels/q"] < 0.05).astype(np.uint8)) and
                 np.array_equal(s["voxels/significant_fwer"], (s["voxels/p_fwer"] < 0.05).astype(np.uint8)))

    one = types.SimpleNamespace(**vars(opts))
    one.ranks = 1
    out1 = os.path.join(w, "stats_1rank.h5")
    r = harness.run_b2m(one, ["stats", enc, "--permutations", PERMS, "--seed", 5, "--out", out1])
    if checks.require_run("b2m stats at 1 rank", r):
        ok, detail = same_files(out, out1)
        checks.check(f"rank-count invariant: {opts.ranks} ranks ({groups} permutation groups) "
                     "equal 1 rank, bit for bit", ok, detail)
    out2 = os.path.join(w, "stats_seed6.h5")
    r = harness.run_b2m(opts, ["stats", enc, "--permutations", PERMS, "--seed", 6, "--out", out2])
    if checks.require_run("b2m stats with another seed", r):
        with h5py.File(out2, "r") as f:
            checks.check("another seed, other permutations", not np.array_equal(f["null/permutations"][...], perms))

    with h5py.File(truth, "r") as t:
        drivers = t["drivers"][...]
    sig = s["voxels/significant"] == 1
    fdp = (sig & (drivers == 0)).sum() / max(1, sig.sum())
    checks.check("simulated study: discoveries at q < 0.05 are driven voxels (false discovery "
                 "proportion <= 0.05 + 3 standard errors)",
                 sig.sum() > 50 and fdp <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / sig.sum()),
                 f"{sig.sum()} discoveries, {fdp:.3f} of them undriven")
    return out


def null_studies(opts, checks):
    w = os.path.join(opts.scratch, "null")
    os.makedirs(w)
    rng = np.random.default_rng(17)
    files, gauss = [], []
    for k in range(40):
        path = os.path.join(w, f"null{k:02d}.h5")
        pred, obs = null_result(path, rng, 300)
        files.append(path)
        rr = (standardized(pred) * standardized(obs)).mean(axis=0)
        n = pred.shape[0]
        gauss.append(sps.t.sf(rr * np.sqrt((n - 2) / (1 - rr ** 2)), n - 2))

    def run_stats(out, extra):
        r = harness.run_b2m(opts, ["stats", *files, "--permutations", 199, "--seed", 1, *extra,
                                   "--out", os.path.join(w, out, "{name}.h5")], timeout=300)
        if not checks.require_run(f"b2m stats {' '.join(map(str, extra))} of 40 null studies "
                                  "(300 voxels each)", r):
            return None
        p, q, family = [], [], 0
        for k in range(40):
            with h5py.File(os.path.join(w, out, f"null{k:02d}.h5"), "r") as f:
                p.append(f["voxels/p_permutation"][...])
                q.append(f["voxels/q"][...])
                family += int(f["voxels/significant_fwer"][...].any())
        return np.concatenate(p), np.concatenate(q), family

    whole = run_stats("whole_clips", ["--carry-over-rows", 0])
    got = run_stats("out", [])
    if whole is None or got is None:
        return
    p, q, family = got
    gauss = np.concatenate(gauss)
    se = np.sqrt(0.05 * 0.95 / p.size)
    share = (p <= 0.05).mean()
    checks.check("null with carry-over: testing every row of each clip (--carry-over-rows 0) is "
                 "liberal, P(p <= 0.05) above 0.05 + 4 standard errors (what the default mends)",
                 (whole[0] <= 0.05).mean() > 0.05 + 4 * se, f"{(whole[0] <= 0.05).mean():.4f}")
    checks.check("null: voxelwise P(p <= 0.05) within 4 standard errors of 0.05",
                 abs(share - 0.05) < 4 * se, f"{share:.4f} (se {se:.4f}); the paper's Gaussian "
                 f"null on the same data: {(gauss <= 0.05).mean():.4f}")
    checks.check("null: the fraction at q < 0.05 is at most 0.05 (+ 4 standard errors)",
                 (q < 0.05).mean() <= 0.05 + 4 * se, f"{(q < 0.05).mean():.4f}")
    # Binomial(40, 0.05): P(X >= 7) = 0.0036.
    checks.check("null: family-wise error at 0.05 held over 40 studies (at most 6 with any "
                 "family-wise discovery)", family <= 6, f"{family} of 40")


def roi_summary(opts, checks, enc, stats_out):
    w = opts.scratch
    table = os.path.join(w, "rois.tsv")
    r = harness.run_b2m(opts, ["stats", enc, "--permutations", PERMS, "--seed", 5,
                               "--out", stats_out, "--roi-summary", table])
    if not checks.require_run("b2m stats --roi-summary (the stats output reused)", r):
        return
    with open(table) as f:
        rows = [x for x in csv.DictReader(f, delimiter="\t")]
    with h5py.File(stats_out, "r") as f:
        rt, sig, fam = f["voxels/r_test"][...], f["voxels/significant"][...], f["voxels/significant_fwer"][...]
        roi = f["voxels/roi"][...]
        names = [n.decode() if isinstance(n, bytes) else n for n in f["voxels/roi"].attrs["names"]]
    bad = []
    for row in rows:
        if row["subject"] == "all":
            continue
        members = (roi == names.index(row["roi"])) & np.isfinite(rt)
        want = (members.sum(), rt[members].mean(), sig[members].mean(), fam[members].mean())
        got = (int(row["voxels"]), float(row["mean_r_mean"]), float(row["fraction_q_mean"]),
               float(row["fraction_fwer_mean"]))
        if want[0] != got[0] or any(abs(a - b) > 1e-5 for a, b in zip(want[1:], got[1:])):
            bad.append((row["roi"], want, got))
    checks.check("per-ROI voxels, mean r and fractions significant equal numpy's",
                 not bad and len(rows) == 2 * len(names), f"{bad[:2]}, {len(rows)} rows")


def bad_inputs(opts, checks, study, enc):
    w = opts.scratch

    def refused(label, args, needles):
        r = harness.run_b2m(opts, ["stats", *args])
        checks.check(f"bad input: {label}: refused on every rank, naming {needles}",
                     r.rc != 0 and not r.timed_out and r.every_rank_reported(opts.ranks) and
                     all(n in r.stderr for n in needles), r.describe())

    plain = os.path.join(w, "plain.h5")
    r = harness.run_b2m(opts, ["encode", os.path.join(study, "sub-01_responses.h5"), "--features",
                               os.path.join(study, "features.h5"), "--space", "mulan_music",
                               "--events", opts.events, "--delays", "1,2", "--n-alphas", 4,
                               "--out", plain])
    if checks.require_run("encode without --save-predictions", r):
        refused("a result without predictions", [plain, "--out", os.path.join(w, "b1.h5")],
                [plain, "--save-predictions"])
    refused("too few permutations for q 0.05", [enc, "--permutations", 10, "--out", os.path.join(w, "b2.h5")],
            ["10 permutations", "at least 20"])
    no_clips = os.path.join(w, "no_clips.h5")
    nan = os.path.join(w, "nan.h5")
    with h5py.File(no_clips, "w") as f, h5py.File(nan, "w") as g, h5py.File(enc, "r") as e:
        for out in (f, g):
            for name in ("test/prediction", "test/observed", "voxels/r_test"):
                out[name] = e[name][...]
        for name in ("clip_rows", "carry_over_rows"):
            g["test"].attrs[name] = e["test"].attrs[name]
        g["test/prediction"][3, 17] = np.nan
    refused("a result that does not say its clip length", [no_clips, "--out", os.path.join(w, "b3.h5")],
            [no_clips, "clip_rows"])
    refused("NaN in the predictions", [nan, "--out", os.path.join(w, "b4.h5")],
            [nan + ":/test/prediction", "non-finite", "voxel 17"])
    no_carry = os.path.join(w, "no_carry.h5")
    shutil.copy(nan, no_carry)
    with h5py.File(no_carry, "r+") as f:
        del f["test"].attrs["carry_over_rows"]
    refused("a result that does not say its carry-over rows", [no_carry, "--out", os.path.join(w, "b6.h5")],
            [no_carry, "carry_over_rows", "--carry-over-rows"])
    refused("carry-over rows that leave no row of a clip", [enc, "--carry-over-rows", 10, "--out",
                                                          os.path.join(w, "b7.h5")],
            [enc, "leaves none"])
    if opts.ranks > 1:
        refused("permutation groups that do not divide the ranks",
                [enc, "--permutation-groups", opts.ranks + 1, "--out", os.path.join(w, "b5.h5")],
                ["--permutation-groups"])


def sign_flip(d):
    d = np.asarray(d, dtype=np.float64)
    sums = [np.dot(s, d) for s in itertools.product((1, -1), repeat=len(d))]
    return np.mean(np.array(sums) >= d.sum() - 1e-12 * (abs(d.sum()) + 1))


def subject_level(opts, checks):
    w = os.path.join(opts.scratch, "subjects")
    os.makedirs(w)
    study = os.path.join(w, "study")
    r = harness.run_b2m(opts, ["simulate", "--events", opts.events, "--subjects", 3, "--voxels", 500,
                               "--seed", 21, "--corpus", 2000, "--out-dir", study])
    if not checks.require_run("simulate 3 subjects", r):
        return
    features = os.path.join(w, "features.h5")
    shutil.copy(os.path.join(study, "features.h5"), features)
    testdata.add_random_space(features, dim=64)
    subjects = [os.path.join(study, f"sub-0{i}_responses.h5") for i in (1, 2, 3)]
    r = harness.run_b2m(opts, ["decode", *subjects, "--features", features, "--space", "mulan_music",
                               "--space", "random", "--events", opts.events, "--n-alphas", 6,
                               "--out", os.path.join(w, "dec", "{subject}_{space}.h5")], timeout=300)
    if not checks.require_run("decode 3 subjects x (MuLan-music, random)", r):
        return
    decoded = sorted(os.path.join(w, "dec", f) for f in os.listdir(os.path.join(w, "dec")) if f.endswith(".h5"))
    music = [d for d in decoded if "mulan_music" in d]
    r = harness.run_b2m(opts, ["retrieve", *music, "--corpus", os.path.join(study, "corpus.h5"), "-k", 5,
                               "--out", os.path.join(w, "ret", "{name}.h5")])
    if not checks.require_run("retrieve the MuLan-music decodes", r):
        return
    retrieved = [os.path.join(w, "ret", os.path.basename(d)) for d in music]
    table = os.path.join(w, "subjects.tsv")
    r = harness.run_b2m(opts, ["stats", *decoded, *retrieved, "--subject-tests", table])
    if not checks.require_run("b2m stats of decode and retrieve results (no --out needed)", r):
        return
    with open(table) as f:
        rows = {(x["stage"], x["space"], x["figure"]): x for x in csv.DictReader(f, delimiter="\t")}
    want = {}
    for d in decoded:
        space = "random" if "random" in d else "mulan_music"
        with h5py.File(d, "r") as f:
            want.setdefault(("decode", space, "identification"), []).append(
                (f["test/identification"][...].mean(), 0.5))
    for d in retrieved:
        with h5py.File(d, "r") as f:
            want.setdefault(("retrieve", "mulan_music", "top1_genre"), []).append(
                (f.attrs["top1_genre_agreement"][0], f.attrs["chance_genre_agreement"][0]))
    bad = []
    for key, pairs in want.items():
        row = rows.get(key)
        d = [v - c for v, c in pairs]
        t = sps.ttest_1samp(d, 0, alternative="greater")
        if row is None or int(row["subjects"]) != 3 or \
                abs(float(row["t"]) - t.statistic) > 1e-5 * abs(t.statistic) or \
                abs(float(row["p_t"]) - t.pvalue) > 1e-5 * t.pvalue or \
                abs(float(row["p_sign_flip"]) - sign_flip(d)) > 1e-12:
            bad.append((key, row and (row["t"], row["p_t"], row["p_sign_flip"]),
                        (t.statistic, t.pvalue, sign_flip(d))))
    checks.check("t, its p and the sign-flip p equal scipy's t-test and a numpy enumeration (to "
                 "the table's 6 digits; identification of both spaces, genre agreement of the "
                 "retrievals)",
                 not bad and len(want) == 3, str(bad))
    music_row, random_row = rows.get(("decode", "mulan_music", "identification")), \
        rows.get(("decode", "random", "identification"))
    checks.check("MuLan-music above chance (p_t < 0.01, p_sign_flip = 1/8); random not (p_t > 0.05)",
                 music_row and random_row and float(music_row["p_t"]) < 0.01 and
                 float(music_row["p_sign_flip"]) == 0.125 and float(random_row["p_t"]) > 0.05,
                 f"{music_row and music_row['p_t']}, {random_row and random_row['p_t']}")
    checks.check("the test is named in the table", music_row and "t-test" in music_row["test"]
                 and "sign-flip" in music_row["test"])
    twice = os.path.join(w, "again.h5")
    shutil.copy(music[0], twice)
    r = harness.run_b2m(opts, ["stats", *music, twice])
    checks.check("a subject counted twice is refused, naming both files",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and music[0] in r.stderr and twice in r.stderr,
                 r.describe())


def body(opts, checks):
    study = harness.simulate_study(opts, checks, 1, 1200, 12)
    if study is None:
        return
    enc = os.path.join(opts.scratch, "enc.h5")
    r = harness.run_b2m(opts, ["encode", os.path.join(study, "sub-01_responses.h5"), "--features",
                               os.path.join(study, "features.h5"), "--space", "mulan_music",
                               "--events", opts.events, "--delays", "1,2,3,4", "--n-alphas", 8,
                               "--save-predictions", "--out", enc])
    if not checks.require_run("b2m encode --save-predictions", r):
        return
    with h5py.File(enc, "r") as f:
        checks.check("encode --save-predictions writes /test/prediction and /test/observed [m, V] "
                     "and the clip length",
                     f["test/prediction"].shape == f["test/observed"].shape == (600, 1200) and
                     f["test"].attrs["clip_rows"][0] == 10, str(f["test/prediction"].shape))
    out = reference_checks(opts, checks, enc, os.path.join(study, "sub-01_truth.h5"))
    if out:
        roi_summary(opts, checks, enc, out)
    null_studies(opts, checks)
    bad_inputs(opts, checks, study, enc)
    subject_level(opts, checks)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
