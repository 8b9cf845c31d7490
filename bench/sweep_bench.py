#!/usr/bin/python3
"""b2m sweep's own overhead, against Debian's snakemake on the same cluster.

Part 1, 200 tasks (b2m design: 5 feature spaces x 40 delay sets, each about
0.2 s of work) on a Slurm cluster (cluster/local_slurm.sh's, started if none
answers and this is root):
  - b2m: the wall and CPU time of `plan`, `submit`, `status` and `resume`
    (its overhead), and the makespan from submit to the last output;
  - snakemake: the same 200 commands as instances of one rule, submitted
    with `--cluster sbatch` (snakemake 7's Slurm submission that needs no
    accounting); its CPU time (the snakemake process and its sbatch calls)
    and its makespan.
  Targets: b2m's overhead under 0.2 s a task, and below snakemake's.
Part 2, status of a 10,000-task sweep (100 subjects x 100 alpha values of
encode) where half the outputs exist, complete, with records of how they
were made, and every task has an attempt record: cold (no cache) and warm.
Target: under 2 s.

Usage: bench/sweep_bench.py --b2m build/jobs/b2m [--work-dir DIR] [--keep]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
import h5py  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EVENTS = os.path.join(ROOT, "data", "ds003720", "func")
SPACES = ["mulan_music", "mulan_text", "w2v_bert", "soundstream", "genre"]


def timed(cmd, **kw):
    """Wall and CPU (children) seconds of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return wall, cpu, r.stdout


def wait_for_files(paths, timeout=1800):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if all(os.path.exists(p) for p in paths):
            return time.monotonic()
        time.sleep(0.5)
    sys.exit("timed out waiting for the outputs")


def slurm_up():
    r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return r.returncode == 0 and any(s in r.stdout for s in ("idle", "mixed", "allocated"))


def delays(k):
    return f"0,{k}"


def part1(b2m, w):
    study = os.path.join(w, "study")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_MCA_pml="ob1")
    timed([b2m, "simulate", "--preset", "easy", "--events", EVENTS, "--out-dir", study, "--subjects", "1",
           "--voxels", "100"], env=env)
    features = os.path.join(study, "features.h5")
    grid = ", ".join(f'"{delays(k)}"' for k in range(1, 41))
    spec = os.path.join(w, "designs.toml")
    with open(spec, "w") as f:
        f.write(f"""
[sweep]
name = "bench"
results = "b2m_results"

[inputs]
features = "{features}"
events = "{EVENTS}"

[stage.design]
verb = "design"
options = {{ features = "{{features}}", events = "{{events}}" }}
grid = {{ space = {json.dumps(SPACES)}, delays = [{grid}] }}
resources = {{ time = "00:30:00" }}
""")
    # b2m
    times = {}
    times["plan"] = timed([b2m, "sweep", "plan", spec], env=env)
    tasks = json.loads(timed([b2m, "sweep", "plan", spec, "--json"], env=env)[2])["tasks"]
    assert len(tasks) == 200, len(tasks)
    start = time.monotonic()
    times["submit"] = timed([b2m, "sweep", "submit", spec], env=env)
    end = wait_for_files([t["out"] for t in tasks])
    while subprocess.run(["squeue", "-h", "-n", "b2m-bench-design"], capture_output=True,
                         text=True).stdout.strip():
        time.sleep(0.5)
    b2m_makespan = end - start
    times["status"] = timed([b2m, "sweep", "status", spec], env=env)
    times["resume"] = timed([b2m, "sweep", "resume", spec], env=env)
    assert "nothing to submit" in times["resume"][2]
    b2m_wall = sum(t[0] for t in times.values())
    b2m_cpu = sum(t[1] for t in times.values())

    # snakemake, the same 200 commands
    sm = os.path.join(w, "snakemake")
    os.makedirs(os.path.join(sm, "logs"))
    with open(os.path.join(sm, "Snakefile"), "w") as f:
        f.write(f"""
SPACES = {SPACES!r}
KS = list(range(1, 41))
rule all:
    input: expand("out/{{space}}/d{{k}}.h5", space=SPACES, k=KS)
rule design:
    output: "out/{{space}}/d{{k}}.h5"
    shell: "OPENBLAS_NUM_THREADS=1 {b2m} design --features {features} --events {EVENTS} --space {{wildcards.space}} --delays 0,{{wildcards.k}} --out $PWD/{{output}}"
""")
    start = time.monotonic()
    sm_wall, sm_cpu, _ = timed(["snakemake", "--cluster", "sbatch --parsable -n 1 -c 1 -t 30 -o logs/%j.out",
                                "--jobs", "100", "--latency-wait", "10", "--quiet"], cwd=sm, env=env)
    sm_makespan = time.monotonic() - start
    n = 200
    print(f"200 tasks (b2m design, about 0.2 s each) on the local Slurm cluster:")
    for k, (wall, cpu, _) in times.items():
        print(f"  b2m sweep {k:7s} {wall:6.2f} s wall, {cpu:6.2f} s CPU")
    print(f"  b2m overhead: {b2m_wall / n:.4f} s wall a task, {b2m_cpu / n:.4f} s CPU a task "
          f"(target < 0.2 s); makespan {b2m_makespan:.1f} s")
    print(f"  snakemake --cluster sbatch: {sm_cpu / n:.4f} s CPU a task, makespan {sm_makespan:.1f} s")
    print(f"  ratios: snakemake CPU / b2m CPU = {sm_cpu / max(b2m_cpu, 1e-9):.1f}x, "
          f"snakemake makespan / b2m makespan = {sm_makespan / b2m_makespan:.1f}x")
    ok = b2m_wall / n < 0.2 and b2m_cpu < sm_cpu and b2m_makespan < sm_makespan
    return ok, {"b2m_overhead_s_per_task": b2m_wall / n, "b2m_cpu_s_per_task": b2m_cpu / n,
                "b2m_makespan_s": b2m_makespan, "snakemake_cpu_s_per_task": sm_cpu / n,
                "snakemake_makespan_s": sm_makespan}


def part2(b2m, w):
    """10,000 tasks: half done (complete outputs with their records), all with attempts."""
    d = os.path.join(w, "big")
    os.makedirs(d)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_MCA_pml="ob1")
    timed([b2m, "simulate", "--preset", "easy", "--events", EVENTS, "--out-dir", d, "--subjects", "1", "--voxels", "10"],
          env=env)
    responses = os.path.join(d, "sub-01_responses.h5")
    features = os.path.join(d, "features.h5")
    # The features' checksum as b2m records it (from a real output's provenance).
    probe = os.path.join(d, "probe.h5")
    timed([b2m, "design", "--features", features, "--space", "genre", "--events", EVENTS,
           "--out", probe], env=env)
    with h5py.File(probe, "r") as f:
        recorded = [i for i in json.loads(f.attrs["inputs"]) if i["path"] == features]
    spec = os.path.join(d, "big.toml")
    alphas = ", ".join(str(10 ** (1 + i / 20)) for i in range(100))
    with open(spec, "w") as f:
        f.write(f"""
[sweep]
name = "big"

[inputs]
subjects = {{ first = 1, last = 100, format = "sub-%03d" }}
responses = "{responses}"
features = "{features}"
events = "{EVENTS}"

[stage.encode]
verb = "encode"
options = {{ responses = "{{responses}}", features = "{{features}}", events = "{{events}}", space = "mulan_music" }}
grid = {{ alpha-max = [{alphas}] }}
""")
    tasks = json.loads(subprocess.run([b2m, "sweep", "plan", spec, "--json"], capture_output=True,
                                      text=True, check=True).stdout)["tasks"]
    assert len(tasks) == 10000, len(tasks)
    version = subprocess.run([b2m, "--version"], capture_output=True, text=True).stdout.split()[-1]
    state = os.path.join(d, "big.sweep", "tasks")
    os.makedirs(state)
    now = time.time()
    for i, t in enumerate(tasks):
        if i % 2 == 0:
            os.makedirs(os.path.dirname(t["out"]), exist_ok=True)
            with h5py.File(t["out"], "w") as f:
                f.attrs["complete"] = "yes"
                f.attrs["b2m_version"] = version
                f.attrs["command_line"] = b2m + " " + " ".join(t["args"])
                f.attrs["inputs"] = json.dumps(recorded)
        with open(os.path.join(state, f"{t['id']}.local-1.1.json"), "w") as f:
            json.dump({"task": t["id"], "job": "local-1", "attempt": 1, "host": "h", "start": now,
                       "end": now + 1, "status": 0 if i % 2 == 0 else 3, "log": ""}, f)
    cold = timed([b2m, "sweep", "status", spec])
    warm = timed([b2m, "sweep", "status", spec])
    print(f"status of 10,000 tasks (5,000 complete outputs whose records and input checksum are "
          f"checked, 10,000 attempt records): cold {cold[0]:.2f} s, "
          f"warm {warm[0]:.2f} s (target < 2 s)")
    print(cold[2].splitlines()[1] if len(cold[2].splitlines()) > 1 else cold[2])
    return warm[0] < 2.0, {"status_10000_cold_s": cold[0], "status_10000_warm_s": warm[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--b2m", required=True)
    ap.add_argument("--work-dir", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--part", choices=["all", "overhead", "status"], default="all")
    opts = ap.parse_args()
    b2m = os.path.abspath(opts.b2m)
    w = tempfile.mkdtemp(prefix="sweep-bench-", dir=opts.work_dir)
    started = False
    results, ok = {}, True
    try:
        if opts.part in ("all", "overhead"):
            if not slurm_up():
                if os.geteuid() != 0:
                    sys.exit("no Slurm cluster answers, and not root to start cluster/local_slurm.sh")
                subprocess.run([os.path.join(ROOT, "cluster", "local_slurm.sh"), "start"], check=True,
                               capture_output=True)
                started = True
            good, r = part1(b2m, w)
            ok, results = ok and good, {**results, **r}
        if opts.part in ("all", "status"):
            good, r = part2(b2m, w)
            ok, results = ok and good, {**results, **r}
    finally:
        if started:
            subprocess.run([os.path.join(ROOT, "cluster", "local_slurm.sh"), "stop"])
        if not opts.keep:
            shutil.rmtree(w, ignore_errors=True)
    print(json.dumps(results))
    print("targets met" if ok else "TARGETS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
