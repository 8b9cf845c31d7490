#!/usr/bin/python3
"""b2m partition against the simulator's ground truth (issue 17, item 2),
and a partition killed half-way and resumed.

The study: the paper preset's feature spaces (MuLan-music and MuLan-text
as correlated as the paper's calibration makes them) on 4,000 voxels, with
the brain's own noise lowered so that single voxels can be classified:
no trial-to-trial drive noise (drive_noise=0), at most 10% of the signal
unread by any space (unread_max=0.1), and more voxels driven outside
auditory cortex (drive_other=0.15, drive_adjacent=0.9) so that every class
has voxels. (At the calibrated noise, text-only voxels reach a median test
R^2 of 0.005: no per-voxel method can classify them, only their averages.)

Partition of MuLan-music (A) and MuLan-text (B), --grid-steps 2, delays
2-4. Each voxel is classified from its exact regions:
  none        joint test R^2 <= 0.01;
  unique-A    unique A > 0.002 and unique B <= 0.002 (and unique-B alike);
  shared      otherwise: both spaces add variance or neither does alone.
Ground truth, from the voxels the simulator drives through MuLan-music,
MuLan-text or both (voxels another space drives are left out): driven by
music only -> unique-A, text only -> unique-B, both -> shared, none -> none.
  * among driven voxels whose true noise ceiling clears 0.7, the accuracy
    is >= 0.9 (printed with each class's, and at ceiling 0.5);
  * >= 0.97 of the undriven voxels are classified none.
Then the same command is SIGKILLed once the second candidate's passes have
begun (before the partition's own pass has made its datasets); the rerun
must resume, not start afresh: it reuses the first candidate's results (a
sentinel written into its test R^2 in the checkpoint comes out as subset
{A}'s test R^2) and otherwise give the uninterrupted run's output.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"  # before h5py opens anything
import h5py  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import harness  # noqa: E402
from resume import run_and_kill  # noqa: E402

VOXELS = 4000
SIM = ["drive_noise=0", "unread_min=0", "unread_max=0.1", "drive_other=0.15", "drive_adjacent=0.9"]
UNIQUE, JOINT = 0.002, 0.01
CEILING = 0.7
CLASSES = ["none", "unique-music", "unique-text", "shared"]
SENTINEL = 0.987654321
DATASETS = ("subsets/candidate", "subsets/alpha", "subsets/cv_score", "subsets/r_test",
            "subsets/r2_test", "partition/exact", "partition/corrected")


def classify(exact, r2_joint):
    """0 none, 1 unique A, 2 unique B, 3 shared."""
    a, b = exact[0] > UNIQUE, exact[1] > UNIQUE
    label = np.where(a & ~b, 1, np.where(b & ~a, 2, 3))
    return np.where(r2_joint > JOINT, label, 0)


def read(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][...] for name in DATASETS}


def body(opts, checks):
    w = opts.scratch
    sim = [a for s in SIM for a in ("--sim", s)]
    study = harness.simulate_study(opts, checks, 1, VOXELS, 5, "--preset", "paper", *sim)
    if study is None:
        return
    args = ["partition", os.path.join(study, "sub-01_responses.h5"), "--features",
            os.path.join(study, "features.h5"), "--events", opts.events, "--space", "mulan_music",
            "--space", "mulan_text", "--grid-steps", 2, "--delays", "2,3,4", "--n-alphas", 8,
            "--block-size", 250]
    out = os.path.join(w, "part.h5")
    if not checks.require_run("b2m partition mulan_music mulan_text", harness.run_b2m(opts, args + ["--out", out])):
        return
    part = read(out)
    with h5py.File(os.path.join(study, "sub-01_truth.h5"), "r") as t:
        drivers, ceiling = t["drivers"][...], t["noise_ceiling"][...]
    # Bit 0 MuLan-music, bit 1 MuLan-text: the truth classes are the drivers.
    kept = (drivers & ~3) == 0
    exact = part["partition/exact"]
    label = classify(exact, part["subsets/r2_test"][2])

    null = kept & (drivers == 0)
    print("undriven voxels' unique R^2 (the test rows' noise): 95th, 99th percentile "
          f"{np.percentile(exact[:2, null], 95):.4f}, {np.percentile(exact[:2, null], 99):.4f}", flush=True)
    for at in (0.5, CEILING):
        driven = kept & (drivers > 0) & (ceiling > at)
        per_class = {CLASSES[m]: (label[driven & (drivers == m)] == m).mean() for m in (1, 2, 3)}
        accuracy = (label[driven] == drivers[driven]).mean()
        counts = {CLASSES[m]: int((driven & (drivers == m)).sum()) for m in (1, 2, 3)}
        print(f"true ceiling > {at}: accuracy {accuracy:.3f} over {driven.sum()} voxels; "
              f"per class {', '.join(f'{k} {v:.2f} (n={counts[k]})' for k, v in per_class.items())}", flush=True)
        if at == CEILING:
            checks.check(f"voxels driven by music, text or both (true ceiling > {CEILING}) classified "
                         "unique-music, unique-text, shared: accuracy >= 0.9, every class present",
                         accuracy >= 0.9 and min(counts.values()) >= 20,
                         f"{accuracy:.3f}; {per_class}")
    none = (label[null] == 0).mean()
    checks.check("undriven voxels classified none (>= 0.97)", none >= 0.97, f"{none:.3f} of {null.sum()}")

    # Killed while the second candidate's passes run, then resumed.
    killed = os.path.join(w, "killed.h5")
    checkpoint = killed + ".partial.checkpoint"
    caught, rc = run_and_kill(opts, args + ["--out", killed], w, checkpoint, "candidates/1/cv/done")
    if not checks.check("the run was killed during the second candidate's passes", caught is not None,
                        f"run ended (rc={rc}) first" if caught is None else ""):
        return
    time.sleep(0.5)  # let the killed ranks go
    with h5py.File(checkpoint, "r+") as f:
        finished = f["candidates/0/progress/blocks_done"][...].all()
        voxel = int(np.flatnonzero(np.isfinite(f["candidates/0/voxels/r2_test"][...]))[0])
        f["candidates/0/voxels/r2_test"][voxel] = SENTINEL
    checks.check("the first candidate was finished when the run was killed", finished)
    r = harness.run_b2m(opts, args + ["--out", killed])
    if not checks.require_run("the killed partition resumes", r):
        return
    again = read(killed)
    checks.check("resumed: the finished candidate's results are reused (its sentinel is subset {A}'s "
                 "test R^2)", again["subsets/r2_test"][0, voxel] == SENTINEL)
    took = part["subsets/candidate"][:, voxel] == 0  # the subsets whose model is candidate 0's
    again["subsets/r2_test"][took, voxel] = part["subsets/r2_test"][took, voxel]
    worst = {}
    for name in DATASETS:
        a, b = part[name], again[name]
        if name in ("partition/exact", "partition/corrected"):
            a, b = np.delete(a, voxel, axis=1), np.delete(b, voxel, axis=1)
        same_nan = np.array_equal(np.isnan(a), np.isnan(b)) if a.dtype.kind == "f" else True
        worst[name] = np.nanmax(np.abs(a.astype(float) - b.astype(float))) if same_nan else np.inf
    checks.check("resumed: otherwise the uninterrupted run's output (1e-12)",
                 max(worst.values()) <= 1e-12, str({k: f"{v:.1e}" for k, v in worst.items()}))


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
