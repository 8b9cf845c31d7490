#!/usr/bin/python3
"""`b2m prepare --bids` for one subject at real size, against nibabel + numpy +
scipy doing the same steps (bench/prepare_nibabel_baseline.py).

The subject: `b2m simulate --bids` with 60,000 brain voxels on the real grid
(96 x 96 x 68 voxels of 2 mm), 18 gzipped float32 runs of 410 volumes (12
training, 6 test), as ds003720 has. Measured in the same run: wall time and
peak resident memory of the baseline, and of b2m at 1 and 2 ranks (per rank).
Targets: b2m at least 2x faster than the baseline; peak memory per rank under
two runs' volumes (2 x 96 x 96 x 68 x 410 float32 = 2.06 GB).

Usage: bench/prepare_bench.py --b2m build/jobs/b2m [--work-dir DIR] [--voxels N] [--keep]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_env import env, mpirun  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EVENTS = os.path.join(ROOT, "data", "ds003720", "func")
GRID = (96, 96, 68)
SCANS = 410


def timed(cmd):
    """Wall seconds and the peak RSS (MB) of every process /usr/bin/time measured."""
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env())
    wall = time.monotonic() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    peaks = [int(m) / 1024 for m in re.findall(r"^PEAK_KB (\d+)$", r.stderr, re.M)]
    return wall, peaks


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--b2m", required=True)
    p.add_argument("--work-dir", default="/tmp/b2m_prepare_bench")
    p.add_argument("--voxels", type=int, default=60000)
    p.add_argument("--keep", action="store_true", help="keep the simulated subject for a rerun")
    a = p.parse_args()
    b2m = os.path.abspath(a.b2m)
    w = a.work_dir
    bids = os.path.join(w, "bids")
    timer = ["/usr/bin/time", "-f", "PEAK_KB %M"]
    if not os.path.exists(os.path.join(w, "study", "sub-01_responses.h5")):
        print(f"simulating one subject: {a.voxels} voxels, grid {GRID}, 18 runs ...", flush=True)
        wall, _ = timed(mpirun(2) + [b2m, "simulate", "--preset", "easy", "--events", EVENTS, "--out-dir", os.path.join(w, "study"),
                                     "--subjects", "1", "--voxels", str(a.voxels), "--bids", bids,
                                     "--bids-grid", "x".join(map(str, GRID))])
        print(f"  {wall:.0f} s", flush=True)
    masks = os.path.join(bids, "derivative", "masks")
    mask = os.path.join(masks, "sub-001_mask.nii.gz")
    size = sum(os.path.getsize(f) for f in os.scandir(os.path.join(bids, "sub-001", "func")) if f.name.endswith(".nii.gz"))
    print(f"bold runs on disk: {size / 1e9:.2f} GB (gzip)")

    base_out = os.path.join(w, "baseline.h5")
    wall_base, peak_base = timed(timer + [sys.executable, os.path.join(ROOT, "bench", "prepare_nibabel_baseline.py"),
                                          bids, "sub-001", mask, base_out])
    rows = [("nibabel + numpy + scipy", 1, wall_base, max(peak_base))]
    for ranks in (1, 2):
        out = os.path.join(w, f"b2m_{ranks}")
        shutil.rmtree(out, ignore_errors=True)
        wall, peaks = timed(mpirun(ranks) + timer + [b2m, "prepare", "--bids", bids, "--mask", mask,
                                                     "--atlas", os.path.join(masks, "{subject}_atlas.nii.gz"),
                                                     "--atlas-names", os.path.join(masks, "{subject}_atlas_names.tsv"),
                                                     "--out-dir", out])
        rows.append((f"b2m prepare, {ranks} rank(s)", ranks, wall, max(peaks)))
    two_runs = 2 * GRID[0] * GRID[1] * GRID[2] * SCANS * 4 / 2**20
    print(f"\n{'':28s} {'wall s':>8s} {'x faster':>9s} {'peak MB/rank':>13s}")
    for name, ranks, wall, peak in rows:
        print(f"{name:28s} {wall:8.1f} {wall_base / wall:9.2f} {peak:13.0f}")
    best = min(r[2] for r in rows[1:])
    print(f"\ntarget: >= 2x faster than the baseline: {wall_base / best:.2f}x "
          f"-> {'met' if wall_base / best >= 2 else 'NOT met'}")
    worst = max(r[3] for r in rows[1:])
    print(f"target: peak memory per rank < two runs' volumes ({two_runs:.0f} MB): {worst:.0f} MB "
          f"-> {'met' if worst < two_runs else 'NOT met'}")
    if not a.keep:
        shutil.rmtree(w, ignore_errors=True)


if __name__ == "__main__":
    main()
