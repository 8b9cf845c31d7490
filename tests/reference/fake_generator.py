#!/usr/bin/python3
"""A generator that keeps (or, on purpose, breaks) b2m generate's generator
contract, for the tests: called with --embeddings F --rows 3,4 --out-dir D
--seed S --seconds X --rate R --space NAME, it writes D/<row>.wav for each
row: a tone whose pitch follows the row's embedding, over noise from the
row's seed (seed + row).

FAKE_MODE picks the behaviour: good; nothing (writes no file); truncated
(a WAV cut in half); silent; short (half the length); flaky (each row fails
its first call: no file, exit 1); fail (always: a message on stderr, exit 3).
FAKE_SLEEP: seconds to sleep per row. FAKE_STATE: a folder for flaky's
memory and for a line per call (log_call)."""
import argparse
import os
import sys
import time

import numpy as np
import soundfile

ap = argparse.ArgumentParser()
for name in ("--embeddings", "--rows", "--out-dir", "--seed", "--seconds", "--rate", "--space"):
    ap.add_argument(name, required=True)
a = ap.parse_args()
mode = os.environ.get("FAKE_MODE", "good")
state = os.environ.get("FAKE_STATE", "")
rows = [int(r) for r in a.rows.split(",")]
emb = np.load(a.embeddings)
rate, seconds = int(a.rate), float(a.seconds)
started = time.time()


def log_call():
    """A line per call: pid, rows, CUDA_VISIBLE_DEVICES, whether an OMPI_ or
    PMIX_ variable leaked in, start and end (Unix seconds)."""
    if state:
        leaked = any(k.startswith(("OMPI_", "PMIX_")) for k in os.environ)
        with open(os.path.join(state, "calls.log"), "a") as log:
            log.write(f"{os.getpid()} {a.rows} {os.environ.get('CUDA_VISIBLE_DEVICES', '-')} {int(leaked)} "
                      f"{started:.3f} {time.time():.3f}\n")


if mode == "fail":
    log_call()
    sys.stderr.write(f"model exploded on rows {a.rows}\n")
    sys.exit(3)
status = 0
for r in rows:
    time.sleep(float(os.environ.get("FAKE_SLEEP", "0")))
    path = os.path.join(a.out_dir, f"{r}.wav")
    if mode == "nothing":
        continue
    if mode == "flaky":
        # per unit (its folder holds work/<call>/) and row
        unit = os.path.dirname(os.path.dirname(os.path.abspath(a.out_dir))).replace("/", "%")
        mark = os.path.join(state, f"tried-{unit}-{r}")
        if not os.path.exists(mark):
            open(mark, "w").close()
            status = 1
            continue
    n = int(rate * seconds) // (2 if mode == "short" else 1)
    t = np.arange(n) / rate
    pitch = 220 * 2 ** (np.tanh(emb[r, 0]))
    noise = np.random.default_rng(int(a.seed) + r).standard_normal(n)
    x = 0.3 * np.sin(2 * np.pi * pitch * t) + 0.05 * noise
    if mode == "silent":
        x = np.zeros(n)
    soundfile.write(path, x, rate, subtype="PCM_16")
    if mode == "truncated":
        os.truncate(path, os.path.getsize(path) // 2)
log_call()
sys.exit(status)
