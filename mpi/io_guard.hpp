// Guards against a one-rank I/O failure hanging the job, for every MPI-IO
// call in the process (HDF5's included), through MPI's profiling interface:
// io_guard.cpp defines MPI_File_open, _close, _write_at, _write_at_all,
// _read_at, _read_at_all, _sync and _set_size, which call the library's own
// under their PMPI_ names.
//
// Why: a write can fail on one rank only (the rank that writes a piece of
// metadata, or aggregates a collective write, finds the disk full) while
// its peers succeed. Parallel HDF5 1.10 then takes its error path on that
// rank and its normal path on the others, the two paths wait in different
// barriers, and the job hangs for good (seen here in H5Fflush).
//
// So HDF5 never sees a failed write. A write, sync or resize that fails is
// reported to HDF5 as done, the failure is recorded with the file and the
// system's reason, and every later write of this rank to that file is
// dropped: the file is left as a job killed at that moment would leave it,
// which a resume already handles (an output is marked complete only by a
// run that had no failure). HDF5 carries on alike on every rank; b2m raises
// the recorded failure at the end of the HDF5 call, where H5File agrees on
// it (io/h5_file.hpp), so every rank fails with the first rank's message:
// "writing PATH failed: No space left on device".
//
// Reads and opens that fail are returned to HDF5 as they are (there is no
// data to pretend with; a failed open fails on every rank alike). As the
// last resort, any failure also arms a watchdog: if the process has not ended
// io_failure_grace_seconds() later (an agreed failure ends it in well under a second), the watchdog
// prints the failure and aborts the job. An abort is better than a hang.
#pragma once

#include <string>

namespace b2m::mpi {

// Referenced by Environment so that the definitions are linked into every
// b2m program; always true.
[[nodiscard]] bool io_guard_linked() noexcept;

// The first I/O failure recorded since the last call ("writing PATH failed:
// No space left on device"), or "" if none; clears it.
[[nodiscard]] std::string take_io_failure();

// Records a failure of b2m's own file I/O (a rank's scratch file) as the
// guard records MPI-IO's: raised at the next H5File call on this rank,
// where every rank agrees on it; the watchdog is armed.
void defer_io_failure(const std::string& message);

// Seconds between a failed MPI-IO call and the watchdog's abort:
// B2M_IO_FAILURE_GRACE (seconds) if set, else 10.
[[nodiscard]] double io_failure_grace_seconds() noexcept;

}  // namespace b2m::mpi
