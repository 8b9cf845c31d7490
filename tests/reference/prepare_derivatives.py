#!/usr/bin/python3
"""Real data in through the dataset's preprocessed arrays (issue 15, item 2).

`b2m simulate --bids` writes the simulated study as ds003720 publishes it:
per subject sub-NNN_Resp_{Training,Test,Test_Mean}.npy (the warm-up clip of
every run dropped) and a BIDS func directory of events and sidecars.
`b2m prepare --derivatives` turns them back into responses files. Checked
against independent references, with numpy reading the arrays and the
events parsed here:

- the arrays hold the simulated responses at the scans the events leave
  after each run's first event, each run's quadratic trend removed and
  z-scored (the simulated publisher's preprocessing, recomputed here with
  numpy), and Resp_Test_Mean lists the clips' means by first presentation;
- the prepared files hold the same values, the scan and clip of every
  training row, the 4 repetitions and their mean; with Resp_Test_Mean in clip
  id order the result is the same;
- encode of a prepared file (4,800 training rows; the design aligned from the
  events covers all 4,920 scans) equals encode of the same rows given the old
  way: responses without /train/volume and a design whose rows numpy took
  from the full design;
- decode accepts the 4,800 rows and leaves out exactly the warm-up clips'
  windows; the ground truth is recovered (encode's r against the noise
  ceiling, decode's identification);
- bad arrays and events fail on every rank naming the file, and leave no
  output;
- the suite runs this at 2 and 4 ranks; each run also prepares at 1 rank
  and compares the files bit for bit.
"""
import glob
import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TR = 1.5
VOXELS = 1200
BLOCK = ["--block-voxels", 250]  # 5 blocks: every rank reads one or more, one a short one


def read_events(path):
    """(onset, duration, clip id) of each event, parsed independently of b2m."""
    rows = []
    with open(path, encoding="utf-8-sig") as f:
        header = [h.strip().strip("'\"").lower() for h in f.readline().rstrip("\r\n").split("\t")]
        for line in f:
            if not line.strip():
                continue
            v = dict(zip(header, [x.strip().strip("'\"") for x in line.rstrip("\r\n").split("\t")]))
            rows.append((float(v["onset"]), float(v["duration"]),
                         f"{v['genre']}.{int(float(v['track'])):05d}"))
    return sorted(rows)


def runs_of(func, task):
    files = sorted(glob.glob(os.path.join(func, f"*task-{task}_run-*_events.tsv")))
    return [read_events(f) for f in files]


def kept_scans(events):
    """Scans of a run the arrays keep: from the end of the first event on."""
    scans = int(np.ceil(max(o + d for o, d, _ in events) / TR - 1e-9))
    first = int(round((events[0][0] + events[0][1]) / TR))
    return first, scans


def publish(y):
    """A run as the simulated publisher preprocessed it: quadratic trend removed, z-scored."""
    y = y.astype(np.float64)
    s = np.linspace(-1, 1, y.shape[0])
    basis = np.stack([np.ones_like(s), s, s * s], axis=1)
    y = y - basis @ np.linalg.lstsq(basis, y, rcond=None)[0]
    return (y - y.mean(axis=0)) / y.std(axis=0)


def h5_strings(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def body(opts, checks):
    w = opts.scratch
    bids = os.path.join(w, "bids")
    study = harness.simulate_study(opts, checks, 2, VOXELS, 4, "--bids", bids)
    if study is None:
        return
    arrays = os.path.join(bids, "derivative", "preprocessed_data")
    func = os.path.join(bids, "sub-001", "func")
    train_runs, test_runs = runs_of(func, "Training"), runs_of(func, "Test")
    checks.check("BIDS tree: 12 training and 6 test runs of events, a sidecar each",
                 len(train_runs) == 12 and len(test_runs) == 6
                 and len(glob.glob(os.path.join(func, "*_bold.json"))) == 18)

    # The arrays against the simulated responses, at the scans the events keep.
    rows, volumes, clips, runs = [], [], [], []
    offset = 0
    for r, events in enumerate(train_runs):
        first, scans = kept_scans(events)
        runs.append(np.arange(offset + first, offset + scans))
        volumes += range(first, scans)
        for t in range(first, scans):
            playing = [c for o, d, c in events if o <= t * TR + 1e-9 < o + d]
            clips.append(playing[0] if playing else None)
        offset += scans
    rows = np.concatenate(runs)
    with h5py.File(os.path.join(study, "sub-01_responses.h5"), "r") as f:
        sim_train, sim_run = f["train/Y"][...], f["train/run"][...]
        sim_reps = f["test/Y_reps"][...]
        test_ids = h5_strings(f["test"].attrs["ids"])
    a_train = np.load(os.path.join(arrays, "sub-001_Resp_Training.npy"))
    a_test = np.load(os.path.join(arrays, "sub-001_Resp_Test.npy"))
    a_mean = np.load(os.path.join(arrays, "sub-001_Resp_Test_Mean.npy"))
    checks.check("arrays: float32 [4800, V], [2400, V], [600, V]",
                 a_train.dtype == np.float32 and a_train.shape == (4800, VOXELS)
                 and a_test.shape == (2400, VOXELS) and a_mean.shape == (600, VOXELS),
                 f"{a_train.shape} {a_test.shape} {a_mean.shape}")
    want = np.vstack([publish(sim_train[r]) for r in runs])
    d = np.abs(a_train - want).max()
    checks.check("Resp_Training: the simulated rows of the kept scans, as published", d < 1e-4, f"{d:.1e}")
    # Test runs: each run's events after the first, 10 scans each, rebuilt
    # from the simulated repetitions (the kept scans are all presentations).
    trs, shown, test_runs_rows = 10, {}, []
    for events in test_runs:
        run = []
        for o, d_, c in events[1:]:
            k = len(shown.setdefault(c, []))
            shown[c].append(sum(len(x) for x in test_runs_rows) + len(run) * trs)
            run.append(sim_reps[k, test_ids.index(c) * trs:][:trs])
        test_runs_rows.append(publish(np.vstack(run)))
    want_test = np.vstack(test_runs_rows)
    d = np.abs(a_test - want_test).max()
    checks.check("Resp_Test: every presentation at its scans, as published", d < 1e-4, f"{d:.1e}")
    order = sorted(shown, key=lambda c: shown[c][0])
    means = {c: np.mean([want_test[p:p + trs] for p in shown[c]], axis=0) for c in shown}
    d = max(np.abs(a_mean[j * trs:(j + 1) * trs] - means[c]).max() for j, c in enumerate(order))
    checks.check("Resp_Test_Mean: the clips' means in order of first presentation", d < 1e-4, f"{d:.1e}")

    prep = os.path.join(w, "prep")
    r = harness.run_b2m(opts, ["prepare", "--derivatives", arrays, "--events", bids, "--out-dir", prep, *BLOCK])
    if not checks.require_run("b2m prepare --derivatives (2 subjects)", r):
        return
    prepared = os.path.join(prep, "sub-001_responses.h5")
    with h5py.File(prepared, "r") as f:
        checks.check("prepared: /train/Y (the array's rows), run and scan of each row as the events say",
                     np.array_equal(f["train/Y"][...], a_train)
                     and np.array_equal(f["train/run"][...], sim_run[rows])
                     and np.array_equal(f["train/volume"][...], volumes))
        ids = h5_strings(f["train/clip"].attrs["ids"])
        got = [ids[i] if i >= 0 else None for i in f["train/clip"][...]]
        checks.check("prepared: /train/clip names the clip playing at every row", got == clips)
        checks.check("prepared: 480 training clips, each once", len(ids) == 480
                     and sorted(set(c for c in got if c)) == ids)
        reps = np.stack([np.vstack([want_test[shown[c][k]:][:trs] for c in test_ids]) for k in range(4)])
        d = max(np.abs(f["test/Y_reps"][...] - reps).max(), np.abs(f["test/Y"][...] - reps.mean(axis=0)).max())
        checks.check("prepared: /test/Y_reps are the 4 repetitions, /test/Y their mean",
                     d < 1e-4 and h5_strings(f["test"].attrs["ids"]) == test_ids, f"{d:.1e}")
        sim_test = f["test/Y"][...]
        checks.check("prepared: records where it came from", f.attrs["test_mean_order"] in
                     (b"first presentation", "first presentation") and "warmup" in f.attrs)
    checks.check("prepared: the second subject too",
                 os.path.exists(os.path.join(prep, "sub-002_responses.h5")))
    if opts.ranks > 1:  # (the suite runs this test at 2 and 4 ranks only)
        one = os.path.join(w, "prep-1")
        r = harness.run_b2m(harness.with_ranks(opts, 1),
                            ["prepare", "--derivatives", arrays, "--events", bids, "--out-dir", one, *BLOCK])
        if checks.require_run("b2m prepare --derivatives at 1 rank", r):
            differ = []
            for subject in ("sub-001", "sub-002"):
                with h5py.File(os.path.join(prep, f"{subject}_responses.h5"), "r") as f, \
                        h5py.File(os.path.join(one, f"{subject}_responses.h5"), "r") as g:
                    differ += [f"{subject}:{k}" for k in ("train/Y", "train/run", "train/volume", "train/clip",
                                                         "test/Y", "test/Y_reps")
                               if not np.array_equal(f[k][...], g[k][...])]
            checks.check(f"the same prepared files at 1 rank as at {opts.ranks}, bit for bit", not differ,
                         str(differ))

    # Resp_Test_Mean in clip id order: read as well, same responses.
    sorted_dir = os.path.join(w, "sorted")
    os.makedirs(sorted_dir)
    for name in ("Training", "Test"):
        os.symlink(os.path.join(arrays, f"sub-001_Resp_{name}.npy"),
                   os.path.join(sorted_dir, f"sub-001_Resp_{name}.npy"))
    np.save(os.path.join(sorted_dir, "sub-001_Resp_Test_Mean.npy"), sim_test.astype(np.float32))
    prep_sorted = os.path.join(w, "prep_sorted")
    r = harness.run_b2m(opts, ["prepare", "--derivatives", sorted_dir, "--events", bids,
                               "--out-dir", prep_sorted])
    if checks.require_run("b2m prepare, Resp_Test_Mean in clip id order", r):
        with h5py.File(os.path.join(prep_sorted, "sub-001_responses.h5"), "r") as f, \
                h5py.File(prepared, "r") as g:
            checks.check("clip id order: recorded, and the same responses",
                         h5_strings([f.attrs["test_mean_order"]]) == ["clip id"]
                         and np.array_equal(f["test/Y"][...], g["test/Y"][...]))

    # Encode: prepared (aligned on the fly) vs the same rows the old way.
    features = os.path.join(study, "features.h5")
    enc = os.path.join(w, "encode_prepared.h5")
    r = harness.run_b2m(opts, ["encode", prepared, "--features", features, "--space", "mulan_music",
                               "--events", opts.events, "--delays", "1,2,3,4", "--out", enc])
    design = os.path.join(w, "design.h5")
    r2 = harness.run_b2m(opts, ["design", "--features", features, "--space", "mulan_music",
                                "--events", opts.events, "--delays", "1,2,3,4", "--out", design])
    if checks.require_run("b2m encode of the prepared file", r) and \
            checks.require_run("b2m design (all 4,920 scans)", r2):
        sub_design = os.path.join(w, "design_rows.h5")
        sub_resp = os.path.join(w, "responses_rows.h5")
        with h5py.File(design, "r") as d, h5py.File(sub_design, "w") as o:
            o["train/X"] = d["train/X"][...][rows]
            o["test/X"] = d["test/X"][...]
        with h5py.File(prepared, "r") as p, h5py.File(sub_resp, "w") as o:
            for name in ("train/Y", "train/run", "test/Y"):
                o[name] = p[name][...]
        ref = os.path.join(w, "encode_rows.h5")
        r = harness.run_b2m(opts, ["encode", sub_resp, "--design", sub_design, "--out", ref])
        if checks.require_run("b2m encode, the same rows given the old way", r):
            with h5py.File(enc, "r") as a, h5py.File(ref, "r") as b:
                diff = np.nanmax(np.abs(a["voxels/r_test"][...] - b["voxels/r_test"][...]))
                same_alpha = np.array_equal(a["voxels/alpha"][...], b["voxels/alpha"][...])
            checks.check("encode: prepared = rows selected by numpy (r to 1e-9, same alphas)",
                         diff < 1e-9 and same_alpha, f"max |dr| {diff:.2e}")
        with h5py.File(enc, "r") as a, h5py.File(os.path.join(study, "sub-01_truth.h5"), "r") as t:
            rt = a["voxels/r_test"][...]
            ceiling = t["noise_ceiling"][...].astype(np.float64)
            drivers = t["drivers"][...]
            music_only = drivers == 1  # bit 0: mulan_music (docs/formats.md)
            ratio = (rt[music_only] / ceiling[music_only]).mean()
            checks.check("encode of prepared data recovers the truth: mulan_music-only voxels "
                         "reach r / ceiling >= 0.8", ratio >= 0.8, f"{ratio:.3f} (n={music_only.sum()})")

    dec = os.path.join(w, "decode_prepared.h5")
    r = harness.run_b2m(opts, ["decode", prepared, "--features", features, "--space", "mulan_music",
                               "--events", opts.events, "--out", dec])
    if checks.require_run("b2m decode of the prepared file (4,800 training rows)", r):
        with h5py.File(dec, "r") as f:
            clip_ids = h5_strings(f.attrs["clip_ids"])
            train_clips = [clip_ids[i] for i in f["train/clip"][...]]
            acc = float(f.attrs["identification_accuracy"])
        counts = {c: train_clips.count(c) for c in set(train_clips)}
        checks.check("decode: the 480 training clips, 4 windows each; no warm-up window",
                     len(counts) == 480 and set(counts.values()) == {4}, f"{len(train_clips)} samples")
        checks.check("decode of prepared data: identification >= 0.9", acc >= 0.9, f"{acc:.3f}")

    bad_inputs(opts, checks, arrays, bids)


def expect_failure(opts, checks, name, args, out_dir, needles):
    r = harness.run_b2m(opts, args)
    text = r.stderr
    left = [p for p in glob.glob(os.path.join(out_dir, "*")) if not p.endswith(".lock")]
    checks.check(f"bad input: {name}",
                 r.rc != 0 and not r.timed_out and all(n in text for n in needles)
                 and r.every_rank_reported(opts.ranks) and not left,
                 f"exit {r.rc}, left {left}" + ("" if all(n in text for n in needles)
                                                 else f"; stderr: {text.strip()[-600:]}"))


def bad_inputs(opts, checks, arrays, bids):
    w = opts.scratch

    def variant(name, edit):
        """A copy of sub-001's arrays with one edited; returns its directory."""
        d = os.path.join(w, "bad", name)
        os.makedirs(d)
        for which in ("Training", "Test", "Test_Mean"):
            shutil.copy(os.path.join(arrays, f"sub-001_Resp_{which}.npy"), d)
        edit(d)
        return d

    def run(name, d, needles, events=bids):
        out = os.path.join(w, "bad_out", name)
        expect_failure(opts, checks, name, ["prepare", "--derivatives", d, "--events", events,
                                            "--out-dir", out, *BLOCK], out, needles)

    def npy(d, which):
        return os.path.join(d, f"sub-001_Resp_{which}.npy")

    d = variant("short", lambda d: np.save(npy(d, "Training"), np.load(npy(d, "Training"))[:-10]))
    run("training rows that disagree with the events", d, ["sub-001_Resp_Training.npy", "4790", "4800"])
    d = variant("mean", lambda d: np.save(npy(d, "Test_Mean"), np.load(npy(d, "Test_Mean")) + 0.01))
    run("Resp_Test_Mean that is not the repetitions' mean", d,
        ["sub-001_Resp_Test_Mean.npy", "not the mean"])

    def truncate(d):
        with open(npy(d, "Test"), "r+b") as f:
            f.truncate(os.path.getsize(npy(d, "Test")) - 1000)
    run("a truncated array", variant("truncated", truncate), ["sub-001_Resp_Test.npy", "truncated"])
    d = variant("fortran", lambda d: np.save(npy(d, "Test"), np.asfortranarray(np.load(npy(d, "Test")))))
    run("an array in Fortran order", d, ["sub-001_Resp_Test.npy", "Fortran"])
    run("a missing array", variant("missing", lambda d: os.remove(npy(d, "Test_Mean"))),
        ["sub-001_Resp_Test_Mean.npy", "does not exist"])
    d = variant("voxels", lambda d: np.save(npy(d, "Test"), np.load(npy(d, "Test"))[:, :-1]))
    run("arrays of different voxel counts", d, ["sub-001_Resp_Test.npy", "voxels"])

    # Events: the last training run missing from the subject's func directory.
    events = os.path.join(w, "bad", "events")
    shutil.copytree(os.path.join(bids, "sub-001", "func"), events)
    os.remove(os.path.join(events, "sub-001_task-Training_run-12_events.tsv"))
    run("a training run missing from the events", variant("run12", lambda d: None),
        ["sub-001_Resp_Training.npy", "4800", "4400"], events=events)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, harness.add_events_option)
