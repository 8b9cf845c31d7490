#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "mpi/comm.hpp"
#include "solvers/blacs_grid.hpp"
#include "solvers/distributed_kernel_ridge_cv.hpp"
#include "solvers/kernel_ridge_cv.hpp"
#include "tests/support/tolerance.hpp"

namespace b2m::solvers {
namespace {

struct Problem {
  Matrix<double> kernel, y;
  double condition = 0;  // of K + alpha I at the smallest alpha
  std::vector<mpi::Range> folds;
  std::vector<double> alphas;
};

// The same problem on every rank (fixed seed): a linear kernel of more
// features than samples, targets with signal, folds of unequal sizes.
Problem problem(Eigen::Index n) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  Matrix<double> x(n, 2 * n), w(2 * n, 3), noise(n, 3);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = normal(rng);
  for (Eigen::Index i = 0; i < noise.size(); ++i) noise.data()[i] = normal(rng);
  Problem p;
  p.kernel = x * x.transpose();
  p.y = x * w / 10.0 + 3.0 * noise;
  const auto u = static_cast<std::size_t>(n);
  p.folds = {{0, u / 4}, {u / 4, u / 2}, {u / 2, u - u / 5}, {u - u / 5, u}};
  p.alphas = {1, 10, 100, 1e3, 1e4};
  const Eigen::SelfAdjointEigenSolver<Matrix<double>> eig(p.kernel, Eigen::EigenvaluesOnly);
  p.condition = (eig.eigenvalues().maxCoeff() + p.alphas.front()) /
                (std::max(0.0, eig.eigenvalues().minCoeff()) + p.alphas.front());
  return p;
}

double relative(const Matrix<double>& a, const Matrix<double>& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

// The distributed solver against the replicated one (LAPACK on one rank) on
// every grid shape of the job and several block sizes.
TEST(DistributedKernelRidge, MatchesTheReplicatedSolverOnEveryGridAndBlockSize) {
  const mpi::Comm world = mpi::Comm::world();
  const Problem p = problem(45);
  EigenPlan lapack;
  lapack.backend = EigenBackend::lapack;
  const KernelRidgeCv ref =
      kernel_ridge_cv(p.kernel, p.y, p.folds, p.alphas, mpi::Comm::self(), lapack);
  for (int rows = 1; rows <= world.size(); ++rows) {
    if (world.size() % rows != 0) continue;
    const int cols = world.size() / rows;
    const BlacsGrid grid(world, rows, cols);
    for (int block : {1, 4, 7, 64}) {
      const int nb = fitting_block(45 - 14, block, rows, cols);  // the largest fold: 14 rows
      const std::string where = "grid " + std::to_string(rows) + "x" + std::to_string(cols) +
                                ", block " + std::to_string(nb);
      const DistributedMatrix kernel = DistributedMatrix::from_replicated(grid, p.kernel, nb);
      const KernelRidgeCv got = kernel_ridge_cv(kernel, p.y, p.folds, p.alphas);
      EXPECT_EQ(got.alpha_index, ref.alpha_index) << where;
      // Two stable solvers of the same problems agree within its condition.
      const double tolerance = testing::forward_tolerance(45, p.condition);
      EXPECT_LE(relative(got.cv_mse, ref.cv_mse), tolerance) << where;
      EXPECT_LE(relative(got.cv_prediction, ref.cv_prediction), tolerance) << where;
      EXPECT_LE(relative(got.dual, ref.dual), tolerance) << where;
    }
  }
}

// An indefinite kernel, which pdpotrf cannot factorize: on every grid the
// refit falls back to pdsyevd, eigenvalues clamped at 0.
TEST(DistributedKernelRidge, IndefiniteKernelRefitsByTheClampedEigendecomposition) {
  const mpi::Comm world = mpi::Comm::world();
  const Eigen::Index n = 30;
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal;
  Matrix<double> g(n, n), y(n, 2);
  for (Eigen::Index i = 0; i < g.size(); ++i) g.data()[i] = normal(rng);
  for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] = normal(rng);
  const Matrix<double> q = Eigen::HouseholderQR<Matrix<double>>(g).householderQ();
  const Eigen::VectorXd lambda = Eigen::VectorXd::LinSpaced(n, -3.0, 50.0);
  const Matrix<double> kernel = q * lambda.asDiagonal() * q.transpose();
  const Eigen::VectorXd shrink = (1.0 / (lambda.cwiseMax(0.0).array() + 1.0)).matrix();
  const Matrix<double> clamped = q * shrink.asDiagonal() * q.transpose() * y;
  for (int rows = 1; rows <= world.size(); ++rows) {
    if (world.size() % rows != 0) continue;
    const BlacsGrid grid(world, rows, world.size() / rows);
    const DistributedMatrix k = DistributedMatrix::from_replicated(grid, kernel, 4);
    const KernelRidgeCv got = kernel_ridge_cv(k, y, {{0, 10}, {10, 20}, {20, 30}}, {1.0});
    // cond(K_clamped + I) = 51.
    EXPECT_LE(relative(got.dual, clamped), testing::forward_tolerance(n, 51.0))
        << "grid " << rows << "x" << world.size() / rows;
  }
}

// A block too large for the grid would hang pdsyevd: refused on every rank.
TEST(DistributedKernelRidge, RefusesABlockThatLeavesAProcessEmpty) {
  const mpi::Comm world = mpi::Comm::world();
  if (world.size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const Problem p = problem(12);
  const BlacsGrid grid(world, 1, world.size());
  const DistributedMatrix kernel = DistributedMatrix::from_replicated(grid, p.kernel, 12);
  EXPECT_THROW(static_cast<void>(kernel_ridge_cv(kernel, p.y, p.folds, p.alphas)), ConfigError);
  // A training kernel with fewer rows than the grid has processes, even in
  // blocks of 1.
  const auto n = static_cast<Eigen::Index>(world.size() + 1);
  const DistributedMatrix small =
      DistributedMatrix::from_replicated(grid, p.kernel.topLeftCorner(n, n), 1);
  const std::vector<mpi::Range> folds = {{0, 2}, {2, static_cast<std::size_t>(n)}};
  EXPECT_THROW(static_cast<void>(kernel_ridge_cv(small, p.y.topRows(n), folds, p.alphas)),
               ConfigError);
}

}  // namespace
}  // namespace b2m::solvers
