#!/usr/bin/python3
"""b2m compare on the paper preset's study (issue 17, item 3): the music
space's advantage in primary auditory cortex.

One subject of 8,000 voxels (seed 7). The simulator's primary auditory
parcels (Heschl's gyrus and the transverse sulcus) are driven by MuLan-music
in 70% of their driven voxels and never by MuLan-text; the non-music
acoustic baseline `modulation` drives no voxel and predicts only what its
acoustic latents share with the drivers. Encode of MuLan-music, modulation,
MuLan-text and the genre one-hot (--save-predictions, delays 1-4), b2m
stats (10,000 permutations: with 1,000, BH at q < 0.05 over 8,000 voxels
needs 160 voxels at the smallest p, and none passes), then compare with the
primary parcels as one --roi-group:
  * modulation is in the features and drives no voxel (truth bit 5 unset);
  * MuLan-music predicts primary auditory cortex better than the acoustic
    baseline and better than MuLan-text: mean r_A - r_B > 0 with its
    bootstrap interval above 0 and p < 0.05;
  * the genre one-hot comparison is printed (at this noise it predicts
    primary auditory cortex about as well as MuLan-music: the drive noise
    leaves mostly the genre-level part of the semantics predictable).
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

PRIMARY = "primary=G_temp_sup-G_T_transv,S_temporal_transverse"
SPACES = ["mulan_music", "modulation", "mulan_text", "genre"]


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
    enc = {}
    for space in SPACES:
        enc[space] = os.path.join(w, f"enc_{space}.h5")
        r = harness.run_b2m(opts, ["encode", os.path.join(study, "sub-01_responses.h5"), "--features",
                                   os.path.join(study, "features.h5"), "--space", space, "--events",
                                   opts.events, "--delays", "1,2,3,4", "--n-alphas", 8, "--save-predictions",
                                   "--out", enc[space]])
        if not checks.require_run(f"b2m encode {space}", r):
            return
    r = harness.run_b2m(opts, ["stats", *enc.values(), "--permutations", 10000, "--out",
                               os.path.join(w, "stats_{name}.h5")])
    if not checks.require_run("b2m stats, 10,000 permutations", r):
        return
    for other in SPACES[1:]:
        table = os.path.join(w, f"{other}.tsv")
        r = harness.run_b2m(opts, ["compare", "--results-a", enc["mulan_music"], "--results-b", enc[other],
                                   "--stats-a", os.path.join(w, "stats_enc_mulan_music.h5"), "--stats-b",
                                   os.path.join(w, f"stats_enc_{other}.h5"), "--roi-group", PRIMARY,
                                   "--roi-summary", table, "--out", os.path.join(w, f"cmp_{other}.h5")])
        if not checks.require_run(f"b2m compare mulan_music {other}", r):
            return
        with open(table) as f:
            row = next(x for x in csv.DictReader(f, delimiter="\t")
                       if x["subject"] == "sub-01" and x["region"] == "primary")
        figures = (f"r_music - r_{other} = {float(row['difference']):.4f} [{float(row['low']):.4f}, "
                   f"{float(row['high']):.4f}], p = {float(row['p']):.3g}, over {row['tested']} voxels; "
                   f"Dice at q < 0.05 {float(row['dice_q_mean']):.2f}")
        print(f"primary auditory, MuLan-music vs {other}: {figures}", flush=True)
        if other != "genre":
            checks.check(f"MuLan-music predicts primary auditory cortex better than {other}",
                         float(row["low"]) > 0 and float(row["p"]) < 0.05 and int(row["tested"]) >= 30,
                         figures)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
