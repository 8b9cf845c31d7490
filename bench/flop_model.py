#!/usr/bin/python3
"""FLOP model of b2m's encoding algorithm (used to turn wall times into GFLOP/s).

b2m factorizes, per fold f with n_f training rows and m_f validation rows
(k_f = min(n_f, p)), the smaller Gram matrix of X_train_f in double precision
(solvers/ridge_factor.hpp):

  primal (p <= n_f): X^T X ............ n_f*p^2   (symmetric rank update)
                     eigen (dsyevr) ... 10/3*p^3  (nominal: tridiagonal reduction
                                                   4/3 k^3 + back-transformation 2 k^3)
                     right = (X V)^T .. 2*n_f*p*k_f
                     left = X_val V ... 2*m_f*p*k_f
  dual   (p > n_f):  X X^T ............ n_f^2*p
                     eigen ............ 10/3*n_f^3
                     left = (X_val X^T) U  2*m_f*n_f*p + 2*m_f*n_f*k_f
  B = right Y_train_f .................... 2*n_f*k_f*V
  per alpha: predictions left D_a B ...... 2*m_f*k_f*V

and the refit on all n training rows the same way, with X_test in place of
X_val and one product B = right Y (2*n*k*V) and test predictions (2*n_test*k*V).

Lower-order terms (z-scoring, diagonal scalings, scores) are ignored.
"""
import argparse
import json


def fold_groups(run_labels_sorted, k):
    """Split sorted unique run labels into k contiguous groups of near-equal size
    (the first len % k groups are one larger), as b2m does."""
    labels = list(run_labels_sorted)
    n = len(labels)
    if k < 2 or k > n:
        raise ValueError(f"folds={k} needs 2 <= folds <= number of runs ({n})")
    base, extra = divmod(n, k)
    groups, start = [], 0
    for g in range(k):
        size = base + (1 if g < extra else 0)
        groups.append(labels[start:start + size])
        start += size
    return groups


def equal_run_lengths(n_train, runs):
    """Run lengths when n_train rows are cut into `runs` contiguous near-equal blocks
    (the first n_train % runs runs are one row longer), as make_bench_data.py does."""
    base, extra = divmod(n_train, runs)
    return [base + (1 if r < extra else 0) for r in range(runs)]


def fold_sizes(run_lengths, folds):
    """[(n_f, m_f)] training / validation row counts per fold."""
    total = sum(run_lengths)
    out = []
    for group in fold_groups(range(len(run_lengths)), folds):
        m = sum(run_lengths[r] for r in group)
        out.append((total - m, m))
    return out


def svd_flops(n, p):
    """Nominal thin SVD count (the baseline's factorization)."""
    k = min(n, p)
    return 4.0 * n * p * k + 8.0 * k ** 3


def factor_flops(n, p, m):
    """b2m's spectral factors of n training rows for m other rows (see above)."""
    k = min(n, p)
    if p <= n:
        return n * p * p + 10.0 / 3.0 * p ** 3 + 2.0 * n * p * k + 2.0 * m * p * k
    return n * n * p + 10.0 / 3.0 * n ** 3 + 2.0 * m * n * p + 2.0 * m * n * k


def encode_flops(run_lengths, p, v, n_test, n_alphas=20, folds=5):
    """Total FLOPs of b2m encode under the model above; returns a dict by phase."""
    cv_factor = cv_b = cv_pred = 0.0
    for n_f, m_f in fold_sizes(run_lengths, folds):
        k_f = min(n_f, p)
        cv_factor += factor_flops(n_f, p, m_f)
        cv_b += 2.0 * n_f * k_f * v
        cv_pred += n_alphas * 2.0 * m_f * k_f * v
    n = sum(run_lengths)
    k = min(n, p)
    refit = factor_flops(n, p, n_test) + 2.0 * n * k * v + 2.0 * n_test * k * v
    phases = {"cv_factor": cv_factor, "cv_b": cv_b, "cv_pred": cv_pred, "refit": refit}
    phases["total"] = sum(phases.values())
    return phases


def baseline_flops(run_lengths, p, v, n_test, n_alphas=20, folds=5):
    """FLOPs of the himalaya-style baseline (explicit n_val x n_train matrices), for info."""
    total = 0.0
    for n_f, m_f in fold_sizes(run_lengths, folds):
        k_f = min(n_f, p)
        total += svd_flops(n_f, p) + 2.0 * m_f * p * k_f
        total += n_alphas * (2.0 * m_f * k_f * n_f + 2.0 * m_f * n_f * v)
    n = sum(run_lengths)
    k = min(n, p)
    total += svd_flops(n, p) + 2.0 * n * k * v + 2.0 * p * k * v + 2.0 * n_test * p * v
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-train", type=int, default=4920)
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--n-test", type=int, default=600)
    ap.add_argument("--p", type=int, default=512)
    ap.add_argument("--voxels", type=int, default=20000)
    ap.add_argument("--n-alphas", type=int, default=20)
    ap.add_argument("--folds", type=int, default=5)
    a = ap.parse_args()
    rl = equal_run_lengths(a.n_train, a.runs)
    ph = encode_flops(rl, a.p, a.voxels, a.n_test, a.n_alphas, a.folds)
    out = {k: v / 1e9 for k, v in ph.items()}
    out["baseline_total"] = baseline_flops(rl, a.p, a.voxels, a.n_test, a.n_alphas, a.folds) / 1e9
    print(json.dumps({"gflop": out}))


if __name__ == "__main__":
    main()
