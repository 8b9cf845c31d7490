"""What every benchmark script runs b2m with: one BLAS thread per rank,
no HDF5 file locks, Open MPI's shared-memory transport and local PMIx
security (tests/reference/harness.py says why), and mpirun as root."""
import os
import subprocess
import sys
import time


def env():
    return dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                HDF5_USE_FILE_LOCKING="FALSE", OMPI_MCA_pml="ob1", PMIX_MCA_psec="native")


def mpirun(ranks):
    cmd = ["mpirun", "--oversubscribe", "-n", str(ranks)]
    return cmd + (["--allow-run-as-root"] if os.geteuid() == 0 else [])


def run(cmd, extra_env=None):
    """Runs `cmd` with env() (and `extra_env`); its wall seconds. Exits with
    its stderr if it fails."""
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env={**env(), **(extra_env or {})})
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return time.monotonic() - start
