// GoogleTest main for b2m's tests: MPI is initialised once, only rank 0
// prints, and the verdict is reduced so every rank exits alike.
#include <gtest/gtest.h>

#include "io/h5_error.hpp"
#include "mpi/comm.hpp"
#include "mpi/environment.hpp"

int main(int argc, char** argv) {
  b2m::mpi::Environment environment(argc, argv);
  b2m::io::silence_hdf5_errors();
  ::testing::InitGoogleTest(&argc, argv);
  const auto world = b2m::mpi::Comm::world();
  if (world.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  return world.allreduce(failed, b2m::mpi::Op::max);
}
