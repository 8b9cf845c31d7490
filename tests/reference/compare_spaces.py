#!/usr/bin/python3
"""b2m compare (issue 17, item 3) on a planted comparison, against numpy.

Two subjects of a simulated study (easy preset, 600 voxels, its 5 ROIs)
get new responses driven by two random clip-level feature spaces, A and B
(independent, so a voxel's significance for a space is its ground truth):
  primary_auditory  80% of voxels driven by A alone: A predicts better;
  belt_parabelt     80% driven by A and B equally (the same signal share
                    each): both significant on the same voxels, and no
                    difference planted;
  sts               80% driven by B alone: B predicts better;
  other, prefrontal nothing.
Encode of A and of B (--save-predictions), b2m stats of each (1,000
permutations of the test clips: encode's analytic p takes the clip-level
signal's 600 test rows for more independent values than its 60 clips, and
an unrelated space then passes q < 0.05 on strongly driven voxels), then
compare with their q, a 200-draw clip bootstrap and --roi-summary:
  * the overlap counts (q < 0.05 from the stats outputs, and r > 0.4)
    and the observed mean r_A - r_B over each region's voxels significant
    for either space equal numpy's on the same files;
  * the first two bootstrap draws equal numpy's (SplitMix64 clip draws,
    r recomputed on the drawn clips);
  * b2m stats' discoveries at q < 0.05 are each space's own voxels (false
    discovery proportion within its error of 0.05): the null leaves out the
    rows each clip's prediction carries over from the clip before;
  * Dice at r > 0.4 recovers the planted overlap per region (within 0.1
    of the truth: 0 in primary and sts, 1 in belt); Dice at q < 0.05
    within 0.1 in belt and at most 0.3 where the truth is 0: BH controls
    the false discoveries over the whole map, not per region, and B's own
    discoveries in belt and sts let BH pass p < ~0.02, which a few
    A-driven voxels reach together by chance (their signals share A's
    clip-level features);
  * the planted advantage is found: A > B in primary auditory, B > A in
    sts (interval excluding 0, p < 0.05) for each subject and across
    subjects; and none where none was planted: belt's interval covers 0;
  * the same outputs at 1 rank as at the test's rank count;
  * (at 1 rank) the bootstrap's coverage: 300 studies of two equally good
    spaces whose test clips carry over into each other (HRF in the
    responses, FIR delays in the predictions); the 95% interval covers 0 in
    at least 276 (binomial 1% bound), as it does because the bootstrapped r
    leaves out each clip's carry-over rows (over every row: 267);
  * bad input refused on every rank: results of different subjects paired,
    of different voxel sets, without --save-predictions, unequal --results-a / --results-b
    counts, too few bootstrap draws; a --pair that is not A:B, an unknown
    --pairs set, --pair with --results-a.
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

VOXELS = 600
DELAYS = "2,3"
DRAWS = 200
STUDIES = 300  # of two equally good spaces, for the bootstrap's coverage
SEED = 3
PLANTED = {"primary_auditory": (1, 0), "belt_parabelt": (1, 1), "sts": (0, 1)}
MASK64 = (1 << 64) - 1


class SplitMix64:
    """analysis/split_mix64.hpp, in Python."""

    def __init__(self, seed):
        self.state = seed & MASK64

    @staticmethod
    def stream(seed, index):
        return SplitMix64(SplitMix64(seed).next() ^ SplitMix64(index ^ 0xD1B54A32D192ED03).next())

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, bound):
        top = MASK64
        limit = top - (top % bound + 1) % bound
        while True:
            x = self.next()
            if x <= limit:
                return x % bound


def clip_counts(seed, index, clips):
    s = SplitMix64.stream(seed, index)
    counts = np.zeros(clips)
    for _ in range(clips):
        counts[s.below(clips)] += 1
    return counts


def weighted_r(pred, obs, weights, clip_rows):
    """r per voxel with each test clip counted weights[c] times."""
    w = np.repeat(weights, clip_rows)[:, None]
    n = w.sum()
    mx, my = (w * pred).sum(0) / n, (w * obs).sum(0) / n
    cov = (w * (pred - mx) * (obs - my)).sum(0)
    return cov / np.sqrt((w * (pred - mx) ** 2).sum(0) * (w * (obs - my) ** 2).sum(0))


def plant(study, subject, designs, rng):
    """Rewrites the subject's responses as driven by spaces A and B; returns
    (roi names, labels, driven by A, driven by B)."""
    path = os.path.join(study, f"{subject}_responses.h5")
    with h5py.File(path, "r+") as f:
        roi = f["voxels/roi"][...]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["voxels/roi"].attrs["names"]]
        by_a, by_b = np.zeros(VOXELS, bool), np.zeros(VOXELS, bool)
        for name, (a, b) in PLANTED.items():
            driven = (roi == names.index(name)) & (rng.random(VOXELS) < 0.8)
            by_a |= driven & bool(a)
            by_b |= driven & bool(b)
        train = rng.standard_normal(f["train/Y"].shape) * np.sqrt(2.0)
        test = rng.standard_normal(f["test/Y"].shape) * np.sqrt(0.5)
        for (x, xt), driven in zip(designs, (by_a, by_b)):
            w = rng.standard_normal((x.shape[1], VOXELS))
            s, st = x @ w, xt @ w
            scale = s.std(axis=0)
            train += np.where(driven, s / scale, 0)
            test += np.where(driven, st / scale, 0)
        f["train/Y"][...] = train
        f["test/Y"][...] = test
        if "test/Y_reps" in f:
            del f["test/Y_reps"]
    return names, roi, by_a, by_b


def read_outputs(path):
    with h5py.File(path, "r") as f:
        out = {}
        f.visititems(lambda n, o: out.__setitem__(n, o[...]) if isinstance(o, h5py.Dataset) else None)
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["regions"].attrs["names"]]
    return out, names


# A haemodynamic response sampled at the TR (peak at 3 rows, tail to 8).
HRF = np.array([0.0, 0.3, 0.8, 1.0, 0.8, 0.5, 0.3, 0.15, 0.05])


def equal_pair(w, k, rng, clips=60, clip_rows=10, voxels=20, delays=(2, 3), noise=1.0):
    """Files in the layout of two encode results of equally good spaces, with
    test clips shown back to back: the responses carry each clip into the
    next through the HRF, the predictions through FIR delays (noisy copies
    of the same clip-level latents, equally noisy)."""
    m = clips * clip_rows
    z, weights = rng.standard_normal((clips, 8)), rng.standard_normal((8, voxels))
    s = np.repeat(z @ weights, clip_rows, axis=0)
    y = np.stack([np.convolve(s[:, v], HRF)[:m] for v in range(voxels)], axis=1)
    y = y / y.std(axis=0) + noise * rng.standard_normal((m, voxels))
    paths = []
    for side in "ab":
        latent = np.repeat((z + 0.8 * rng.standard_normal(z.shape)) @ weights, clip_rows, axis=0)
        pred = sum(np.vstack([np.zeros((d, voxels)), latent[:-d]]) for d in delays)
        paths.append(os.path.join(w, f"eq{k:03d}_{side}.h5"))
        with h5py.File(paths[-1], "w") as f:
            f["test/prediction"], f["test/observed"] = pred.astype(np.float32), y.astype(np.float32)
            f["test"].attrs["clip_rows"] = [float(clip_rows)]
            f["test"].attrs["carry_over_rows"] = [float(max(delays))]
            f["voxels/r_test"] = np.array([np.corrcoef(pred[:, v], y[:, v])[0, 1] for v in range(voxels)])
            f["voxels/p_test"] = np.full(voxels, 1e-12)
    return paths


def bootstrap_coverage(opts, checks):
    """With no difference between the spaces, the 95% clip-bootstrap interval
    covers 0 in 95% of studies, though the clips carry over into each other."""
    w = os.path.join(opts.scratch, "equal")
    os.makedirs(w)
    rng = np.random.default_rng(23)
    args = []
    for k in range(STUDIES):
        a, b = equal_pair(w, k, rng, noise=0.3)
        args += ["--results-a", a, "--results-b", b]
    r = harness.run_b2m(opts, ["compare", *args, "--bootstrap", 200, "--out",
                               os.path.join(w, "out", "{subject}.h5")], timeout=300)
    if not checks.require_run(f"b2m compare of {STUDIES} studies of two equally good spaces", r):
        return
    covered = 0
    for k in range(STUDIES):
        with h5py.File(os.path.join(w, "out", f"eq{k:03d}_a.h5"), "r") as f:
            covered += int(f["regions/difference_low"][-1] <= 0 <= f["regions/difference_high"][-1])
    # Binomial(300, 0.95): P(X < 276) = 0.009. Over every row of the clips
    # (--carry-over-rows 0) the interval covers 0 in 267 of these studies:
    # the resampled clips lose the carry-over that ties neighbours together.
    checks.check(f"no difference: the 95% bootstrap interval covers 0 in at least 276 of "
                 f"{STUDIES} studies with clip carry-over", covered >= 276, f"{covered} of {STUDIES}")


def body(opts, checks):
    w = opts.scratch
    if opts.ranks == 1:  # a property of the method; rank invariance is checked below
        bootstrap_coverage(opts, checks)
    study = harness.simulate_study(opts, checks, 2, VOXELS, 4)
    if study is None:
        return
    features = os.path.join(study, "features.h5")
    testdata.add_random_space(features, dim=64, seed=1, name="space_a")
    testdata.add_random_space(features, dim=64, seed=2, name="space_b")
    designs = []
    for space in ("space_a", "space_b"):
        out = os.path.join(w, f"design_{space}.h5")
        r = harness.run_b2m(opts, ["design", "--features", features, "--space", space, "--events", opts.events,
                                   "--delays", DELAYS, "--out", out])
        if not checks.require_run(f"b2m design {space}", r):
            return
        designs.append(testdata.read_design(out))
    rng = np.random.default_rng(11)
    truth = {s: plant(study, s, designs, rng) for s in ("sub-01", "sub-02")}

    enc = {}
    for subject in truth:
        for space in ("space_a", "space_b"):
            enc[subject, space] = os.path.join(w, f"{subject}_{space}.h5")
            r = harness.run_b2m(opts, ["encode", os.path.join(study, f"{subject}_responses.h5"), "--features",
                                       features, "--space", space, "--events", opts.events, "--delays", DELAYS,
                                       "--n-alphas", 6, "--save-predictions", "--out", enc[subject, space]])
            if not checks.require_run(f"b2m encode {subject} {space}", r):
                return
    r = harness.run_b2m(opts, ["stats", *enc.values(), "--permutations", 1000, "--seed", 5,
                               "--out", os.path.join(w, "stats_{name}.h5")])
    if not checks.require_run("b2m stats of the four encode results", r):
        return
    stats = {k: os.path.join(w, f"stats_{os.path.basename(v)}") for k, v in enc.items()}
    args = ["compare", "--results-a", enc["sub-01", "space_a"], "--results-a", enc["sub-02", "space_a"],
            "--results-b", enc["sub-01", "space_b"], "--results-b", enc["sub-02", "space_b"], "--bootstrap", DRAWS,
            "--seed", SEED, "--block-size", 128, "--stats-a", stats["sub-01", "space_a"], "--stats-a",
            stats["sub-02", "space_a"], "--stats-b", stats["sub-01", "space_b"], "--stats-b",
            stats["sub-02", "space_b"]]
    table = os.path.join(w, "regions.tsv")
    r = harness.run_b2m(opts, args + ["--roi-summary", table, "--out", os.path.join(w, "cmp_{subject}.h5")])
    if not checks.require_run("b2m compare of two subjects", r):
        return
    with open(table) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))

    for subject, (names, roi, by_a, by_b) in truth.items():
        out, regions = read_outputs(os.path.join(w, f"cmp_{subject}.h5"))
        with h5py.File(enc[subject, "space_a"], "r") as fa, h5py.File(enc[subject, "space_b"], "r") as fb:
            pa, pb = fa["test/prediction"][...].astype(float), fb["test/prediction"][...].astype(float)
            obs = fa["test/observed"][...].astype(float)
            clip_rows = int(fa["test"].attrs["clip_rows"][0])
            carry = int(fa["test"].attrs["carry_over_rows"][0])
        with h5py.File(os.path.join(w, f"cmp_{subject}.h5"), "r") as f:
            used = f["regions"].attrs["carry_over_rows"][0]
        # The bootstrap resamples each clip's rows past its carry-over rows
        # (the largest delay, 3), as b2m stats tests them.
        checks.check(f"{subject}: the bootstrapped rows leave out the largest delay of each clip",
                     carry == 3 and used == 3, f"result {carry}, compare {used}")
        keep = np.arange(obs.shape[0]) % clip_rows >= carry
        pa, pb, obs, clip_rows = pa[keep], pb[keep], obs[keep], clip_rows - carry
        with h5py.File(stats[subject, "space_a"], "r") as fa, h5py.File(stats[subject, "space_b"], "r") as fb:
            qa, qb = fa["voxels/q"][...], fb["voxels/q"][...]
            ra, rb = fa["voxels/r_test"][...], fb["voxels/r_test"][...]
        clips = obs.shape[0] // clip_rows
        member = [roi == k for k in range(len(names))] + [np.ones(VOXELS, bool)]
        checks.check(f"{subject}: regions are the ROIs and all", regions == names + ["all"], str(regions))
        sig_a, sig_b = qa < 0.05, qb < 0.05
        tested = sig_a | sig_b
        counts = np.array([[(m & sig_a).sum(), (m & sig_b).sum(), (m & sig_a & sig_b).sum()] for m in member])
        counts_r = np.array([[(m & (ra > 0.4)).sum(), (m & (rb > 0.4)).sum(), (m & (ra > 0.4) & (rb > 0.4)).sum()]
                             for m in member])
        checks.check(f"{subject}: overlap counts at q < 0.05 and r > 0.4 equal numpy's",
                     np.array_equal(out["regions/q_counts"], counts) and
                     np.array_equal(out["regions/r_counts"], counts_r),
                     f"{out['regions/q_counts'].tolist()} vs {counts.tolist()}")
        _, _, by_a, by_b = truth[subject]
        fdp = [(sig & ~by).sum() / max(1, sig.sum()) for sig, by in ((sig_a, by_a), (sig_b, by_b))]
        checks.check(f"{subject}: b2m stats' discoveries at q < 0.05 are the space's own voxels "
                     "(false discovery proportion of A and of B <= 0.05 + 3 standard errors)",
                     all(f <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / max(1, s.sum())) for f, s in
                         zip(fdp, (sig_a, sig_b))) and sig_a.sum() > 50 and sig_b.sum() > 50,
                     f"A: {sig_a.sum()} discoveries, {fdp[0]:.3f} false; B: {sig_b.sum()}, {fdp[1]:.3f}")
        weights = [np.ones(clips)] + [clip_counts(SEED, d, clips) for d in (0, 1)]
        stat = []
        for wt in weights:
            diff = weighted_r(pa, obs, wt, clip_rows) - weighted_r(pb, obs, wt, clip_rows)
            stat.append([np.nanmean(diff[m & tested]) if (m & tested).any() else np.nan for m in member])
        stat = np.array(stat)
        got = np.column_stack([out["regions/difference"], out["regions/draws"][:, :2]]).T
        worst = np.nanmax(np.abs(got - stat))
        checks.check(f"{subject}: observed differences and the first two bootstrap draws equal numpy's (1e-9)",
                     worst < 1e-9 and np.array_equal(np.isnan(got), np.isnan(stat)), f"{worst:.1e}")
        for name in PLANTED:
            k = names.index(name)
            a, b = by_a[roi == k], by_b[roi == k]
            true_dice = 2 * (a & b).sum() / (a.sum() + b.sum())
            dice_r, dice_q = out["regions/r_dice"][k], out["regions/q_dice"][k]
            checks.check(f"{subject}: {name}: Dice at r > 0.4 within 0.1 of the planted {true_dice:.2f}, "
                         f"at q < 0.05 within {0.1 if true_dice else 0.3}",
                         abs(dice_r - true_dice) <= 0.1 and abs(dice_q - true_dice) <= (0.1 if true_dice else 0.3),
                         f"r > 0.4: {dice_r:.3f}, q < 0.05: {dice_q:.3f}")
        lo, hi, p = out["regions/difference_low"], out["regions/difference_high"], out["regions/p"]
        k = names.index
        checks.check(f"{subject}: A > B found in primary auditory, B > A in sts (interval off 0, p < 0.05)",
                     lo[k("primary_auditory")] > 0 and p[k("primary_auditory")] < 0.05 and
                     hi[k("sts")] < 0 and p[k("sts")] < 0.05,
                     f"primary [{lo[k('primary_auditory')]:.3f}, {hi[k('primary_auditory')]:.3f}], "
                     f"sts [{lo[k('sts')]:.3f}, {hi[k('sts')]:.3f}]")
        checks.check(f"{subject}: no difference in belt, where none was planted (interval covers 0)",
                     lo[k("belt_parabelt")] < 0 < hi[k("belt_parabelt")],
                     f"[{lo[k('belt_parabelt')]:.3f}, {hi[k('belt_parabelt')]:.3f}]")

    across = {row["region"]: row for row in rows if row["subject"] == "all"}
    ok = all(name in across for name in PLANTED)
    if checks.check("--roi-summary has the across-subject rows", ok, str(sorted(across))):
        prim, sts, belt = across["primary_auditory"], across["sts"], across["belt_parabelt"]
        checks.check("across subjects: A > B in primary auditory, B > A in sts (p < 0.05); belt covers 0",
                     float(prim["low"]) > 0 and float(prim["p"]) < 0.05 and float(sts["high"]) < 0 and
                     float(sts["p"]) < 0.05 and float(belt["low"]) < 0 < float(belt["high"]) and
                     prim["subjects"] == "2", str({k: (v["difference"], v["low"], v["high"], v["p"])
                                                   for k, v in across.items()}))

    # Rank invariance.
    keep = os.path.join(os.path.dirname(os.path.abspath(opts.work_dir)), ".compare-np1.h5")
    mine = os.path.join(w, "cmp_sub-01.h5")
    if opts.ranks == 1:
        shutil.copyfile(mine, keep)
    elif os.path.exists(keep):
        one, _ = read_outputs(keep)
        two, _ = read_outputs(mine)
        same = all(np.array_equal(one[n], two[n], equal_nan=one[n].dtype.kind == "f") for n in one)
        checks.check(f"the same output at {opts.ranks} ranks as at 1", same and one.keys() == two.keys())

    # Bad input.
    os.makedirs(os.path.join(w, "half"))
    other = os.path.join(w, "half", "sub-01_responses.h5")  # sub-01, half its voxels
    with h5py.File(os.path.join(study, "sub-01_responses.h5"), "r") as f, h5py.File(other, "w") as g:
        for name in ("train/Y", "test/Y"):
            g[name] = f[name][:, : VOXELS // 2]
        g["train/run"] = f["train/run"][...]
        g["test"].attrs.update(f["test"].attrs)
    fewer = os.path.join(w, "fewer.h5")
    no_pred = os.path.join(w, "no_predictions.h5")
    for out, extra in ((fewer, ["--save-predictions"]), (no_pred, [])):
        responses = other if out == fewer else os.path.join(study, "sub-01_responses.h5")
        r = harness.run_b2m(opts, ["encode", responses, "--features", features, "--space", "space_b", "--events",
                                   opts.events, "--delays", DELAYS, "--n-alphas", 3, *extra, "--out", out])
        if not checks.require_run(f"encode for a bad case ({os.path.basename(out)})", r):
            return
    a1, b1, b2 = enc["sub-01", "space_a"], enc["sub-01", "space_b"], enc["sub-02", "space_b"]
    refused = [(["--results-a", a1, "--results-b", b2], "same subject"),
               (["--results-a", a1, "--results-b", fewer], "different voxel sets"),
               (["--results-a", a1, "--results-b", no_pred], "--save-predictions"),
               (["--results-a", a1, "--results-a", a1, "--results-b", b1], "--results-b files"),
               (["--results-a", a1, "--results-b", b1, "--bootstrap", 20], "bootstrap draws"),
               (["--pair", "space_a", "--results", os.path.join(w, "{subject}_{space}.h5")], "A:B"),
               (["--pairs", "all", "--results", os.path.join(w, "{subject}_{space}.h5")], "'paper'"),
               (["--pair", "space_a:space_b", "--results-a", a1, "--results-b", b1], "--results (and --stats)")]
    for extra, named in refused:
        bad = os.path.join(w, "refused.h5")
        r = harness.run_b2m(opts, ["compare", *extra, "--out", bad])
        checks.check(f"compare refuses: {named!r} in its error on every rank, no output",
                     r.rc != 0 and named in r.stderr and r.every_rank_reported(opts.ranks) and
                     not os.path.exists(bad), r.stderr[-400:])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
