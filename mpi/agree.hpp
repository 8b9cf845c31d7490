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
#include "core/exit_code.hpp"
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
// whole job: every rank is failing too, so the job may end with MPI_Finalize
// instead of MPI_Abort.
[[nodiscard]] bool failure_was_agreed() noexcept;

// For destructors of collective handles (files, output files): whether the
// exception being unwound was raised by `agree` over `comm` (or the whole
// job, or `comm` is this process alone), so that every rank of `comm` is
// unwinding too and a collective close is safe. The record is cleared by the
// next `agree`: none runs while an agreed failure is in flight.
[[nodiscard]] bool failure_agreed_on(const Comm& comm) noexcept;

// Whether the last agreed failure was bad input or configuration (an
// InputError or ConfigError on the first failing rank): a rerun fails
// alike, so work kept for a resume is worth nothing. False for faults of
// the machine (I/O, a lost peer), which a rerun may get past.
[[nodiscard]] bool agreed_failure_is_bad_input() noexcept;

// The exit status of the last agreed failure (core/exit_code.hpp), the same
// on every rank: the first failing rank's.
[[nodiscard]] int agreed_exit_code() noexcept;

// Whether a collective handle on `comm`, made when `uncaught_at_start`
// exceptions were in flight, may be closed collectively now: not while this
// rank unwinds a failure its peers have not agreed on (they are elsewhere;
// the job abort that follows ends them instead).
[[nodiscard]] bool collective_close_safe(const Comm& comm, int uncaught_at_start) noexcept;

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
