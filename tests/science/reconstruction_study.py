#!/usr/bin/python3
"""Science check of issue 18's reconstruction path, end to end:
b2m decode -> b2m generate (retrieval and synth) -> b2m evaluate.

`b2m simulate` (2 subjects, 1500 voxels, seed 4, a corpus of 3,000 clips,
the audio of every clip, 4 s at 16 kHz) drives voxels by MuLan-music and
never by a control space "random" added to the feature file. Both subjects
are decoded in both spaces (--per-clip); each of the 4 decode results is
rebuilt by both built-in generators; evaluate judges the 8 results with
b2m's acoustic embedder (a pool of 300 corpus clips for the classifiers).
Pooled over the 2 subjects (120 test clips):
  * mulan_music, both generators: identification above both 0.5 and the
    chance clips' by 0.1; each tag's (genre, instrument, mood) agreement
    above both its chance clips' and its pairing chance by 3 standard
    errors (binomial, at the larger of the two);
  * random (drives nothing): identification within 0.12 of 0.5; each tag's
    agreement within 4 standard errors of its pairing chance;
  * each classifier's held-out accuracy (the ceiling) at least halfway from
    the pool's largest class to 1, printed beside each figure;
  * the table over subjects gives mean +- sd per space and generator;
  * the whole chain run again at the other rank counts of 1, 2 and 4 gives
    the same evaluation, value for value (the suite runs the test at 2
    ranks, so the chain runs at 1, 2 and 4);
  * a rerun skips every result (nothing rewritten);
  * b2m stats tests the evaluations across subjects, per space and
    generator: identification against 0.5, each tag against its pairing
    chance, with the evaluations' means;
  * the embedder contract through tests/reference/fake_embedder.py (numpy's
    version of the same embedding): the same figures within 0.03; and each
    broken embedder (NaN, a row short, the dimension changing between calls,
    no output, a failing command) is refused on every rank naming its
    output file, with no evaluation left; a reconstruction changed since
    generate, a decode result given as a reconstruction, a pool larger
    than the corpus or too small for cross-validation are refused.
"""
import json
import math
import os
import shutil
import sys

sys.dont_write_bytecode = True

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import harness  # noqa: E402
import testdata  # noqa: E402

FAKE = os.path.join(HERE, "..", "reference", "fake_embedder.py")
SPACES = ["mulan_music", "random"]
GENERATORS = ["retrieval", "synth"]
TAGS = ["genre", "instrument", "mood"]
POOL = 300


def chain(opts, checks, study, features, root, ranks):
    """decode -> generate -> evaluate under `root` at `ranks`; returns the
    evaluation's summary rows, or None."""
    o = harness.with_ranks(opts, ranks)
    os.makedirs(root, exist_ok=True)
    decode = ["decode", os.path.join(study, "sub-01_responses.h5"), os.path.join(study, "sub-02_responses.h5"),
              "--features", features, "--events", opts.events, "--per-clip", "--out",
              os.path.join(root, "decoded", "{subject}_{space}.h5")]
    for s in SPACES:
        decode += ["--space", s]
    if not checks.require_run(f"b2m decode at {ranks} ranks", harness.run_b2m(o, decode)):
        return None
    decoded = sorted(os.path.join(root, "decoded", f) for f in os.listdir(os.path.join(root, "decoded"))
                     if f.endswith(".h5"))
    corpus = os.path.join(study, "corpus.h5")
    for g in GENERATORS:
        r = harness.run_b2m(o, ["generate", *decoded, "--generator", g, "--corpus", corpus, "--seconds", 4,
                                "--out", os.path.join(root, "recon", g, "{name}.h5")])
        if not checks.require_run(f"b2m generate --generator {g} at {ranks} ranks", r):
            return None
    results = [os.path.join(root, "recon", g, os.path.basename(d)) for g in GENERATORS for d in decoded]
    summary = os.path.join(root, "evaluate.json")
    r = harness.run_b2m(o, ["evaluate", *results, "--stimuli", os.path.join(study, "audio.h5"), "--corpus", corpus,
                            "--pool-clips", POOL, "--out", os.path.join(root, "eval", "{parent}", "{name}.h5"),
                            "--summary", summary, "--subject-summary", os.path.join(root, "over_subjects.json")])
    if not checks.require_run(f"b2m evaluate of 8 results at {ranks} ranks", r):
        return None
    with open(summary) as f:
        return json.load(f), r, results


def pooled(rows, space, generator, key):
    values = [row[key] for row in rows if row["space"] == space and row["generator"] == generator]
    return float(np.mean(values))


def check_science(rows, checks):
    n = 120  # test clips over both subjects
    for space in SPACES:
        for g in GENERATORS:
            ident = pooled(rows, space, g, "identification")
            chance = pooled(rows, space, g, "chance_identification")
            if space == "mulan_music":
                checks.check(f"{space} {g}: identification above 0.5 and the chance clips' by 0.1",
                             ident > max(0.5, chance) + 0.1, f"{ident:.3f} (chance clips {chance:.3f})")
            else:
                checks.check(f"{space} {g} (drives nothing): identification within 0.12 of 0.5",
                             abs(ident - 0.5) < 0.12, f"{ident:.3f}")
            for tag in TAGS:
                got = pooled(rows, space, g, tag)
                clips = pooled(rows, space, g, "chance_" + tag)
                pairing = pooled(rows, space, g, "pairing_chance_" + tag)
                if space == "mulan_music":
                    p0 = max(clips, pairing)
                    se = math.sqrt(p0 * (1 - p0) / n)
                    checks.check(f"{space} {g}: {tag} agreement above the chance clips' and the pairing chance "
                                 f"by 3 standard errors", got > p0 + 3 * se,
                                 f"{got:.3f} (chance clips {clips:.3f}, pairing {pairing:.3f}, se {se:.3f})")
                else:
                    se = math.sqrt(pairing * (1 - pairing) / n)
                    checks.check(f"{space} {g} (drives nothing): {tag} agreement within 4 standard errors of its "
                                 f"pairing chance", abs(got - pairing) < 4 * se,
                                 f"{got:.3f} (pairing {pairing:.3f}, se {se:.3f})")


def check_ceilings(study, rows, checks):
    with h5py.File(os.path.join(study, "corpus.h5"), "r") as f, h5py.File(os.path.join(study, "audio.h5"), "r") as a:
        study_ids = {i.decode() for i in a["ids"][...]}
        ids = [i.decode() for i in f["ids"][...]]
        keep = [k for k, i in enumerate(ids) if i not in study_ids][:POOL]
        for tag in TAGS:
            labels = f["tags/" + tag][...][keep]
            largest = np.bincount(labels).max() / len(labels)
            ceiling = rows[0]["ceiling_" + tag]
            checks.check(f"the {tag} classifier's held-out accuracy at least halfway from the pool's largest "
                         f"class to 1", ceiling >= (1 + largest) / 2, f"{ceiling:.3f} (largest class {largest:.3f})")


def check_subject_tests(opts, checks, rows):
    """b2m stats tests the evaluations across subjects: identification
    against 0.5, each tag against its pairing chance, per space and
    generator."""
    evals = [os.path.join(opts.scratch, "run", "eval", g, f"{s}_{space}.h5") for g in GENERATORS
             for s in ("sub-01", "sub-02") for space in SPACES]
    table = os.path.join(opts.scratch, "subject_tests.json")
    r = harness.run_b2m(opts, ["stats", *evals, "--subject-tests", table])
    if not checks.require_run("b2m stats of the 8 evaluations", r):
        return
    tests = {(t["space"], t["figure"]): t for t in json.load(open(table)) if t["stage"] == "evaluate"}
    wrong = []
    for space in SPACES:
        for g in GENERATORS:
            for figure in ["identification"] + TAGS:
                t = tests.get((f"{space} ({g})", figure))
                chance = 0.5 if figure == "identification" else pooled(rows, space, g, "pairing_chance_" + figure)
                if t is None or t["subjects"] != 2 or abs(t["value"][0] - pooled(rows, space, g, figure)) > 1e-12 \
                        or abs(t["chance"] - chance) > 1e-12 or (space == "mulan_music" and not t["t"] > 3):
                    wrong.append((space, g, figure, t))
    checks.check("b2m stats across subjects: per space and generator, identification against 0.5 and each tag "
                 "against its pairing chance, t > 3 for mulan_music", len(tests) == 16 and not wrong,
                 str(wrong[:2]))


def check_contract(opts, checks, study, results, rows):
    """The embedder contract: a good external embedder and broken ones."""
    one_result = [p for p in results if p.endswith(os.path.join("synth", "sub-01_mulan_music.h5"))]  # one, quicker
    out = os.path.join(opts.scratch, "external", "{parent}.h5")
    base = ["evaluate", *one_result, "--stimuli", os.path.join(study, "audio.h5"), "--corpus",
            os.path.join(study, "corpus.h5"), "--pool-clips", 250, "--embedder", FAKE]
    summary = os.path.join(opts.scratch, "external.json")
    r = harness.run_b2m(opts, base + ["--out", out, "--summary", summary], rank_env={"FAKE_EMBED_MODE": "good"})
    if checks.require_run("b2m evaluate --embedder fake_embedder.py (numpy's acoustic embedding)", r):
        ext = json.load(open(summary))
        mine = os.path.join(opts.scratch, "builtin.json")
        r = harness.run_b2m(opts, base[:-2] + ["--out", os.path.join(opts.scratch, "builtin", "{parent}.h5"),
                                               "--summary", mine])
        if checks.require_run("the same with the built-in embedder", r):
            own = json.load(open(mine))
            keys = ["identification", "chance_identification"] + TAGS + ["chance_" + t for t in TAGS]
            worst = max(abs(a[k] - b[k]) for a, b in zip(ext, own) for k in keys)
            with h5py.File(out.replace("{parent}", "synth"), "r") as f:
                recorded = f.attrs["embedder"]
            checks.check("an external embedder: the built-in's figures within 0.03, its command recorded",
                         worst < 0.03 and FAKE in str(recorded), f"largest difference {worst:.4f}")
    state = os.path.join(opts.scratch, "fake-state")
    for mode, says in [("nan", "holds a non-finite value"), ("rows", "rows from embedder"),
                       ("dim", "its earlier calls gave 194"), ("nothing", "wrote no"), ("fail", "exited with status 2")]:
        shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state)
        bad = os.path.join(opts.scratch, "bad-" + mode)
        r = harness.run_b2m(opts, base + ["--out", os.path.join(bad, "{parent}.h5")],
                            rank_env={"FAKE_EMBED_MODE": mode, "FAKE_EMBED_STATE": state})
        names_file = "embeddings.npy" in r.stderr if mode in ("nan", "rows", "dim", "nothing") else ".log" in r.stderr
        left = [f for f in os.listdir(bad) if f.endswith(".h5")] if os.path.isdir(bad) else []
        checks.check(f"an embedder that breaks the contract ({mode}): refused on every rank naming its file; "
                     f"no evaluation left",
                     r.rc != 0 and not r.timed_out and r.every_rank_reported(opts.ranks) and says in r.stderr
                     and names_file and not left, ([m for _, m in r.rank_errors()] or [r.describe()])[0][:300])
    # Bad input, each refused on every rank naming the file or option.
    decoded = os.path.join(opts.scratch, "run", "decoded", "sub-01_mulan_music.h5")
    audio, corpus = os.path.join(study, "audio.h5"), os.path.join(study, "corpus.h5")
    for label, args, says in [
            ("a decode result given as a reconstruction", [decoded, "--pool-clips", 250],
             decoded + ": no /rows/clip: not a b2m generate result"),
            ("more pool clips than the corpus has outside the study", [one_result[0], "--pool-clips", 5000],
             corpus + ": 3000 clips outside the study with known tags, fewer than the 5000"),
            ("a pool too small for 5-fold cross-validation in 194 dimensions", [one_result[0], "--pool-clips", 100],
             "--pool-clips 100 is too few for the acoustic embedding's 194 values: the tag classifiers' "
             "5-fold cross-validation needs at least 244")]:
        r = harness.run_b2m(opts, ["evaluate", *args, "--stimuli", audio, "--corpus", corpus, "--out",
                                   os.path.join(opts.scratch, "bad-input.h5")])
        checks.check(f"{label}: refused on every rank, saying so", r.rc != 0 and r.every_rank_reported(opts.ranks)
                     and says in r.stderr and not os.path.exists(os.path.join(opts.scratch, "bad-input.h5")),
                     ([m for _, m in r.rank_errors()] or [r.describe()])[0][:300])

    # A reconstruction replaced after generate wrote it.
    victim = os.path.join(opts.scratch, "changed")
    shutil.copytree(one_result[0][:-3], os.path.join(victim, "sub-01_mulan_music"))
    shutil.copy(one_result[0], victim)
    wav = sorted(f for f in os.listdir(os.path.join(victim, "sub-01_mulan_music")) if f.endswith(".wav"))[0]
    path = os.path.join(victim, "sub-01_mulan_music", wav)
    data = bytearray(open(path, "rb").read())
    data[-1] ^= 1
    open(path, "wb").write(bytes(data))
    r = harness.run_b2m(opts, ["evaluate", os.path.join(victim, "sub-01_mulan_music.h5"), "--stimuli",
                               os.path.join(study, "audio.h5"), "--corpus", os.path.join(study, "corpus.h5"),
                               "--pool-clips", 250, "--out", os.path.join(opts.scratch, "changed-eval.h5")])
    checks.check("a reconstruction changed since generate: refused on every rank, naming the file",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and path in r.stderr and "checksum" in r.stderr,
                 ([m for _, m in r.rank_errors()] or [r.describe()])[0][:300])


def body(opts, checks):
    study = harness.simulate_study(opts, checks, 2, 1500, 4, "--corpus", 3000, "--audio", "--audio-seconds", 4)
    if study is None:
        return
    features = os.path.join(opts.scratch, "features_with_control.h5")
    shutil.copy(os.path.join(study, "features.h5"), features)
    testdata.add_random_space(features)
    got = chain(opts, checks, study, features, os.path.join(opts.scratch, "run"), opts.ranks)
    if got is None:
        return
    rows, r, results = got
    checks.check("the tables: a row per result, then mean +- sd per space and generator with the ceilings",
                 len(rows) == 8 and "+-" in r.stdout and "ceiling_genre" in r.stdout
                 and len(json.load(open(os.path.join(opts.scratch, "run", "over_subjects.json")))) == 4,
                 r.stdout[-600:])
    check_science(rows, checks)
    check_ceilings(study, rows, checks)

    check_subject_tests(opts, checks, rows)

    for ranks in (1, 2, 4):
        if ranks == opts.ranks:
            continue
        other = chain(opts, checks, study, features, os.path.join(opts.scratch, f"ranks-{ranks}"), ranks)
        if other is not None:
            same = [a == b for a, b in zip(other[0], rows)]
            checks.check(f"decode -> generate -> evaluate at {ranks} ranks: the same evaluation as at "
                         f"{opts.ranks}", all(same) and len(same) == 8, f"{sum(same)} of {len(same)} rows equal")

    evals = os.path.join(opts.scratch, "run", "eval")
    before = {(g, f): os.stat(os.path.join(evals, g, f)).st_mtime_ns for g in GENERATORS
              for f in os.listdir(os.path.join(evals, g))}
    again = chain(opts, checks, study, features, os.path.join(opts.scratch, "run"), opts.ranks)
    after = {(g, f): os.stat(os.path.join(evals, g, f)).st_mtime_ns for g in GENERATORS
             for f in os.listdir(os.path.join(evals, g))}
    checks.check("a rerun skips every result: nothing rewritten, the same rows",
                 again is not None and again[0] == rows and before == after)

    check_contract(opts, checks, study, results, rows)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, harness.add_events_option)
