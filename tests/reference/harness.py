#!/usr/bin/python3
"""Shared plumbing of the b2m script tests: options, running b2m under
mpirun with a timeout, and a pass/fail tally."""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time


def parse_args(description, extra=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--b2m", required=True, help="path of the b2m binary")
    parser.add_argument("--ranks", type=int, default=2, help="MPI ranks for b2m")
    parser.add_argument("--work-dir", required=True, help="scratch directory (created)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per b2m run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch files")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    args.b2m = os.path.abspath(args.b2m)
    if not os.access(args.b2m, os.X_OK):
        parser.error(f"--b2m {args.b2m} is not an executable file")
    if args.ranks < 1:
        parser.error("--ranks must be at least 1")
    os.makedirs(args.work_dir, exist_ok=True)
    args.scratch = tempfile.mkdtemp(prefix="run-", dir=os.path.abspath(args.work_dir))
    return args


def add_events_option(parser):
    """--events: the BIDS func directory of ds003720 (default: the project's copy)."""
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.normpath(os.path.join(here, "..", "..", "data", "ds003720", "func"))
    parser.add_argument("--events", default=default, help="BIDS func directory of ds003720 (events)")


def b2m_env():
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env["HDF5_USE_FILE_LOCKING"] = "FALSE"
    return env


def mpirun_command(b2m, ranks, args, rank_env=None):
    # mpirun's PMIx server tries munge authentication first; where munge's
    # socket exists but munged is not running, it retries for 2.3 s per launch
    # before falling back. Local launches need no munge, so native (socket
    # peer credentials) is asked for, on mpirun alone: srun-launched ranks
    # keep Slurm's own PMIx security. OMPI_MCA_pml=ob1: on one machine the
    # ranks talk through shared memory; left to choose, Open MPI first starts
    # its network transports (libfabric, PSM), 0.2 s of every launch here.
    # odls_base_sigkill_timeout=0: when a rank exits non-zero, mpirun waits
    # this long (1 s, twice) before its SIGKILL of ranks that ignored SIGTERM;
    # b2m ignores no signal, and the suite's hundreds of refused runs each
    # spent 2 s there (the exit status is kept).
    cmd = ["env", "PMIX_MCA_psec=native", "OMPI_MCA_pml=ob1", "OMPI_MCA_odls_base_sigkill_timeout=0",
           "mpirun", "--oversubscribe"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    # rank_env: variables for the ranks alone (not mpirun), e.g. LD_PRELOAD.
    for name, value in (rank_env or {}).items():
        cmd += ["-x", f"{name}={value}"]
    return cmd + ["-n", str(ranks), b2m] + [str(a) for a in args]


class Result:
    RANK_ERROR = re.compile(r"^b2m: error on rank (\d+): (.*)$", re.M)

    def __init__(self, cmd, rc, stdout, stderr, timed_out, seconds):
        self.cmd, self.rc, self.stdout, self.stderr = cmd, rc, stdout, stderr
        self.timed_out, self.seconds = timed_out, seconds

    def rank_errors(self):
        """(rank, message) of every "b2m: error on rank R: ..." line."""
        return [(int(k), m) for k, m in self.RANK_ERROR.findall(self.stderr)]

    def every_rank_reported(self, ranks):
        """Whether ranks 0..ranks-1 each printed an error line."""
        return sorted({k for k, _ in self.rank_errors()}) == list(range(ranks))

    def describe(self):
        state = "TIMED OUT" if self.timed_out else f"exit {self.rc}"
        return (f"{' '.join(self.cmd)}\n  -> {state} after {self.seconds:.1f} s\n"
                f"  stdout: {self.stdout.strip()[-1500:]}\n  stderr: {self.stderr.strip()[-1500:]}")


def session_pids(sid):
    """Every live process of session `sid`. mpirun puts each rank in a process
    group of its own, so killing mpirun's group would leave the ranks running
    (and writing); the session holds them all."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command name: state, ppid, pgrp, session, ...
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def kill_group(proc):
    """SIGKILLs mpirun and every rank it started (its whole session), and
    waits until none is left."""
    deadline = time.monotonic() + 10
    while True:
        pids = session_pids(proc.pid)
        if not pids or time.monotonic() > deadline:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
        proc.poll()


def run_b2m(opts, args, cwd=None, timeout=None, rank_env=None):
    """Runs `b2m args` on opts.ranks ranks; a run past the timeout is killed
    (whole process group) and reported as timed out.

    `b2m simulate` runs the easy preset unless told otherwise: the tests
    written against it check solvers, files and faults, where a study with
    strong effects makes each property visible; the calibrated (paper)
    preset has tests of its own (tests/science)."""
    args = list(args)
    if args and args[0] == "simulate" and "--preset" not in args:
        args[1:1] = ["--preset", "easy"]
    cmd = mpirun_command(opts.b2m, opts.ranks, args, rank_env)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=cwd or opts.scratch, env=b2m_env(), start_new_session=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout or opts.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(proc)
        out, err = proc.communicate()
    return Result(cmd, proc.returncode, out, err, timed_out, time.monotonic() - start)


def with_ranks(opts, ranks):
    """opts with another rank count, for a run compared with the test's."""
    import types
    return types.SimpleNamespace(**{**vars(opts), "ranks": ranks})


def simulate_study(opts, checks, subjects, voxels, seed, *extra):
    """`b2m simulate` on opts.events into <scratch>/study (extra: more
    options, e.g. "--corpus", 3000). Returns the study directory, or None
    (a failed check) if the run failed."""
    study = os.path.join(opts.scratch, "study")
    args = ["simulate", "--events", opts.events, "--subjects", subjects, "--voxels", voxels,
            "--seed", seed, *extra, "--out-dir", study]
    label = " ".join(str(a) for a in args[3:-2])
    return study if checks.require_run(f"b2m {label}", run_b2m(opts, args)) else None


def cached(opts, inputs, compute):
    """compute() -> dict of numpy arrays, kept beside the tests' work
    directories under a key hashed from `inputs` (arrays and values): the
    same reference, needed by a test at 1, 2 and 4 ranks on the same
    (deterministic) study, is computed once. A changed input is a new key."""
    import hashlib
    import numpy as np
    h = hashlib.sha256()
    for x in inputs:
        a = np.ascontiguousarray(x) if isinstance(x, np.ndarray) else np.asarray(repr(x))
        h.update(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    cache = os.path.join(os.path.dirname(os.path.abspath(opts.work_dir)), ".reference-cache")
    path = os.path.join(cache, h.hexdigest() + ".npz")
    if os.path.exists(path):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    out = compute()
    os.makedirs(cache, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    np.savez(tmp, **out)
    os.replace(tmp, path)  # whole or absent, whoever writes it
    return out


class Checks:
    """Tally of named checks; each prints PASS/FAIL with detail."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, name, ok, detail=""):
        ok = bool(ok)
        if ok:
            self.passed += 1
            short = detail and len(detail) <= 160 and "\n" not in detail
            print(f"PASS {name}" + (f"  ({detail})" if short else ""), flush=True)
        else:
            self.failed += 1
            self.failures.append(name)
            print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def require_run(self, name, result):
        """A b2m run that must succeed; returns whether it did."""
        ok = result.rc == 0 and not result.timed_out
        return self.check(name, ok, f"{result.seconds:.1f} s" if ok else result.describe())

    def finish(self, opts=None):
        if opts is not None and not self.failed and not opts.keep:
            import shutil
            shutil.rmtree(opts.scratch, ignore_errors=True)
        if self.failed:
            print("failed checks: " + ", ".join(self.failures))
            if opts is not None:
                print(f"scratch files kept in {opts.scratch}")
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)


def script_main(description, body, extra=None):
    """Parses the standard options, runs body(opts, checks) and exits with the
    tally. An unexpected exception in the body counts as one failed check."""
    try:
        opts = parse_args(description, extra)
    except SystemExit as e:
        if e.code:  # bad options (argparse printed why); --help exits 0
            print("0 passed, 1 failed", flush=True)
        raise
    checks = Checks()
    print(f"b2m: {opts.b2m}  ranks: {opts.ranks}  scratch: {opts.scratch}", flush=True)
    try:
        body(opts, checks)
    except Exception as e:  # noqa: BLE001 - anything unexpected is a failure
        import traceback
        traceback.print_exc()
        checks.check("test script ran to the end", False, f"{type(e).__name__}: {e}")
    checks.finish(opts)
