#!/usr/bin/python3
"""Real data in from a BIDS tree of NIfTI bold runs (issue 15, items 1 and 4).

`b2m simulate --bids` writes gzipped NIfTI bold runs (baseline, 10 x the
simulated response, a quadratic drift per run), a brain mask, an atlas with
a names table, the events and sidecars, and the preprocessed arrays.
`b2m prepare --bids` is checked against independent references:

- nibabel + numpy recompute every step (masking in storage order, dropping
  the warm-up scans, the running median of 240 s with the window cut at the
  run's ends, z-scoring, the test repetitions and their mean): the prepared
  file matches to float32 round-off, and its voxel geometry (i, j, k and the
  affine) matches nibabel's reading of the mask;
- where the pipelines coincide (a quadratic detrend, which the arrays'
  publisher applied) the file equals `prepare --derivatives` of the arrays,
  and encode and decode give the same results from both;
- and the direct HDF5 path: from bold runs without drift, prepared with
  every scan kept and neither detrending nor z-scoring (so the file holds
  baseline + 10 x the simulated responses), encode and decode give the
  results they give from simulate's own responses file;
- the default pipeline recovers the simulator's ground truth;
- a truncated .nii.gz, a mask on another grid, an atlas label without a
  name, a run whose volumes disagree with its events, an extra bold run and
  a missing one fail on every rank naming the file, and leave no output.
"""
import glob
import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import nibabel as nib
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from prepare_derivatives import expect_failure, h5_strings, kept_scans, runs_of  # noqa: E402

TR = 1.5
VOXELS = 600


def running_median(y, half):
    """Each scan minus the median of the scans within `half` of it (fewer at the ends)."""
    out = np.empty_like(y, dtype=np.float64)
    for t in range(y.shape[0]):
        out[t] = y[t] - np.median(y[max(0, t - half):t + half + 1], axis=0)
    return out


def zscore(y):
    sd = y.std(axis=0)
    return (y - y.mean(axis=0)) / np.where(sd > 0, sd, 1)


def reference(bids, subject, mask, voxels):
    """The default pipeline, from nibabel, for the brain voxels `voxels` (a
    subset keeps the numpy running median quick): training rows, and the
    test repetitions."""
    func = os.path.join(bids, subject, "func")
    train, reps = [], {}
    for task in ("Training", "Test"):
        for r, events in enumerate(runs_of(func, task)):
            bold = np.asarray(nib.load(os.path.join(func, f"{subject}_task-{task}_run-{r + 1:02d}_bold.nii.gz"))
                              .dataobj, dtype=np.float64)
            first, scans = kept_scans(events)
            y = bold.reshape(-1, bold.shape[3], order="F")[mask][voxels, first:scans].T
            y = zscore(running_median(y, int(240 / 2 / TR)))
            if task == "Training":
                train.append(y)
            else:
                for o, d, c in events[1:]:
                    reps.setdefault(c, []).append(y[int(round(o / TR)) - first:][:10])
    return np.vstack(train), reps


def body(opts, checks):
    w = opts.scratch
    bids = os.path.join(w, "bids")
    study = harness.simulate_study(opts, checks, 1, VOXELS, 5, "--bids", bids)
    if study is None:
        return
    subject = "sub-001"
    masks = os.path.join(bids, "derivative", "masks")
    mask_img = nib.load(os.path.join(masks, f"{subject}_mask.nii.gz"))
    mask = np.asarray(mask_img.dataobj).reshape(-1, order="F") != 0
    bold = nib.load(os.path.join(bids, subject, "func", f"{subject}_task-Training_run-01_bold.nii.gz"))
    checks.check("simulated BIDS: gzipped bold runs of 410 volumes on the mask's grid, "
                 f"{VOXELS} brain voxels",
                 bold.shape[3] == 410 and bold.shape[:3] == mask_img.shape
                 and np.allclose(bold.affine, mask_img.affine) and mask.sum() == VOXELS,
                 f"{bold.shape}, {mask.sum()} voxels")

    common = ["--mask", os.path.join(masks, "{subject}_mask.nii.gz"),
              "--atlas", os.path.join(masks, "{subject}_atlas.nii.gz"),
              "--atlas-names", os.path.join(masks, "{subject}_atlas_names.tsv"),
              "--block-voxels", 400]
    prep = os.path.join(w, "prep")
    r = harness.run_b2m(opts, ["prepare", "--bids", bids, *common, "--out-dir", prep])
    if not checks.require_run("b2m prepare --bids (running median 240 s, z-score, warm-up dropped)", r):
        return
    out = os.path.join(prep, f"{subject}_responses.h5")
    if opts.ranks > 1:  # (the suite runs this test at 2 and 4 ranks only)
        one = os.path.join(w, "prep-1")
        r = harness.run_b2m(harness.with_ranks(opts, 1),
                            ["prepare", "--bids", bids, *common, "--out-dir", one])
        if checks.require_run("b2m prepare --bids at 1 rank", r):
            with h5py.File(out, "r") as f, h5py.File(os.path.join(one, f"{subject}_responses.h5"), "r") as g:
                differ = [k for k in ("train/Y", "test/Y", "test/Y_reps", "voxels/ijk", "voxels/roi")
                          if not np.array_equal(f[k][...], g[k][...])]
            checks.check(f"the same prepared file at 1 rank as at {opts.ranks}", not differ, str(differ))
    sample = np.arange(0, VOXELS, 5)  # every 5th brain voxel: all ROIs, both ends of the grid
    train, reps = reference(bids, subject, mask, sample)
    with h5py.File(out, "r") as f:
        y = f["train/Y"][:, sample]
        diff = np.abs(y - train).max()
        checks.check("prepared /train/Y = nibabel + numpy reference (running median, z-score)",
                     y.shape == train.shape and diff < 2e-4, f"max |diff| {diff:.2e}")
        ids = h5_strings(f["test"].attrs["ids"])
        want = np.stack([np.vstack([reps[c][k] for c in ids]) for k in range(4)])
        diff_reps = np.abs(f["test/Y_reps"][:, :, sample] - want).max()
        diff_mean = np.abs(f["test/Y"][:, sample] - want.mean(axis=0)).max()
        checks.check("prepared /test/Y_reps and /test/Y = reference",
                     diff_reps < 2e-4 and diff_mean < 2e-4, f"{diff_reps:.2e}, {diff_mean:.2e}")
        ijk = f["voxels/ijk"][...]
        want_ijk = np.stack(np.unravel_index(np.flatnonzero(mask), mask_img.shape, order="F"), axis=1)
        checks.check("prepared voxels: i, j, k in storage order and the affine of the mask",
                     np.array_equal(ijk, want_ijk)
                     and np.allclose(np.asarray(f["voxels/ijk"].attrs["affine"]).reshape(4, 4), mask_img.affine))
        names = h5_strings(f["voxels/roi"].attrs["names"])
        atlas = np.asarray(nib.load(os.path.join(masks, f"{subject}_atlas.nii.gz")).dataobj).reshape(-1, order="F")[mask]
        table = dict(line.rstrip("\n").split("\t") for line in
                     open(os.path.join(masks, f"{subject}_atlas_names.tsv")).readlines()[1:])
        got = [names[i] for i in f["voxels/roi"][...]]
        checks.check("prepared ROIs: each voxel named as the atlas and its table say",
                     got == [table[str(int(a))] for a in atlas])
    with h5py.File(os.path.join(study, "sub-01_responses.h5"), "r") as f:
        sim_roi = f["voxels/roi"][...]
        sim_names = h5_strings(f["voxels/roi"].attrs["names"])
    checks.check("simulated voxel v is brain voxel v: the atlas carries its ROI",
                 [sim_names[i] for i in sim_roi] == got)

    # Where the pipelines coincide: the arrays' own preprocessing.
    quad = os.path.join(w, "prep_quadratic")
    r = harness.run_b2m(opts, ["prepare", "--bids", bids, *common, "--detrend", "polynomial",
                               "--poly-order", 2, "--out-dir", quad])
    deriv = os.path.join(w, "prep_derivatives")
    r2 = harness.run_b2m(opts, ["prepare", "--derivatives", os.path.join(bids, "derivative", "preprocessed_data"),
                                "--events", bids, "--out-dir", deriv])
    features = os.path.join(study, "features.h5")
    if checks.require_run("b2m prepare --bids --detrend polynomial --poly-order 2", r) and \
            checks.require_run("b2m prepare --derivatives of the same study", r2):
        a, b = os.path.join(quad, f"{subject}_responses.h5"), os.path.join(deriv, f"{subject}_responses.h5")
        with h5py.File(a, "r") as f, h5py.File(b, "r") as g:
            d = max(np.abs(f[n][...] - g[n][...]).max() for n in ("train/Y", "test/Y", "test/Y_reps"))
            same_rows = all(np.array_equal(f[n][...], g[n][...]) for n in ("train/run", "train/volume", "train/clip"))
        checks.check("BIDS (quadratic detrend) = derivatives: the same rows and values to float32 round-off",
                     d < 1e-4 and same_rows, f"max |diff| {d:.2e}")
        if same_fits(opts, checks, "BIDS and the arrays", (("bids", a), ("derivatives", b)), features, ""):
            maps_dir = os.path.join(w, "maps_decode")
            r = harness.run_b2m(opts, ["maps", os.path.join(w, "dec_bids.h5"), "--out-dir", maps_dir])
            if checks.require_run("b2m maps of a decode result", r):
                img = nib.load(os.path.join(maps_dir, "dec_bids_selected.nii.gz"))
                used = np.asarray(img.dataobj).reshape(-1, order="F")
                checks.check("maps of decode: the voxels the model used (all of the mask) are 1, others 0",
                             np.array_equal(used != 0, mask) and np.allclose(img.affine, mask_img.affine))

    direct_path(opts, checks)

    # The default pipeline recovers the ground truth.
    e = os.path.join(w, "enc_default.h5")
    r = harness.run_b2m(opts, ["encode", out, "--features", features, "--space", "mulan_music",
                               "--events", opts.events, "--delays", "1,2,3,4", "--out", e])
    if checks.require_run("b2m encode of the default BIDS preparation", r):
        with h5py.File(e, "r") as f, h5py.File(os.path.join(study, "sub-01_truth.h5"), "r") as t:
            rt, ceiling, drivers = f["voxels/r_test"][...], t["noise_ceiling"][...], t["drivers"][...]
        own = drivers == 1
        ratio = (rt[own] / ceiling[own]).mean()
        checks.check("BIDS path recovers the truth: mulan_music-only voxels reach r / ceiling >= 0.7 "
                     "(the running median also takes some signal)", ratio >= 0.7, f"{ratio:.3f} (n={own.sum()})")
        maps(opts, checks, e, mask_img, mask)

    bad_inputs(opts, checks, bids, common, subject)


def direct_path(opts, checks):
    """BIDS runs without drift, prepared as they are, against the responses
    file the simulator writes directly."""
    w = opts.scratch
    study, bids = os.path.join(w, "study0"), os.path.join(w, "bids0")
    r = harness.run_b2m(opts, ["simulate", "--events", opts.events, "--subjects", 1, "--voxels", VOXELS,
                               "--seed", 5, "--bids", bids, "--bids-drift", 0, "--out-dir", study])
    if not checks.require_run("b2m simulate --bids --bids-drift 0", r):
        return
    prep = os.path.join(w, "prep_raw")
    r = harness.run_b2m(opts, ["prepare", "--bids", bids, "--mask",
                               os.path.join(bids, "derivative", "masks", "{subject}_mask.nii.gz"),
                               "--keep-warmup", "--detrend", "none", "--no-zscore", "--out-dir", prep])
    if not checks.require_run("b2m prepare --bids --keep-warmup --detrend none --no-zscore", r):
        return
    int16_run(opts, checks, bids, os.path.join(prep, "sub-001_responses.h5"))
    same_fits(opts, checks, "the BIDS path and the direct HDF5 path",
              (("BIDS", os.path.join(prep, "sub-001_responses.h5")),
               ("direct", os.path.join(study, "sub-01_responses.h5"))),
              os.path.join(study, "features.h5"), "0")


def same_fits(opts, checks, what, paths, features, tag):
    """encode and decode each of two responses files (enc{tag}_NAME.h5,
    dec{tag}_NAME.h5) and check that both give the same fits. A short alpha
    grid and delays 1-4: these runs compare two paths, not the fit."""
    results = []
    for name, path in paths:
        base = [path, "--features", features, "--space", "mulan_music", "--events", opts.events,
                "--n-alphas", 6]
        e, d = (os.path.join(opts.scratch, f"{v}{tag}_{name}.h5") for v in ("enc", "dec"))
        ok = checks.require_run(f"b2m encode of the {name} file",
                                harness.run_b2m(opts, ["encode", *base, "--delays", "1,2,3,4", "--out", e]))
        ok = checks.require_run(f"b2m decode of the {name} file",
                                harness.run_b2m(opts, ["decode", *base, "--out", d])) and ok
        if ok:
            with h5py.File(e, "r") as f, h5py.File(d, "r") as g:
                results.append((f["voxels/r_test"][...], f["voxels/alpha"][...], g["test/prediction"][...]))
    if len(results) != 2:
        return False
    (ra, aa, pa), (rb, ab, pb) = results
    checks.check(f"{what}: the same encode alphas and test r (1e-4)",
                 np.mean(aa == ab) > 0.99 and np.abs(ra - rb).max() < 1e-4,
                 f"alphas equal {np.mean(aa == ab):.4f}, max |dr| {np.abs(ra - rb).max():.1e}")
    rel = np.abs(pa - pb).max() / np.abs(pb).max()
    checks.check(f"{what}: the same decode predictions (relative 1e-4)", rel < 1e-4, f"{rel:.1e}")
    return True


def int16_run(opts, checks, bids, prepared):
    """A run stored as scanners store them, int16 with a scale factor (nibabel
    chooses slope and intercept): read back to within half a step."""
    w = opts.scratch
    root = os.path.join(w, "bids_int16")
    func = os.path.join(root, "sub-001", "func")
    shutil.copytree(os.path.join(bids, "sub-001", "func"), func, symlinks=True)
    name = os.path.join(func, "sub-001_task-Training_run-01_bold.nii.gz")
    img = nib.load(name)
    data = np.asarray(img.dataobj, dtype=np.float32)
    scaled = nib.Nifti1Image(data, img.affine)
    scaled.set_data_dtype(np.int16)
    os.remove(name)
    nib.save(scaled, name)
    stored = nib.load(name)
    slope = float(stored.dataobj.slope)  # the header nibabel hands back no longer holds it
    out = os.path.join(w, "prep_int16")
    r = harness.run_b2m(opts, ["prepare", "--bids", root, "--mask",
                               os.path.join(bids, "derivative", "masks", "{subject}_mask.nii.gz"),
                               "--keep-warmup", "--detrend", "none", "--no-zscore", "--out-dir", out])
    if checks.require_run("b2m prepare of an int16 run with a scale factor", r):
        with h5py.File(os.path.join(out, "sub-001_responses.h5"), "r") as f, h5py.File(prepared, "r") as g:
            first = g["train/Y"][:410]
            d = np.abs(f["train/Y"][:410] - first).max()
            same_rest = np.array_equal(f["train/Y"][410:], g["train/Y"][410:])
        # Half a step, plus float32 round-off: nibabel quantizes in float32
        # (an int16-sized quotient is exact to 2^-8 of a step) and both files
        # hold float32 values of the data's magnitude.
        tol = slope * (0.5 + 2.0**-8) + 2 * float(np.spacing(np.abs(first).max()))
        checks.check("int16 run: the float values to within half a scale step, other runs unchanged",
                     stored.get_data_dtype() == np.int16 and 0 < slope and d <= tol and same_rest,
                     f"slope {slope:.4g}, max |diff| {d:.4g} (bound {tol:.4g})")


def bh(p):
    """Benjamini-Hochberg q-values (NaN stays NaN, not counted)."""
    q = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * len(ok) / np.arange(1, len(ok) + 1)
    q[order] = np.minimum(1, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


def maps(opts, checks, result, mask_img, mask):
    """b2m maps: the encode result as NIfTI volumes, read back with nibabel."""
    out = os.path.join(opts.scratch, "maps")
    r = harness.run_b2m(opts, ["maps", result, "--out-dir", out])
    if not checks.require_run("b2m maps of the encode result", r):
        return
    stem = os.path.splitext(os.path.basename(result))[0]
    with h5py.File(result, "r") as f:
        for name in ("r_test", "alpha", "p_test", "q"):
            path = os.path.join(out, f"{stem}_{name}.nii.gz")
            if not checks.check(f"maps: {os.path.basename(path)} written", os.path.exists(path)):
                continue
            img = nib.load(path)
            volume = np.asarray(img.dataobj, dtype=np.float64).reshape(-1, order="F")
            want = bh(f["voxels/p_test"][...]) if name == "q" else f[f"voxels/{name}"][...]
            checks.check(f"maps {name}: nibabel reads the result's values at the mask's voxels, "
                         "0 elsewhere, on the mask's grid",
                         img.shape == mask_img.shape and np.allclose(img.affine, mask_img.affine)
                         and np.allclose(volume[mask], want, rtol=1e-6, atol=1e-6, equal_nan=True)
                         and not volume[~mask].any())
    study = os.path.join(opts.scratch, "study")
    for name, path, needle in (("a file without voxel geometry", os.path.join(study, "features.h5"),
                                "no voxel geometry"),
                               ("a file without per-voxel scores",
                                os.path.join(opts.scratch, "prep", "sub-001_responses.h5"), "no per-voxel scores")):
        bad_out = os.path.join(opts.scratch, "maps_bad")
        expect_failure(opts, checks, f"maps of {name}", ["maps", path, "--out-dir", bad_out], bad_out,
                       [os.path.basename(path), needle])
    again = harness.run_b2m(opts, ["maps", result, "--out-dir", out])
    checks.check("maps: existing maps are not replaced without --overwrite",
                 again.rc != 0 and "--overwrite" in again.stderr)


def bad_inputs(opts, checks, bids, common, subject):
    w = opts.scratch
    func = os.path.join(bids, subject, "func")

    def tree(name, edit):
        """A copy of the subject's func directory (bold runs linked), edited."""
        root = os.path.join(w, "bad", name)
        dst = os.path.join(root, subject, "func")
        os.makedirs(dst)
        for p in glob.glob(os.path.join(func, "*")):
            os.symlink(p, os.path.join(dst, os.path.basename(p)))
        edit(dst)
        return root

    def run(name, root, needles, options=common):
        out = os.path.join(w, "bad_out", name)
        expect_failure(opts, checks, name, ["prepare", "--bids", root, *options, "--out-dir", out],
                       out, needles)

    def replace(dst, name, write):
        path = os.path.join(dst, name)
        os.remove(path)
        write(path)

    run1 = f"{subject}_task-Training_run-01_bold.nii.gz"

    def truncate(dst):
        data = open(os.path.join(func, run1), "rb").read()
        replace(dst, run1, lambda p: open(p, "wb").write(data[:len(data) // 2]))
    run("a truncated .nii.gz", tree("truncated", truncate), [run1, "truncated"])

    def short(dst):
        img = nib.load(os.path.join(func, run1))
        replace(dst, run1, lambda p: nib.save(nib.Nifti1Image(np.asarray(img.dataobj)[..., :400], img.affine), p))
    run("a run whose volumes disagree with its events", tree("short", short), [run1, "400 volumes", "410"])

    def extra(dst):
        os.symlink(os.path.join(func, run1), os.path.join(dst, f"{subject}_task-Training_run-13_bold.nii.gz"))
    run("an extra bold run", tree("extra", extra), ["run-13_bold.nii.gz", "without an events file"])
    run("a missing bold run", tree("missing", lambda dst: os.remove(os.path.join(dst, run1))),
        ["Training_run-01_events.tsv", "no bold run"])

    masks = os.path.join(bids, "derivative", "masks")
    mask_img = nib.load(os.path.join(masks, f"{subject}_mask.nii.gz"))
    other = os.path.join(w, "bad", "other_grid_mask.nii.gz")
    nib.save(nib.Nifti1Image(np.asarray(mask_img.dataobj)[:-1], mask_img.affine), other)
    opts_grid = ["--mask", other] + common[2:]
    run("a mask on another grid than the atlas", tree("grid", lambda dst: None),
        ["other_grid_mask.nii.gz", "grid", "atlas.nii.gz"], options=opts_grid)
    no_atlas = ["--mask", other, "--block-voxels", 400]
    run("a mask on another grid than the bold runs", tree("grid_bold", lambda dst: None),
        ["other_grid_mask.nii.gz", "grid", run1], options=no_atlas)
    names = os.path.join(w, "bad", "names.tsv")
    lines = open(os.path.join(masks, f"{subject}_atlas_names.tsv")).readlines()
    open(names, "w").writelines(lines[:-1])
    missing_label = lines[-1].split("\t")[0]
    opts_names = common[:4] + ["--atlas-names", names] + common[6:]
    run("an atlas label without a name", tree("names", lambda dst: None),
        ["atlas.nii.gz", f"label {missing_label}", "no name", "names.tsv"], options=opts_names)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, harness.add_events_option)
