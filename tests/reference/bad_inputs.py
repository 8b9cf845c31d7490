#!/usr/bin/python3
"""b2m encode on bad inputs: every case must fail cleanly.

For each bad input: non-zero exit, no hang (timeout), stderr names the
offending file (basename at least) and says what is wrong, every rank
0..N-1 printed a "b2m: error on rank R:" line, and neither OUT nor
OUT.partial is left behind. One positive case: constant voxels are not an
error (exit 0, NaN results, valid == 0).
"""
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import testdata  # noqa: E402

VOXELS = 60
BLOCK = 8  # 60 voxels -> 8 blocks; the last block (56..59) goes to one rank


def copy_with(src, dst, edit):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def replace(f, name, value):
    del f[name]
    f[name] = value


def body(opts, checks):
    w = opts.scratch
    data = testdata.make_dataset(seed=5, voxels=VOXELS)
    good_y = os.path.join(w, "good_responses.h5")
    good_x = os.path.join(w, "good_design.h5")
    testdata.write_responses(good_y, data)
    testdata.write_design(good_x, data)

    # --- the bad inputs ---------------------------------------------------
    short_x = os.path.join(w, "short_design.h5")
    with h5py.File(short_x, "w") as f:  # one training row fewer than the responses
        f["train/X"] = data.x_train[:-1]
        f["test/X"] = data.x_test
    wrong_v = copy_with(good_y, os.path.join(w, "wrongv_responses.h5"),
                        lambda f: replace(f, "test/Y", data.y_test[:, :-3]))
    no_test = copy_with(good_y, os.path.join(w, "notest_responses.h5"), lambda f: f.__delitem__("test/Y"))
    y_nan = data.y_train.copy()
    y_nan[17, VOXELS - 2] = np.nan  # voxel 58: in the last block only
    nan_y = copy_with(good_y, os.path.join(w, "nan_responses.h5"), lambda f: replace(f, "train/Y", y_nan))
    x_inf = data.x_train.copy()
    x_inf[100, 5] = np.inf
    inf_x = copy_with(good_x, os.path.join(w, "inf_design.h5"), lambda f: replace(f, "train/X", x_inf))
    run_1 = data.run.copy()
    run_1[data.lengths[0] - 1] = 5000  # last row of the first run becomes a one-row run
    one_row = copy_with(good_y, os.path.join(w, "onerow_responses.h5"), lambda f: replace(f, "train/run", run_1))
    n_test = data.y_test.shape[0]
    odd_ids = copy_with(good_y, os.path.join(w, "oddids_responses.h5"),
                        lambda f: f["test"].attrs.__setitem__("ids", [b"clip"] * (n_test + 1)))
    truncated = os.path.join(w, "truncated_responses.h5")
    shutil.copy(good_y, truncated)
    os.truncate(truncated, os.path.getsize(good_y) // 2)
    missing = os.path.join(w, "missing_responses.h5")
    text = os.path.join(w, "notes_design.h5")
    with open(text, "w") as f:
        f.write("this is a text file, not HDF5\n" * 20)

    def encode(responses, design, out, *extra):
        return ["encode", responses, "--design", design, "--out", out, "--block-size", BLOCK] + list(extra)

    # name, args, out, offending file (basename), regex describing the problem
    cases = [
        ("mismatched training rows", encode(good_y, short_x, "c1.h5"), "c1.h5", "short_design.h5",
         r"rows differ|row count|rows.*(differ|mismatch)"),
        ("mismatched voxel count", encode(wrong_v, good_x, "c2.h5"), "c2.h5", "wrongv_responses.h5",
         r"voxel"),
        ("missing /test/Y", encode(no_test, good_x, "c3.h5"), "c3.h5", "notest_responses.h5",
         r"/test/Y.*(missing|not found|does not exist|doesn't exist|no such|absent)|"
         r"(missing|not found|does not exist|doesn't exist|no such|absent).*/test/Y"),
        ("NaN in /train/Y, last block only", encode(nan_y, good_x, "c4.h5"), "c4.h5", "nan_responses.h5",
         r"non-finite|not finite|nan"),
        ("Inf in /train/X", encode(good_y, inf_x, "c5.h5"), "c5.h5", "inf_design.h5",
         r"non-finite|not finite|inf"),
        ("run with a single row", encode(one_row, good_x, "c6.h5"), "c6.h5", "onerow_responses.h5",
         r"run.*(1 row|one row|single row|too short|at least 2|empty)"),
        ("fewer runs than folds", encode(good_y, good_x, "c7.h5", "--folds", 20), "c7.h5", "good_responses.h5",
         r"fold.*run|run.*fold"),
        ("test clip ids that do not divide the test rows", encode(odd_ids, good_x, "c12.h5"), "c12.h5",
         "oddids_responses.h5", r"ids.*clips.*divide|divide.*test rows"),
        ("truncated HDF5 responses", encode(truncated, good_x, "c8.h5"), "c8.h5", "truncated_responses.h5",
         r"truncat|corrupt|cannot open|can't open|unable to open|not an hdf5|invalid|eof"),
        ("responses file does not exist", encode(missing, good_x, "c9.h5"), "c9.h5", "missing_responses.h5",
         r"does not exist|doesn't exist|not found|no such|cannot (open|read)|can't (open|read)|unable to (open|read)"),
        ("design is not an HDF5 file", encode(good_y, text, "c10.h5"), "c10.h5", "notes_design.h5",
         r"not an? hdf5|hdf5 signature|cannot open|can't open|unable to open|not hdf5"),
        ("bad option value --precision quad", encode(good_y, good_x, "c11.h5", "--precision", "quad"), "c11.h5",
         None, r"precision.*quad|quad.*precision"),
    ]

    for name, args, out, culprit, phrase in cases:
        # errors are found while reading the inputs: a run this small that
        # takes longer than this is hung
        r = harness.run_b2m(opts, args, timeout=min(opts.timeout, 30.0))
        tag = f"[{name}]"
        checks.check(f"{tag} finishes before the timeout", not r.timed_out, r.describe())
        checks.check(f"{tag} exits non-zero", r.rc != 0 and not r.timed_out, r.describe())
        lines = r.rank_errors()
        checks.check(f"{tag} every rank 0..{opts.ranks - 1} printed 'error on rank'",
                     r.every_rank_reported(opts.ranks),
                     f"ranks that reported: {sorted({k for k, _ in lines})}\n{r.describe()}")
        messages = " | ".join(m for _, m in lines)
        if culprit is not None:
            checks.check(f"{tag} error names {culprit}", culprit in messages,
                         f"messages: {messages or r.stderr.strip()[-800:]}")
        checks.check(f"{tag} error says what is wrong (/{phrase}/)",
                     re.search(phrase, messages, re.I) is not None,
                     f"messages: {messages or r.stderr.strip()[-800:]}")
        left = [p for p in (out, out + ".partial") if os.path.exists(os.path.join(w, p))]
        checks.check(f"{tag} leaves neither {out} nor {out}.partial", not left, f"left behind: {left}")

    # --- an output that would overwrite an input is refused ----------------
    before = open(good_y, "rb").read()
    r = harness.run_b2m(opts, encode(good_y, good_x, os.path.basename(good_y), "--overwrite"),
                        timeout=min(opts.timeout, 30.0))
    checks.check("[output is an input] exits non-zero", r.rc != 0 and not r.timed_out, r.describe())
    checks.check("[output is an input] says it would overwrite the input",
                 re.search(r"overwrite the input", r.stderr) is not None, r.describe())
    checks.check("[output is an input] the input is unchanged", open(good_y, "rb").read() == before)

    # --- positive case: constant voxels are fine ----------------------------
    const = testdata.make_dataset(seed=6, voxels=VOXELS, constant_voxels=(0, VOXELS - 1))
    const_y = os.path.join(w, "const_responses.h5")
    testdata.write_responses(const_y, const)
    r = harness.run_b2m(opts, encode(const_y, good_x, "const.h5"))
    if checks.require_run("[constant voxels] encode succeeds (exit 0)", r):
        with h5py.File(os.path.join(w, "const.h5"), "r") as f:
            valid = f["voxels/valid"][...]
            r_test = f["voxels/r_test"][...]
            alpha = f["voxels/alpha"][...]
        c = [0, VOXELS - 1]
        rest = np.setdiff1d(np.arange(VOXELS), c)
        checks.check("[constant voxels] NaN results and valid == 0 for the constant voxels",
                     np.isnan(r_test[c]).all() and np.isnan(alpha[c]).all() and (valid[c] == 0).all(),
                     f"r_test={r_test[c]}, alpha={alpha[c]}, valid={valid[c]}")
        checks.check("[constant voxels] the other voxels are valid and finite",
                     (valid[rest] == 1).all() and np.isfinite(r_test[rest]).all())
        checks.check("[constant voxels] no error lines on stderr", "error on rank" not in r.stderr, r.stderr[-500:])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body)
