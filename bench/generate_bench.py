#!/usr/bin/python3
"""The generation farm's own overhead per row (issue 18's benchmark): b2m
generate with a generator that does nothing but copy a file, so that what
is timed is b2m's part (dealing the rows, starting the calls, validating
every WAV, the records, the manifest and the result file).

The rows: the 60 test clips of a decode result, linked under --units names
(default 10: 600 rows in one run). The generator is a shell loop of cp
(one WAV of --seconds at 16 kHz per row). Per row the benchmark prints the
run's wall time, and that less the time the calls themselves took (the
farm's overhead), at 1 and 2 ranks, for batches of 1 and 8 rows. Target:
under 50 ms of overhead per row.

Usage: bench/generate_bench.py --b2m build/jobs/b2m [--units N] [--seconds S]
"""
import argparse
import glob
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

COPY = """#!/bin/sh
# b2m's generator contract, answered by copying one file per row.
while [ $# -gt 0 ]; do
  case "$1" in --rows) rows=$2;; --out-dir) out=$2;; esac; shift 2
done
for r in $(echo "$rows" | tr , ' '); do cp "$SOURCE_WAV" "$out/$r.wav"; done
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--b2m", default=os.path.join(ROOT, "build", "jobs", "b2m"))
    ap.add_argument("--units", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=15)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as w:
        study = os.path.join(w, "study")
        run(mpirun(2) + [a.b2m, "simulate", "--events", os.path.join(ROOT, "data", "ds003720", "func"),
                         "--subjects", "1", "--voxels", "1000", "--preset", "easy", "--out-dir", study])
        decoded = os.path.join(w, "decoded.h5")
        run(mpirun(2) + [a.b2m, "decode", os.path.join(study, "sub-01_responses.h5"), "--features",
                         os.path.join(study, "features.h5"), "--space", "mulan_music", "--events",
                         os.path.join(ROOT, "data", "ds003720", "func"), "--out", decoded])
        units = []
        for u in range(a.units):
            units.append(os.path.join(w, f"unit{u:02d}.h5"))
            os.link(decoded, units[-1])
        with h5py.File(decoded, "r") as f:
            rows = a.units * len(set(f["test/clip"][...]))
        source = os.path.join(w, "source.wav")
        t = np.arange(int(16000 * a.seconds)) / 16000
        soundfile.write(source, 0.3 * np.sin(2 * np.pi * 440 * t), 16000, subtype="PCM_16")
        script = os.path.join(w, "copy.sh")
        with open(script, "w") as f:
            f.write(COPY)
        os.chmod(script, 0o755)
        print(f"b2m generate, {rows} rows ({a.units} decode results x 60 test clips), WAVs of "
              f"{a.seconds:g} s copied by a shell generator")
        print(f"  {'ranks':>5} {'batch':>5} {'wall/row ms':>12} {'calls/row ms':>13} {'overhead/row ms':>16}")
        worst = 0.0
        for ranks in (1, 2):
            for batch in (1, 8):
                out = os.path.join(w, f"out-{ranks}-{batch}")
                wall = run(mpirun(ranks) + [a.b2m, "generate", *units, "--generator", script, "--out",
                                            out + "/{name}.h5", "--seconds", str(a.seconds),
                                            "--batch", str(batch)], {"SOURCE_WAV": source})
                calls = 0.0
                for g in glob.glob(os.path.join(out, "*.h5")):
                    with h5py.File(g, "r") as f:
                        calls += f["rows/seconds"][...].sum()
                # The calls of different ranks overlap: their time counts once per rank.
                overhead = (wall - calls / ranks) / rows
                worst = max(worst, overhead)
                print(f"  {ranks:>5} {batch:>5} {1e3 * wall / rows:12.1f} {1e3 * calls / rows:13.1f} "
                      f"{1e3 * overhead:16.1f}")
    met = worst < 0.050
    print(f"  target (under 50 ms of the farm's own overhead per row): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
