#!/usr/bin/python3
"""The adversarial probe's findings of issue 13, one check each (findings 1
to 3 have their own tests: disk_faults.py and run_locks.py):

4. decode's .npy side files appear only with their result: a failed
   --overwrite run leaves the old result and its .npy files as they were;
5. a corpus with a repeated id is refused (identification would depend on
   the rank count);
6. unfinished b2m files are refused as inputs (.partial, complete=no, no
   complete attribute);
7. an encode killed and resumed at another rank count leaves no scratch;
8. an output path that is a directory is refused at start;
9. option values checked at parse time (--tr, --delays), Y of a
   non-numeric type, corpus rows whose norm overflows float, a /voxels/roi
   of the wrong length, --summary into a missing directory.
"""
import os
import shutil
import subprocess
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import harness  # noqa: E402
from disk_faults import digest, fault_env, same_data  # noqa: E402

os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
import h5py  # noqa: E402
import numpy as np  # noqa: E402


def add_options(parser):
    harness.add_events_option(parser)
    parser.add_argument("--shim", required=True, help="the fault shim (a shared library)")


def refused(checks, label, r, ranks, *words):
    """A run that must fail at once on every rank with all `words` in its message."""
    messages = [m for _, m in r.rank_errors()]
    ok = (r.rc != 0 and not r.timed_out and r.every_rank_reported(ranks)
          and messages and all(all(w in m for w in words) for m in messages))
    return checks.check(label, ok, "; ".join(messages[:1]) if ok else r.describe())


def body(opts, checks):
    ev = opts.events
    s = harness.simulate_study(opts, checks, 1, 1200, 6, "--corpus", 1500)
    if s is None:
        return
    resp, feats, corpus = (os.path.join(s, f) for f in ("sub-01_responses.h5", "features.h5",
                                                          "corpus.h5"))
    # (FIR delays 1-4: no finding here is about the delays but finding 9)
    common = ["--features", feats, "--space", "mulan_music", "--events", ev]
    enc_common = [*common, "--delays", "1,2,3,4"]
    w = opts.scratch
    enc = os.path.join(w, "enc.h5")
    dec = os.path.join(w, "dec.h5")
    if not (checks.require_run("encode", harness.run_b2m(opts, ["encode", resp, *enc_common, "--out", enc]))
            and checks.require_run("decode", harness.run_b2m(opts, ["decode", resp, *common,
                                                                     "--out", dec]))):
        return

    # 4. A failed --overwrite decode leaves the old result and .npy files.
    npys = [os.path.join(w, f"dec_{k}.npy") for k in ("test_prediction", "train_cv_prediction")]
    before = {p: digest(p) for p in [dec] + npys}
    r = harness.run_b2m(opts, ["decode", resp, *common, "--n-alphas", 5, "--overwrite", "--out", dec],
                        timeout=60, rank_env=fault_env(opts, "dec.h5.partial$", 20000, 0))
    checks.check("4: a decode --overwrite that fails writing its result exits non-zero", r.rc != 0,
                 r.describe())
    changed = [os.path.basename(p) for p in before if digest(p) != before[p]]
    checks.check("4: the old result and its .npy files are unchanged", not changed, str(changed))

    # 5. Repeated corpus ids.
    dup = os.path.join(w, "dup_corpus.h5")
    shutil.copy(corpus, dup)
    with h5py.File(dup, "r+") as f:
        ids = f["ids"][...]
        ids[700] = ids[3]
        f["ids"][...] = ids
        repeated = ids[3].decode() if isinstance(ids[3], bytes) else str(ids[3])
    r = harness.run_b2m(opts, ["retrieve", dec, "--corpus", dup, "--out", os.path.join(w, "r5.h5")])
    refused(checks, "5: a corpus with a repeated id is refused, naming the id", r, opts.ranks,
            dup, repeated, "more than one row")

    # 6. Unfinished b2m files as inputs.
    def top_voxels_from(result, name, label, *words):
        r = harness.run_b2m(opts, ["decode", resp, *common, "--top-voxels", 50, "--encode-result",
                                   result, "--out", os.path.join(w, name)])
        refused(checks, label, r, opts.ranks, result, *words)

    partial = enc + ".partial"
    shutil.copy(enc, partial)
    top_voxels_from(partial, "d6a.h5", "6: an encode result named .partial is refused", "unfinished")
    incomplete = os.path.join(w, "enc_incomplete.h5")
    shutil.copy(enc, incomplete)
    with h5py.File(incomplete, "r+") as f:
        f.attrs["complete"] = "no"
    top_voxels_from(incomplete, "d6b.h5", "6: an encode result with complete=no is refused",
                    "not marked complete")
    unmarked = os.path.join(w, "dec_unmarked.h5")
    shutil.copy(dec, unmarked)
    with h5py.File(unmarked, "r+") as f:
        del f.attrs["complete"]
    r = harness.run_b2m(opts, ["retrieve", unmarked, "--corpus", corpus, "--out",
                               os.path.join(w, "r6.h5")])
    refused(checks, "6: a decode file without 'complete' is refused by retrieve", r, opts.ranks,
            unmarked, "not marked complete")

    # 7. Killed at this rank count, resumed at 1: no scratch left.
    out7 = os.path.join(w, "enc7.h5")
    args7 = ["encode", resp, *enc_common, "--factor-memory", 1, "--block-size", 100, "--out", out7]
    proc = subprocess.Popen(harness.mpirun_command(opts.b2m, opts.ranks, args7),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=w,
                            env=harness.b2m_env(), start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(".scratch." in f for f in os.listdir(w)):
        time.sleep(0.02)
    time.sleep(0.3)
    harness.kill_group(proc)
    proc.communicate()
    scratch = [f for f in os.listdir(w) if ".scratch." in f]
    checks.check("7: the killed encode had scratch files", scratch, str(scratch))
    one = types.SimpleNamespace(**vars(opts))
    one.ranks = 1
    r = harness.run_b2m(one, args7)
    if checks.require_run("7: the encode resumed at 1 rank completes", r):
        left = [f for f in os.listdir(w) if f.startswith("enc7.h5.")]
        checks.check("7: no scratch (or other) file of the killed run is left", not left, str(left))
        clean7 = os.path.join(w, "enc7_clean.h5")
        r = harness.run_b2m(opts, args7[:-1] + [clean7])
        if checks.require_run("7: an uninterrupted run", r):
            # Blocks the resumed run finished at 1 rank are summed in another
            # order than at this rank count: equal to round-off (README).
            checks.check("7: the result equals an uninterrupted run's (to 1e-12)",
                         same_data(out7, clean7, tol=1e-12))

    # 8. An output path that is a directory.
    d8 = os.path.join(w, "dir8.h5")
    os.makedirs(os.path.join(d8, "inside"))
    for extra in ([], ["--overwrite"]):
        r = harness.run_b2m(opts, ["encode", resp, *enc_common, "--out", d8, *extra])
        refused(checks, f"8: an output that is a directory is refused {' '.join(extra)}", r,
                opts.ranks, d8, "is a directory")
        checks.check(f"8: ... before any computation {' '.join(extra)}", r.seconds < 10,
                     f"{r.seconds:.1f} s")
    checks.check("8: the directory is untouched", os.path.isdir(os.path.join(d8, "inside")))

    # 9. Options, types and values.
    def fresh():
        return os.path.join(w, f"t{len(os.listdir(w))}.h5")

    for tr in ("0", "-1", "1e-9", "1000"):
        r = harness.run_b2m(opts, ["encode", resp, *enc_common, "--tr", tr, "--out", fresh()])
        refused(checks, f"9: --tr {tr} is refused", r, opts.ranks, "--tr")
    r = harness.run_b2m(opts, ["encode", resp, *enc_common, "--tr", "nan", "--out", fresh()])
    refused(checks, "9: --tr nan is refused", r, opts.ranks, "nan", "failed to parse")
    r = harness.run_b2m(opts, ["encode", resp, *common, "--delays", "1,2,5000", "--out", fresh()])
    refused(checks, "9: --delays beyond the run length is refused", r, opts.ranks, "--delays")
    for kind in ("complex", "string"):
        bad = os.path.join(w, f"y_{kind}.h5")
        shutil.copy(resp, bad)
        with h5py.File(bad, "r+") as f:
            y = f["train/Y"][...]
            del f["train/Y"]
            f["train/Y"] = y.astype(np.complex64) if kind == "complex" else y.astype("S8")
        r = harness.run_b2m(opts, ["encode", bad, *enc_common, "--out", fresh()])
        refused(checks, f"9: Y stored as {kind} is refused, named", r, opts.ranks, bad, "/train/Y",
                "not numbers")
    roi = os.path.join(w, "roi_short.h5")
    shutil.copy(resp, roi)
    with h5py.File(roi, "r+") as f:
        labels, names = f["voxels/roi"][...], f["voxels/roi"].attrs["names"]
        del f["voxels/roi"]
        f["voxels/roi"] = labels[:-5]
        f["voxels/roi"].attrs["names"] = names
    r = harness.run_b2m(opts, ["encode", roi, *enc_common, "--out", fresh()])
    refused(checks, "9: encode refuses a /voxels/roi of the wrong length", r, opts.ranks, roi,
            "/voxels/roi")
    big = os.path.join(w, "big_corpus.h5")
    shutil.copy(corpus, big)
    with h5py.File(big, "r+") as f:
        f["embeddings"][...] = f["embeddings"][...].astype(np.float64) * 1e25
    outs = {}
    for name, c in (("plain", corpus), ("big", big)):
        outs[name] = os.path.join(w, f"r9_{name}.h5")
        r = harness.run_b2m(opts, ["retrieve", dec, "--corpus", c, "-k", 5, "--out", outs[name]])
        checks.require_run(f"9: retrieve from the {name} corpus", r)
    if all(os.path.exists(p) for p in outs.values()):
        with h5py.File(outs["plain"], "r") as a, h5py.File(outs["big"], "r") as b:
            sa, sb = a["topk/score"][...], b["topk/score"][...]
            checks.check("9: corpus rows with norms beyond float give the same scores as unscaled",
                         np.allclose(sa, sb, atol=1e-5) and np.abs(sb).max() > 0.1,
                         f"max |delta| {np.nanmax(np.abs(sa - sb)):.2e}")
    summary = os.path.join(w, "new", "dir", "summary.tsv")
    r = harness.run_b2m(opts, ["encode", resp, *enc_common, "--out", enc, "--summary", summary])
    if checks.require_run("9: --summary into a missing directory", r):
        checks.check("9: ... writes the summary there", os.path.exists(summary))


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, add_options)
