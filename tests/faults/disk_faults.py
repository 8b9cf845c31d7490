#!/usr/bin/python3
"""Write faults on one rank: every verb that writes, a failure on the root and
on the last rank at each kind of file it writes (output, checkpoint, scratch, side
files, summary), made by tests/support/fault_shim.c (LD_PRELOAD): after N
bytes, every write to the matching file fails with ENOSPC (or EROFS).

Each faulty run must end within seconds on every rank (no hang, and no
rank left for the watchdog to abort), exit non-zero, and print on every
rank an error with the system's reason and the file; no file under a
final name may appear or change; a rerun without the fault must complete
and give exactly the outputs of an uninterrupted run.

Also: a read-only output directory, and an output path of 1,000
characters (issue 13, finding 3).
"""
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import harness  # noqa: E402

os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"  # before h5py opens anything
import h5py  # noqa: E402
import numpy as np  # noqa: E402

# An agreed failure ends the job in about a second; the watchdog (the last
# resort) aborts after B2M_IO_FAILURE_GRACE seconds and says so. A faulty
# run may take as long as the clean run plus this (a busy machine).
GRACE = 8
ENDS_WITHIN = 6.0


def add_options(parser):
    harness.add_events_option(parser)
    parser.add_argument("--shim", required=True, help="the fault shim (a shared library)")


def datasets(path):
    """Every dataset of an HDF5 file, by name."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[...]) if isinstance(o, h5py.Dataset) else None)
    return out


def same_data(a, b, tol=0.0):
    """Whether two HDF5 files hold the same datasets with the same values
    (NaN equal to NaN; floats within `tol`); the provenance attributes
    differ by design."""
    da, db = datasets(a), datasets(b)
    if da.keys() != db.keys():
        return False
    for k in da:
        x, y = da[k], db[k]
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if x.dtype.kind == "f":
            if not (np.array_equal(np.isnan(x), np.isnan(y)) and
                    np.all(np.abs(x[~np.isnan(x)] - y[~np.isnan(y)]) <= tol)):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Verb:
    """A verb run into a directory: its arguments, its final files and the
    points (file-name substrings) where a fault is injected."""

    def __init__(self, name, args, finals, points):
        self.name, self.args, self.finals, self.points = name, args, finals, points


def verbs(opts, study, events):
    resp = os.path.join(study, "sub-01_responses.h5")
    feats = os.path.join(study, "features.h5")
    corpus = os.path.join(study, "corpus.h5")
    decoded = os.path.join(study, "decoded.h5")
    clips = os.path.join(study, "clips")
    return [
        Verb("simulate",
             lambda d: ["simulate", "--events", events, "--subjects", 1, "--voxels", 400, "--corpus",
                        500, "--seed", 9, "--out-dir", d],
             ["sub-01_responses.h5", "sub-01_truth.h5", "features.h5", "corpus.h5"],
             [("responses.h5.partial$", 0), ("features.h5.partial$", 4000),
              ("corpus.h5.partial$", 20000)]),
        Verb("design",
             lambda d: ["design", "--features", feats, "--space", "mulan_music", "--events", events,
                        "--out", os.path.join(d, "design.h5")],
             ["design.h5"], [("design.h5.partial$", 0), ("design.h5.partial$", 30000)]),
        Verb("encode",
             lambda d: ["encode", resp, "--features", feats, "--space", "mulan_music", "--events",
                        events, "--delays", "1,2", "--block-size", 500, "--factor-memory", 1, "--out",
                        os.path.join(d, "enc.h5"), "--summary", os.path.join(d, "enc.tsv")],
             ["enc.h5", "enc.tsv"],
             [("enc.h5.partial$", 0), ("enc.h5.partial$", 20000), (".checkpoint$", 0),
              (".checkpoint$", 200000), (".scratch.", 0), (".scratch.", 400000),
              ("enc.tsv.partial$", 0)]),
        Verb("decode",
             lambda d: ["decode", resp, "--features", feats, "--space", "mulan_music", "--events",
                        events, "--per-clip", "--out", os.path.join(d, "dec.h5"), "--summary",
                        os.path.join(d, "dec.tsv")],
             ["dec.h5", "dec_test_prediction.npy", "dec_train_cv_prediction.npy", "dec.tsv"],
             [("dec.h5.partial$", 0), ("dec.h5.partial$", 40000),
              ("test_prediction.npy.partial$", 0), ("dec.tsv.partial$", 0)]),
        Verb("retrieve",
             lambda d: ["retrieve", decoded, "--corpus", corpus, "-k", 5, "--out",
                        os.path.join(d, "ret.h5"), "--summary", os.path.join(d, "ret.tsv")],
             ["ret.h5", "ret.tsv"], [("ret.h5.partial$", 0), ("ret.h5.partial$", 8000),
                                    ("ret.tsv.partial$", 0)]),
        Verb("embed",
             lambda d: ["embed", "--audio-dir", clips, "--out", os.path.join(d, "emb.h5")],
             ["emb.h5"], [("emb.h5.partial$", 0), ("emb.h5.partial$", 4000)]),
    ]


def write_clips(folder, count=6, rate=16000, seconds=3.0):
    """A few WAVs for b2m embed: tones over noise."""
    import soundfile
    os.makedirs(folder, exist_ok=True)
    t = np.arange(int(rate * seconds)) / rate
    rng = np.random.default_rng(0)
    for c in range(count):
        x = 0.3 * np.sin(2 * np.pi * 110 * (c + 1) * t) + 0.05 * rng.standard_normal(t.size)
        soundfile.write(os.path.join(folder, f"clip{c}.wav"), x, rate, subtype="PCM_16")


def fault_env(opts, match, after, rank, errno_name="ENOSPC", log=""):
    return {"LD_PRELOAD": opts.shim, "B2M_FAULT_MATCH": match, "B2M_FAULT_AFTER": after,
            "B2M_FAULT_RANK": rank, "B2M_FAULT_ERRNO": errno_name, "B2M_FAULT_LOG": log,
            "B2M_IO_FAILURE_GRACE": GRACE}


def check_fault(checks, label, r, ranks, reason, match, clean_seconds=0.0):
    limit = clean_seconds + ENDS_WITHIN
    checks.check(f"{label}: ends within {ENDS_WITHIN:.0f} s of a clean run's time",
                 not r.timed_out and r.seconds < limit,
                 f"{r.seconds:.1f} s (limit {limit:.1f} s)" if not r.timed_out else r.describe())
    checks.check(f"{label}: exits non-zero", r.rc != 0, r.describe() if r.rc == 0 else f"exit {r.rc}")
    checks.check(f"{label}: every rank reported", r.every_rank_reported(ranks), r.describe())
    checks.check(f"{label}: agreed, not aborted by the watchdog", "did not end within" not in r.stderr,
                 r.describe())
    messages = [m for _, m in r.rank_errors()]
    # ROMIO's collective writes report MPI_ERR_IO without the system's
    # reason; b2m then asks the file system, which the shim does not fill.
    reasons = (reason, "MPI_ERR_IO") if ".h5" in match or "checkpoint" in match else (reason,)
    checks.check(f"{label}: the message gives '{reason}' and the file",
                 messages and all(any(x in m for x in reasons) and match.rstrip("$") in m
                                  for m in messages),
                 "; ".join(messages[:2]) or r.describe())


def fault_matrix(opts, checks, events, study):
    ranks = opts.ranks
    # The root and the last rank: the root writes what no other rank does,
    # and every other rank plays the same part. The points take the two in
    # turn, starting from the other one at 4 ranks than at 2, so across the
    # suite's two runs every point fails on the root and on another rank
    # while each run injects each point once.
    fault_ranks = sorted({0, ranks - 1})
    turn = 0 if ranks <= 2 else 1
    for verb in verbs(opts, study, events):
        clean = os.path.join(opts.scratch, f"{verb.name}-clean")
        r = harness.run_b2m(opts, verb.args(clean))
        if not checks.require_run(f"{verb.name}: clean run", r):
            continue
        clean_seconds = r.seconds
        for match, after in verb.points:
            rank = fault_ranks[turn % len(fault_ranks)]
            turn += 1
            label = f"{verb.name} fault in *{match}* after {after} B on rank {rank}"
            d = os.path.join(opts.scratch, f"{verb.name}-{len(os.listdir(opts.scratch))}")
            log = d + ".faults"
            r = harness.run_b2m(opts, verb.args(d), timeout=60,
                                rank_env=fault_env(opts, match, after, rank, log=log))
            if not os.path.exists(log):  # this rank never writes that file
                if checks.require_run(f"{label}: (rank {rank} writes no such file) succeeds", r):
                    bad = [f for f in verb.finals if not same_data_or_bytes(
                        os.path.join(d, f), os.path.join(clean, f))]
                    checks.check(f"{label}: ... and equals the clean run", not bad, str(bad))
                print(f"TABLE | {verb.name} | {ranks} | {match.rstrip('$')} after {after} B | "
                      f"{rank} | no fault (rank {rank} writes no such file): exit {r.rc} | "
                      f"outputs equal the clean run's", flush=True)
                continue
            check_fault(checks, label, r, ranks, "No space left on device", match, clean_seconds)
            print(f"TABLE | {verb.name} | {ranks} | {match.rstrip('$')} after {after} B | {rank} | "
                  f"{'hang' if r.timed_out else f'exit {r.rc}'} in {r.seconds:.1f} s | "
                  f"{len(r.rank_errors())} of {ranks} ranks reported", flush=True)
            # Outputs a unit completed before the fault may stand (whole,
            # as the clean run made them); the summary, written last, not.
            present = [f for f in verb.finals if os.path.exists(os.path.join(d, f))]
            bad = [f for f in present if f.endswith(".tsv") or
                   not same_data_or_bytes(os.path.join(d, f), os.path.join(clean, f))]
            checks.check(f"{label}: no half-written or premature final file", not bad,
                         f"present: {present}, wrong: {bad}")
            if rank != fault_ranks[-1]:
                continue  # (a rerun after the last rank's faults: each point once in the two runs)
            r = harness.run_b2m(opts, verb.args(d))
            if checks.require_run(f"{label}: the rerun completes", r):
                bad = [f for f in verb.finals
                       if not same_data_or_bytes(os.path.join(d, f), os.path.join(clean, f))]
                checks.check(f"{label}: the rerun equals an uninterrupted run", not bad,
                             f"differ: {bad}")
                left = [f for f in os.listdir(d) if ".partial" in f or f.endswith(".lock")]
                checks.check(f"{label}: the rerun leaves no partial, scratch or lock file",
                             not left, f"left: {left}")


def same_data_or_bytes(a, b):
    if not (os.path.exists(a) and os.path.exists(b)):
        return False
    if a.endswith(".h5"):
        return same_data(a, b)
    if a.endswith(".tsv"):
        return True  # the summary table names its outputs' paths, which differ
    return digest(a) == digest(b)


def read_only_output(opts, checks, events, study):
    """A read-only output directory (EROFS from the shim, at the first
    write): refused at start on every rank, nothing computed."""
    resp = os.path.join(study, "sub-01_responses.h5")
    feats = os.path.join(study, "features.h5")
    d = os.path.join(opts.scratch, "readonly")
    label = "decode into a read-only file system"
    r = harness.run_b2m(opts, ["decode", resp, "--features", feats, "--space", "mulan_music",
                               "--events", events, "--out", os.path.join(d, "dec.h5")],
                        timeout=60, rank_env=fault_env(opts, "readonly/", 0, "", "EROFS"))
    # The lock file is the first write, made by rank 0 before anything runs.
    check_fault(checks, label, r, opts.ranks, "Read-only file system", "readonly/dec.h5")


def full_file_system(opts, checks, events, study):
    """A real full disk (a small tmpfs, where the test may mount one): too
    small for the output and checkpoint, refused before anything is
    computed; big enough for them but not for the scratch, a real ENOSPC
    in the middle of the run, on every rank at once or one at a time."""
    if os.geteuid() != 0:
        print("SKIP full file system: mounting a tmpfs needs root")
        return
    resp = os.path.join(study, "sub-01_responses.h5")
    feats = os.path.join(study, "features.h5")
    for size, label, words in (("1m", "a 1 MB file system", ("needs about", "free")),
                               ("4m", "a 4 MB file system", ("No space left on device",))):
        mount = os.path.join(opts.scratch, f"tmpfs-{size}")
        os.makedirs(mount)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mount]).returncode:
            print(f"SKIP {label}: mount failed")
            continue
        try:
            r = harness.run_b2m(opts, ["encode", resp, "--features", feats, "--space", "mulan_music",
                                       "--events", events, "--out", os.path.join(mount, "enc.h5")],
                                timeout=60, rank_env={"B2M_IO_FAILURE_GRACE": GRACE})
            messages = [m for _, m in r.rank_errors()]
            checks.check(f"encode onto {label}: fails within {2 * ENDS_WITHIN:.0f} s on every rank",
                         r.rc != 0 and not r.timed_out and r.seconds < 2 * ENDS_WITHIN
                         and r.every_rank_reported(opts.ranks), r.describe())
            checks.check(f"encode onto {label}: the message says why ({', '.join(words)})",
                         messages and all(all(w in m for w in words) and mount in m
                                          for m in messages), "; ".join(messages[:1]))
            checks.check(f"encode onto {label}: no final file", not os.path.exists(
                os.path.join(mount, "enc.h5")))
        finally:
            subprocess.run(["umount", mount])


def simulate_full_file_system(opts, checks, events):
    """simulate onto a 24 MB tmpfs: the features file (20 MB) fits, the
    subject's responses (48 MB) do not: refused before they are written."""
    if os.geteuid() != 0:
        return
    mount = os.path.join(opts.scratch, "tmpfs-24m")
    os.makedirs(mount)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount]).returncode:
        print("SKIP simulate onto a 24 MB file system: mount failed")
        return
    try:
        r = harness.run_b2m(opts, ["simulate", "--events", events, "--subjects", 1, "--voxels", 1500,
                                   "--out-dir", mount], timeout=60)
        messages = [m for _, m in r.rank_errors()]
        checks.check("simulate onto a 24 MB file system: refused on every rank, saying how much the "
                     "responses need", r.rc != 0 and r.every_rank_reported(opts.ranks) and messages
                     and all("sub-01_responses.h5 needs about" in m and "free" in m
                             for m in messages), "; ".join(messages[:1]) or r.describe())
    finally:
        subprocess.run(["umount", mount])


def long_path(opts, checks, events, study):
    """Paths of 1,000 characters (Open MPI's lockedfile component crashed
    past about 230)."""
    resp = os.path.join(study, "sub-01_responses.h5")
    feats = os.path.join(study, "features.h5")
    d = opts.scratch
    while len(d) < 900:
        d = os.path.join(d, "a-rather-long-directory-name-" + str(len(d)))
    out = os.path.join(d, "e" * (1000 - len(d) - 4) + ".h5")
    checks.check("long path: the output path has 1,000 characters", len(out) == 1000, str(len(out)))
    r = harness.run_b2m(opts, ["encode", resp, "--features", feats, "--space", "mulan_music",
                               "--events", events, "--delays", "1,2,3,4", "--out", out])
    if checks.require_run("long path: encode to a 1,000-character path", r):
        with h5py.File(out, "r") as f:
            complete = f.attrs["complete"]
        complete = complete.decode() if isinstance(complete, bytes) else str(complete)
        checks.check("long path: the output is complete", complete == "yes", complete)
        r = harness.run_b2m(opts, ["decode", resp, "--features", feats, "--space", "mulan_music",
                                   "--events", events, "--top-voxels", 50, "--encode-result", out,
                                   "--out", os.path.join(d, "d.h5")])
        checks.require_run("long path: decode reads a 1,000-character input path", r)


def body(opts, checks):
    events = opts.events
    study = harness.simulate_study(opts, checks, 1, 1500, 5, "--corpus", 2000)
    if study is None:
        return
    r = harness.run_b2m(opts, ["decode", os.path.join(study, "sub-01_responses.h5"), "--features",
                               os.path.join(study, "features.h5"), "--space", "mulan_music",
                               "--events", events, "--out", os.path.join(study, "decoded.h5")])
    if not checks.require_run("b2m decode (the predictions retrieve reads)", r):
        return
    write_clips(os.path.join(study, "clips"))
    fault_matrix(opts, checks, events, study)
    read_only_output(opts, checks, events, study)
    full_file_system(opts, checks, events, study)
    simulate_full_file_system(opts, checks, events)
    long_path(opts, checks, events, study)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, add_options)
