#!/usr/bin/python3
"""b2m features import (issue 15, item 5): embeddings computed elsewhere,
keyed by clip id, into the feature file encode and decode read.

The simulated study's own feature file is the reference. Its spaces are
exported the ways people save embeddings, in shuffled clip order and with
clips the events never play: mulan_music as a 3-D .npy with an id list,
w2v_bert as HDF5 (ids in an attribute), mulan_text (a caption's text
embedding: one window) as CSV, genre as HDF5 with an `ids` dataset beside
it. One import of all four must give back the reference's values exactly,
for exactly the clips the events play, with the window geometry given; encode
from the imported file equals encode from the reference. Bad sources fail on
every rank naming the file and leave no output: a clip the events play
missing, a clip twice, a NaN, CSV rows of different windows, an id list
shorter than the array, a 4-D array, a multi-window space without --window.
"""
import csv
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from prepare_derivatives import expect_failure, h5_strings  # noqa: E402


def body(opts, checks):
    w = opts.scratch
    study = harness.simulate_study(opts, checks, 1, 300, 6)
    if study is None:
        return
    reference = os.path.join(study, "features.h5")
    with h5py.File(reference, "r") as f:
        ids = h5_strings(f["clips"].attrs["ids"])
        spaces = {name: (f[f"spaces/{name}/embeddings"][...], f[f"spaces/{name}"].attrs["window_s"][0],
                         f[f"spaces/{name}"].attrs["step_s"][0]) for name in f["spaces"]}
    rng = np.random.default_rng(6)
    extra = [f"rock.{90000 + i:05d}" for i in range(7)]  # clips no events play
    order = rng.permutation(len(ids) + len(extra))
    all_ids = np.array(ids + extra)[order]

    def rows(name):
        e = spaces[name][0]
        padded = np.concatenate([e, rng.normal(size=(len(extra),) + e.shape[1:]).astype(np.float32)])
        return padded[order]

    src = os.path.join(w, "sources")
    os.makedirs(src)
    np.save(os.path.join(src, "mulan.npy"), rows("mulan_music"))
    with open(os.path.join(src, "mulan_ids.txt"), "w") as f:
        f.write("\n".join(all_ids) + "\n")
    with h5py.File(os.path.join(src, "w2v.h5"), "w") as f:
        f["emb/w2v"] = rows("w2v_bert")
        f["emb/w2v"].attrs["ids"] = [s.encode() for s in all_ids]
    with h5py.File(os.path.join(src, "genre.h5"), "w") as f:
        f["embeddings"] = rows("genre")
        f["ids"] = np.array([s.encode() for s in all_ids])
    text = rows("mulan_text")[:, 0, :]
    with open(os.path.join(src, "text.csv"), "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["clip"] + [f"d{j}" for j in range(text.shape[1])])
        for clip, v in zip(all_ids, text):
            out.writerow([clip] + [repr(float(x)) for x in v])

    def spec(name, window=True):
        return ["--window", f"{name}={spaces[name][1]:g}:{spaces[name][2]:g}"] if window else []

    good = ["--space", f"mulan_music={src}/mulan.npy", "--ids", f"mulan_music={src}/mulan_ids.txt",
            *spec("mulan_music"), "--space", f"w2v_bert={src}/w2v.h5:/emb/w2v", *spec("w2v_bert"),
            "--space", f"mulan_text={src}/text.csv", "--space", f"genre={src}/genre.h5"]
    imported = os.path.join(w, "imported.h5")
    r = harness.run_b2m(opts, ["features", "import", "--events", opts.events, *good, "--out", imported])
    if not checks.require_run("b2m features import: .npy, HDF5 (two ways), CSV in one file", r):
        return
    with h5py.File(imported, "r") as f:
        checks.check("imported: exactly the clips the events play, sorted", h5_strings(f["clips"].attrs["ids"]) == ids)
        checks.check("imported: the four spaces given, no other", sorted(f["spaces"]) ==
                     sorted(["mulan_music", "w2v_bert", "mulan_text", "genre"]))
        for name in ("mulan_music", "w2v_bert", "mulan_text", "genre"):
            e, window_s, step_s = spaces[name]
            got = f[f"spaces/{name}/embeddings"][...]
            checks.check(f"imported {name}: the reference's values and window geometry",
                         got.shape == e.shape and np.array_equal(got, e)
                         and f[f"spaces/{name}"].attrs["window_s"][0] == window_s
                         and f[f"spaces/{name}"].attrs["step_s"][0] == step_s,
                         f"{got.shape}")
    results = []
    for path, label in ((reference, "reference"), (imported, "imported")):
        out = os.path.join(w, f"enc_{label}.h5")
        r = harness.run_b2m(opts, ["encode", os.path.join(study, "sub-01_responses.h5"), "--features", path,
                                   "--space", "mulan_text", "--events", opts.events, "--out", out])
        if checks.require_run(f"b2m encode with the {label} feature file", r):
            with h5py.File(out, "r") as f:
                results.append(f["voxels/r_test"][...])
    if len(results) == 2:
        checks.check("encode: the imported file gives the reference's results",
                     np.array_equal(results[0], results[1]))

    # Bad sources.
    def bad(name, args, needles):
        out = os.path.join(w, "bad", name.replace(" ", "_") + ".h5")
        expect_failure(opts, checks, name, ["features", "import", "--events", opts.events, *args, "--out", out],
                       os.path.dirname(out), needles)

    os.makedirs(os.path.join(w, "bad"), exist_ok=True)
    missing = os.path.join(src, "missing_ids.txt")
    kept = [i for i, c in enumerate(all_ids) if c != ids[5]]
    np.save(os.path.join(src, "missing.npy"), rows("mulan_music")[kept])
    with open(missing, "w") as f:
        f.write("\n".join(all_ids[kept]) + "\n")
    bad("a clip the events play is missing",
        ["--space", f"m={src}/missing.npy", "--ids", f"m={missing}", "--window", "m=10:5"],
        ["missing.npy", ids[5], "no embedding"])
    twice = os.path.join(src, "twice_ids.txt")
    with open(twice, "w") as f:
        f.write("\n".join(list(all_ids[:-1]) + [all_ids[0]]) + "\n")
    bad("a clip twice", ["--space", f"m={src}/mulan.npy", "--ids", f"m={twice}", "--window", "m=10:5"],
        ["mulan.npy", all_ids[0], "twice"])
    nan = rows("mulan_music")
    nan[int(np.flatnonzero(all_ids == ids[3])[0]), 1, 2] = np.nan
    np.save(os.path.join(src, "nan.npy"), nan)
    bad("a NaN", ["--space", f"m={src}/nan.npy", "--ids", f"m={src}/mulan_ids.txt", "--window", "m=10:5"],
        ["nan.npy", "non-finite", ids[3]])
    with open(os.path.join(src, "windows.csv"), "w") as f:
        f.write("clip,window,a,b\n" + f"{ids[0]},0,1,2\n{ids[0]},1,1,2\n{ids[1]},0,1,2\n")
    bad("CSV clips with different windows", ["--space", f"m={src}/windows.csv", "--window", "m=5:5"],
        ["windows.csv", ids[1], "windows"])
    short = os.path.join(src, "short_ids.txt")
    with open(short, "w") as f:
        f.write("\n".join(all_ids[:-1]) + "\n")
    bad("an id list shorter than the array", ["--space", f"m={src}/mulan.npy", "--ids", f"m={short}",
                                              "--window", "m=10:5"], ["short_ids.txt", "rows"])
    np.save(os.path.join(src, "four.npy"), np.zeros((len(all_ids), 2, 2, 2), np.float32))
    bad("a 4-D array", ["--space", f"m={src}/four.npy", "--ids", f"m={src}/mulan_ids.txt"], ["four.npy", "4-D"])
    bad("several windows without --window", ["--space", f"m={src}/mulan.npy", "--ids", f"m={src}/mulan_ids.txt"],
        ["--window m="])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, harness.add_events_option)
