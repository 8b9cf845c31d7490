#!/usr/bin/python3
"""`b2m embed` throughput: clips of 15 s per second, against the numpy/scipy
implementation of the same acoustic embedding (issue 18's benchmark).

The clips: the simulated study's stimulus WAVs (b2m simulate --audio, 540
clips of 15 s at 16 kHz: drums, bass, pad, melody), each linked --copies
times under another name (a study's evaluation embeds thousands of clips:
stimuli and reconstructions of every subject, space and generator). b2m
embed embeds all of them at 1 and 2 ranks, mpirun's start, the inputs'
checksums and the WAVs' reading included; the numpy baseline
(tests/reference/acoustic_reference.py, reading with python3-soundfile)
embeds a --numpy-clips subset on one core. Both must agree to 1e-6 on the
subset. Target: at least 5x numpy's throughput per core (b2m's clips per
second per rank against numpy's).

Usage: bench/embed_bench.py --b2m build/jobs/b2m [--numpy-clips N] [--copies C]
"""
import argparse
import os
import sys
import tempfile
import time

import h5py
import numpy as np
import soundfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_env import mpirun, run  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import acoustic_reference  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--b2m", default=os.path.join(ROOT, "build", "jobs", "b2m"))
    ap.add_argument("--numpy-clips", type=int, default=60)
    ap.add_argument("--copies", type=int, default=4, help="names each stimulus WAV is embedded under")
    ap.add_argument("--repeats", type=int, default=3, help="b2m runs per rank count (the fastest counts)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as w:
        study = os.path.join(w, "study")
        run(mpirun(2) + [a.b2m, "simulate", "--events", os.path.join(ROOT, "data", "ds003720", "func"),
                         "--subjects", "1", "--voxels", "100", "--preset", "easy", "--audio",
                         "--out-dir", study])
        audio = os.path.join(w, "clips")
        os.makedirs(audio)
        for c in range(a.copies):
            for name in os.listdir(os.path.join(study, "audio")):
                os.link(os.path.join(study, "audio", name), os.path.join(audio, f"c{c}.{name}"))
        files = sorted(os.listdir(audio))
        times = {}
        for ranks in (1, 2):
            out = os.path.join(w, f"emb{ranks}.h5")
            for _ in range(a.repeats):
                if os.path.exists(out):
                    os.remove(out)
                t = run(mpirun(ranks) + [a.b2m, "embed", "--audio-dir", audio, "--out", out])
                times[ranks] = min(times.get(ranks, t), t)
        with h5py.File(os.path.join(w, "emb2.h5"), "r") as f:
            got = f["embeddings"][...]
        subset = range(0, len(files), max(1, len(files) // a.numpy_clips))
        start = time.monotonic()
        ref = []
        for i in subset:
            x, rate = soundfile.read(os.path.join(audio, files[i]), dtype="float64")
            ref.append(acoustic_reference.embed(x, rate))
        t_np = (time.monotonic() - start) / len(subset)
        worst = max(np.max(np.abs(got[i] - r) / np.maximum(1, np.abs(r))) for i, r in zip(subset, ref))
    n = len(files)
    print(f"b2m embed, {n} clips of 15 s at 16 kHz (WAV reading included)")
    print(f"  numpy/scipy, 1 core ({len(subset)} clips)  {1 / t_np:8.1f} clips/s")
    ratios = {}
    for ranks, t in times.items():
        ratios[ranks] = n / t / ranks * t_np
        print(f"  b2m, {ranks} rank(s)               {n / t:8.1f} clips/s  {n / t / ranks:8.1f} per core"
              f"  ({ratios[ranks]:.1f}x numpy per core; {t:.2f} s, mpirun's start included)")
    print(f"  largest difference from numpy on the subset: {worst:.3g}")
    met = min(ratios.values()) >= 5 and worst <= 1e-6
    print(f"  target (>= 5x numpy per core, equal to 1e-6): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
