#!/usr/bin/python3
"""Decode and retrieve benchmarks: b2m against numpy baselines in the same run.

Decode: one simulated subject on the real design (V voxels, default 60,000),
decoded into SoundStream (128-d, windows of one TR: 4,920 training samples),
20 alphas, 5 folds: b2m at 1, --ranks and 2 x --ranks ranks (1 BLAS thread
per rank) vs decode_numpy_baseline.py (the same dual algorithm, 1 thread) and
scikit-learn KernelRidge per fold and alpha (report only; --skip-sklearn).
Also b2m with the kernel replicated (--kernel-layout replicated) at --ranks
ranks. Targets: baseline / b2m(--ranks) >= 1.5; peak RSS per rank falls as
1/ranks.

ROI models (--part roi): the same subject with its simulated ROIs cut into
--rois parcels (default 150, Brain2Music's atlas size), one model per parcel,
the top 6 averaged: b2m at 1 rank and at --ranks ranks (report only: wall
time, peak RSS, parallel efficiency, agreement between rank counts).

Retrieve: the stimuli + a simulated corpus (default 1,000,000 clips, 128-d
float32), --queries queries (default 600): b2m at 1 rank and at --ranks ranks vs
retrieve_numpy_baseline.py (chunked float32 GEMM + argpartition). Targets: b2m
reaches >= 50% of the GEMM-bound rate 2 q N d / (single-precision GEMM peak x
ranks); peak RSS per rank about corpus / ranks.

All runs go through /usr/bin/time -v; the table prints wall time, peak RSS and
the ratios. Data are cached in --work-dir.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_report import parse_time_log  # noqa: E402

PY = "/usr/bin/python3"
EVENTS = os.path.join(ROOT, "data", "ds003720", "func")


def timed(label, cmd, log_dir, threads=1):
    env = dict(mpi_env(), OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    log = os.path.join(log_dir, label + ".time")
    out = os.path.join(log_dir, label + ".log")
    print(f"  {label} ...", flush=True)
    with open(out, "w") as so:
        rc = subprocess.call(["/usr/bin/time", "-v", "-o", log] + [str(c) for c in cmd], stdout=so,
                             stderr=subprocess.STDOUT, env=env)
    wall, rss, _ = parse_time_log(log)
    if rc != 0:
        print(f"  {label} FAILED (rc {rc}), see {out}", flush=True)
    return {"label": label, "wall": wall, "rss_mb": rss / 1024 if rss else None, "rc": rc}


def mpi_env():
    # PMIX_MCA_psec=native: mpirun's PMIx server otherwise tries munge
    # authentication first, and where munge's socket exists but munged is not
    # running it retries for 2.3 s before falling back. OMPI_MCA_pml=ob1: one
    # machine, shared memory; left to choose, Open MPI first starts its
    # network transports (libfabric, PSM), 0.2 s of every launch here.
    return dict(os.environ, PMIX_MCA_psec="native", OMPI_MCA_pml="ob1")


def mpi(ranks):
    return ["mpirun", "--oversubscribe", "--allow-run-as-root", "-x", "OPENBLAS_NUM_THREADS=1",
            "-x", "OMP_NUM_THREADS=1", "-n", str(ranks)]


def gemm_peak(build, log_dir):
    exe = os.path.join(build, "bench", "gemm_peak")
    if not os.path.exists(exe):
        return {}
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([exe], capture_output=True, text=True, env=env).stdout
    peaks = {}
    for line in out.splitlines():
        d = json.loads(line)
        peaks[d["precision"]] = max(peaks.get(d["precision"], 0), d["gflops"])
    return peaks


def row(r):
    wall = f"{r['wall']:.1f}" if r["wall"] else "-"
    rss = f"{r['rss_mb']:.0f}" if r["rss_mb"] else "-"
    return f"{r['label']:<28} {wall:>9} {rss:>12}"


def simulated_subject(a, b2m):
    """The decode benchmarks' study directory (one subject, --voxels voxels), simulated once."""
    study = os.path.join(a.work_dir, f"decode-v{a.voxels}")
    if not os.path.exists(os.path.join(study, "sub-01_responses.h5")):
        print(f"simulating 1 subject x {a.voxels} voxels in {study}", flush=True)
        subprocess.check_call(mpi(a.ranks) + [b2m, "simulate", "--preset", "easy", "--events", EVENTS, "--subjects", "1",
                                              "--voxels", str(a.voxels), "--seed", "0", "--out-dir", study],
                              stdout=subprocess.DEVNULL, env=mpi_env())
    return study


def bench_decode(a, b2m, log_dir, results):
    study = simulated_subject(a, b2m)
    resp = os.path.join(study, "sub-01_responses.h5")
    feats = os.path.join(study, "features.h5")
    common = ["--features", feats, "--space", "soundstream", "--events", EVENTS]
    runs = []
    # The default layout (replicated on one rank, block-cyclic on several) at
    # 1, --ranks and 2 x --ranks ranks (the last oversubscribed on a small
    # machine: its memory counts, not its time); then the replicated layout
    # at --ranks for comparison.
    for ranks in (1, a.ranks, 2 * a.ranks):
        out = os.path.join(log_dir, f"decode-b2m-{ranks}.h5")
        runs.append(timed(f"decode b2m {ranks} rank(s)", mpi(ranks) + [b2m, "decode", resp] + common +
                          ["--out", out], log_dir))
    out = os.path.join(log_dir, f"decode-b2m-replicated-{a.ranks}.h5")
    runs.append(timed(f"decode b2m replicated {a.ranks}", mpi(a.ranks) + [b2m, "decode", resp] + common +
                      ["--kernel-layout", "replicated", "--out", out], log_dir))
    base_out = os.path.join(log_dir, "decode-numpy.h5")
    runs.append(timed("decode numpy baseline", [PY, os.path.join(HERE, "decode_numpy_baseline.py"),
                                                "--responses", resp, "--out", base_out] + common[0:4] +
                      ["--events", EVENTS], log_dir))
    if not a.skip_sklearn:
        runs.append(timed("decode sklearn KernelRidge", [PY, os.path.join(HERE, "decode_numpy_baseline.py"),
                                                         "--sklearn", "--responses", resp,
                                                         "--out", os.path.join(log_dir, "decode-sklearn.h5")] +
                          common[0:4] + ["--events", EVENTS], log_dir))
    print("\ndecode (V = %d, SoundStream targets)" % a.voxels)
    print(f"{'run':<28} {'wall s':>9} {'peak RSS MB':>12}")
    for r in runs:
        print(row(r))
    one, many, most, replicated, base = runs[:5]
    if all(r["rc"] == 0 for r in (one, many, most, replicated, base)):
        with h5py.File(os.path.join(log_dir, f"decode-b2m-{a.ranks}.h5"), "r") as f:
            p = f["test/prediction"][...]
        with h5py.File(base_out, "r") as f:
            q = f["test/prediction"][...]
        rel = float(np.linalg.norm(p - q) / np.linalg.norm(q))
        ratios = {"baseline / b2m (%d ranks)" % a.ranks: (base["wall"] / many["wall"], ">= 1.5"),
                  "baseline / b2m (1 rank)": (base["wall"] / one["wall"], "-"),
                  "peak RSS per rank, %d ranks / 1 rank" % a.ranks: (many["rss_mb"] / one["rss_mb"],
                                                                    "about %.2f" % (1 / a.ranks)),
                  "peak RSS per rank, %d ranks / 1 rank" % (2 * a.ranks): (most["rss_mb"] / one["rss_mb"],
                                                                        "about %.2f" % (0.5 / a.ranks)),
                  "replicated: baseline / b2m (%d ranks)" % a.ranks: (base["wall"] / replicated["wall"], "-"),
                  "replicated: peak RSS per rank, %d ranks / 1" % a.ranks: (
                      replicated["rss_mb"] / one["rss_mb"], "-"),
                  "b2m vs baseline predictions (rel. diff)": (rel, "round-off")}
        for k, (v, t) in ratios.items():
            print(f"  {k:<44} {v:10.4g}   target {t}")
        results["decode"] = {"runs": runs, "ratios": {k: v for k, (v, _) in ratios.items()}}


def parcellate(src, dst, parcels):
    """A copy of `src` whose /voxels/roi cuts each simulated ROI into parcels
    of near-equal size, `parcels` in all, shared out by ROI size (the paper's
    atlas has 150 ROIs: about 400 voxels each at 60,000 voxels)."""
    tmp = dst + ".part"
    shutil.copyfile(src, tmp)
    with h5py.File(tmp, "r+") as f:
        roi = f["voxels/roi"][...]
        names = [n.decode() for n in f["voxels/roi"].attrs["names"]]
        counts = np.bincount(roi, minlength=len(names))
        share = np.maximum(1, np.floor(parcels * counts / counts.sum()).astype(int))
        share[np.argmax(counts)] += parcels - share.sum()
        labels, parcel_names = np.empty_like(roi), []
        for r, name in enumerate(names):
            for i, members in enumerate(np.array_split(np.flatnonzero(roi == r), share[r])):
                labels[members] = len(parcel_names)
                parcel_names.append(f"{name}_{i:02d}")
        f["voxels/roi"][...] = labels
        f["voxels/roi"].attrs["names"] = np.array(parcel_names, dtype="S")
    os.replace(tmp, dst)


def bench_roi(a, b2m, log_dir, results):
    """One model per ROI over --rois parcels, the top 6 averaged (Brain2Music's
    setting), at 1 rank and at --ranks ranks."""
    study = simulated_subject(a, b2m)
    resp = os.path.join(study, f"sub-01_responses_{a.rois}rois.h5")
    if not os.path.exists(resp):
        print(f"cutting the simulated ROIs into {a.rois} parcels: {resp}", flush=True)
        parcellate(os.path.join(study, "sub-01_responses.h5"), resp, a.rois)
    common = ["--features", os.path.join(study, "features.h5"), "--space", "soundstream", "--events", EVENTS,
              "--roi-models", "6"]
    runs = []
    for ranks in (1, a.ranks):
        out = os.path.join(log_dir, f"roi-b2m-{ranks}.h5")
        runs.append(timed(f"ROI models b2m {ranks} rank(s)", mpi(ranks) + [b2m, "decode", resp] + common +
                          ["--out", out], log_dir))
    print("\nROI models (V = %d in %d ROIs, top 6 averaged, SoundStream targets)" % (a.voxels, a.rois))
    print(f"{'run':<28} {'wall s':>9} {'peak RSS MB':>12}")
    for r in runs:
        print(row(r))
    one, many = runs
    if all(r["rc"] == 0 for r in runs):
        preds = []
        for ranks in (1, a.ranks):
            with h5py.File(os.path.join(log_dir, f"roi-b2m-{ranks}.h5"), "r") as f:
                preds.append(f["test/prediction"][...])
                top = [n.decode() if isinstance(n, bytes) else n
                       for n, t in zip(f["rois/cv_r"].attrs["names"], f["rois/top"][...]) if t]
        ratios = {"parallel efficiency, %d ranks" % a.ranks: (one["wall"] / (a.ranks * many["wall"]), "-"),
                  "peak RSS per rank, %d ranks / 1 rank" % a.ranks: (many["rss_mb"] / one["rss_mb"],
                                                                    "about %.2f" % (1 / a.ranks)),
                  "max |prediction difference|, %d ranks vs 1" % a.ranks: (
                      float(np.abs(preds[0] - preds[1]).max()), "round-off")}
        print(f"  top ROIs: {', '.join(top)}")
        for k, (v, t) in ratios.items():
            print(f"  {k:<44} {v:10.4g}   target {t}")
        results["roi"] = {"runs": runs, "top": top, "ratios": {k: v for k, (v, _) in ratios.items()}}


def bench_retrieve(a, b2m, log_dir, results, peaks):
    study = os.path.join(a.work_dir, f"corpus-{a.corpus}")
    corpus = os.path.join(study, "corpus.h5")
    if not os.path.exists(corpus):
        print(f"simulating a corpus of {a.corpus} clips in {study}", flush=True)
        subprocess.check_call(mpi(a.ranks) + [b2m, "simulate", "--preset", "easy", "--events", EVENTS, "--subjects", "1",
                                              "--voxels", "1", "--seed", "0", "--corpus", str(a.corpus),
                                              "--out-dir", study], stdout=subprocess.DEVNULL)
    queries = os.path.join(study, f"queries-{a.queries}.h5")
    if not os.path.exists(queries):
        with h5py.File(corpus, "r") as f:
            n_stim = 540
            emb = f["embeddings"][:n_stim]
            ids = [i.decode() for i in f["ids"][:n_stim]]
        rng = np.random.default_rng(0)
        pick = rng.integers(0, n_stim, a.queries)
        pred = emb[pick] + 0.5 * rng.standard_normal((a.queries, emb.shape[1])) * emb.std()
        with h5py.File(queries, "w") as f:
            f["test/prediction"] = pred.astype(np.float64)
            f["test/clip"] = pick.astype(np.int32)
            f.attrs["clip_ids"] = np.array(ids, dtype="S32")
    # Every run reads the corpus from the page cache: the first one otherwise
    # pays for the disk where a preceding benchmark evicted it (2.9 vs 6.7 s
    # at 1 rank after the decode part).
    with open(corpus, "rb") as f:
        while f.read(1 << 24):
            pass
    runs, startup = [], {}
    for ranks in (1, a.ranks):
        out = os.path.join(log_dir, f"retrieve-b2m-{ranks}.h5")
        # One rank runs without mpirun (a singleton MPI start).
        launch = [] if ranks == 1 else mpi(ranks)
        runs.append(timed(f"retrieve b2m {ranks} rank(s)", launch + [b2m, "retrieve", queries, "--corpus",
                                                                      corpus, "--per-window", "--out", out],
                          log_dir))
        # The fixed cost of starting and finalizing an MPI program under the
        # same launcher (about 0.3 s here, mostly MPI_Init): not retrieval work.
        startup[ranks] = timed(f"MPI start-up {ranks} rank(s)", launch + [b2m, "--version"], log_dir)["wall"]
    base_out = os.path.join(log_dir, "retrieve-numpy.h5")
    runs.append(timed("retrieve numpy baseline", [PY, os.path.join(HERE, "retrieve_numpy_baseline.py"),
                                                  "--queries", queries, "--corpus", corpus, "--out", base_out],
                      log_dir))
    with h5py.File(corpus, "r") as f:
        n, d = f["embeddings"].shape
    print("\nretrieve (%d queries x %d corpus clips x %d)" % (a.queries, n, d))
    print(f"{'run':<28} {'wall s':>9} {'peak RSS MB':>12}")
    for r in runs:
        print(row(r))
    one, many, base = runs
    if all(r["rc"] == 0 for r in runs):
        flops = 2.0 * a.queries * n * d
        peak = peaks.get("single", float("nan"))
        with h5py.File(os.path.join(log_dir, f"retrieve-b2m-{a.ranks}.h5"), "r") as f:
            got = f["topk/index"][...]
        with h5py.File(base_out, "r") as f:
            ref = f["topk/index"][...]
        same = float(np.mean([set(x) == set(y) for x, y in zip(got, ref)]))
        bound = {1: flops / 1e9 / peak, a.ranks: flops / 1e9 / (peak * a.ranks)}
        ratios = {"GEMM-bound fraction, 1 rank": (bound[1] / one["wall"], ">= 0.5"),
                  "GEMM-bound fraction, %d ranks" % a.ranks: (bound[a.ranks] / many["wall"], ">= 0.5"),
                  "same, net of MPI start-up, 1 rank": (bound[1] / (one["wall"] - startup[1]), ">= 0.5"),
                  "same, net of MPI start-up, %d ranks" % a.ranks: (
                      bound[a.ranks] / (many["wall"] - startup[a.ranks]), ">= 0.5"),
                  "baseline / b2m (1 rank)": (base["wall"] / one["wall"], "-"),
                  "peak RSS per rank, %d ranks / 1 rank" % a.ranks: (many["rss_mb"] / one["rss_mb"],
                                                                    "about %.2f" % (1 / a.ranks)),
                  "same top-k sets as the baseline": (same, "1")}
        print(f"  single-precision GEMM peak {peak:.1f} GFLOP/s; the scan is {flops / 1e9:.1f} GFLOP; "
              f"MPI start-up {startup[1]:.2f} s (1 rank), {startup[a.ranks]:.2f} s ({a.ranks} ranks)")
        for k, (v, t) in ratios.items():
            print(f"  {k:<44} {v:10.4g}   target {t}")
        results["retrieve"] = {"runs": runs, "startup": startup, "ratios": {k: v for k, (v, _) in ratios.items()}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voxels", type=int, default=60000)
    ap.add_argument("--corpus", type=int, default=1000000)
    ap.add_argument("--queries", type=int, default=600)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--rois", type=int, default=150, help="parcels of the ROI-model benchmark")
    ap.add_argument("--part", choices=["decode", "roi", "retrieve", "both"], default="both",
                    help="both: decode and retrieve (roi runs only when asked for)")
    ap.add_argument("--skip-sklearn", action="store_true")
    ap.add_argument("--work-dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "b2m-bench"))
    a = ap.parse_args()
    build = os.environ.get("BUILD", os.path.join(ROOT, "build"))
    b2m = os.environ.get("B2M", os.path.join(build, "jobs", "b2m"))
    log_dir = os.path.join(a.work_dir, "decode-retrieve-" + subprocess.check_output(["date", "+%Y%m%d-%H%M%S"], text=True).strip())
    os.makedirs(log_dir, exist_ok=True)
    peaks = gemm_peak(build, log_dir)
    print(f"results in {log_dir}; GEMM peak (1 thread): {peaks}", flush=True)
    results = {"gemm_peak": peaks}
    if a.part in ("decode", "both"):
        bench_decode(a, b2m, log_dir, results)
    if a.part == "roi":
        bench_roi(a, b2m, log_dir, results)
    if a.part in ("retrieve", "both"):
        bench_retrieve(a, b2m, log_dir, results, peaks)
    with open(os.path.join(log_dir, "summary.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
