// Assertions for MPI tests that never leave a rank waiting in a collective.
//
// A plain ASSERT_* that fails on one rank returns from the test there while
// the other ranks go on into the next collective, and the test hangs
// without naming itself. B2M_ASSERT_ALL agrees on the verdict first: the
// condition is reduced over `comm`, and if it is false on any rank the
// assertion fails, and the test returns, on every rank, each naming the
// ranks where it was false. (As a last resort the shared test main aborts
// the job on any fatal failure that was not agreed, so that an unagreed
// ASSERT or an unexpected exception ends the run instead of hanging it.)
#pragma once

#include <gtest/gtest.h>

#include "mpi/comm.hpp"

namespace b2m::testing {

// True on every rank if `ok` is true on every rank of `comm`; otherwise
// records a failure at file:line on every rank and returns false.
[[nodiscard]] bool all_ranks(const mpi::Comm& comm, bool ok, const char* condition,
                             const char* file, int line);

}  // namespace b2m::testing

#define B2M_ASSERT_ALL(comm, condition)                                                        \
  do {                                                                                         \
    if (!::b2m::testing::all_ranks((comm), static_cast<bool>(condition), #condition, __FILE__, \
                                   __LINE__))                                                  \
      return;                                                                                  \
  } while (0)
