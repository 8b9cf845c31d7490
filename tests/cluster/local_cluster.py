"""The Slurm cluster of the cluster tests: the one that answers sinfo, or,
as root, the single-node one of cluster/local_slurm.sh, started for the
test and stopped after it."""
import contextlib
import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def slurm_up():
    try:
        r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and re.search(r"idle|mixed|allocated", r.stdout) is not None


@contextlib.contextmanager
def slurm_cluster(checks):
    """Yields whether a cluster answers (a failed check says why not)."""
    started = False
    if not slurm_up():
        if os.geteuid() != 0:
            checks.check("a Slurm cluster answers sinfo", False, "none, and not root to start one")
            yield False
            return
        r = subprocess.run([os.path.join(ROOT, "cluster", "local_slurm.sh"), "start"],
                           capture_output=True, text=True, timeout=120)
        started = r.returncode == 0
        if not checks.check("started the single-node cluster of cluster/local_slurm.sh", started,
                            r.stdout + r.stderr):
            yield False
            return
    try:
        yield True
    finally:
        if started:
            subprocess.run([os.path.join(ROOT, "cluster", "local_slurm.sh"), "stop"], timeout=60)
