#!/usr/bin/python3
"""`b2m sweep` on a real Slurm cluster (cluster/local_slurm.sh's, started
when none answers and this is root; stopped afterwards).

1. Spec errors: unknown key, wrong type, unknown
   placeholder, two tasks on one output, a missing input at submit: each
   is refused naming the file, the line and the key, and nothing is submitted.
2. A sweep of 2 subjects x 2 feature spaces x 2 alpha grids through encode,
   decode (its voxels chosen by the encode result of its space) and
   retrieve, short tasks packed two to an array element and the arrays
   chained element by element (aftercorr): every output exists, and the
   first of each stage equals its command run directly with mpirun; no
   task started before the outputs it reads were complete (attempt start
   times against the outputs' modification times);
   submitting again and resuming submit nothing. The plan's predicted wall
   time is printed against the measured one for encode and decode.
3. `b2m sweep run --local` of the same spec in another directory (each
   task under mpirun) gives every one of the cluster's outputs.
4. Faults, on a one-stage sweep: a subject's responses with a NaN -> its
   task fails with exit 3 and b2m's message in status, the other is done;
   after the file is fixed, resume submits exactly that task. A running
   task cancelled with scancel -> status says killed; resume completes it
   and the output equals an uninterrupted run. A task whose rank is killed
   (SIGKILL) under --retries 1 -> retried in its element and done. The same
   command started by hand while a task runs is refused by the run lock
   (exit 4) and status shows the task running.
5. b2m generate as a stage on the gpu partition (fake GPUs): one array
   element per decode result with --gres=gpu:1; concurrent elements see
   distinct CUDA_VISIBLE_DEVICES; a generator that fails once per row is
   retried in its element and every row is done in 2 attempts; one that
   always fails fails its task, with the generator's stderr in the task's
   log; an element cancelled midway is resumed and generates only the rows
   it had not done.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
import h5py  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from local_cluster import slurm_cluster  # noqa: E402

SPEC = """
[sweep]
name = "test"
results = "results"
pack_seconds = 5
throttle = {throttle}

[inputs]
subjects = "sub-*"
responses = "{study}/{{subject}}_responses.h5"
features = "{study}/features.h5"
events = "{events}"
corpus = "{study}/corpus.h5"

[stage.encode]
verb = "encode"
options = {{ responses = "{{responses}}", features = "{{features}}", events = "{{events}}", n-alphas = 8, delays = "1,2,3,4" }}
grid = {{ space = ["mulan_music", "mulan_text"], alpha-max = [1e4, 1e6] }}
resources = {{ tasks = {ranks}, time = "00:10:00" }}

[stage.decode]
verb = "decode"
options = {{ responses = "{{responses}}", features = "{{features}}", events = "{{events}}", top-voxels = 150, encode-result = "{{encode}}", n-alphas = 8 }}
grid = {{ space = ["mulan_music", "mulan_text"] }}
match = ["space"]
resources = {{ tasks = {ranks}, time = "00:10:00" }}

[stage.retrieve]
verb = "retrieve"
options = {{ predictions = "{{decode}}", corpus = "{{corpus}}", k = 5 }}
"""

ONE_STAGE = """
[sweep]
name = "{name}"
results = "results"
retries = {retries}

[inputs]
subjects = "sub-*"
responses = "{study}/{{subject}}_responses.h5"
features = "{features}"
events = "{events}"

[stage.encode]
verb = "encode"
options = {{ responses = "{{responses}}", features = "{{features}}", events = "{{events}}", space = "mulan_music", delays = "{delays}" }}
resources = {{ tasks = {ranks}, time = "00:10:00" }}
"""


def sweep(opts, *args, cwd=None, timeout=120):
    r = subprocess.run([opts.b2m, "sweep", *args], capture_output=True, text=True, cwd=cwd,
                       timeout=timeout, env=harness.b2m_env())
    return r


def status_json(opts, spec):
    r = sweep(opts, "status", spec, "--json")
    return json.loads(r.stdout) if r.returncode == 0 else {"tasks": [], "error": r.stderr}


def wait_queue_empty(timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = subprocess.run(["squeue", "-h", "-n", ",".join(JOB_NAMES)], capture_output=True, text=True)
        if r.returncode == 0 and not r.stdout.strip():
            return True
        time.sleep(0.5)
    return False


JOB_NAMES = ["b2m-test-encode", "b2m-test-decode", "b2m-test-retrieve", "b2m-faults-encode",
             "b2m-slow-encode", "b2m-gen-generate", "b2m-genkill-generate", "b2m-genfail-generate"]

GENERATE = """
[sweep]
name = "{name}"
results = "results-{name}"
pack_seconds = 0

[inputs]
subjects = {subjects}
decoded = "{w}/decode/{{subject}}.h5"

[stage.generate]
verb = "generate"
options = {{ predictions = "{{decoded}}", generator = "/usr/bin/python3 {fake}", seconds = 2, batch = {batch}, backoff = 0.1 }}
resources = {{ partition = "gpu", gpus = 1, time = "00:10:00" }}
"""
FAKE = os.path.join(HERE, "..", "reference", "fake_generator.py")


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu":
                out[name] = obj[...]
        f.visititems(visit)
    return out


def same_results(a, b):
    """Equal to round-off: 1e-10 relative, except retrieve's scores, which
    are computed in float32 (stored as float64): a corpus sharded over
    another rank count goes through other GEMM shapes, 1 ulp apart."""
    da, db = datasets(a), datasets(b)
    if da.keys() != db.keys():
        return False, f"datasets differ: {sorted(set(da) ^ set(db))}"
    worst, ok = 0.0, True
    for k in da:
        tol = 1e-6 if k == "topk/score" else 1e-10
        x, y = np.asarray(da[k], float), np.asarray(db[k], float)
        if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
            return False, f"{k}: shapes or NaNs differ"
        if x.size:
            delta = float(np.nanmax(np.abs(x - y)) / max(1.0, np.nanmax(np.abs(y))))
            worst = max(worst, delta)
            ok = ok and delta <= tol
    return ok, f"max relative delta {worst:.2g} over {len(da)} datasets"


def spec_errors(opts, checks, study):
    w = os.path.join(opts.scratch, "errors")
    os.makedirs(w)
    good = SPEC.format(study=study, events=opts.events, ranks=1, throttle=100)
    cases = {
        "unknown key": (good.replace('pack_seconds = 5', 'pack_second = 5'),
                        r"bad\.toml:5: sweep\.pack_second: unknown key"),
        "wrong type": (good.replace('name = "test"', 'name = 3'),
                       r"bad\.toml:3: sweep\.name: expected a string, got an integer"),
        "unknown placeholder": (good.replace('"{corpus}", k = 5', '"{corpra}", k = 5'),
                                r"bad\.toml:\d+: stage\.retrieve\.options\.corpus: unknown placeholder \{corpra\}"),
        "two tasks, one output": (good.replace('verb = "retrieve"',
                                               'verb = "retrieve"\nout = "{results}/r/{subject}.h5"'),
                                  r"bad\.toml:\d+: stage\.retrieve\.out: two tasks would write"),
        "an option its verb refuses": (good.replace("n-alphas = 8,", "n-alphas = \"many\",", 1),
                                       r"bad\.toml:\d+: stage\.encode: .*failed to parse.*--n-alphas many"),
        "a grid of the wrong type": (good.replace('alpha-max = [1e4, 1e6]', 'alpha-max = 1e4'),
                                     r"bad\.toml:\d+: stage\.encode\.grid\.alpha-max: expected a non-empty list"),
    }
    for name, (text, pattern) in cases.items():
        spec = os.path.join(w, "bad.toml")
        open(spec, "w").write(text)
        r = sweep(opts, "submit", spec, cwd=w)
        checks.check(f"spec error, {name}: refused with file, line and key",
                     r.returncode == 2 and re.search(pattern, r.stderr) is not None,
                     f"rc {r.returncode}: {r.stderr.strip()}")
    missing = good.replace("/features.h5", "/no_features.h5")
    spec = os.path.join(w, "missing.toml")
    open(spec, "w").write(missing)
    plan = sweep(opts, "plan", spec, cwd=w)
    r = sweep(opts, "submit", spec, cwd=w)
    checks.check("a missing input: plan runs and marks it; submit refuses, naming the key",
                 plan.returncode == 0 and "missing" in plan.stdout and r.returncode == 2 and
                 re.search(r"missing\.toml:\d+: inputs\.features: .*no_features\.h5 does not exist",
                           r.stderr) is not None and not os.path.exists(os.path.join(w, "missing.sweep", "submissions.jsonl")),
                 f"plan rc {plan.returncode}; submit rc {r.returncode}: {r.stderr.strip()}")


def main_sweep(opts, checks, study):
    w = os.path.join(opts.scratch, "main")
    os.makedirs(w)
    spec = os.path.join(w, "study.toml")
    # One element at a time: the measured times are then those of a task
    # alone on its cores, as the plan predicts them.
    open(spec, "w").write(SPEC.format(study=study, events=opts.events, ranks=opts.ranks, throttle=1))
    plan = sweep(opts, "plan", spec, "--json")
    if not checks.check("plan --json", plan.returncode == 0, plan.stderr):
        return None
    planned = json.loads(plan.stdout)
    tasks = planned["tasks"]
    by_stage = {s: [t for t in tasks if t["stage"] == s] for s in ("encode", "decode", "retrieve")}
    checks.check("plan: 8 encode, 8 decode and 8 retrieve tasks",
                 [len(by_stage[s]) for s in by_stage] == [8, 8, 8])
    again = json.loads(sweep(opts, "plan", spec, "--json").stdout)
    checks.check("plan: the same spec gives the same ids",
                 [t["id"] for t in again["tasks"]] == [t["id"] for t in tasks])
    wider = os.path.join(w, "wider.toml")
    open(wider, "w").write(open(spec).read().replace("alpha-max = [1e4, 1e6]", "alpha-max = [1e4, 1e5, 1e6]"))
    more = json.loads(sweep(opts, "plan", wider, "--json").stdout)
    checks.check("plan: a grid value added keeps every existing id",
                 {t["id"] for t in tasks} <= {t["id"] for t in more["tasks"]} and
                 len(more["tasks"]) == 36, f"{len(more['tasks'])} tasks")

    start = time.monotonic()
    r = sweep(opts, "submit", spec)
    if not checks.check("submit", r.returncode == 0 and r.stdout.count("submitted") == 3,
                        r.stdout + r.stderr):
        return None
    print(r.stdout, flush=True)
    scripts = "".join(open(p).read() for p in glob.glob(os.path.join(w, "study.sweep", "scripts", "*.sbatch")))
    checks.check("the arrays are chained with aftercorr and throttled",
                 scripts.count("--dependency=aftercorr:") == 2 and "%1\n" in scripts and
                 "OPENBLAS_NUM_THREADS=1" in scripts, scripts[:600])
    subs = [json.loads(x) for x in open(os.path.join(w, "study.sweep", "submissions.jsonl"))]
    shapes = [[len(e) for e in s_["elements"]] for s_ in subs]
    checks.check("small tasks are packed two to an element (pack_seconds), and each stage's "
                 "elements follow its upstream's", shapes == [[2, 2, 2, 2]] * 3, str(shapes))
    r2 = sweep(opts, "submit", spec)
    checks.check("submitting twice adds nothing", r2.returncode == 0 and "submitted" not in r2.stdout,
                 r2.stdout + r2.stderr)
    if not checks.check("the sweep ended", wait_queue_empty(opts.timeout * 6)):
        return None
    print(f"sweep took {time.monotonic() - start:.1f} s", flush=True)
    st = status_json(opts, spec)
    states = [t["state"] for t in st["tasks"]]
    checks.check("status: every task done", states.count("done") == 24,
                 json.dumps(st["stages"]))
    r3 = sweep(opts, "resume", spec)
    checks.check("resume with nothing left submits nothing",
                 r3.returncode == 0 and "nothing to submit" in r3.stdout, r3.stdout + r3.stderr)

    # Outputs against the same command run directly under mpirun: the first
    # task of each stage here; every task in local_mode (its own mpirun runs).
    direct = os.path.join(w, "direct")
    worst = []
    for t in [by_stage[s][0] for s in by_stage]:
        args = list(t["args"])
        out = os.path.join(direct, t["id"] + ".h5")
        args[args.index("--out") + 1] = out
        rr = harness.run_b2m(opts, args)
        if not checks.require_run(f"{t['stage']} {t['id']} directly under mpirun", rr):
            return None
        ok, detail = same_results(t["out"], out)
        worst.append((ok, t["id"], detail))
    bad = [w_ for w_ in worst if not w_[0]]
    checks.check("the first task of each stage equals its command run directly with mpirun", not bad,
                 "; ".join(f"{i}: {d}" for _, i, d in bad) or worst[0][2])

    # Order: a task starts after the outputs it reads were complete.
    attempts = {}
    for p in glob.glob(os.path.join(w, "study.sweep", "tasks", "*.json")):
        a = json.load(open(p))
        attempts.setdefault(a["task"], []).append(a)
    by_id = {t["id"]: t for t in tasks}
    late = []
    for t in tasks:
        for up in t["after"]:
            made = os.path.getmtime(by_id[up]["out"])
            started = min(a["start"] for a in attempts.get(t["id"], [{"start": 0}]))
            if started < made:
                late.append(f"{t['id']} started {made - started:.2f} s before {up} was complete")
    checks.check("no task started before the outputs it reads were complete", not late, "; ".join(late))

    # Predicted against measured wall time.
    for stage in ("encode", "decode"):
        measured = [a["end"] - a["start"] for t in by_stage[stage] for a in attempts[t["id"]]]
        predicted = [t["seconds"] for t in by_stage[stage]]
        ratio = np.mean(predicted) / np.mean(measured)
        print(f"TIMING {stage}: predicted {np.mean(predicted):.2f} s a task, measured "
              f"{np.mean(measured):.2f} s (ratio {ratio:.2f}; target within 2x)", flush=True)
    return spec, tasks


def local_mode(opts, checks, study, tasks):
    w = os.path.join(opts.scratch, "local")
    os.makedirs(w)
    spec = os.path.join(w, "study.toml")
    open(spec, "w").write(SPEC.format(study=study, events=opts.events, ranks=opts.ranks, throttle=1))
    r = sweep(opts, "run", spec, "--local", timeout=opts.timeout * 10)
    if not checks.check("run --local", r.returncode == 0, r.stdout[-2000:] + r.stderr):
        return
    bad = []
    for t in tasks:
        local = t["out"].replace(os.path.join(opts.scratch, "main"), w)
        ok, detail = same_results(t["out"], local)
        if not ok:
            bad.append(f"{t['id']}: {detail}")
    checks.check("run --local (each task under mpirun) gives every one of the cluster's outputs",
                 not bad, "; ".join(bad))


def wait_for(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return None


def faults(opts, checks):
    w = os.path.join(opts.scratch, "faults")
    os.makedirs(w)
    # A study big enough that an encode runs for some seconds.
    study = os.path.join(w, "study")
    r = harness.run_b2m(opts, ["simulate", "--events", opts.events, "--subjects", 2, "--voxels", 3500,
                               "--seed", 9, "--out-dir", study], timeout=opts.timeout * 3)
    if not checks.require_run("simulate the fault study", r):
        return
    good = os.path.join(w, "sub-02_good.h5")
    shutil.copy(os.path.join(study, "sub-02_responses.h5"), good)
    with h5py.File(os.path.join(study, "sub-02_responses.h5"), "r+") as f:
        f["train/Y"][5, 7] = np.nan
    spec = os.path.join(w, "faults.toml")
    open(spec, "w").write(ONE_STAGE.format(name="faults", study=study, events=opts.events,
                                           features=os.path.join(study, "features.h5"),
                                           ranks=opts.ranks, retries=0, delays="1,2"))
    r = sweep(opts, "submit", spec)
    checks.check("faults: submit", r.returncode == 0, r.stdout + r.stderr)
    wait_queue_empty(opts.timeout * 4)
    st = status_json(opts, spec)
    by_subject = {t["out"].split("/")[-2]: t for t in st["tasks"]}
    bad = by_subject.get("sub-02", {})
    checks.check("corrupt responses: that task failed with exit 3 and its error, the other done",
                 bad.get("state") == "failed" and bad.get("exit_status") == 3 and
                 "non-finite" in bad.get("error", "") and os.path.exists(bad.get("log", "")) and
                 by_subject.get("sub-01", {}).get("state") == "done", json.dumps(st["tasks"]))
    r = sweep(opts, "resume", spec)
    checks.check("resume leaves a task that failed on unchanged bad input alone",
                 "nothing to submit" in r.stdout and "bad input" in r.stdout, r.stdout + r.stderr)
    shutil.copy(good, os.path.join(study, "sub-02_responses.h5"))
    subs_before = len(open(os.path.join(w, "faults.sweep", "submissions.jsonl")).read().splitlines())
    r = sweep(opts, "resume", spec)
    lines = open(os.path.join(w, "faults.sweep", "submissions.jsonl")).read().splitlines()
    new = [json.loads(x) for x in lines[subs_before:]]
    checks.check("after the fix, resume submits exactly that task",
                 len(new) == 1 and new[0]["elements"] == [[bad.get("id")]], r.stdout + r.stderr)
    wait_queue_empty(opts.timeout * 4)
    st = status_json(opts, spec)
    checks.check("then both are done", [t["state"] for t in st["tasks"]] == ["done", "done"],
                 json.dumps(st["tasks"]))

    # scancel midway, then resume: the same output as an uninterrupted run.
    slow = os.path.join(w, "slow")
    os.makedirs(slow)
    spec = os.path.join(slow, "slow.toml")
    open(spec, "w").write(ONE_STAGE.format(name="slow", study=study, events=opts.events,
                                           features=os.path.join(study, "features.h5"),
                                           ranks=opts.ranks, retries=1, delays="1,2,3,4,5,6"))
    r = sweep(opts, "submit", spec)
    tasks = json.loads(sweep(opts, "plan", spec, "--json").stdout)["tasks"]
    first = tasks[0]

    def running(task_id):
        s = status_json(opts, spec)
        t = [x for x in s["tasks"] if x["id"] == task_id]
        return t and t[0]["state"] == "running" and t[0]

    run = wait_for(lambda: running(first["id"]), opts.timeout)
    partial = wait_for(lambda: os.path.exists(first["out"] + ".partial"), 60)
    # By hand, the same command while the task runs: refused by the run lock.
    hand = harness.run_b2m(opts, first["args"])
    st = status_json(opts, spec)
    now = [t for t in st["tasks"] if t["id"] == first["id"]]
    checks.check("the same command by hand while the task runs is refused by its run lock (exit 4)",
                 hand.rc == 4 and "being written by another run" in hand.stderr, hand.describe())
    checks.check("status still shows the task running", now and now[0]["state"] == "running",
                 json.dumps(now))
    job = run["job"] if run else ""
    time.sleep(1.5)
    subprocess.run(["scancel", job], capture_output=True)
    wait_queue_empty(120)
    st = status_json(opts, spec)
    now = [t for t in st["tasks"] if t["id"] == first["id"]]
    checks.check("scancel midway: status says the task failed (killed)",
                 bool(partial) and now and now[0]["state"] == "failed" and now[0]["retryable"],
                 json.dumps(now))
    # Kill one rank of the second subject's task with SIGKILL: --retries 1
    # (from the spec) runs it again in its element.
    r = sweep(opts, "resume", spec)
    second = tasks[1]
    pid = wait_for(lambda: rank_pid(second["out"]), opts.timeout)
    if pid:
        os.kill(pid, signal.SIGKILL)
    wait_queue_empty(opts.timeout * 4)
    st = status_json(opts, spec)
    now = {t["id"]: t for t in st["tasks"]}
    checks.check("resume after scancel: the task is done",
                 now.get(first["id"], {}).get("state") == "done", json.dumps(st["tasks"]))
    checks.check("a rank killed with SIGKILL under retries = 1: retried and done",
                 pid is not None and now.get(second["id"], {}).get("state") == "done" and
                 now.get(second["id"], {}).get("attempts") == 2, f"pid {pid}: {json.dumps(st['tasks'])}")
    direct = os.path.join(slow, "direct.h5")
    args = list(first["args"])
    args[args.index("--out") + 1] = direct
    if checks.require_run("the cancelled task's command, uninterrupted", harness.run_b2m(opts, args, timeout=opts.timeout * 3)):
        ok, detail = same_results(first["out"], direct)
        checks.check("the resumed output equals an uninterrupted run", ok, detail)


def generate_on_gpus(opts, checks, tasks):
    """b2m generate as a sweep stage on the gpu partition (--gres=gpu:1),
    the decode results of the main sweep as its input, through
    fake_generator.py."""
    w = os.path.join(opts.scratch, "gen")
    os.makedirs(os.path.join(w, "decode"))
    for t in tasks:  # one decode result per subject
        target = os.path.join(w, "decode", t["out"].split("/")[-2] + ".h5")
        if t["stage"] == "decode" and not os.path.exists(target):
            shutil.copy(t["out"], target)
    state = os.path.join(w, "state")
    os.makedirs(state)
    # Flaky: each row fails its first call, and is retried.
    env = {**harness.b2m_env(), "FAKE_STATE": state, "FAKE_SLEEP": "0.05", "FAKE_MODE": "flaky"}
    spec = os.path.join(w, "gen.toml")
    open(spec, "w").write(GENERATE.format(name="gen", w=w, subjects='["sub-01", "sub-02"]', fake=FAKE,
                                          batch=20))
    r = subprocess.run([opts.b2m, "sweep", "submit", spec], capture_output=True, text=True, env=env, timeout=120)
    scripts = "".join(open(p).read() for p in glob.glob(os.path.join(w, "gen.sweep", "scripts", "*.sbatch")))
    checks.check("generate on the gpu partition: one array element per decode result, --gres=gpu:1",
                 r.returncode == 0 and "--gres=gpu:1" in scripts and "--partition=gpu" in scripts
                 and "2 tasks in 2 array elements" in r.stdout, r.stdout + r.stderr + scripts[:400])
    wait_queue_empty(opts.timeout * 4)
    st = status_json(opts, spec)
    checks.check("generate: both tasks done", [t["state"] for t in st["tasks"]] == ["done", "done"],
                 json.dumps(st["tasks"])[:1500])
    calls = [line.split() for line in open(os.path.join(state, "calls.log"))] \
        if os.path.exists(os.path.join(state, "calls.log")) else []
    overlapping = [(a, b) for i, a in enumerate(calls) for b in calls[i + 1:]
                   if float(a[4]) < float(b[5]) and float(b[4]) < float(a[5])]
    checks.check("concurrent array elements see distinct CUDA_VISIBLE_DEVICES (Slurm's, from gres)",
                 len(calls) == 12 and all(c[2] in ("0", "1") for c in calls) and overlapping
                 and all(a[2] != b[2] for a, b in overlapping),
                 f"{len(calls)} calls, devices {sorted({c[2] for c in calls})}, {len(overlapping)} overlapping")
    attempts = []
    for t in json.loads(sweep(opts, "plan", spec, "--json").stdout)["tasks"]:
        if os.path.exists(t["out"]):
            with h5py.File(t["out"], "r") as f:
                attempts += [int(a) for a in f["rows/attempts"][...]]
    checks.check("a generator that fails once per row, in a Slurm element: every row retried once and done",
                 len(attempts) == 120 and set(attempts) == {2}, f"{len(attempts)} rows, attempts {set(attempts)}")

    # One that always fails: the element fails, its log holds the generator's stderr.
    fail = os.path.join(w, "fail.toml")
    open(fail, "w").write(GENERATE.format(name="genfail", w=w, subjects='["sub-01"]', fake=FAKE, batch=60))
    subprocess.run([opts.b2m, "sweep", "submit", fail], capture_output=True, text=True,
                   env={**env, "FAKE_MODE": "fail"}, timeout=120)
    wait_queue_empty(opts.timeout * 4)
    task = status_json(opts, fail)["tasks"][0]
    log = open(task["log"]).read() if task.get("log") and os.path.exists(task["log"]) else ""
    checks.check("a generator that always fails, in a Slurm element: the task fails, its log has the "
                 "generator's stderr after 1 + --retries calls",
                 task["state"] == "failed" and "model exploded on rows" in log and "after 3 attempts" in log,
                 json.dumps(task)[:600] + log[-600:])

    # A killed element's rows: generated on resume, and no others.
    kill = os.path.join(w, "kill.toml")
    open(kill, "w").write(GENERATE.format(name="genkill", w=w, subjects='["sub-01"]', fake=FAKE, batch=4))
    env["FAKE_SLEEP"] = "0.25"
    env["FAKE_MODE"] = "good"
    subprocess.run([opts.b2m, "sweep", "submit", kill], capture_output=True, text=True, env=env, timeout=120)
    task = json.loads(sweep(opts, "plan", kill, "--json").stdout)["tasks"][0]
    records = os.path.join(task["out"][:-3], "rows")
    wait_for(lambda: os.path.isdir(records) and len(os.listdir(records)) >= 8, opts.timeout)
    running = [t for t in status_json(opts, kill)["tasks"] if t["state"] == "running"]
    if running:
        subprocess.run(["scancel", running[0]["job"]], capture_output=True)
    wait_queue_empty(120)
    before = {n: os.stat(os.path.join(records, n)).st_mtime_ns for n in os.listdir(records)
              if json.load(open(os.path.join(records, n)))["ok"]}
    left = len(os.listdir(records)) - len(before)
    env["FAKE_SLEEP"] = "0"
    r = subprocess.run([opts.b2m, "sweep", "resume", kill], capture_output=True, text=True, env=env, timeout=120)
    wait_queue_empty(opts.timeout * 4)
    st = status_json(opts, kill)
    reused = -1
    if os.path.exists(task["out"]):
        with h5py.File(task["out"], "r") as f:
            reused = int(f["rows/reused"][...].sum())
    kept = all(os.stat(os.path.join(records, n)).st_mtime_ns == t for n, t in before.items())
    checks.check("an element cancelled midway: resume generates its missing rows and no others",
                 bool(running) and st["tasks"][0]["state"] == "done" and 0 < len(before) == reused < 60 and kept,
                 f"{len(before)} rows done before scancel ({left} other records), {reused} reused; "
                 f"{r.stdout[-300:]}")


def rank_pid(out):
    """A b2m rank writing `out` (found by its command line), or None."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"b2m") and b"encode" in cmd and out.encode() in cmd \
                and os.path.exists(out + ".partial"):
            return int(p)
    return None


def body(opts, checks):
    study = harness.simulate_study(opts, checks, 2, 500, 3, "--corpus", 800)
    if study is None:
        return
    with slurm_cluster(checks) as up:
        if not up:
            return
        # (submit asks squeue before it looks at the inputs: inside the cluster)
        spec_errors(opts, checks, study)
        try:
            done = main_sweep(opts, checks, study)
            if done:
                local_mode(opts, checks, study, done[1])
                generate_on_gpus(opts, checks, done[1])
            faults(opts, checks)
        finally:
            subprocess.run(["scancel", "-n", ",".join(JOB_NAMES)], capture_output=True)


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
