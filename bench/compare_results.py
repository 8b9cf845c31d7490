#!/usr/bin/python3
"""Compare two encode result files (docs/formats.md "Encode result").

Prints max |delta r_test|, max |delta r2_test|, the fraction of voxels with the same
alpha (relative tolerance 1e-6, so grids computed differently still match) and one
JSON line; exits 1 if max |delta r_test| > --tol (or if the files disagree on which
voxels are valid / have a different number of voxels).
Voxels NaN in both files are skipped; NaN in only one counts as a mismatch.
"""
import argparse
import json
import sys

import h5py
import numpy as np


def read(path):
    with h5py.File(path, "r") as f:
        g = f["voxels"]
        return {k: g[k][...].astype(np.float64) for k in ("alpha", "r_test", "r2_test") if k in g}


def compare(path_a, path_b):
    A, B = read(path_a), read(path_b)
    if A["r_test"].shape != B["r_test"].shape:
        return {"error": f"voxel counts differ: {A['r_test'].shape} vs {B['r_test'].shape}"}
    out = {"voxels": int(A["r_test"].size)}
    for key in ("r_test", "r2_test"):
        if key not in A or key not in B:
            continue
        a, b = A[key], B[key]
        na, nb = np.isnan(a), np.isnan(b)
        both = ~na & ~nb
        d = np.abs(a[both] - b[both])
        out[f"max_abs_delta_{key}"] = float(d.max()) if d.size else 0.0
        out[f"nan_mismatch_{key}"] = int((na != nb).sum())
    a, b = A["alpha"], B["alpha"]
    both = ~np.isnan(a) & ~np.isnan(b)
    same = np.isclose(a[both], b[both], rtol=1e-6, atol=0)
    out["compared_voxels"] = int(both.sum())
    out["same_alpha_frac"] = float(same.mean()) if same.size else 1.0
    # precision differences alone, without the voxels whose alpha flipped on a near-tie
    ra, rb = A["r_test"][both][same], B["r_test"][both][same]
    ok = ~np.isnan(ra) & ~np.isnan(rb)
    out["max_abs_delta_r_test_same_alpha"] = (float(np.abs(ra[ok] - rb[ok]).max())
                                              if ok.any() else 0.0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tol", type=float, default=1e-4, help="max allowed |delta r_test|")
    ap.add_argument("--quiet", action="store_true", help="only the JSON line")
    x = ap.parse_args()
    out = compare(x.a, x.b)
    if "error" in out:
        print(out["error"], file=sys.stderr)
        sys.exit(2)
    ok = out["max_abs_delta_r_test"] <= x.tol and out["nan_mismatch_r_test"] == 0
    out["tol"] = x.tol
    out["ok"] = bool(ok)
    if not x.quiet:
        print(f"voxels compared      : {out['compared_voxels']} of {out['voxels']}")
        print(f"max |delta r_test|   : {out['max_abs_delta_r_test']:.3e}")
        if "max_abs_delta_r2_test" in out:
            print(f"max |delta r2_test|  : {out['max_abs_delta_r2_test']:.3e}")
        print(f"same alpha           : {100 * out['same_alpha_frac']:.2f} %")
        print(f"max |delta r_test| where alphas agree: {out['max_abs_delta_r_test_same_alpha']:.3e}")
        print(f"NaN mismatches       : {out['nan_mismatch_r_test']}")
        print(("PASS" if ok else "FAIL") + f" (tol {x.tol:g})")
    print(json.dumps(out))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
