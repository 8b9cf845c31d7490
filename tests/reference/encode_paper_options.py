#!/usr/bin/python3
"""encode as the paper did it (issue 16, item 4), against the scikit-learn
reference of encode_vs_sklearn.py built on decode's samples.

One simulated subject (240 voxels):
  * --window-samples --cut-windows --drop-first-event --delay 0 --null
    gaussian: the paper's encoding (each MuLan window's embedding against
    the mean of the scans inside it) with its null (the correlation of two
    independent Gaussian vectors of the test length). Alphas, CV scores,
    test r and p equal the reference fitted on the samples that
    decode_vs_sklearn.py builds with the same settings, p from scipy's t;
  * --window-samples at b2m's 4.5 s delay, with b2m's autocorrelation-
    corrected p over test clips of one row per window;
  * the default FIR delays are 1-6 TRs (1.5-9 s): a run without --delays
    records them and fits 6 x the embedding's features;
  * the options that do not go together are refused on every rank.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import decode_vs_sklearn  # noqa: E402
import encode_vs_sklearn  # noqa: E402
from encode_vs_sklearn import compare_to_reference, read_result  # noqa: E402

SPACE = decode_vs_sklearn.SPACE


def window_reference(study, events, **samples):
    """encode_vs_sklearn's reference on decode's samples: the window
    embeddings are the design, the windows' mean scans the responses."""
    s = decode_vs_sklearn.Reference(study, events, **samples)
    run = [sample[3] for sample in s.train]
    return encode_vs_sklearn.Reference(s.y, s.yt, s.x, run, s.xt), s


def body(opts, checks):
    study = harness.simulate_study(opts, checks, 1, 240, 5)
    if study is None:
        return
    responses = os.path.join(study, "sub-01_responses.h5")
    base = ["encode", responses, "--features", os.path.join(study, "features.h5"), "--space", SPACE,
            "--events", opts.events]

    cases = [("paper's encoding and null",
              ["--window-samples", "--cut-windows", "--drop-first-event", "--delay", 0, "--null", "gaussian"],
              dict(delay=0.0, cut=True, drop_first=True), "gaussian"),
             ("window samples at b2m's delay", ["--window-samples"], {}, "autocorrelation")]
    for i, (tag, extra, samples, null) in enumerate(cases):
        out = f"windows{i}.h5"
        r = harness.run_b2m(opts, base + extra + ["--out", out])
        if not checks.require_run(f"encode {' '.join(str(a) for a in extra)}", r):
            continue
        ref, s = window_reference(study, opts.events, **samples)
        windows = len(s.test) // 60
        checks.check(f"{tag}: {len(s.train)} training and {len(s.test)} test samples "
                     f"({windows} windows per test clip)",
                     ref.y.shape == (len(s.train), 240) and windows * 60 == len(s.test))
        compare_to_reference(checks, tag, read_result(os.path.join(opts.scratch, out)), ref, True, [],
                             windows, null=null)

    # The default FIR delays: 1-6 TRs, which cover the hemodynamic response
    # at TR 1.5 s.
    r = harness.run_b2m(opts, base + ["--n-alphas", 3, "--save-weights", "--out", "fir.h5"])
    if checks.require_run("encode with the default delays", r):
        with h5py.File(os.path.join(study, "features.h5"), "r") as f:
            dim = f[f"spaces/{SPACE}/embeddings"].shape[-1]
        with h5py.File(os.path.join(opts.scratch, "fir.h5"), "r") as f:
            weights = f["weights"].shape
            text = f.attrs["parameters"]
            params = json.loads(text.decode() if isinstance(text, bytes) else text)
        checks.check("default delays are 1-6 TRs: recorded, and 6 x the embedding's features fitted",
                     params.get("delays") == [1, 2, 3, 4, 5, 6] and weights[0] == 6 * dim,
                     f"delays {params.get('delays')}, weights {weights}, dim {dim}")

    refused = [(["--window-samples", "--delays", "1,2"], "--delays"),
               (["--delay", 0], "--window-samples"),
               (["--window-samples", "--null", "permutation"], "--null")]
    for extra, named in refused:
        r = harness.run_b2m(opts, base + extra + ["--out", "refused.h5"])
        checks.check(f"encode {' '.join(str(a) for a in extra)} is refused on every rank, naming {named}",
                     r.rc != 0 and named in r.stderr and r.every_rank_reported(opts.ranks), r.stderr[-300:])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
