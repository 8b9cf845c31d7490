#!/usr/bin/python3
"""b2m retrieve against a brute-force numpy reference.

A simulated subject with a 3,000-clip corpus (`b2m simulate --corpus`) is
decoded, then retrieved with k = 5 and a small --chunk so every rank scans
several chunks. The reference, written simply: queries = the mean of each
test clip's window predictions; cosine similarity of every query with every
corpus row (float64); the top k by sorting; identification among the corpus
= the fraction of other rows less similar than the stimulus's own row; tag
agreement = the fraction of the top n sharing the stimulus's tag, for every
tag of the corpus (the simulator writes genre and mood).
Also: one query per window; the controls (issue 16, item 5): the oracle's
agreement (the true embeddings retrieved), the chance level, and
--exclude-stimuli (no clip of the study retrieved, as in the paper, whose
corpus held none); and bad inputs (corpus of the wrong dimension, k larger
than the corpus, NaN in the corpus) fail with a clear message.
"""
import csv
import os
import shutil
import sys

sys.dont_write_bytecode = True

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

K = 5


def text(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def reference(decoded, corpus, per_window):
    with h5py.File(decoded, "r") as f:
        pred = f["test/prediction"][...]
        clip = f["test/clip"][...]
        ids = text(f.attrs["clip_ids"])
    with h5py.File(corpus, "r") as f:
        emb = f["embeddings"][...].astype(np.float64)
        cid = text(f["ids"][...])
        tags = {t: f["tags"][t][...] for t in f["tags"]}
    if per_window:
        queries, names = pred, [ids[c] for c in clip]
    else:
        order = list(dict.fromkeys(clip.tolist()))
        queries = np.stack([pred[clip == c].mean(axis=0) for c in order])
        names = [ids[c] for c in order]
    q = queries.astype(np.float32).astype(np.float64)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    e = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    scores = q @ e.T
    top = np.array([np.lexsort((np.arange(len(s)), -s))[:K] for s in scores])
    where = {c: i for i, c in enumerate(cid)}
    truth = np.array([where.get(n, -1) for n in names])
    ident = np.array([(np.delete(s, t) < s[t]).mean() if t >= 0 else np.nan for s, t in zip(scores, truth)])
    return {"scores": scores, "top": top, "truth": truth, "ident": ident, "ids": cid, "tags": tags,
            "names": names}


def check(checks, tag, res_path, ref, n_corpus):
    with h5py.File(res_path, "r") as f:
        index = f["topk/index"][...]
        score = f["topk/score"][...]
        ids = [text(row) for row in f["topk/id"][...]]
        tags = {t: f["topk/tags"][t][...] for t in f["topk/tags"]}
        qtags = {t: f["queries/tags"][t][...] for t in f["queries/tags"]}
        ident = f["queries/identification"][...]
        curves = {t: f["agreement"][t][...] for t in f["agreement"]}
        top1 = float(f.attrs["top1_genre_agreement"][0])
    nq = len(ref["names"])
    checks.check(f"{tag}: one row of k results per query", index.shape == (nq, K), f"{index.shape} vs {(nq, K)}")
    if index.shape != (nq, K):
        return
    s = ref["scores"]
    got = np.take_along_axis(s, index, axis=1)
    best = np.take_along_axis(s, ref["top"], axis=1)
    checks.check(f"{tag}: the retrieved rows are the brute-force top {K} (scores within 1e-6)",
                 np.max(np.abs(got - best)) <= 1e-6, f"max diff {np.max(np.abs(got - best)):.3g}")
    checks.check(f"{tag}: results sorted by score, scores are the cosines (<= 1e-6)",
                 (np.diff(score, axis=1) <= 0).all() and np.max(np.abs(score - got)) <= 1e-6,
                 f"max diff {np.max(np.abs(score - got)):.3g}")
    exact = np.mean([set(a) == set(b) for a, b in zip(index, ref["top"])])
    checks.check(f"{tag}: the same rows as the reference for >= 95% of queries (ties aside)", exact >= 0.95, f"{exact:.3f}")
    checks.check(f"{tag}: the ids of the retrieved rows",
                 all(ids[i][j] == ref["ids"][index[i, j]] for i in range(nq) for j in range(K)))
    found = ref["truth"] >= 0
    checks.check(f"{tag}: every stimulus is found in the corpus", found.all(), f"{(~found).sum()} missing")
    d = np.nanmax(np.abs(ident - ref["ident"]))
    checks.check(f"{tag}: identification among the corpus equals the brute force (<= 2/N)", d <= 2.0 / n_corpus, f"{d:.3g}")
    checks.check(f"{tag}: every corpus tag is reported (genre, instrument, mood)",
                 sorted(tags) == sorted(ref["tags"]) == sorted(qtags) == sorted(curves) == ["genre", "instrument", "mood"],
                 f"{sorted(tags)}, {sorted(qtags)}, {sorted(curves)} vs {sorted(ref['tags'])}")
    for t in sorted(set(tags) & set(ref["tags"]) & set(qtags) & set(curves)):
        column = ref["tags"][t]
        checks.check(f"{tag}: {t} tags are those of the retrieved rows", np.array_equal(tags[t], column[index]))
        checks.check(f"{tag}: query {t} is the stimulus row's {t}",
                     np.array_equal(qtags[t][found], column[ref["truth"][found]]))
        same = tags[t] == qtags[t][:, None]
        ref_curve = np.array([same[:, :n + 1].mean(axis=1).mean() for n in range(K)])
        checks.check(f"{tag}: {t} agreement curve for n = 1..k", np.allclose(curves[t], ref_curve, atol=1e-12),
                     f"{curves[t]} vs {ref_curve}")
    checks.check(f"{tag}: top-1 genre agreement well above the 10% chance level (> 0.5)", top1 > 0.5, f"{top1:.3f}")


def controls(checks, tag, res_path, decoded, corpus, exclude):
    """The oracle (the true embeddings retrieved) and the chance level (a
    random corpus clip) beside the decoded lists, against numpy; with
    `exclude`, no clip of the study is retrieved."""
    with h5py.File(decoded, "r") as f:
        target, clip = f["test/target"][...], f["test/clip"][...]
        ids = text(f.attrs["clip_ids"])
    with h5py.File(corpus, "r") as f:
        emb = f["embeddings"][...].astype(np.float64)
        cid = text(f["ids"][...])
        genre = f["tags/genre"][...]
        names = text(f["tags/genre"].attrs["names"])
    with h5py.File(res_path, "r") as f:
        index = f["topk/index"][...]
        ident = f["queries/identification"][...]
        oracle = f.attrs["oracle_genre_agreement"][...]
        chance = float(f.attrs["chance_genre_agreement"][0])
        eligible = float(f.attrs["eligible_rows"][0])
    order = list(dict.fromkeys(clip.tolist()))
    query_genre = np.array([names.index(ids[c].split(".")[0]) for c in order])
    keep = np.array([not (exclude and c in set(ids)) for c in cid])
    q = np.stack([target[clip == c].mean(axis=0) for c in order]).astype(np.float32).astype(np.float64)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    e = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    scores = np.where(keep[None, :], q @ e.T, -np.inf)
    top = np.array([np.lexsort((np.arange(len(x)), -x))[:K] for x in scores])
    same = genre[top] == query_genre[:, None]
    curve = np.array([same[:, :n + 1].mean(axis=1).mean() for n in range(K)])
    want_chance = np.mean([(genre[keep] == g).mean() for g in query_genre])
    checks.check(f"{tag}: the oracle's genre agreement curve (true embeddings retrieved) equals numpy's",
                 oracle.shape == (K,) and np.allclose(oracle, curve, atol=1e-12), f"{oracle} vs {curve}")
    checks.check(f"{tag}: the chance level is the share of eligible clips of the query's genre",
                 abs(chance - want_chance) < 1e-12 and eligible == keep.sum(),
                 f"{chance:.4f} vs {want_chance:.4f}, {eligible:.0f} of {len(cid)} rows eligible")
    if exclude:
        study = set(ids)
        checks.check(f"{tag}: no clip of the study is retrieved, none identified (NaN)",
                     not any(cid[i] in study for i in index.ravel()) and np.isnan(ident).all(),
                     f"{sum(cid[i] in study for i in index.ravel())} stimuli retrieved")


def body(opts, checks):
    w = opts.scratch
    study = harness.simulate_study(opts, checks, 1, 300, 9, "--corpus", 3000)
    if study is None:
        return
    corpus = os.path.join(study, "corpus.h5")
    with h5py.File(corpus, "r") as f:
        n_corpus = f["embeddings"].shape[0]
        checks.check("corpus: the 540 stimuli + 3000 synthetic clips, 128-d, genre, instrument and mood tags",
                     f["embeddings"].shape == (3540, 128) and f["tags/genre"].shape == (3540,)
                     and f["tags/instrument"].shape == (3540,) and f["tags/mood"].shape == (3540,)
                     and 0.2 < f["tags/mood"][...].mean() < 0.8
                     and len(np.unique(f["tags/instrument"][...])) == 4)
    decoded = os.path.join(w, "decoded.h5")
    r = harness.run_b2m(opts, ["decode", os.path.join(study, "sub-01_responses.h5"), "--features",
                               os.path.join(study, "features.h5"), "--space", "mulan_music", "--events",
                               opts.events, "--out", decoded])
    if not checks.require_run("b2m decode", r):
        return
    for per_window in (False, True):
        tag = "per-window" if per_window else "per-clip"
        out = f"retrieved-{tag}.h5"
        args = ["retrieve", decoded, "--corpus", corpus, "-k", K, "--chunk", 700, "--out", out,
                "--summary", f"summary-{tag}.tsv"]
        r = harness.run_b2m(opts, args + (["--per-window"] if per_window else []))
        if checks.require_run(f"{tag}: b2m retrieve", r):
            check(checks, tag, os.path.join(w, out), reference(decoded, corpus, per_window), n_corpus)
            with open(os.path.join(w, f"summary-{tag}.tsv")) as f:
                rows = list(csv.DictReader(f, delimiter="\t"))
            with h5py.File(os.path.join(w, out), "r") as f:
                want = [float(f.attrs[a][0]) for a in ("top1_genre_agreement", "identification_accuracy")]
            got = [float(rows[0][c]) for c in ("top1_genre", "identification")] if len(rows) == 1 else None
            checks.check(f"{tag}: --summary TSV has one row with the file's top-1 genre and identification",
                         got is not None and np.allclose(got, want, rtol=1e-5, atol=0), f"{rows} vs {want}")
            if not per_window:
                controls(checks, tag, os.path.join(w, out), decoded, corpus, exclude=False)

    # The paper's corpus held none of the stimuli.
    r = harness.run_b2m(opts, ["retrieve", decoded, "--corpus", corpus, "-k", K, "--chunk", 700,
                               "--exclude-stimuli", "--out", "excluded.h5"])
    if checks.require_run("b2m retrieve --exclude-stimuli", r):
        path = os.path.join(w, "excluded.h5")
        controls(checks, "--exclude-stimuli", path, decoded, corpus, exclude=True)
        with h5py.File(path, "r") as f:
            index, top1 = f["topk/index"][...], float(f.attrs["top1_genre_agreement"][0])
            chance = float(f.attrs["chance_genre_agreement"][0])
        ref = reference(decoded, corpus, False)
        with h5py.File(decoded, "r") as f:
            study = set(text(f.attrs["clip_ids"]))
        masked = np.where(np.array([c not in study for c in ref["ids"]])[None, :], ref["scores"], -np.inf)
        best = np.take_along_axis(masked, np.array([np.lexsort((np.arange(len(x)), -x))[:K]
                                                    for x in masked]), axis=1)
        got = np.take_along_axis(masked, index, axis=1)
        checks.check("--exclude-stimuli: the retrieved rows are the top of the synthetic clips "
                     "(scores within 1e-6), genre agreement above chance",
                     np.max(np.abs(got - best)) <= 1e-6 and top1 > chance,
                     f"max diff {np.max(np.abs(got - best)):.3g}, top-1 {top1:.3f} vs chance {chance:.3f}")

    # Ids longer than 32 characters are carried whole.
    long_corpus = os.path.join(w, "long_ids_corpus.h5")
    shutil.copy(corpus, long_corpus)
    with h5py.File(long_corpus, "r+") as f:
        ids = text(f["ids"][...])
        long_ids = [i if not i.startswith("sim.") else "a-corpus-clip-with-a-long-name/" + i for i in ids]
        del f["ids"]
        f["ids"] = np.array(long_ids, dtype="S48")
    r = harness.run_b2m(opts, ["retrieve", decoded, "--corpus", long_corpus, "-k", K, "--out", "long_ids.h5"])
    if checks.require_run("b2m retrieve on a corpus with 43-character ids", r):
        with h5py.File(os.path.join(w, "long_ids.h5"), "r") as f:
            got = [text(row) for row in f["topk/id"][...]]
            index = f["topk/index"][...]
        checks.check("43-character ids come back whole",
                     all(got[i][j] == long_ids[index[i, j]] for i in range(len(got)) for j in range(K))
                     and any(len(x) > 32 for row in got for x in row), f"{got[0]}")

    # Bad inputs.
    small = os.path.join(w, "small_corpus.h5")
    with h5py.File(small, "w") as f:
        f["embeddings"] = np.ones((4, 128), dtype=np.float32)
    r = harness.run_b2m(opts, ["retrieve", decoded, "--corpus", small, "-k", 5, "--out", "bad.h5"])
    checks.check("k larger than the corpus: non-zero exit on every rank, naming k and the corpus",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and "larger than the corpus" in r.stderr and "small_corpus.h5" in r.stderr, r.describe())
    narrow = os.path.join(w, "narrow_corpus.h5")
    with h5py.File(narrow, "w") as f:
        f["embeddings"] = np.ones((50, 64), dtype=np.float32)
    r = harness.run_b2m(opts, ["retrieve", decoded, "--corpus", narrow, "--out", "bad.h5"])
    checks.check("corpus of the wrong dimension: non-zero exit on every rank, naming both dimensions",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and "64" in r.stderr and "128" in r.stderr, r.describe())
    nan = os.path.join(w, "nan_corpus.h5")
    with h5py.File(nan, "w") as f:
        e = np.ones((2000, 128), dtype=np.float32)
        e[1500, 3] = np.nan
        f["embeddings"] = e
    r = harness.run_b2m(opts, ["retrieve", decoded, "--corpus", nan, "--chunk", 300, "--out", "bad.h5"])
    checks.check("NaN in the corpus: non-zero exit on every rank, naming the file and row",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and "nan_corpus.h5" in r.stderr and "1500" in r.stderr, r.describe())
    checks.check("no output left by the failed runs", not any(n.startswith("bad") for n in os.listdir(w)),
                 str(os.listdir(w)))


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, harness.add_events_option)
