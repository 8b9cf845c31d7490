#!/usr/bin/python3
"""Every command example of the README runs as written (issue 16).

The ```sh blocks of the README from "## Commands" on are run verbatim with
bash -e, in scratch directories where `data` is the repository's data
directory and `b2m` is the build's: the blocks of one study in order
(simulate, design, encode, decode with its --roi-models 6 example, retrieve,
stats, embed, generate and evaluate); the published-arrays study (simulate --bids, prepare --derivatives,
encode); prepare --bids on that study, then on its output features import
(from embedding files this test writes where the example expects them:
emb/mulan.npy with its ids, emb/clap.h5, a caption CSV), encode and maps. Each must
exit 0 and leave the outputs it names, complete. The ranks are the README's
own (Open MPI is told to oversubscribe the cores where they are fewer).
The Slurm job script and the sweep commands have tests of their own
(cluster_readme_sbatch, cluster_sweep).
"""
import csv
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def blocks():
    text = open(os.path.join(ROOT, "README.md")).read()
    text = text[text.index("\n## Commands"):]
    found = re.findall(r"```sh\n(.*?)```", text, re.S)
    # The Slurm job script and the sweep's study.toml are other tests' business.
    return [b for b in found if not b.startswith("#!") and "b2m sweep" not in b]


def env(opts):
    e = harness.b2m_env()
    e["PATH"] = os.path.dirname(opts.b2m) + os.pathsep + e.get("PATH", "")
    # `mpirun -n 4` on a machine of fewer cores, and as root in CI.
    e["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    if os.geteuid() == 0:
        e["OMPI_ALLOW_RUN_AS_ROOT"] = e["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    return e


def run_block(opts, checks, block, cwd, label):
    r = subprocess.run(["bash", "-e", "-c", block], cwd=cwd, env=env(opts), capture_output=True,
                       text=True, timeout=900)
    first = block.strip().splitlines()[0]
    ok = checks.check(f"README block '{label}' runs as written (exit 0)", r.returncode == 0,
                      f"{first} ...: exit {r.returncode}\n{r.stderr[-1500:]}")
    if not ok:
        return False
    outs = re.findall(r"--out\s+'?([^\s']+)'?", block)
    missing = []
    for out in outs:
        if "{" in out or out.endswith("/"):
            continue
        path = os.path.join(cwd, out)
        if not os.path.exists(path):
            missing.append(out)
        elif out.endswith(".h5"):
            with h5py.File(path, "r") as f:
                if f.attrs.get("complete") not in ("yes", b"yes"):
                    missing.append(out + " (not complete)")
    return checks.check(f"README block '{label}': the outputs it names exist, complete", not missing,
                        str(missing))


def workdir(opts, name):
    d = os.path.join(opts.scratch, name)
    os.makedirs(d)
    os.symlink(os.path.join(ROOT, "data"), os.path.join(d, "data"))
    return d


def embedding_files(study, emb):
    """The embedding files the features-import example reads, from the
    study's own feature file: MuLan as a 3-D .npy with an id list, a CLAP
    stand-in (w2v-BERT's windows averaged) as HDF5, the caption as CSV."""
    os.makedirs(emb)
    with h5py.File(os.path.join(study, "features.h5"), "r") as f:
        ids = [x.decode() if isinstance(x, bytes) else x for x in f["clips"].attrs["ids"]]
        mulan, w2v, text = (f[f"spaces/{s}/embeddings"][...]
                            for s in ("mulan_music", "w2v_bert", "mulan_text"))
    # The example's MuLan windows are 10 s, 2 s apart: 3 windows per clip.
    np.save(os.path.join(emb, "mulan.npy"), mulan[:, :3, :])
    with open(os.path.join(emb, "mulan_ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    with h5py.File(os.path.join(emb, "clap.h5"), "w") as f:
        f["embeddings"] = w2v.mean(axis=1)[:, :64]
        f["embeddings"].attrs["ids"] = [s.encode() for s in ids]
    with open(os.path.join(emb, "caption_text.csv"), "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["clip"] + [f"d{j}" for j in range(text.shape[-1])])
        for clip, row in zip(ids, text.reshape(len(ids), -1)):
            out.writerow([clip] + [f"{x:.6g}" for x in row])


def body(opts, checks):
    found = blocks()
    labels = [b.strip().splitlines()[0].lstrip("# ")[:60] for b in found]
    keys = {"study": "b2m design", "decode": "b2m decode", "arrays": "b2m prepare --derivatives",
            "bids": "b2m prepare --bids", "import": "b2m features import", "stats": "b2m stats",
            "embed": "b2m embed", "generate": "b2m generate"}
    by = {name: [(b, label) for b, label in zip(found, labels) if key in b] for name, key in keys.items()}
    if not checks.check("the README's command blocks are found, one of each (study, decode, arrays, "
                        "BIDS, features import, stats, embed, generate)", all(len(v) == 1 for v in by.values())
                        and len(found) == len(keys), f"{len(found)} blocks: {labels}"):
        return
    study_block, decode_block, arrays_block, bids_block, import_block, stats_block, embed_block, \
        generate_block = (by[name][0] for name in keys)

    a = workdir(opts, "study")
    for block, label in (study_block, decode_block, stats_block, embed_block, generate_block):
        if not run_block(opts, checks, block, a, label):
            break

    b = workdir(opts, "arrays")
    if run_block(opts, checks, arrays_block[0], b, arrays_block[1]):
        # prepare --bids on the same study; features import, encode and maps
        # on its output (BIDS-prepared files know where their voxels are).
        c = workdir(opts, "bids")
        for d in ("bids", "study"):
            shutil.copytree(os.path.join(b, d), os.path.join(c, d), symlinks=True)
        if run_block(opts, checks, bids_block[0], c, bids_block[1]):
            embedding_files(os.path.join(c, "study"), os.path.join(c, "emb"))
            run_block(opts, checks, import_block[0], c, import_block[1])


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
