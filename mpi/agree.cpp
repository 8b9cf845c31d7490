#include "mpi/agree.hpp"

namespace b2m::mpi {
namespace {

std::string message_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

// The communicator of the last agreed failure (MPI_COMM_NULL: none),
// whether it spans the job, and the exit status of its first failing
// rank's failure (core/exit_code.hpp).
MPI_Comm agreed_comm = MPI_COMM_NULL;
bool agreed_on_world = false;
int agreed_exit = kExitFailure;

}  // namespace

bool failure_was_agreed() noexcept {
  return agreed_comm != MPI_COMM_NULL && agreed_on_world;
}

bool failure_agreed_on(const Comm& comm) noexcept {
  return comm.size() == 1 ||
         (agreed_comm != MPI_COMM_NULL && (agreed_on_world || agreed_comm == comm.raw()));
}

bool agreed_failure_is_bad_input() noexcept {
  return agreed_comm != MPI_COMM_NULL &&
         (agreed_exit == kExitUsage || agreed_exit == kExitBadInput);
}

int agreed_exit_code() noexcept {
  return agreed_exit;
}

bool collective_close_safe(const Comm& comm, int uncaught_at_start) noexcept {
  return std::uncaught_exceptions() <= uncaught_at_start || failure_agreed_on(comm);
}

void agree(const Comm& comm, const std::exception_ptr& local) {
  agreed_comm = MPI_COMM_NULL;
  const int first_failing = comm.allreduce(local ? comm.rank() : comm.size(), Op::min);
  if (first_failing == comm.size()) return;
  int world_size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  agreed_comm = comm.raw();
  agreed_on_world = comm.size() == world_size;
  std::string message = local ? message_of(local) : std::string();
  comm.bcast(message, first_failing);
  int exit = local ? exit_code_of(local) : kExitFailure;
  comm.bcast(&exit, 1, first_failing);
  agreed_exit = exit;
  if (local) std::rethrow_exception(local);
  throw PeerError(message + " [reported by rank " + std::to_string(first_failing) + "]");
}

}  // namespace b2m::mpi
