#!/usr/bin/python3
"""b2m compare --pairs paper on the paper preset's study (issue 17, item 3):
the paper's comparisons in one command, and the music spaces' advantage in
primary auditory cortex.

One subject of 8,000 voxels (seed 7). The simulator's primary auditory
parcels (Heschl's gyrus and the transverse sulcus) are driven by SoundStream
in all their driven voxels, by MuLan-music in 70%, by w2v-BERT in 60% and
never by MuLan-text; the non-music acoustic baseline `modulation` drives no
voxel and predicts only what its acoustic latents share with the drivers.
Encode of the six spaces (--save-predictions, delays 2 and 3, 3 folds, single
precision: w2v-BERT's 1,024 x 2 design is the costly one), b2m stats
(10,000 permutations: with 1,000, BH at q < 0.05 over 8,000 voxels needs
160 voxels at the smallest p, and none passes), then one `b2m compare
--pairs paper` over the results' and stats' path templates, with the
primary parcels as one --roi-group:
  * modulation is in the features and drives no voxel (truth bit 5 unset);
  * every pair of the paper's set is compared, one output per pair, and
    the region table has each pair's rows;
  * MuLan-music predicts primary auditory cortex better than MuLan-text,
    and each music space (MuLan-music, w2v-BERT, SoundStream) better than
    the acoustic baseline: mean r_A - r_B > 0 with its bootstrap interval
    above 0 and p < 0.05;
  * MuLan vs w2v-BERT: w2v-BERT predicts primary auditory cortex better
    (interval below 0, p < 0.05). Every driven voxel there is driven by
    SoundStream's acoustic and low-level latents, which w2v-BERT reads out
    more strongly (acoustic read-out 1.0 against MuLan's 0.7);
  * the outputs equal those of `--results-a/--results-b` for the same pair;
  * each music space vs the genre one-hot is printed (at this noise the
    genre one-hot predicts primary auditory cortex about as well as
    MuLan-music: the drive noise leaves mostly the genre-level part of the
    semantics predictable);
  * a missing result is refused, naming its file.
"""
import csv
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import harness  # noqa: E402

DELAYS = "2,3"
PRIMARY = "primary=G_temp_sup-G_T_transv,S_temporal_transverse"
SPACES = ["mulan_music", "mulan_text", "w2v_bert", "soundstream", "genre", "modulation"]
PAIRS = [("mulan_music", "mulan_text"), ("mulan_music", "w2v_bert")] + \
    [(m, c) for c in ("genre", "modulation") for m in ("mulan_music", "w2v_bert", "soundstream")]
# The pairs with a known winner in primary auditory cortex: +1 where A
# predicts better, -1 where B does.
WINNER = {("mulan_music", "mulan_text"): 1, ("mulan_music", "w2v_bert"): -1,
          **{(m, "modulation"): 1 for m in ("mulan_music", "w2v_bert", "soundstream")}}


def same_file(a, b):
    with h5py.File(a, "r") as f, h5py.File(b, "r") as g:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        return all(np.array_equal(f[n][...], g[n][...], equal_nan=f[n].dtype.kind == "f") for n in names)


def body(opts, checks):
    w = opts.scratch
    study = harness.simulate_study(opts, checks, 1, 8000, 7, "--preset", "paper")
    if study is None:
        return
    with h5py.File(os.path.join(study, "features.h5"), "r") as f:
        has = "spaces/modulation/embeddings" in f
    with h5py.File(os.path.join(study, "sub-01_truth.h5"), "r") as t:
        drivers = t["drivers"][...]
    checks.check("the acoustic baseline space is in the features and drives no voxel",
                 has and not (drivers & (1 << 5)).any())
    enc = os.path.join(w, "enc", "{subject}_{space}.h5")
    stats = os.path.join(w, "stats", "{subject}_{space}.h5")
    for space in SPACES:
        r = harness.run_b2m(opts, ["encode", os.path.join(study, "sub-01_responses.h5"), "--features",
                                   os.path.join(study, "features.h5"), "--space", space, "--events",
                                   opts.events, "--delays", DELAYS, "--n-alphas", 8, "--folds", 3, "--precision", "single",
                                   "--save-predictions",
                                   "--out", enc.replace("{space}", space)], timeout=600)
        if not checks.require_run(f"b2m encode {space}", r):
            return
    results = [enc.format(subject="sub-01", space=s) for s in SPACES]
    r = harness.run_b2m(opts, ["stats", *results, "--permutations", 10000, "--out",
                               os.path.join(w, "stats", "{name}.h5")])
    if not checks.require_run("b2m stats, 10,000 permutations", r):
        return
    table = os.path.join(w, "regions.tsv")
    out = os.path.join(w, "cmp", "{subject}_{space_a}_vs_{space_b}.h5")
    r = harness.run_b2m(opts, ["compare", "--pairs", "paper", "--results", enc, "--stats", stats,
                               "--roi-group", PRIMARY, "--roi-summary", table, "--out", out])
    if not checks.require_run("b2m compare --pairs paper (one command)", r):
        return
    with open(table) as f:
        rows = {(x["space_a"], x["space_b"]): x for x in csv.DictReader(f, delimiter="\t")
                if x["subject"] == "sub-01" and x["region"] == "primary"}
    outputs = [out.format(subject="sub-01", space_a=a, space_b=b) for a, b in PAIRS]
    checks.check(f"the paper's {len(PAIRS)} pairs compared, an output and region rows each",
                 sorted(rows) == sorted(PAIRS) and all(os.path.exists(o) for o in outputs),
                 str(sorted(rows)))
    for a, b in PAIRS:
        row = rows.get((a, b))
        if row is None:
            continue
        figures = (f"r_{a} - r_{b} = {float(row['difference']):.4f} [{float(row['low']):.4f}, "
                   f"{float(row['high']):.4f}], p = {float(row['p']):.3g}, over {row['tested']} voxels; "
                   f"Dice at q < 0.05 {float(row['dice_q_mean']):.2f}")
        print(f"primary auditory, {a} vs {b}: {figures}", flush=True)
        if (a, b) in WINNER:
            better, worse = (a, b) if WINNER[a, b] > 0 else (b, a)
            interval = float(row["low"]) > 0 if WINNER[a, b] > 0 else float(row["high"]) < 0
            checks.check(f"{better} predicts primary auditory cortex better than {worse}",
                         interval and float(row["p"]) < 0.05 and int(row["tested"]) >= 20, figures)

    a, b = "mulan_music", "modulation"
    single = os.path.join(w, "single.h5")
    r = harness.run_b2m(opts, ["compare", "--results-a", enc.format(subject="sub-01", space=a),
                               "--results-b", enc.format(subject="sub-01", space=b),
                               "--stats-a", stats.format(subject="sub-01", space=a),
                               "--stats-b", stats.format(subject="sub-01", space=b),
                               "--roi-group", PRIMARY, "--out", single])
    if checks.require_run("b2m compare of one pair, named file by file", r):
        checks.check("--pairs gives that pair the same output", same_file(
            single, out.format(subject="sub-01", space_a=a, space_b=b)))
    missing = enc.format(subject="sub-01", space="soundstream")
    os.rename(missing, missing + ".away")
    r = harness.run_b2m(opts, ["compare", "--pairs", "paper", "--results", enc, "--stats", stats,
                               "--out", os.path.join(w, "cmp2", "{subject}_{space_a}_vs_{space_b}.h5")])
    checks.check("a missing result of the set is refused on every rank, naming it",
                 r.rc != 0 and not r.timed_out and r.every_rank_reported(opts.ranks) and missing in r.stderr,
                 r.describe())
    os.rename(missing + ".away", missing)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
