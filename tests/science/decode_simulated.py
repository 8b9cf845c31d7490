#!/usr/bin/python3
"""Science check: b2m decode and retrieve recover what the simulator put in.

`b2m simulate` (2 subjects, 1500 voxels, seed 4, real ds003720 events, a
5,000-clip corpus) drives voxels by MuLan-music, MuLan-text, w2v-BERT,
SoundStream and genre, never by anything else. A control space "random"
(independent Gaussian embeddings per clip, same shape as MuLan-text) is added
to a copy of the feature file: it drives nothing. One `b2m decode` call
decodes both subjects into all six spaces (one sample per clip
presentation, --per-clip, to keep the test fast); then `b2m retrieve` looks
the MuLan predictions up in the corpus.

Expected (chance is 0.5 for identification, 0.1 for genre agreement):
  * identification far above chance for the driving spaces (> 0.75 for MuLan
    music and text, w2v-BERT and genre, > 0.6 for SoundStream, whose
    low-level latent drives only auditory-cortex voxels; the genre one-hot
    ties the 5 other test clips of a genre, so it cannot pass 54/59 = 0.92);
  * about 0.5 (0.35..0.65: 60 test clips) for the random space, and its
    embedding correlation near 0;
  * top-1 genre of the retrieved clip agrees with the stimulus far above the
    10% chance level (> 0.3);
  * the summary gives one row per subject and space and mean +- sd per space.
"""
import csv
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import harness  # noqa: E402
import testdata  # noqa: E402

SPACES = ["mulan_music", "mulan_text", "w2v_bert", "soundstream", "genre", "random"]


def body(opts, checks):
    w = opts.scratch
    study = harness.simulate_study(opts, checks, 2, 1500, 4, "--corpus", 5000)
    if study is None:
        return
    features = os.path.join(w, "features_with_control.h5")
    shutil.copy(os.path.join(study, "features.h5"), features)
    testdata.add_random_space(features)
    summary = os.path.join(w, "decode_summary.tsv")
    args = ["decode", os.path.join(study, "sub-01_responses.h5"), os.path.join(study, "sub-02_responses.h5"),
            "--features", features, "--events", opts.events, "--out", "{subject}_{space}.h5", "--summary", summary,
            "--per-clip"]  # one sample per clip presentation keeps the test fast
    for s in SPACES:
        args += ["--space", s]
    r = harness.run_b2m(opts, args)
    if not checks.require_run("b2m decode: 2 subjects x 6 spaces in one call", r):
        return
    checks.check("summary table printed with mean +- sd per space", "+-" in r.stdout and "random" in r.stdout,
                 r.stdout[-800:])
    with open(summary) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    checks.check("summary TSV: one row per subject and space", len(rows) == 2 * len(SPACES), f"{len(rows)} rows")
    ident = {(row["subject"], row["space"]): float(row["identification"]) for row in rows}
    emb_r = {(row["subject"], row["space"]): float(row["embedding_r"]) for row in rows}
    print("identification:", {k: round(v, 3) for k, v in ident.items()}, flush=True)
    # Table 2: per space, mean +- sample sd over the subjects of the TSV rows
    # (printed to 3 decimals).
    table2, paper = {}, {}
    for line in r.stdout.splitlines():
        m = re.match(r"^(\S+)\s+(\d+)\s+(\S+) \+- (\S+)\s+(\S+) \+- (\S+)\s+(\S+) \+- (\S+)\s*$", line)
        if m:
            table2[m.group(1)] = (int(m.group(2)), *map(float, m.group(3, 4, 5, 6)))
            paper[m.group(1)] = tuple(map(float, m.group(7, 8)))
    for space in SPACES:
        ids = [v for (_, sp), v in ident.items() if sp == space]
        ers = [v for (_, sp), v in emb_r.items() if sp == space]
        want = (len(ids), np.mean(ids), np.std(ids, ddof=1), np.mean(ers), np.std(ers, ddof=1))
        got = table2.get(space)
        checks.check(f"Table 2 row of {space}: subjects, mean and sd of identification and embedding r",
                     got is not None and got[0] == want[0] and np.allclose(got[1:], want[1:], rtol=0, atol=6e-4),
                     f"{got} vs {tuple(round(x, 4) for x in want)}")
    # The paper's Table 2 value printed beside each space it reports.
    want = {"mulan_music": (0.876, 0.015), "w2v_bert": (0.837, 0.005), "mulan_text": (0.817, 0.014),
            "soundstream": (0.674, 0.016)}
    checks.check("Table 2: the paper's identification beside each space it reports (nan elsewhere)",
                 all(paper.get(k) == v for k, v in want.items()) and np.isnan(paper.get("random", (0,))[0]),
                 str(paper))
    for subject in ("sub-01", "sub-02"):
        for space, low in (("mulan_music", 0.75), ("mulan_text", 0.75), ("w2v_bert", 0.75),
                           ("soundstream", 0.6), ("genre", 0.75)):
            v = ident.get((subject, space), float("nan"))
            checks.check(f"{subject} {space}: identification far above chance (> {low})", v > low, f"{v:.3f}")
        v = ident.get((subject, "random"), float("nan"))
        checks.check(f"{subject} random (drives nothing): identification about 0.5 (0.35..0.65)", 0.35 < v < 0.65,
                     f"{v:.3f}")
        e = emb_r.get((subject, "random"), float("nan"))
        e_music = emb_r.get((subject, "mulan_music"), float("nan"))
        checks.check(f"{subject}: embedding r of random below MuLan-music's", e < e_music, f"{e:.3f} vs {e_music:.3f}")

    r = harness.run_b2m(opts, ["retrieve", "sub-01_mulan_music.h5", "sub-02_mulan_music.h5", "--corpus",
                               os.path.join(study, "corpus.h5"), "--out", "{name}_retrieved.h5"])
    if not checks.require_run("b2m retrieve of both subjects' MuLan-music predictions", r):
        return
    for subject in ("sub-01", "sub-02"):
        with h5py.File(os.path.join(w, f"{subject}_mulan_music_retrieved.h5"), "r") as f:
            top1 = float(f.attrs["top1_genre_agreement"][0])
            corpus_ident = float(f.attrs["identification_accuracy"][0])
        checks.check(f"{subject}: top-1 retrieved genre agrees with the stimulus (> 0.3, chance 0.1)", top1 > 0.3,
                     f"{top1:.3f}")
        checks.check(f"{subject}: stimulus identified among the 5,540 corpus clips (> 0.75)", corpus_ident > 0.75,
                     f"{corpus_ident:.3f}")


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, harness.add_events_option)
