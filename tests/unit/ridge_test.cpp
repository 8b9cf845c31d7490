#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "solvers/ridge_cv.hpp"
#include "solvers/thin_svd.hpp"

namespace b2m::solvers {
namespace {

Matrix<double> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<double> m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

// Ridge weights from the normal equations: an independent reference.
Matrix<double> normal_equations(const Matrix<double>& x, const Matrix<double>& y, double alpha) {
  const Matrix<double> gram =
      x.transpose() * x + alpha * Matrix<double>::Identity(x.cols(), x.cols());
  return gram.ldlt().solve(x.transpose() * y);
}

TEST(ThinSvd, ReconstructsWithOrthonormalFactors) {
  for (auto [n, p] : {std::pair{40, 7}, std::pair{6, 30}}) {
    const Matrix<double> x = random_matrix(n, p, 1);
    const ThinSvd<double> svd = thin_svd<double>(x);
    const Eigen::Index k = std::min(n, p);
    ASSERT_EQ(svd.u.cols(), k);
    const double eps = std::numeric_limits<double>::epsilon();
    EXPECT_LE((svd.u * svd.s.asDiagonal() * svd.v.transpose() - x).norm() / x.norm(), 50 * k * eps);
    EXPECT_LE((svd.u.transpose() * svd.u - Matrix<double>::Identity(k, k)).norm(), 50 * k * eps);
    EXPECT_LE((svd.v.transpose() * svd.v - Matrix<double>::Identity(k, k)).norm(), 50 * k * eps);
  }
}

TEST(ContiguousFolds, GroupsWholeRunsInOrder) {
  std::vector<mpi::Range> runs;
  for (std::size_t r = 0; r < 12; ++r) runs.push_back({r * 10, r * 10 + 10});
  const auto folds = contiguous_folds(runs, 5);
  ASSERT_EQ(folds.size(), 5u);
  const std::size_t expected_runs[] = {3, 3, 2, 2, 2};
  std::size_t at = 0;
  for (std::size_t f = 0; f < 5; ++f) {
    EXPECT_EQ(folds[f].begin, at);
    EXPECT_EQ(folds[f].size(), expected_runs[f] * 10);
    at = folds[f].end;
  }
  EXPECT_THROW(static_cast<void>(contiguous_folds(runs, 13)), InputError);
  EXPECT_THROW(static_cast<void>(contiguous_folds(runs, 1)), ConfigError);
}

TEST(RidgeFold, ValidationErrorsMatchTheNormalEquations) {
  const std::size_t n = 90, p = 12, v = 5;
  const Matrix<double> x = random_matrix(n, p, 2);
  const Matrix<double> y = x * random_matrix(p, v, 3) + 3.0 * random_matrix(n, v, 4);
  const mpi::Range val{30, 55};
  const std::vector<double> alphas = {0.1, 10.0, 1000.0};
  RidgeFold<double> fold(x, val);
  Eigen::MatrixXd mse = Eigen::MatrixXd::Zero(3, v), r2 = Eigen::MatrixXd::Zero(3, v);
  fold.accumulate(y, alphas, mse, r2);
  Matrix<double> x_train(n - val.size(), p), y_train(n - val.size(), v);
  x_train << x.topRows(30), x.bottomRows(35);
  y_train << y.topRows(30), y.bottomRows(35);
  const Matrix<double> x_val = x.middleRows(30, 25), y_val = y.middleRows(30, 25);
  const double eps = std::numeric_limits<double>::epsilon();
  for (std::size_t a = 0; a < alphas.size(); ++a) {
    const Matrix<double> residual = y_val - x_val * normal_equations(x_train, y_train, alphas[a]);
    for (Eigen::Index j = 0; j < static_cast<Eigen::Index>(v); ++j) {
      const double expected = residual.col(j).squaredNorm() / 25.0;
      EXPECT_NEAR(mse(static_cast<Eigen::Index>(a), j), expected, 1e3 * n * eps * expected);
      const Eigen::ArrayXd yv = y_val.col(j).array();
      const double var = (yv - yv.mean()).square().mean();
      EXPECT_NEAR(r2(static_cast<Eigen::Index>(a), j), 1 - expected / var, 1e-10);
    }
  }
}

TEST(RidgeRefit, PredictionsAndWeightsMatchTheNormalEquationsPerColumnAlpha) {
  const std::size_t n = 70, m = 20, p = 9, v = 4;
  const Matrix<double> x = random_matrix(n, p, 5), x_test = random_matrix(m, p, 6);
  const Matrix<double> y = random_matrix(n, v, 7);
  Eigen::VectorXd alpha(4);
  alpha << 0.5, 50.0, std::nan(""), 5000.0;
  RidgeRefit<double> refit(x, x_test, true);
  Matrix<double> prediction, weights;
  refit.fit(y, alpha, prediction, &weights);
  for (Eigen::Index j = 0; j < 4; ++j) {
    if (std::isnan(alpha(j))) {
      EXPECT_EQ(weights.col(j).norm(), 0.0);
      continue;
    }
    const Matrix<double> w = normal_equations(x, y.col(j), alpha(j));
    EXPECT_LE((weights.col(j) - w).norm() / w.norm(), 1e-10);
    EXPECT_LE((prediction.col(j) - x_test * w).norm() / (x_test * w).norm(), 1e-10);
  }
  // Without kept weights, asking for them is an error.
  RidgeRefit<double> lean(x, x_test, false);
  EXPECT_THROW(lean.fit(y, alpha, prediction, &weights), ConfigError);
}

TEST(RidgeFold, SinglePrecisionAgreesWithDouble) {
  const Matrix<double> x = random_matrix(120, 10, 8);
  const Matrix<double> y = x * random_matrix(10, 3, 9) + random_matrix(120, 3, 10);
  const std::vector<double> alphas = {1.0, 100.0};
  Eigen::MatrixXd mse_d = Eigen::MatrixXd::Zero(2, 3), mse_s = mse_d, r2 = mse_d;
  RidgeFold<double>(x, {0, 40}).accumulate(y, alphas, mse_d, r2);
  RidgeFold<float> single(x.cast<float>(), {0, 40});
  single.accumulate(y.cast<float>(), alphas, mse_s, r2);
  EXPECT_LE(((mse_s - mse_d).array().abs() / mse_d.array()).maxCoeff(), 1e-4);
}

}  // namespace
}  // namespace b2m::solvers
