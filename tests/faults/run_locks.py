#!/usr/bin/python3
"""Exclusive run locks (issue 13, finding 2): two runs on one output, with
the same and with other parameters, in both orders: the second is refused
at start, naming the holder (host, pid); the first completes, and its
result equals a lone run's. A holder killed with SIGKILL does not block
the next run, which resumes and completes.
"""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import harness  # noqa: E402
from disk_faults import same_data  # noqa: E402


def add_options(parser):
    harness.add_events_option(parser)


# The holder runs as Slurm array task 7 of job 4242 would: the refusal names it.
SLURM = {"SLURM_JOB_ID": "4243", "SLURM_ARRAY_JOB_ID": "4242", "SLURM_ARRAY_TASK_ID": "7"}


def start(opts, args):
    cmd = harness.mpirun_command(opts.b2m, opts.ranks, args, SLURM)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=opts.scratch, env=harness.b2m_env(), start_new_session=True)


def wait_for(path, seconds=60):
    """Waits until `path` exists and is not empty (the holder has written
    who it is); returns whether it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return True
        time.sleep(0.02)
    return False


def body(opts, checks):
    events = opts.events
    study = harness.simulate_study(opts, checks, 1, 3000, 4)
    if study is None:
        return
    resp = os.path.join(study, "sub-01_responses.h5")
    feats = os.path.join(study, "features.h5")

    def encode(out, n_alphas):
        # --block-size 200: many checkpointed blocks, so the run lasts a few seconds.
        return ["encode", resp, "--features", feats, "--space", "mulan_music", "--events", events,
                "--n-alphas", n_alphas, "--delays", "1,2,3,4", "--block-size", 200, "--out", out]

    lone = {}
    for n in (20, 5):
        out = os.path.join(opts.scratch, f"lone{n}.h5")
        if not checks.require_run(f"lone encode --n-alphas {n}", harness.run_b2m(opts, encode(out, n))):
            return
        lone[n] = out

    for first, second in ((20, 5), (5, 20), (20, 20)):
        label = f"--n-alphas {first} running, then --n-alphas {second} on the same --out"
        out = os.path.join(opts.scratch, f"shared-{first}-{second}.h5")
        holder = start(opts, encode(out, first))
        try:
            held = wait_for(out + ".lock")
            checks.check(f"{label}: the first run holds {os.path.basename(out)}.lock", held)
            r = harness.run_b2m(opts, encode(out, second), timeout=60)
            still_running = holder.poll() is None
        finally:
            stdout, stderr = holder.communicate(timeout=300)
        checks.check(f"{label}: the first run was still running when the second ended",
                     still_running)
        checks.check(f"{label}: the second run is refused", r.rc != 0 and not r.timed_out,
                     r.describe())
        messages = [m for _, m in r.rank_errors()]
        checks.check(f"{label}: every rank of the second run says so", r.every_rank_reported(opts.ranks),
                     r.describe())
        host = socket.gethostname()
        checks.check(f"{label}: the message names the holder (another run, host, pid, Slurm job)",
                     messages and all("being written by another run" in m and f"host {host}" in m
                                      and "pid " in m and "Slurm job 4242_7" in m
                                      for m in messages), "; ".join(messages[:1]))
        checks.check(f"{label}: the first run completes", holder.returncode == 0,
                     f"exit {holder.returncode}: {stderr[-800:]}")
        if holder.returncode == 0:
            checks.check(f"{label}: its result equals a lone run's", same_data(out, lone[first]))
        left = [f for f in os.listdir(opts.scratch) if f.startswith(os.path.basename(out) + ".")]
        checks.check(f"{label}: no lock, partial or scratch file is left", not left, str(left))

    label = "a holder killed with SIGKILL"
    out = os.path.join(opts.scratch, "killed.h5")
    holder = start(opts, encode(out, 20))
    held = wait_for(out + ".lock")
    time.sleep(1.0)  # into the computation
    harness.kill_group(holder)
    holder.communicate()
    checks.check(f"{label}: had taken the lock", held)
    r = harness.run_b2m(opts, encode(out, 20))
    if checks.require_run(f"{label}: does not block the next run", r):
        checks.check(f"{label}: the next run's result equals a lone run's", same_data(out, lone[20]))


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, add_options)
