#include "mpi/environment.hpp"

#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

#include "mpi/agree.hpp"
#include "mpi/io_guard.hpp"
#include "mpi/mpi_error.hpp"

namespace b2m::mpi {

Environment::Environment(int& argc, char**& argv) {
  // MPI-IO through ROMIO, not Open MPI's own ompio, unless the user chose
  // (OMPI_MCA_io). ompio opens a shared-file-pointer component with every
  // file, and each of them fails b2m on a cluster: "lockedfile" overflows
  // a fixed buffer (SIGABRT) on paths over about 230 characters; "sm" names
  // a POSIX semaphore after the file's base name alone, so two jobs writing
  // sub-01.h5 in different directories on one node share it, and one
  // killed while holding it makes every later open of that name wait
  // forever; "individual" creates two files per rank beside every output,
  // a metadata storm on a parallel file system at scale, left behind by a
  // killed job. ROMIO (Open MPI's default on Lustre) opens nothing else.
  // "^ompio" rather than a name: ROMIO's component is romio321 in Open MPI
  // 4 and romio341 in 5.
  setenv("OMPI_MCA_io", "^ompio", /*overwrite=*/0);
  // Where a user picks ompio anyway: Open MPI 4.1.0-4.1.4 (Debian 12 ships
  // 4.1.4) return wrong data from its collective reads when read data
  // sieving meets ranks whose hyperslabs differ in width (seen here as
  // decode ROI models reading corrupt voxel columns at 4 ranks;
  // open-mpi/ompi#10546, fixed in 4.1.5); turning data sieving off is the
  // upstream workaround. "individual" is the one shared-file-pointer
  // component that neither crashes nor hangs (see above).
  setenv("OMPI_MCA_fbtl_posix_read_datasieving", "0", /*overwrite=*/0);
  setenv("OMPI_MCA_sharedfp", "individual", /*overwrite=*/0);
  static_cast<void>(io_guard_linked());
  int provided = 0;
  B2M_MPI_CALL(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
  B2M_MPI_CALL(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
}

Environment::~Environment() noexcept {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && MPI_Finalize() != MPI_SUCCESS)
    std::fprintf(stderr, "b2m: warning: MPI_Finalize failed\n");
}

int world_rank() noexcept {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return -1;
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

namespace {

// Every rank reached the failure together (see agree.hpp): report and let the
// caller finalize cleanly.
int fail_together(const char* what) {
  std::fprintf(stderr, "b2m: error on rank %d: %s\n", world_rank(), what);
  std::fflush(stderr);
  return agreed_exit_code();
}

[[noreturn]] void abort_job(const char* what, int code) {
  std::fprintf(stderr, "b2m: error on rank %d: %s\n", world_rank(), what);
  std::fflush(stderr);
  // Errors found collectively are raised on every rank at about the same
  // moment; a short grace period lets each of them print before the abort
  // tears the job down.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace

int run_main(int argc, char** argv, const std::function<int(int, char**)>& body) {
  try {
    Environment env(argc, argv);
    try {
      return body(argc, argv);
    } catch (const std::exception& e) {
      if (failure_was_agreed()) return fail_together(e.what());
      abort_job(e.what(), exit_code_of(std::current_exception()));
    } catch (...) {
      abort_job("unknown exception", kExitFailure);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "b2m: cannot start MPI: %s\n", e.what());
    return 1;
  }
}

}  // namespace b2m::mpi
