#!/usr/bin/python3
"""b2m generate (issue 18, items 2 and 3 under mpirun): decoded embeddings
-> one WAV per test clip through the built-in generators and through
external commands that keep, or break, the generator contract
(fake_generator.py).

A study of 1 subject (easy preset, 1,500 voxels, a corpus of 2,000 clips),
decoded in mulan_music; every reconstruction 3 s at 16 kHz:
  * synth and retrieval write a valid WAV per test clip, a manifest whose
    checksums are the files', the result file, and the contract's queries.npy
    (the per-clip mean of the decoded windows); the same bytes at 1 rank as
    at the test's rank count; each retrieval row sounds as its best match
    by b2m retrieve -k 1 --exclude-stimuli, never a study clip;
  * a rerun reuses every row (nothing rewritten);
  * an external generator gets the contract's arguments, no Open MPI or
    PMIx variable, and with --gpus each rank its own CUDA_VISIBLE_DEVICES;
  * contract errors, each refused on every rank naming the row and the
    file: a generator that writes nothing, a truncated WAV, a silent one,
    one of the wrong length; one that always fails is reported with its
    stderr after 1 + --retries calls; one that fails once per row is
    retried (with backoff) and succeeds;
  * killed mid-run, a rerun generates only the rows not yet done.
"""
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True

import h5py
import numpy as np
import soundfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_generator.py")
SECONDS, RATE = 3, 16000


def generate(opts, decoded, out, generator, *extra, ranks=None, env=None):
    o = harness.with_ranks(opts, ranks or opts.ranks)
    args = ["generate", decoded, "--generator", generator, "--out", out + ".h5", "--seconds", SECONDS,
            "--backoff", 0.05, *extra]
    return harness.run_b2m(o, args, rank_env=env)


def files_of(out):
    with open(os.path.join(out, "manifest.tsv")) as f:
        lines = [line.rstrip("\n").split("\t") for line in f]
    head, rows = lines[0], lines[1:]
    return [dict(zip(head, r)) for r in rows]


def check_output(out, clips, label, checks):
    """Every row's WAV is valid and is the manifest's."""
    rows = files_of(out)
    bad = []
    for r in rows:
        x, rate = soundfile.read(os.path.join(out, r["file"]))
        if rate != RATE or abs(x.size / rate - SECONDS) > 0.02 or np.sqrt(np.mean(x ** 2)) < 1e-4:
            bad.append(r["file"])
    with h5py.File(out + ".h5", "r") as f:
        h5_files = [v.decode() for v in f["rows/file"][...]]
        h5_checksums = [v.decode() for v in f["rows/checksum"][...]]
    checks.check(f"{label}: a valid 3 s, 16 kHz WAV per test clip, in the manifest and the result",
                 [r["clip"] for r in rows] == clips and not bad and h5_files == [r["file"] for r in rows]
                 and h5_checksums == [r["checksum"] for r in rows],
                 f"{len(rows)} rows, bad {bad[:3]}")


def body(opts, checks):
    study = harness.simulate_study(opts, checks, 1, 1500, 7, "--corpus", 2000)
    if study is None:
        return
    decoded = os.path.join(opts.scratch, "decoded.h5")
    r = harness.run_b2m(opts, ["decode", os.path.join(study, "sub-01_responses.h5"), "--features",
                               os.path.join(study, "features.h5"), "--space", "mulan_music", "--events",
                               opts.events, "--out", decoded])
    if not checks.require_run("b2m decode", r):
        return
    with h5py.File(decoded, "r") as f:
        ids = [i.decode() if isinstance(i, bytes) else str(i) for i in f.attrs["clip_ids"]]
        pred, clip = f["test/prediction"][...], f["test/clip"][...]
    order = list(dict.fromkeys(clip))
    clips = [ids[c] for c in order]
    corpus = os.path.join(study, "corpus.h5")

    outs = {}
    for gen in ("synth", "retrieval"):
        out = os.path.join(opts.scratch, gen)
        r = generate(opts, decoded, out, gen, "--corpus", corpus)
        if not checks.require_run(f"b2m generate --generator {gen}", r):
            return
        outs[gen] = out
        check_output(out, clips, gen, checks)
    queries = np.load(os.path.join(outs["synth"], "queries.npy"))
    expected = np.array([pred[clip == c].mean(axis=0) for c in order])
    checks.check("queries.npy: float32, the per-clip mean of the decoded windows, clips in queries.txt",
                 queries.dtype == np.float32 and np.allclose(queries, expected, rtol=1e-6, atol=1e-6)
                 and open(os.path.join(outs["synth"], "queries.txt")).read().split() == clips)
    distinct = len({r["checksum"] for r in files_of(outs["synth"])})
    checks.check("synth: the reconstructions differ from clip to clip", distinct == len(clips), f"{distinct}")

    if opts.ranks > 1:
        for gen in ("synth", "retrieval"):
            one = os.path.join(opts.scratch, gen + "-1")
            r = generate(opts, decoded, one, gen, "--corpus", corpus, ranks=1)
            if checks.require_run(f"{gen} at 1 rank", r):
                same = [a["checksum"] == b["checksum"] for a, b in zip(files_of(one), files_of(outs[gen]))]
                checks.check(f"{gen}: the same WAVs at 1 rank as at {opts.ranks}", all(same) and same,
                             f"{sum(same)} of {len(same)}")

    first = os.path.join(outs["synth"], files_of(outs["synth"])[0]["file"])
    before = os.stat(first).st_mtime_ns
    os.remove(outs["synth"] + ".h5")  # as if killed before the end
    r = generate(opts, decoded, outs["synth"], "synth", "--corpus", corpus)
    with h5py.File(outs["synth"] + ".h5", "r") as f:
        reused = int(f["rows/reused"][...].sum())
    checks.check("a rerun after every row was done reuses every row and rewrites no WAV",
                 r.rc == 0 and reused == len(clips) and os.stat(first).st_mtime_ns == before,
                 f"reused {reused}; {r.describe() if r.rc else ''}")

    check_retrieval_exclusion(opts, decoded, corpus, ids, checks)

    check_external(opts, decoded, clips, checks)


def check_retrieval_exclusion(opts, decoded, corpus, study_ids, checks):
    """b2m retrieve -k 1 --exclude-stimuli names the corpus clip the
    retrieval generator renders for each row: rows with the same best clip
    sound the same, rows with different ones differ, and no best clip is a
    study clip."""
    out = os.path.join(opts.scratch, "top1.h5")
    r = harness.run_b2m(opts, ["retrieve", decoded, "--corpus", corpus, "-k", 1, "--exclude-stimuli",
                               "--out", out])
    if not checks.require_run("b2m retrieve -k 1 --exclude-stimuli", r):
        return
    with h5py.File(out, "r") as f:
        top = [v.decode() for v in f["topk/id"][:, 0]]
    rows = files_of(os.path.join(opts.scratch, "retrieval"))
    by_id = {}
    for r, best in zip(rows, top):
        by_id.setdefault(best, set()).add(r["checksum"])
    sounds = [next(iter(v)) for v in by_id.values()]
    checks.check("retrieval: each row sounds as its best match by b2m retrieve --exclude-stimuli (one WAV "
                 "per corpus clip, distinct clips distinct WAVs), and no best match is a study clip",
                 all(len(v) == 1 for v in by_id.values()) and len(set(sounds)) == len(sounds)
                 and not (set(top) & set(study_ids)),
                 f"{len(by_id)} distinct clips retrieved for {len(rows)} rows")


def check_external(opts, decoded, clips, checks):
    state = os.path.join(opts.scratch, "state")
    os.makedirs(state, exist_ok=True)

    def env(mode, sleep=0):
        return {"FAKE_MODE": mode, "FAKE_STATE": state, "FAKE_SLEEP": sleep}

    cmd = f"/usr/bin/python3 {FAKE}"
    out = os.path.join(opts.scratch, "external")
    gpus = ",".join(str(g) for g in range(opts.ranks))
    r = generate(opts, decoded, out, cmd, "--batch", 8, "--gpus", gpus, env=env("good"))
    if checks.require_run("an external generator that keeps the contract", r):
        check_output(out, clips, "external", checks)
        calls = [line.split() for line in open(os.path.join(state, "calls.log"))]
        rows_called = sorted(int(x) for c in calls for x in c[1].split(","))
        per_gpu = {}
        for pid, rows, gpu, leaked, *_ in calls:
            per_gpu.setdefault(gpu, set()).update(int(x) % opts.ranks for x in rows.split(","))
        checks.check("each row called once, in batches of at most 8, each rank's calls on its own GPU, "
                     "no Open MPI variable in the generator's environment",
                     rows_called == list(range(len(clips))) and all(len(c[1].split(",")) <= 8 for c in calls)
                     and sorted(per_gpu) == sorted(gpus.split(",")) and all(len(v) == 1 for v in per_gpu.values())
                     and all(c[3] == "0" for c in calls),
                     f"{len(calls)} calls, GPUs {per_gpu}")

    for mode, says in (("nothing", "wrote no file"), ("truncated", "truncated"), ("silent", "silent"),
                       ("short", "lasts 1.500 s, expected 3 s")):
        out = os.path.join(opts.scratch, f"bad-{mode}")
        r = generate(opts, decoded, out, cmd, "--retries", 0, env=env(mode))
        messages = [m for _, m in r.rank_errors()]
        checks.check(f"a generator whose WAV is {mode}: refused on every rank, naming the row, its clip and "
                     f"file ({says}); no result file",
                     r.rc != 0 and not r.timed_out and r.every_rank_reported(opts.ranks)
                     and says in r.stderr and f"row 0 (clip {clips[0]}, {out}/{clips[0]}.wav)" in r.stderr
                     and not os.path.exists(out + ".h5"),
                     (messages or [r.describe()])[0][:400])

    out = os.path.join(opts.scratch, "always-fails")
    r = generate(opts, decoded, out, cmd, "--retries", 1, "--batch", 30, env=env("fail"))
    checks.check("a generator that always fails: every row reported after 2 attempts, with its stderr",
                 r.rc != 0 and r.every_rank_reported(opts.ranks) and "model exploded on rows" in r.stderr
                 and "after 2 attempts" in r.stderr and "exited with status 3" in r.stderr
                 and f"{len(clips)} of {len(clips)} rows" in r.stderr, r.describe()[-600:])

    for f in os.listdir(state):
        os.remove(os.path.join(state, f))
    out = os.path.join(opts.scratch, "flaky")
    r = generate(opts, decoded, out, cmd, "--batch", 8, env=env("flaky"))
    if checks.require_run("a generator that fails once per row succeeds on retry", r):
        with h5py.File(out + ".h5", "r") as f:
            attempts = f["rows/attempts"][...]
        checks.check("... every row took exactly 2 attempts", (attempts == 2).all(), f"{np.bincount(attempts)}")
        check_output(out, clips, "flaky", checks)

    # Killed mid-run: the rows done stay done.
    out = os.path.join(opts.scratch, "killed")
    args = harness.mpirun_command(opts.b2m, opts.ranks,
                                  ["generate", decoded, "--generator", cmd, "--out", out + ".h5", "--seconds", SECONDS,
                                   "--batch", 1], rank_env=env("good", 0.3))
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=harness.b2m_env(), start_new_session=True)
    records = os.path.join(out, "rows")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not os.path.isdir(records) or len(os.listdir(records)) < 6):
        time.sleep(0.05)
    harness.kill_group(proc)
    # (a record being written at the kill is still <row>.json.partial: not a record)
    before = {name: os.stat(os.path.join(records, name)).st_mtime_ns for name in os.listdir(records)
              if name.endswith(".json")}
    r = generate(opts, decoded, out, cmd, "--batch", 1, env=env("good"))
    if checks.require_run("the rerun after a kill completes", r):
        with h5py.File(out + ".h5", "r") as f:
            reused = f["rows/reused"][...]
        kept = all(os.stat(os.path.join(records, n)).st_mtime_ns == t for n, t in before.items())
        checks.check("... it generated only the rows not done before the kill",
                     0 < reused.sum() < len(clips) and reused.sum() == len(before) and kept,
                     f"{len(before)} done before the kill, {int(reused.sum())} reused")
        check_output(out, clips, "after the kill", checks)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
