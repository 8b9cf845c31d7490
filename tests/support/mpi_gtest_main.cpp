// GoogleTest main for b2m's tests: MPI is initialised once, only rank 0
// prints, and the verdict is reduced so every rank exits alike. A fatal
// failure that the ranks did not agree on (an ASSERT_* that failed on one
// rank only, an unexpected exception) aborts the whole job with its message:
// the other ranks may already wait in a collective, and a failed test must
// never hang. Agreed assertions (mpi_assert.hpp) fail on every rank instead.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>

#include "io/h5_error.hpp"
#include "mpi/comm.hpp"
#include "mpi/environment.hpp"

namespace {

class AbortOnFatalFailure : public ::testing::EmptyTestEventListener {
 public:
  explicit AbortOnFatalFailure(int ranks) : ranks_(ranks) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    // (B2M_ASSERT_ALL records non-fatal failures on every rank and returns.)
    if (ranks_ < 2 || !result.fatally_failed()) return;
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::fprintf(stderr, "rank %d: fatal failure in %s.%s (%s:%d): %s\naborting the job\n",
                 b2m::mpi::world_rank(), test ? test->test_suite_name() : "?",
                 test ? test->name() : "?", result.file_name() ? result.file_name() : "?",
                 result.line_number(), result.message());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

 private:
  int ranks_;
};

}  // namespace

int main(int argc, char** argv) {
  b2m::mpi::Environment environment(argc, argv);
  b2m::io::silence_hdf5_errors();
  ::testing::InitGoogleTest(&argc, argv);
  const auto world = b2m::mpi::Comm::world();
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (world.rank() != 0) delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new AbortOnFatalFailure(world.size()));
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  return world.allreduce(failed, b2m::mpi::Op::max);
}
