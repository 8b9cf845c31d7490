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

bool agreed_failure = false;

}  // namespace

bool failure_was_agreed() noexcept {
  return agreed_failure;
}

void agree(const Comm& comm, const std::exception_ptr& local) {
  const int first_failing = comm.allreduce(local ? comm.rank() : comm.size(), Op::min);
  if (first_failing == comm.size()) return;
  int world_size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  agreed_failure = comm.size() == world_size;
  std::string message = local ? message_of(local) : std::string();
  comm.bcast(message, first_failing);
  if (local) std::rethrow_exception(local);
  throw PeerError(message + " [reported by rank " + std::to_string(first_failing) + "]");
}

}  // namespace b2m::mpi
