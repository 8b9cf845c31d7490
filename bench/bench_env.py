"""What every benchmark script runs b2m with: one BLAS thread per rank,
no HDF5 file locks, Open MPI's shared-memory transport and local PMIx
security (tests/reference/harness.py says why), and mpirun as root."""
import os


def env():
    return dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                HDF5_USE_FILE_LOCKING="FALSE", OMPI_MCA_pml="ob1", PMIX_MCA_psec="native")


def mpirun(ranks):
    cmd = ["mpirun", "--oversubscribe", "-n", str(ranks)]
    return cmd + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
