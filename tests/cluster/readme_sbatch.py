#!/usr/bin/python3
"""The README's Slurm job script, submitted with sbatch to a real Slurm
cluster, runs and gives the same results as mpirun.

1. A Slurm cluster must answer `sinfo`; if none does and this is root, the
   test starts the single-node one of cluster/local_slurm.sh (and stops it at
   the end).
2. `b2m simulate` makes a 2-subject study (600 voxels) on the real events.
3. The ```sh block of the README's "Running under Slurm" section is taken as
   it stands; only the site-specific parts are replaced: /data paths by the
   test's files, the node and task counts by 1 node x (ranks) tasks, `b2m` by
   the binary under test. It is submitted with `sbatch --wait`.
4. The job must succeed and write both subjects' outputs and the summary
   table (one row per subject), and the outputs must equal an mpirun run of
   the same command on the same number of ranks to 1e-12.
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True

os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
import h5py  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from local_cluster import ROOT, slurm_cluster  # noqa: E402

SETS = ["alpha", "cv_score", "r_test", "r2_test", "p_test"]


def readme_job_script():
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split("## Running under Slurm", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def adapt(script, opts, study, results):
    s = script.replace("/data/study", study).replace("/data/results", results)
    s = re.sub(r"/data/ds003720\S*", opts.events, s)
    s = re.sub(r"--nodes=\d+", "--nodes=1", s)
    s = re.sub(r"--ntasks-per-node=\d+", f"--ntasks-per-node={opts.ranks}", s)
    s = re.sub(r"--time=\S+", "--time=00:10:00", s)
    s = s.replace("srun --mpi=pmix b2m ", f"srun --mpi=pmix {opts.b2m} ")
    return s.replace("#SBATCH --job-name", f"#SBATCH --output={results}/slurm-%j.out\n#SBATCH --job-name", 1)


def read(path):
    with h5py.File(path, "r") as f:
        return {k: f["voxels/" + k][...] for k in SETS}


def body(opts, checks):
    with slurm_cluster(checks) as up:
        if up:
            run_job(opts, checks)


def run_job(opts, checks):
    w = opts.scratch
    study = harness.simulate_study(opts, checks, 2, 600, 5)
    if study is None:
        return
    script = readme_job_script()
    checks.check("the README's job script launches b2m with srun --mpi=pmix",
                 "srun --mpi=pmix b2m " in script, script)
    results = os.path.join(w, "slurm")
    os.makedirs(results)
    job = os.path.join(w, "job.sh")
    with open(job, "w") as f:
        f.write(adapt(script, opts, study, results))
    start = time.monotonic()
    r = subprocess.run(["sbatch", "--wait", job], capture_output=True, text=True,
                       timeout=opts.timeout * 4, env=harness.b2m_env())
    logs = "".join(open(os.path.join(results, n)).read() for n in os.listdir(results)
                   if n.startswith("slurm-"))
    if not checks.check("sbatch --wait: the job succeeded",
                        r.returncode == 0, f"rc {r.returncode}\n{r.stdout}{r.stderr}\n{logs}"):
        return
    print(f"job took {time.monotonic() - start:.1f} s; its log:\n{logs}", flush=True)
    subjects = ["sub-01", "sub-02"]
    outs = [os.path.join(results, f"{s}_mulan_music.h5") for s in subjects]
    checks.check("both subjects' outputs were written", all(os.path.exists(o) for o in outs))
    summary = os.path.join(results, "summary_mulan_music.tsv")
    rows = open(summary).read().splitlines()[1:] if os.path.exists(summary) else []
    checks.check("the summary table has one row per subject",
                 sorted(row.split("\t")[0] for row in rows) == subjects, "\n".join(rows))

    # The same command under mpirun.
    direct = os.path.join(w, "direct")
    args = [os.path.join(study, f"{s}_responses.h5") for s in subjects] + [
        "--features", os.path.join(study, "features.h5"), "--space", "mulan_music",
        "--events", opts.events, "--out", os.path.join(direct, "{subject}_mulan_music.h5")]
    r = harness.run_b2m(opts, ["encode"] + args)
    if not checks.require_run("the same encode under mpirun", r):
        return
    for s, out in zip(subjects, outs):
        a, b = read(out), read(os.path.join(direct, f"{s}_mulan_music.h5"))
        worst = max(float(np.nanmax(np.abs(a[k] - b[k]))) for k in SETS)
        same_nan = all(np.array_equal(np.isnan(a[k]), np.isnan(b[k])) for k in SETS)
        checks.check(f"{s}: sbatch results equal mpirun's to 1e-12", same_nan and worst <= 1e-12,
                     f"max |delta| = {worst:.3g}")
    shutil.rmtree(direct, ignore_errors=True)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
