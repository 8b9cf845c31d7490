#!/usr/bin/python3
"""Small synthetic encoding data sets for the b2m reference tests.

Writes responses and design files as described in docs/formats.md:

  responses: /train/Y [n, V], /train/run [n], /test/Y [m, V]
  design:    /train/X [n, p], /test/X [m, p]

The data are made so that the things b2m must get right matter:
  * runs have unequal lengths and non-sorted labels (folds follow the order
    of appearance, not the label values);
  * every run of X and Y has its own offset and scale (per-run z-scoring);
  * features are correlated with a decaying spectrum (the alpha grid matters);
  * voxels span a range of SNRs, some are pure noise;
  * optionally some voxels are constant (NaN results, valid = 0) and one voxel
    is constant inside a single run only (still valid).
"""
import h5py
import numpy as np


class Dataset:
    """Arrays of one synthetic subject (all float64, as written or before casting)."""

    def __init__(self, **arrays):
        self.__dict__.update(arrays)

    @property
    def run_ranges(self):
        """(begin, end) row ranges of the runs, in order of appearance."""
        out = []
        for i, label in enumerate(self.run):
            if i == 0 or label != self.run[i - 1]:
                out.append([i, i])
            out[-1][1] = i + 1
        return [tuple(r) for r in out]


def default_run_lengths(n_runs=12, base=30):
    """Run lengths around `base` that sum to n_runs * base but differ."""
    pattern = [2, -2, 1, -1, 0, 3, -3, 0, 2, -2, 1, -1]
    lengths = [base + pattern[i % len(pattern)] for i in range(n_runs)]
    lengths[-1] += n_runs * base - sum(lengths)
    return lengths


def make_dataset(seed=1, run_lengths=None, n_test=60, p=24, voxels=300, noise_fraction=0.1,
                 constant_voxels=(), partly_constant_voxel=None):
    """Builds one synthetic subject.

    constant_voxels: indices of voxels that are constant in every run (and in
    the test set). partly_constant_voxel: index of a voxel that is constant in
    the first run only.
    """
    rng = np.random.default_rng(seed)
    lengths = list(run_lengths) if run_lengths is not None else default_run_lengths()
    n = int(sum(lengths))
    labels = rng.choice(np.arange(1, 1000), size=len(lengths), replace=False)
    run = np.repeat(labels, lengths).astype(np.int64)

    # Correlated features: white noise, temporally smoothed, mixed through a
    # random rotation with a decaying spectrum.
    q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    spectrum = np.logspace(0, -1.5, p)
    mix = (q * spectrum) @ np.linalg.qr(rng.standard_normal((p, p)))[0]

    def latent(rows):
        z = rng.standard_normal((rows, p))
        for t in range(1, rows):
            z[t] += 0.5 * z[t - 1]
        return z @ mix

    x_train_clean = np.vstack([latent(k) for k in lengths])
    x_test_clean = latent(n_test)

    weights = rng.standard_normal((p, voxels))
    snr = np.logspace(-1.5, 1.0, voxels)
    rng.shuffle(snr)
    n_noise = int(round(noise_fraction * voxels))
    noise_voxels = rng.choice(voxels, size=n_noise, replace=False)
    weights[:, noise_voxels] = 0.0

    def responses(x, rows):
        signal = x @ weights
        sd = signal.std(axis=0)
        sd[sd == 0] = 1.0
        noise = rng.standard_normal((rows, voxels)) * (sd / np.sqrt(snr))
        return signal + noise

    y_train = responses(x_train_clean, n)
    y_test = responses(x_test_clean, n_test)

    # Per-run offsets and scales of features and responses.
    x_train = x_train_clean.copy()
    start = 0
    for k in lengths:
        rows = slice(start, start + k)
        x_train[rows] = x_train[rows] * rng.uniform(0.5, 3.0, p) + rng.normal(0, 5, p)
        y_train[rows] = y_train[rows] * rng.uniform(0.5, 3.0, voxels) + rng.normal(0, 10, voxels)
        start += k
    x_test = x_test_clean * rng.uniform(0.5, 3.0, p) + rng.normal(0, 5, p)
    y_test = y_test * rng.uniform(0.5, 3.0, voxels) + rng.normal(0, 10, voxels)

    for v in constant_voxels:
        y_train[:, v] = 3.25
        y_test[:, v] = 3.25
    if partly_constant_voxel is not None:
        y_train[: lengths[0], partly_constant_voxel] = -1.5

    return Dataset(x_train=x_train, x_test=x_test, y_train=y_train, y_test=y_test, run=run,
                   lengths=lengths, x_train_clean=x_train_clean, x_test_clean=x_test_clean, noise_voxels=np.sort(noise_voxels), snr=snr,
                   constant_voxels=np.array(sorted(constant_voxels), dtype=int),
                   partly_constant_voxel=partly_constant_voxel)


def responses_for(d, seed, run_lengths, voxels=None):
    """Another subject seeing the same stimulus (design) as `d`: new weights,
    noise, run boundaries and labels over the same n training rows."""
    rng = np.random.default_rng(seed)
    lengths = list(run_lengths)
    n = d.x_train.shape[0]
    if sum(lengths) != n:
        raise ValueError(f"run lengths sum to {sum(lengths)}, design has {n} rows")
    voxels = voxels or d.y_train.shape[1]
    p = d.x_train.shape[1]
    labels = rng.choice(np.arange(1, 1000), size=len(lengths), replace=False)
    weights = rng.standard_normal((p, voxels))
    snr = np.logspace(-1.5, 1.0, voxels)

    def responses(x):
        signal = x @ weights
        return signal + rng.standard_normal(signal.shape) * (signal.std(axis=0) / np.sqrt(snr))

    y_train = responses(d.x_train_clean)
    y_test = responses(d.x_test_clean)
    start = 0
    for k in lengths:
        y_train[start:start + k] = y_train[start:start + k] * rng.uniform(0.5, 3.0, voxels) + \
            rng.normal(0, 10, voxels)
        start += k
    return Dataset(x_train=d.x_train, x_test=d.x_test, y_train=y_train, y_test=y_test,
                   run=np.repeat(labels, lengths).astype(np.int64), lengths=lengths,
                   x_train_clean=d.x_train_clean, x_test_clean=d.x_test_clean,
                   noise_voxels=np.array([], dtype=int), snr=snr,
                   constant_voxels=np.array([], dtype=int), partly_constant_voxel=None)


def write_responses(path, d, dtype=np.float64, run_dtype=np.int32):
    with h5py.File(path, "w") as f:
        f["train/Y"] = d.y_train.astype(dtype)
        f["train/run"] = d.run.astype(run_dtype)
        f["test/Y"] = d.y_test.astype(dtype)


def write_design(path, d, dtype=np.float64):
    with h5py.File(path, "w") as f:
        f["train/X"] = d.x_train.astype(dtype)
        f["test/X"] = d.x_test.astype(dtype)


def read_responses(path):
    """What b2m sees: the stored values, as float64."""
    with h5py.File(path, "r") as f:
        return (f["train/Y"][...].astype(np.float64), f["train/run"][...].astype(np.int64),
                f["test/Y"][...].astype(np.float64))


def read_design(path):
    with h5py.File(path, "r") as f:
        return f["train/X"][...].astype(np.float64), f["test/X"][...].astype(np.float64)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="write one synthetic subject")
    parser.add_argument("--responses", required=True)
    parser.add_argument("--design", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--voxels", type=int, default=300)
    args = parser.parse_args()
    data = make_dataset(seed=args.seed, voxels=args.voxels)
    write_responses(args.responses, data)
    write_design(args.design, data)


def add_random_space(features, dim=128, seed=0, name="random"):
    """Adds a control space (`name`, default "random") to a feature file: one
    15-s window of Gaussian values per clip, read by no simulated voxel."""
    with h5py.File(features, "a") as f:
        n = f["spaces/mulan_text/embeddings"].shape[0]
        g = f.create_group(f"spaces/{name}")
        g["embeddings"] = np.random.default_rng(seed).standard_normal((n, 1, dim)).astype(np.float32)
        g.attrs["window_s"] = np.array([15.0])
        g.attrs["step_s"] = np.array([15.0])
