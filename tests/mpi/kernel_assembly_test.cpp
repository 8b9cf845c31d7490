// Kernels assembled from column chunks spread over the ranks equal X X^T,
// whatever the chunking, the grid and the block size.
#include <gtest/gtest.h>

#include <random>

#include "mpi/comm.hpp"
#include "mpi/partition.hpp"
#include "solvers/kernel_assembly.hpp"
#include "tests/support/mpi_assert.hpp"
#include "tests/support/random.hpp"

namespace b2m::solvers {
namespace {

using testing::gaussian;

constexpr Eigen::Index kSamples = 37, kTest = 5, kFeatures = 203;

// This rank's columns of X (and X_test) in chunks of `width` (the last
// shorter; ranks with fewer chunks pass empty ones, as decode's readers do).
template <class Add>
void add_my_chunks(const Matrix<double>& x, const Matrix<double>& x_test, Eigen::Index width,
                   const mpi::Comm& comm, Add&& add) {
  const mpi::Range mine =
      mpi::even_part(std::size_t(kFeatures), std::size_t(comm.size()), std::size_t(comm.rank()));
  const auto chunks = static_cast<std::size_t>((Eigen::Index(mine.size()) + width - 1) / width);
  const std::size_t rounds = comm.allreduce(chunks, mpi::Op::max);
  for (std::size_t c = 0; c < rounds; ++c) {
    const Eigen::Index first = Eigen::Index(mine.begin) + Eigen::Index(c) * width;
    const Eigen::Index w =
        c < chunks ? std::min(width, Eigen::Index(mine.end) - first) : Eigen::Index(0);
    add(Matrix<double>(x.middleCols(c < chunks ? first : 0, w)),
        Matrix<double>(x_test.middleCols(c < chunks ? first : 0, w)));
  }
}

double relative(const Matrix<double>& a, const Matrix<double>& b) {
  return (a - b).norm() / b.norm();
}

TEST(ReplicatedKernel, SumsEveryRanksChunks) {
  const mpi::Comm world = mpi::Comm::world();
  const Matrix<double> x = gaussian(kSamples, kFeatures, 1), x_test = gaussian(kTest, kFeatures, 2);
  const Matrix<double> k = x * x.transpose(), k_test = x_test * x.transpose();
  const double eps = std::numeric_limits<double>::epsilon();
  for (Eigen::Index width : {1, 16, 1000}) {
    ReplicatedKernel kernel(kSamples, kTest);
    add_my_chunks(x, x_test, width, world,
                  [&](const Matrix<double>& a, const Matrix<double>& b) { kernel.add(a, b); });
    kernel.finish(world);
    EXPECT_LE(relative(kernel.kernel(), k), 10 * kFeatures * eps) << width;
    EXPECT_LE(relative(kernel.test_kernel(), k_test), 10 * kFeatures * eps) << width;
    EXPECT_EQ(kernel.kernel(), kernel.kernel().transpose()) << width;
  }
}

// The packed lower tiles of every process cover the lower triangle exactly
// once, and the block-cyclic kernel holds X X^T there, on every grid.
TEST(BlockCyclicKernel, HoldsTheLowerTriangleOfXXTOnEveryGrid) {
  const mpi::Comm world = mpi::Comm::world();
  const Matrix<double> x = gaussian(kSamples, kFeatures, 3), x_test = gaussian(kTest, kFeatures, 4);
  const Matrix<double> k = x * x.transpose(), k_test = x_test * x.transpose();
  const double eps = std::numeric_limits<double>::epsilon();
  for (int rows = 1; rows <= world.size(); ++rows) {
    if (world.size() % rows != 0) continue;
    const BlacsGrid grid(world, rows, world.size() / rows);
    for (int block : {1, 5, 64}) {
      DistributedMatrix kd(grid, int(kSamples), int(kSamples), block);
      BlockCyclicKernel kernel(kd, kTest);
      add_my_chunks(x, x_test, 23, world,
                    [&](const Matrix<double>& a, const Matrix<double>& b) { kernel.add(a, b); });
      kernel.finish();
      const Matrix<double> got = kd.gather();
      const Matrix<double> lower = got.triangularView<Eigen::Lower>();
      const Matrix<double> want = k.triangularView<Eigen::Lower>();
      const std::string where = "grid " + std::to_string(rows) + "x" +
                                std::to_string(world.size() / rows) + " block " +
                                std::to_string(block);
      EXPECT_LE(relative(lower, want), 10 * kFeatures * eps) << where;
      EXPECT_LE(relative(kernel.test_kernel(), k_test), 10 * kFeatures * eps) << where;
      // Tiles wholly above the diagonal are never sent: in blocks of 1,
      // exactly the lower triangle.
      std::size_t packed = 0;
      for (int p = 0; p < world.size(); ++p)
        packed += lower_tiles(kd, p / grid.cols(), p % grid.cols()).size;
      const auto triangle = std::size_t(kSamples * (kSamples + 1) / 2);
      if (block == 1) {
        EXPECT_EQ(packed, triangle) << where;
      }
      EXPECT_GE(packed, triangle) << where;
      EXPECT_LE(packed, std::size_t(kSamples * kSamples)) << where;
    }
  }
}

}  // namespace
}  // namespace b2m::solvers
