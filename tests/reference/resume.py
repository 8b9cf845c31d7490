#!/usr/bin/python3
"""b2m encode resumes a killed run, skips a complete one, and refuses to
replace a complete output made with other parameters without --overwrite.

1. An uninterrupted run gives the reference output.
2. The same command is started in the background and SIGKILLed (whole
   process group) once OUT.partial records some, but not all, blocks done.
   OUT must not exist; OUT.partial must.
3. Two sentinels are written into the .partial: one in a block marked done,
   one in a block not done. The same command is rerun: it must succeed, keep
   the .partial's 'created' attribute (a fresh file would get a new one: the
   rerun starts more than a second later), keep the sentinel of the done block
   (done blocks are reused, not recomputed), overwrite the other one, and
   otherwise equal the uninterrupted run to 1e-12.
4. Rerunning over the complete output is skipped: exit 0, file untouched.
5. --folds 4 without --overwrite fails with a message about --overwrite and
   leaves the file untouched; with --overwrite it replaces it.
6. A run killed during its per-fold passes (OUT.partial.checkpoint records
   some, not all, fold x block scores) resumes from them: a sentinel added to
   a recorded fold score shows up in the final cv_score (reused), one written
   into an unrecorded score does not (recomputed), everything else equals the
   uninterrupted run, and the checkpoint is gone once the output is complete.
"""
import hashlib
import shutil
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"  # before h5py opens anything
import h5py  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import testdata  # noqa: E402

VOXELS = 1000
BLOCK = 1  # 1000 blocks: a few seconds, time to catch it half-way (polled every 10 ms)
SETS = ["alpha", "cv_score", "r_test", "r2_test", "p_test", "valid"]
SENTINEL = 12345.0


def read_outputs(path):
    with h5py.File(path, "r") as f:
        out = {k: f["voxels/" + k][...].astype(np.float64) for k in SETS}
        out["weights"] = f["weights"][...].astype(np.float64)
    return out


def attr(f, name):
    v = f.attrs.get(name)
    return v.decode() if isinstance(v, bytes) else v


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def poll_partial(path, proc, deadline, dataset="progress/blocks_done"):
    """Waits until `dataset` of `path` records some but not all units done.
    Returns (done, total) or None if the run ended or the deadline passed first."""
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with h5py.File(path, "r") as f:
                done = f[dataset][...]
            k = int(np.count_nonzero(done))
            if 0 < k < done.size:
                return k, done.size
        except Exception:  # noqa: BLE001 - the file is being written; try again
            pass
        time.sleep(0.01)
    return None


def run_and_kill(opts, args, cwd, path, dataset="progress/blocks_done"):
    """Starts b2m `args` in the background and SIGKILLs its whole process
    group once `dataset` of `path` records some but not all units done.
    Returns (poll_partial's (done, total) or None, the run's exit status)."""
    proc = subprocess.Popen(harness.mpirun_command(opts.b2m, opts.ranks, args), cwd=cwd, env=harness.b2m_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    caught = poll_partial(path, proc, time.monotonic() + opts.timeout, dataset)
    harness.kill_group(proc)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    return caught, proc.returncode


def body(opts, checks):
    w = opts.scratch
    data = testdata.make_dataset(seed=21, voxels=VOXELS)
    responses = os.path.join(w, "sub-01_responses.h5")
    design = os.path.join(w, "design.h5")
    testdata.write_responses(responses, data)
    testdata.write_design(design, data)

    def encode(out, *extra):
        return ["encode", responses, "--design", design, "--out", out, "--block-size", BLOCK,
                "--save-weights"] + list(extra)

    out = os.path.join(w, "out.h5")
    partial = out + ".partial"

    # 1. reference
    r = harness.run_b2m(opts, encode("reference.h5"))
    if not checks.require_run("uninterrupted reference run", r):
        return
    reference = read_outputs(os.path.join(w, "reference.h5"))

    # 2. start and kill half-way
    caught, rc = run_and_kill(opts, encode(out), w, partial)
    if not checks.check("the run was caught half-way (some but not all blocks done) and killed",
                        caught is not None,
                        f"seen {caught[0]} of {caught[1]} blocks done" if caught else
                        f"run ended (rc={rc}) or timed out before the .partial showed progress"):
        return
    time.sleep(0.5)  # let the killed ranks go
    checks.check("after SIGKILL: OUT does not exist", not os.path.exists(out))
    if not checks.check("after SIGKILL: OUT.partial exists", os.path.exists(partial)):
        return
    with h5py.File(partial, "r+") as f:
        done = f["progress/blocks_done"][...].astype(bool)
        created = attr(f, "created")
        checks.check("after SIGKILL: .partial has some but not all blocks done",
                     0 < done.sum() < done.size, f"{done.sum()} of {done.size} done (poll saw {caught[0]})")
        # One voxel per block (BLOCK == 1): sentinel in a done and a not-done block.
        done_voxel = int(np.flatnonzero(done)[0])
        todo_voxel = int(np.flatnonzero(~done)[-1])
        cv = f["voxels/cv_score"]
        cv[done_voxel] = SENTINEL
        cv[todo_voxel] = SENTINEL
    print(f"killed with {done.sum()} of {done.size} blocks done; sentinels at voxels "
          f"{done_voxel} (done) and {todo_voxel} (not done)", flush=True)

    # 3. resume
    time.sleep(1.2)  # 'created' has one-second resolution
    r = harness.run_b2m(opts, encode(out))
    if checks.require_run("rerun of the killed command completes", r):
        checks.check("after the rerun: no .partial left", not os.path.exists(partial))
        with h5py.File(out, "r") as f:
            checks.check("resumed: the output keeps the .partial's 'created' attribute",
                         attr(f, "created") == created, f"{attr(f, 'created')!r} vs {created!r}")
            checks.check("resumed: output marked complete", attr(f, "complete") == "yes")
        shutil.copy(out, out + ".resumed-copy")  # kept for diagnosis when a check fails
        result = read_outputs(out)
        checks.check("resumed: a block marked done was reused, not recomputed (sentinel kept)",
                     result["cv_score"][done_voxel] == SENTINEL,
                     f"cv_score[{done_voxel}] = {result['cv_score'][done_voxel]}")
        checks.check("resumed: a block not done was computed (sentinel overwritten)",
                     result["cv_score"][todo_voxel] != SENTINEL,
                     f"cv_score[{todo_voxel}] = {result['cv_score'][todo_voxel]}")
        result["cv_score"][done_voxel] = reference["cv_score"][done_voxel]
        worst, bad = 0.0, []
        for k in SETS + ["weights"]:
            a, b = result[k], reference[k]
            if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
                bad.append(k)
                continue
            worst = max(worst, float(np.max(np.abs(np.nan_to_num(a) - np.nan_to_num(b)))))
        checks.check("resumed: outputs equal the uninterrupted run to 1e-12", not bad and worst <= 1e-12,
                     f"max |delta| = {worst:.3g}; shape/NaN mismatch in {bad}")

    # 4. complete output: skipped, untouched
    if os.path.exists(out):
        before = (os.stat(out).st_mtime_ns, digest(out))
        time.sleep(1.1)
        r = harness.run_b2m(opts, encode(out))
        checks.require_run("rerun over the complete output succeeds", r)
        checks.check("rerun over the complete output leaves it unchanged (mtime and bytes)",
                     (os.stat(out).st_mtime_ns, digest(out)) == before)
        checks.check("rerun over the complete output says it was skipped",
                     any(word in r.stdout.lower() for word in ("already", "skip", "reus", "up to date")),
                     r.stdout.strip()[-400:])

        # 5. other parameters
        r = harness.run_b2m(opts, encode(out, "--folds", 4))
        checks.check("--folds 4 over a complete output without --overwrite fails", r.rc != 0 and not r.timed_out,
                     r.describe())
        checks.check("... with a message mentioning --overwrite", "--overwrite" in r.stderr, r.stderr[-600:])
        checks.check("... leaving the output unchanged and no .partial",
                     (os.stat(out).st_mtime_ns, digest(out)) == before and not os.path.exists(partial))
        r = harness.run_b2m(opts, encode(out, "--folds", 4, "--overwrite"))
        if checks.require_run("--folds 4 --overwrite replaces the output", r):
            with h5py.File(out, "r") as f:
                cv4 = f["voxels/cv_score"][...]
            changed = np.nanmax(np.abs(cv4 - reference["cv_score"])) > 1e-6
            checks.check("... and the new output is the 4-fold one (cv_score changed)", changed)

    # 6. killed during the per-fold passes
    out = os.path.join(w, "folds.h5")
    checkpoint = out + ".partial.checkpoint"
    caught, _ = run_and_kill(opts, encode(out), w, checkpoint, "cv/done")
    if not checks.check("a run was caught during its fold passes and killed", caught is not None,
                        "run ended or timed out before the checkpoint showed progress"):
        return
    time.sleep(0.5)
    if not checks.check("after SIGKILL: the checkpoint exists", os.path.exists(checkpoint)):
        return
    with h5py.File(checkpoint, "r+") as f:
        done = f["cv/done"][...].astype(bool)  # folds x blocks; BLOCK == 1: block == voxel
        fold, reused = (int(i[0]) for i in np.nonzero(done))
        fold_todo, recomputed = (int(i[-1]) for i in np.nonzero(~done))
        r2 = f["cv/r2"]
        r2[fold, :, reused] = r2[fold, :, reused] + SENTINEL
        r2[fold_todo, :, recomputed] = SENTINEL
    folds = done.shape[0]
    r = harness.run_b2m(opts, encode(out))
    if not checks.require_run("rerun of the command killed in its fold passes completes", r):
        return
    checks.check("after the rerun: no checkpoint left", not os.path.exists(checkpoint))
    result = read_outputs(out)
    expected = reference["cv_score"][reused] + SENTINEL / folds
    checks.check("fold passes resumed: a recorded fold score was reused (sentinel in cv_score)",
                 abs(result["cv_score"][reused] - expected) <= 1e-6 * SENTINEL,
                 f"cv_score[{reused}] = {result['cv_score'][reused]}, expected {expected}")
    result["cv_score"][reused] = reference["cv_score"][reused]
    bad = [k for k in SETS + ["weights"]
           if not np.array_equal(np.nan_to_num(result[k]), np.nan_to_num(reference[k]))
           and np.nanmax(np.abs(result[k] - reference[k])) > 1e-12]
    checks.check("fold passes resumed: an unrecorded fold score was recomputed, and all else "
                 "equals the uninterrupted run to 1e-12", not bad, f"differ: {bad}")


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body)
