#!/usr/bin/python3
"""The baseline of bench/prepare_bench.py: `b2m prepare --bids`'s steps for
one subject with nibabel, numpy and scipy, the way a notebook does them.

Per run: load the gzipped bold run (nibabel, as float32), take the mask's
voxels, drop the warm-up clip's scans, remove a running median of 240 s
(scipy.ndimage.median_filter along time; its edges extend the series,
where b2m cuts the window: the same work), z-score; the training runs
stacked into /train/Y, the test presentations into /test/Y_reps and their
mean into /test/Y, written with h5py.

Usage: prepare_nibabel_baseline.py BIDS SUBJECT MASK OUT.h5
"""
import glob
import os
import sys

import h5py
import nibabel as nib
import numpy as np
from scipy import ndimage

TR = 1.5


def events(path):
    rows = []
    with open(path) as f:
        header = [h.strip().strip("'\"").lower() for h in f.readline().rstrip("\r\n").split("\t")]
        for line in f:
            if line.strip():
                v = dict(zip(header, [x.strip().strip("'\"") for x in line.rstrip("\r\n").split("\t")]))
                rows.append((float(v["onset"]), float(v["duration"]), f"{v['genre']}.{int(float(v['track'])):05d}"))
    return sorted(rows)


def main():
    bids, subject, mask_path, out = sys.argv[1:5]
    mask = np.asarray(nib.load(mask_path).dataobj) != 0
    func = os.path.join(bids, subject, "func")
    half = int(240 / 2 / TR)
    train, reps = [], {}
    for task in ("Training", "Test"):
        for path in sorted(glob.glob(os.path.join(func, f"*task-{task}_run-*_bold.nii.gz"))):
            ev = events(path.replace("_bold.nii.gz", "_events.tsv"))
            first = int(round((ev[0][0] + ev[0][1]) / TR))
            data = nib.load(path).get_fdata(dtype=np.float32)
            y = data[mask].T[first:]  # scans x voxels
            del data
            y = y - ndimage.median_filter(y, size=(2 * half + 1, 1), mode="nearest")
            y = (y - y.mean(axis=0)) / np.where(y.std(axis=0) > 0, y.std(axis=0), 1)
            if task == "Training":
                train.append(y.astype(np.float32))
            else:
                for o, d, c in ev[1:]:
                    reps.setdefault(c, []).append(y[int(round(o / TR)) - first:][:10])
    ids = sorted(reps)
    y_reps = np.stack([np.vstack([reps[c][k] for c in ids]) for k in range(len(reps[ids[0]]))])
    with h5py.File(out, "w") as f:
        f["train/Y"] = np.vstack(train)
        f["test/Y_reps"] = y_reps
        f["test/Y"] = y_reps.mean(axis=0)


if __name__ == "__main__":
    main()
