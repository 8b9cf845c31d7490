#include <gtest/gtest.h>

#include <random>

#include "mpi/comm.hpp"
#include "solvers/kernel_ridge_cv.hpp"
#include "solvers/ridge_cv.hpp"
#include "tests/support/random.hpp"
#include "tests/support/tolerance.hpp"

namespace b2m::solvers {
namespace {

using testing::gaussian;

// Primal ridge by the normal equations (p x p): the independent reference.
Matrix<double> primal_weights(const Matrix<double>& x, const Matrix<double>& y, double alpha) {
  const Matrix<double> gram =
      x.transpose() * x + alpha * Matrix<double>::Identity(x.cols(), x.cols());
  return gram.ldlt().solve(x.transpose() * y);
}

// More features than samples, as in decoding; targets with different noise
// levels so different alphas win.
struct Problem {
  Matrix<double> x, y;
  std::vector<mpi::Range> folds;
  std::vector<double> alphas;
};

Problem make_problem() {
  Problem p;
  const Eigen::Index n = 60, features = 150, d = 6;
  p.x = gaussian(n, features, 1);
  p.y = p.x * gaussian(features, d, 2) / std::sqrt(double(features));
  const Matrix<double> noise = gaussian(n, d, 3);
  for (Eigen::Index j = 0; j < d; ++j) p.y.col(j) += noise.col(j) * (0.1 + 0.6 * double(j));
  std::vector<mpi::Range> runs;
  for (std::size_t r = 0; r < 6; ++r) runs.push_back({r * 10, r * 10 + 10});
  p.folds = contiguous_folds(runs, 3);
  for (int i = -2; i <= 4; ++i) p.alphas.push_back(std::pow(10.0, i));
  return p;
}

TEST(KernelRidgeCv, CrossValidationAndRefitEqualPrimalRidge) {
  const Problem p = make_problem();
  const Matrix<double> kernel = p.x * p.x.transpose();
  const mpi::Comm self = mpi::Comm::self();
  const KernelRidgeCv fit = kernel_ridge_cv(kernel, p.y, p.folds, p.alphas, self, EigenPlan{});

  const Eigen::Index n = p.x.rows(), d = p.y.cols();
  // Brute-force CV through the primal normal equations.
  Eigen::MatrixXd mse = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(p.alphas.size()), d);
  std::vector<Matrix<double>> cv_pred(p.alphas.size(), Matrix<double>(n, d));
  for (const mpi::Range& val : p.folds) {
    const auto a = static_cast<Eigen::Index>(val.begin), m = static_cast<Eigen::Index>(val.size());
    Matrix<double> xt(n - m, p.x.cols()), yt(n - m, d);
    xt << p.x.topRows(a), p.x.bottomRows(n - a - m);
    yt << p.y.topRows(a), p.y.bottomRows(n - a - m);
    for (std::size_t i = 0; i < p.alphas.size(); ++i) {
      const Matrix<double> pred = p.x.middleRows(a, m) * primal_weights(xt, yt, p.alphas[i]);
      cv_pred[i].middleRows(a, m) = pred;
      mse.row(static_cast<Eigen::Index>(i)) +=
          ((p.y.middleRows(a, m) - pred).colwise().squaredNorm() / double(m) /
           double(p.folds.size()));
    }
  }
  // The worst-conditioned problem: the smallest alpha on a fold's rows.
  const double condition = testing::ridge_condition(p.x, p.alphas.front());
  const double tolerance = testing::forward_tolerance(n, condition);
  EXPECT_LE((fit.cv_mse - mse).cwiseAbs().maxCoeff() / mse.maxCoeff(), tolerance);
  std::size_t distinct = 0;
  for (Eigen::Index j = 0; j < d; ++j) {
    Eigen::Index best = 0;
    mse.col(j).minCoeff(&best);
    EXPECT_EQ(fit.alpha_index[static_cast<std::size_t>(j)], static_cast<std::size_t>(best))
        << "target " << j;
    EXPECT_EQ(fit.alpha(j), p.alphas[static_cast<std::size_t>(best)]);
    distinct += (j == 0 || fit.alpha(j) != fit.alpha(j - 1));
    const Eigen::VectorXd expected = cv_pred[static_cast<std::size_t>(best)].col(j);
    EXPECT_LE((fit.cv_prediction.col(j) - expected).norm() / expected.norm(), tolerance);
    // Refit: the dual coefficients solve (K + alpha I) c = y backward-stably,
    // and the primal weights X^T c agree with the normal equations'.
    const Matrix<double> shifted = kernel + fit.alpha(j) * Matrix<double>::Identity(n, n);
    EXPECT_LE(testing::backward_error(shifted, fit.dual.col(j), p.y.col(j)), 10 * n * testing::kEps)
        << "target " << j;
    const Eigen::VectorXd w = primal_weights(p.x, p.y.col(j), fit.alpha(j));
    const Eigen::VectorXd w_dual = p.x.transpose() * fit.dual.col(j);
    EXPECT_LE((w_dual - w).norm() / w.norm(),
              testing::forward_tolerance(n, testing::ridge_condition(p.x, fit.alpha(j))))
        << "target " << j;
  }
  EXPECT_GE(distinct, 2u) << "the problem should exercise more than one alpha";
}

// An indefinite kernel (K + alpha I has negative eigenvalues), which the
// Cholesky refit cannot factorize: the refit falls back to the
// eigendecomposition, eigenvalues clamped at 0, the formula below.
TEST(KernelRidgeCv, IndefiniteKernelRefitsByTheClampedEigendecomposition) {
  const Eigen::Index n = 30;
  const Eigen::HouseholderQR<Matrix<double>> qr(gaussian(n, n, 4));
  const Matrix<double> q = qr.householderQ();
  const Eigen::VectorXd lambda = Eigen::VectorXd::LinSpaced(n, -3.0, 50.0);
  const Matrix<double> kernel = q * lambda.asDiagonal() * q.transpose();
  const Matrix<double> y = gaussian(n, 2, 5);
  const std::vector<mpi::Range> folds = {{0, 10}, {10, 20}, {20, 30}};
  const KernelRidgeCv fit =
      kernel_ridge_cv(kernel, y, folds, {1.0}, mpi::Comm::self(), EigenPlan{});
  const Eigen::VectorXd shrink = (1.0 / (lambda.cwiseMax(0.0).array() + 1.0)).matrix();
  const Matrix<double> clamped = q * shrink.asDiagonal() * q.transpose() * y;
  // cond(K_clamped + I) = 51: two stable evaluations agree within that.
  EXPECT_LE((fit.dual - clamped).norm() / clamped.norm(), testing::forward_tolerance(n, 51.0));
  // The plain solve differs: the test tells the two apart.
  const Matrix<double> plain = (kernel + Matrix<double>::Identity(n, n)).lu().solve(y);
  EXPECT_GT((plain - clamped).norm() / clamped.norm(), 0.1);
}

TEST(KernelRidgeCv, RejectsMismatchedShapes) {
  const Problem p = make_problem();
  const mpi::Comm self = mpi::Comm::self();
  const Matrix<double> kernel = p.x * p.x.transpose();
  EXPECT_THROW(
      static_cast<void>(kernel_ridge_cv(kernel, p.y.topRows(10), p.folds, p.alphas, self, {})),
      ConfigError);
  EXPECT_THROW(static_cast<void>(kernel_ridge_cv(kernel, p.y, p.folds, {}, self, {})), ConfigError);
}

}  // namespace
}  // namespace b2m::solvers
