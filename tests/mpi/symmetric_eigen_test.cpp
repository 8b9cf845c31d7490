#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "mpi/comm.hpp"
#include "solvers/blacs_grid.hpp"
#include "solvers/distributed_matrix.hpp"
#include "solvers/scalapack.hpp"
#include "solvers/symmetric_eigen.hpp"
#include "tests/support/mpi_assert.hpp"

namespace b2m::solvers {
namespace {

// The same random symmetric matrix on every rank (fixed seed).
Matrix<double> random_symmetric(Eigen::Index n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<double> x(n, n + 3);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
  return x * x.transpose() / double(n);
}

std::vector<std::pair<int, int>> grid_shapes(int ranks) {
  std::vector<std::pair<int, int>> out;
  for (int r = 1; r <= ranks; ++r)
    if (ranks % r == 0) out.emplace_back(r, ranks / r);
  return out;
}

// ScaLAPACK on every grid shape of the job and several block sizes against
// the single-rank LAPACK decomposition of the same matrix.
TEST(SymmetricEigen, ScalapackMatchesLapackOnEveryGridAndBlockSize) {
  const mpi::Comm world = mpi::Comm::world();
  const double eps = std::numeric_limits<double>::epsilon();
  for (Eigen::Index n : {1, 2, 5, 7, 50, 131}) {
    const Matrix<double> a = random_symmetric(n, 40 + static_cast<std::uint64_t>(n));
    Matrix<double> work = a;
    const SymmetricEigen local = symmetric_eigen(work);
    for (auto [rows, cols] : grid_shapes(world.size())) {
      for (int block : {1, 3, 16, 64}) {
        EigenPlan plan;
        plan.backend = EigenBackend::scalapack;
        plan.grid_rows = rows;
        plan.grid_cols = cols;
        plan.block = block;
        const SymmetricEigen dist = symmetric_eigen(a, world, plan);
        const std::string where = "n " + std::to_string(n) + ", grid " + std::to_string(rows) +
                                  "x" + std::to_string(cols) + ", block " + std::to_string(block);
        const double scale = a.norm();
        B2M_ASSERT_ALL(world, dist.values.size() == n);
        EXPECT_LE((dist.values - local.values).cwiseAbs().maxCoeff(), 100 * n * eps * scale)
            << where;
        const Matrix<double> back =
            dist.vectors * dist.values.asDiagonal() * dist.vectors.transpose();
        EXPECT_LE((back - a).norm(), 100 * n * eps * scale) << where;
        // Eigenvectors agree up to sign (the random spectrum is simple).
        const Matrix<double> overlap = local.vectors.transpose() * dist.vectors;
        EXPECT_LE((overlap.cwiseAbs() - Matrix<double>::Identity(n, n)).norm(), 1e-8) << where;
      }
    }
  }
}

// The LAPACK path solves on the root and every rank gets the same bits.
TEST(SymmetricEigen, LapackPathGivesEveryRankTheRootsResult) {
  const mpi::Comm world = mpi::Comm::world();
  const Matrix<double> a = random_symmetric(40, 7);
  EigenPlan plan;
  plan.backend = EigenBackend::lapack;
  const SymmetricEigen out = symmetric_eigen(a, world, plan);
  Matrix<double> work = a;
  const SymmetricEigen local = symmetric_eigen(work);
  double differs = (out.values - local.values).cwiseAbs().maxCoeff() +
                   (out.vectors - local.vectors).cwiseAbs().maxCoeff();
  EXPECT_EQ(world.allreduce(differs, mpi::Op::max), 0.0);
}

// Bad layouts are refused before ScaLAPACK sees them.
TEST(Scalapack, BadBlockSizesAndGridShapesAreConfigErrors) {
  const mpi::Comm world = mpi::Comm::world();
  const auto [rows, cols] = BlacsGrid::square_shape(world.size());
  const BlacsGrid grid(world, rows, cols);
  EXPECT_THROW(DistributedMatrix(grid, 5, 5, 0), ConfigError);
  EXPECT_THROW(BlacsGrid(world, world.size() + 1, 1), ConfigError);
}

// The computational routines' own argument checks: an order larger than the
// matrix's descriptor is info < 0 from pdsyevd and pdpotrf, an exception
// naming the routine on every rank.
TEST(Scalapack, IllegalArgumentsOfTheSolversAreScalapackErrorsNamingThem) {
  const mpi::Comm world = mpi::Comm::world();
  for (auto [rows, cols] : grid_shapes(world.size())) {
    const BlacsGrid grid(world, rows, cols);
    DistributedMatrix a = DistributedMatrix::from_replicated(grid, random_symmetric(12, 5), 4);
    DistributedMatrix z(grid, 12, 12, 4);
    const std::string where = "grid " + std::to_string(rows) + "x" + std::to_string(cols);
    for (const std::string routine : {"pdsyevd", "pdpotrf"}) {
      std::string message;
      int info = 0;
      try {
        if (routine == "pdsyevd") {
          Eigen::VectorXd w(13);
          scalapack::pdsyevd(13, {a}, w.data(), {z});
        } else {
          static_cast<void>(scalapack::pdpotrf(13, {a}));
        }
      } catch (const ScalapackError& e) {
        message = e.what();
        info = e.info();
      }
      EXPECT_NE(message.find(routine), std::string::npos) << where << ": " << message;
      EXPECT_LT(info, 0) << where << ", " << routine;
    }
  }
}

// pdpotrf on a matrix that is not positive definite answers false on every
// process, whichever holds the failing pivot; on one that is, true.
TEST(Scalapack, PdpotrfReportsAnIndefiniteMatrixOnEveryRank) {
  const mpi::Comm world = mpi::Comm::world();
  for (auto [rows, cols] : grid_shapes(world.size())) {
    const BlacsGrid grid(world, rows, cols);
    Matrix<double> a = random_symmetric(20, 9);
    a.diagonal().array() += 1.0;
    DistributedMatrix pd = DistributedMatrix::from_replicated(grid, a, 4);
    EXPECT_TRUE(scalapack::pdpotrf(20, {pd}));
    a(17, 17) = -50.0;  // a pivot late in the factorization, on one process
    DistributedMatrix indefinite = DistributedMatrix::from_replicated(grid, a, 4);
    EXPECT_FALSE(scalapack::pdpotrf(20, {indefinite})) << "grid " << rows << "x" << cols;
  }
}

// A matrix pdsyevd cannot decompose (a NaN entry) is an exception naming
// pdsyevd on every rank, not a hang: without the finiteness check in
// symmetric_eigen, pdsyevd hung here with 4 processes.
TEST(SymmetricEigen, DistributedFailureIsANumericErrorNamingPdsyevd) {
  const mpi::Comm world = mpi::Comm::world();
  for (auto [rows, cols] : grid_shapes(world.size())) {
    const BlacsGrid grid(world, rows, cols);
    Matrix<double> a = random_symmetric(40, 3);
    a(17, 5) = a(5, 17) = std::numeric_limits<double>::quiet_NaN();
    bool named = false;
    try {
      static_cast<void>(symmetric_eigen(DistributedMatrix::from_replicated(grid, a, 8)));
    } catch (const NumericError& e) {
      named = std::string(e.what()).find("pdsyevd") != std::string::npos;
    }
    EXPECT_TRUE(named) << "grid " << rows << "x" << cols;
  }
}

TEST(DistributedMatrix, ScatterThenGatherIsTheIdentity) {
  const mpi::Comm world = mpi::Comm::world();
  for (auto [rows, cols] : grid_shapes(world.size())) {
    const BlacsGrid grid(world, rows, cols);
    Matrix<double> full(23, 17);
    for (Eigen::Index i = 0; i < full.size(); ++i) full.data()[i] = double(i);
    for (int block : {1, 4, 32}) {
      const DistributedMatrix m = DistributedMatrix::from_replicated(grid, full, block);
      EXPECT_EQ(world.allreduce(static_cast<long>(m.local().size()), mpi::Op::sum), 23 * 17);
      EXPECT_EQ(m.gather(), full);
    }
  }
}

}  // namespace
}  // namespace b2m::solvers
