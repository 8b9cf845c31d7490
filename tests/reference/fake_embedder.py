#!/usr/bin/python3
"""An embedder that keeps (or, on purpose, breaks) b2m evaluate's embedder
contract, for the tests: called with --list FILES.txt --out OUT.npy, it
writes one row per listed WAV, in order: acoustic_reference.py's embedding
(numpy and scipy, from the definition of b2m's own), float64; a broken
mode writes random rows of the same shape instead, as that is quicker.

FAKE_EMBED_MODE picks the behaviour: good; nan (a NaN in the second row);
rows (one row short); dim (the second call of each rank drops the last 10
columns); nothing (writes no file); fail (a message on stderr, exit 2).
FAKE_EMBED_STATE: a folder for dim's count of calls."""
import argparse
import os
import sys

sys.dont_write_bytecode = True

import numpy as np
import soundfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acoustic_reference  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--list", required=True)
ap.add_argument("--out", required=True)
a = ap.parse_args()
mode = os.environ.get("FAKE_EMBED_MODE", "good")
if mode == "fail":
    sys.stderr.write("fake_embedder: the model did not load\n")
    sys.exit(2)
if mode == "nothing":
    sys.exit(0)
files = [line.strip() for line in open(a.list) if line.strip()]
if mode == "good":
    rows = []
    for path in files:
        x, rate = soundfile.read(path)
        rows.append(acoustic_reference.embed(x if x.ndim == 1 else x.mean(axis=1), rate))
    emb = np.array(rows, dtype=np.float64)
else:  # what a broken embedder's rows hold does not matter: be quick
    emb = np.random.default_rng(len(files)).standard_normal((len(files), 194))
if mode == "nan":
    emb[min(1, len(emb) - 1), 3] = np.nan
elif mode == "rows":
    emb = emb[:-1]
elif mode == "dim":
    # The call's folder names the rank (rank-<r>): count that rank's calls.
    counter = os.path.join(os.environ["FAKE_EMBED_STATE"], os.path.basename(os.path.dirname(a.list)))
    calls = int(open(counter).read()) if os.path.exists(counter) else 0
    with open(counter, "w") as f:
        f.write(str(calls + 1))
    if calls >= 1:
        emb = emb[:, :-10]
np.save(a.out, emb)
