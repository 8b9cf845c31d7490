// Turning a failure on some ranks into the same failure on every rank.
//
// Input is validated where it is read, and each rank reads only its own
// part; a rank that finds bad data must not leave the others blocked in the
// next collective. `agree` runs a step on every rank, then all ranks learn
// whether any rank failed: the failing ranks rethrow their own exception, the
// others throw an Error with the first failing rank's message. Every rank
// therefore reports the problem and exits, and none hangs.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "mpi/comm.hpp"

namespace b2m::mpi {

// Raised on a rank whose peer failed; carries the peer's message.
class PeerError : public Error {
 public:
  explicit PeerError(const std::string& what) : Error(what) {}
};

// Collective: throws on every rank if `local` holds an exception on any rank.
void agree(const Comm& comm, const std::exception_ptr& local);

// True once `agree` has raised on this rank over a communicator spanning the
// whole job: every rank is failing too, so the job may end with MPI_Finalize instead of MPI_Abort.
[[nodiscard]] bool failure_was_agreed() noexcept;

template <class F>
auto agree_on(const Comm& comm, F&& step) {
  std::exception_ptr failure;
  if constexpr (std::is_void_v<decltype(step())>) {
    try {
      step();
    } catch (...) {
      failure = std::current_exception();
    }
    agree(comm, failure);
  } else {
    decltype(step()) result{};
    try {
      result = step();
    } catch (...) {
      failure = std::current_exception();
    }
    agree(comm, failure);
    return result;
  }
}

}  // namespace b2m::mpi
