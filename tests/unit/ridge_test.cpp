#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/error.hpp"
#include "solvers/design_ridge.hpp"
#include "solvers/ridge_cost.hpp"
#include "solvers/ridge_cv.hpp"
#include "solvers/ridge_factor.hpp"
#include "solvers/symmetric_eigen.hpp"
#include "tests/support/random.hpp"
#include "tests/support/tolerance.hpp"

namespace b2m::solvers {
namespace {

using testing::forward_tolerance;
using testing::kEps;
using testing::ridge_backward_error;
using testing::ridge_condition;

Matrix<double> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  return testing::gaussian(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols), seed);
}

// Ridge weights from the normal equations: an independent reference.
Matrix<double> normal_equations(const Matrix<double>& x, const Matrix<double>& y, double alpha) {
  const Matrix<double> gram =
      x.transpose() * x + alpha * Matrix<double>::Identity(x.cols(), x.cols());
  return gram.ldlt().solve(x.transpose() * y);
}

TEST(SymmetricEigen, ReconstructsWithOrthonormalVectors) {
  const Matrix<double> x = random_matrix(30, 12, 1);
  const Matrix<double> gram = x.transpose() * x;
  Matrix<double> work = gram;
  const SymmetricEigen eig = symmetric_eigen(work);
  const double eps = std::numeric_limits<double>::epsilon();
  const Matrix<double> back = eig.vectors * eig.values.asDiagonal() * eig.vectors.transpose();
  EXPECT_LE((back - gram).norm() / gram.norm(), 100 * 12 * eps);
  EXPECT_LE((eig.vectors.transpose() * eig.vectors - Matrix<double>::Identity(12, 12)).norm(),
            100 * 12 * eps);
  for (Eigen::Index i = 1; i < 12; ++i) EXPECT_LE(eig.values(i - 1), eig.values(i));
  Matrix<double> not_square(3, 4);
  EXPECT_THROW(static_cast<void>(symmetric_eigen(not_square)), ConfigError);
}

// Both the primal (p <= n) and the dual (p > n) factorization reproduce
// the normal equations' predictions and weights, with and without held-out
// rows (the training rows are then those outside them, never copied).
TEST(RidgeFactor, PrimalAndDualMatchTheNormalEquations) {
  for (auto [n, p] : {std::pair{50, 8}, std::pair{12, 40}, std::pair{30, 24}}) {
    const Matrix<double> x = random_matrix(n, p, 11), x_out = random_matrix(7, p, 12);
    const Matrix<double> y = random_matrix(n, 3, 13);
    for (const mpi::Range held_out : {mpi::Range{}, mpi::Range{3, 9}, mpi::Range{0, 4}}) {
      const RidgeFactor f = ridge_factor(x, held_out, x_out, true);
      const auto a = static_cast<Eigen::Index>(held_out.begin);
      const auto below = n - static_cast<Eigen::Index>(held_out.end);
      Matrix<double> x_train(a + below, p), y_train(a + below, 3);
      x_train << x.topRows(a), x.bottomRows(below);
      y_train << y.topRows(a), y.bottomRows(below);
      ASSERT_EQ(f.lambda.size(), ridge_is_primal(x_train.rows(), p) ? p : x_train.rows());
      for (double alpha : {0.01, 3.0, 1e4}) {
        const Matrix<double> w = normal_equations(x_train, y_train, alpha);
        const Eigen::VectorXd d = ridge_shrinkage<double>(f.lambda, alpha);
        const Matrix<double> by = d.asDiagonal() * (f.right_t.transpose() * y_train);
        const Matrix<double> w_spectral = f.weights_left * by;
        const Matrix<double> pred = f.left * by;
        // The spectral weights solve the normal equations backward-stably;
        // the predictions agree with the reference's within its condition.
        EXPECT_LE(ridge_backward_error(x_train, y_train, alpha, w_spectral), 100 * (n + p) * kEps)
            << n << "x" << p << " held out " << held_out.size() << " alpha " << alpha;
        EXPECT_LE((pred - x_out * w).norm() / (x_out * w).norm(),
                  forward_tolerance(n + p, ridge_condition(x_train, alpha)));
      }
    }
    // The refit's form, consuming X (primal: X V in X's storage), agrees.
    Matrix<double> gram = ridge_gram(x, {}), consumed = x;
    const RidgeFactor g = ridge_factor(std::move(consumed), x_out, symmetric_eigen(gram), true);
    const RidgeFactor f = ridge_factor(x, {}, x_out, true);
    // (the same products in panels: round-off of one GEMM)
    EXPECT_LE((g.right_t - f.right_t).norm(), 10 * p * kEps * f.right_t.norm());
    EXPECT_LE((g.left - f.left).norm(), 10 * p * kEps * f.left.norm());
    EXPECT_LE((g.weights_left - f.weights_left).norm(), 10 * p * kEps * f.weights_left.norm());
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
  const RidgeFold<double> fold(ridge_factor(x, val, x.middleRows(30, 25), false), val);
  Scores mse = Scores::Zero(3, v), r2 = Scores::Zero(3, v);
  fold.accumulate(y, alphas, mse, r2);
  Matrix<double> x_train(n - val.size(), p), y_train(n - val.size(), v);
  x_train << x.topRows(30), x.bottomRows(35);
  y_train << y.topRows(30), y.bottomRows(35);
  const Matrix<double> x_val = x.middleRows(30, 25), y_val = y.middleRows(30, 25);
  for (std::size_t a = 0; a < alphas.size(); ++a) {
    const Matrix<double> residual = y_val - x_val * normal_equations(x_train, y_train, alphas[a]);
    // The errors of two stable solutions differ by the condition's share.
    const double tolerance = forward_tolerance(n, ridge_condition(x_train, alphas[a]), 1e3);
    for (Eigen::Index j = 0; j < static_cast<Eigen::Index>(v); ++j) {
      const double expected = residual.col(j).squaredNorm() / 25.0;
      EXPECT_NEAR(mse(static_cast<Eigen::Index>(a), j), expected, tolerance * expected);
      const Eigen::ArrayXd yv = y_val.col(j).array();
      const double var = (yv - yv.mean()).square().mean();
      EXPECT_NEAR(r2(static_cast<Eigen::Index>(a), j), 1 - expected / var,
                  tolerance * expected / var);
    }
  }
}

TEST(RidgeRefit, PredictionsAndWeightsMatchTheNormalEquationsPerColumnAlpha) {
  const std::size_t n = 70, m = 20, p = 9, v = 4;
  const Matrix<double> x = random_matrix(n, p, 5), x_test = random_matrix(m, p, 6);
  const Matrix<double> y = random_matrix(n, v, 7);
  Eigen::VectorXd alpha(4);
  alpha << 0.5, 50.0, std::nan(""), 5000.0;
  const RidgeRefit<double> refit(ridge_factor(x, {}, x_test, true));
  Matrix<double> prediction;
  RowMajorMatrix<double> weights;
  refit.fit(y, alpha, prediction, &weights);
  for (Eigen::Index j = 0; j < 4; ++j) {
    if (std::isnan(alpha(j))) {
      EXPECT_EQ(weights.col(j).norm(), 0.0);
      continue;
    }
    const Matrix<double> w = normal_equations(x, y.col(j), alpha(j));
    EXPECT_LE(ridge_backward_error(x, y.col(j), alpha(j), Matrix<double>(weights.col(j))),
              100 * (n + p) * kEps);
    EXPECT_LE((prediction.col(j) - x_test * w).norm() / (x_test * w).norm(),
              forward_tolerance(n + p, ridge_condition(x, alpha(j))));
  }
  // Without kept weights, asking for them is an error.
  const RidgeRefit<double> lean(ridge_factor(x, {}, x_test, false));
  EXPECT_THROW(lean.fit(y, alpha, prediction, &weights), ConfigError);
}

TEST(DesignRidge, FitMatchesABruteForceSearchOverTheNormalEquations) {
  // Primal (n > p) and dual (p > n) forms.
  for (const auto& [n, p] : {std::pair<std::size_t, std::size_t>{90, 8}, {90, 150}}) {
    const Matrix<double> x = random_matrix(n, p, 21), x_test = random_matrix(11, p, 22);
    const Matrix<double> y = x * random_matrix(p, 4, 23) * 0.3 + 2.0 * random_matrix(n, 4, 24);
    const std::vector<mpi::Range> folds = {{0, 30}, {30, 55}, {55, 90}};
    const std::vector<double> alphas = {0.1, 3.0, 100.0, 3000.0, 1e5};
    DesignRidge solver(x, x_test);
    const CvFit fit = solver.fit(y, folds, alphas);
    // Brute force: per fold and alpha, weights from the training rows.
    const auto training = [&](const Matrix<double>& m, mpi::Range val) {
      Matrix<double> t(m.rows() - long(val.size()), m.cols());
      t << m.topRows(long(val.begin)), m.bottomRows(m.rows() - long(val.end));
      return t;
    };
    for (Eigen::Index j = 0; j < 4; ++j) {
      std::vector<double> error(alphas.size(), 0.0);
      for (std::size_t i = 0; i < alphas.size(); ++i)
        for (const mpi::Range& val : folds) {
          const Matrix<double> w =
              normal_equations(training(x, val), training(y.col(j), val), alphas[i]);
          const Eigen::VectorXd r = y.col(j).segment(long(val.begin), long(val.size())) -
                                    x.middleRows(long(val.begin), long(val.size())) * w;
          error[i] += r.squaredNorm() / double(val.size());
        }
      const auto best = std::min_element(error.begin(), error.end()) - error.begin();
      ASSERT_EQ(fit.alpha(j), alphas[std::size_t(best)]) << "n " << n << " p " << p;
      for (const mpi::Range& val : folds) {
        const Matrix<double> w =
            normal_equations(training(x, val), training(y.col(j), val), fit.alpha(j));
        const Eigen::VectorXd cv = x.middleRows(long(val.begin), long(val.size())) * w;
        const double condition = ridge_condition(training(x, val), fit.alpha(j));
        EXPECT_LE((fit.cv_prediction.col(j).segment(long(val.begin), long(val.size())) - cv).norm(),
                  forward_tolerance(Eigen::Index(n + p), condition) * cv.norm());
      }
      const Eigen::VectorXd test = x_test * normal_equations(x, y.col(j), fit.alpha(j));
      EXPECT_LE(
          (fit.test_prediction.col(j) - test).norm(),
          forward_tolerance(Eigen::Index(n + p), ridge_condition(x, fit.alpha(j))) * test.norm());
    }
  }
}

TEST(RidgeFold, SinglePrecisionAgreesWithDouble) {
  const Matrix<double> x = random_matrix(120, 10, 8);
  const Matrix<double> y = x * random_matrix(10, 3, 9) + random_matrix(120, 3, 10);
  const std::vector<double> alphas = {1.0, 100.0};
  Scores mse_d = Scores::Zero(2, 3), mse_s = mse_d, r2 = mse_d;
  const RidgeFactor factor = ridge_factor(x, {0, 40}, x.topRows(40), false);
  RidgeFold<double>(factor, {0, 40}).accumulate(y, alphas, mse_d, r2);
  const Matrix<float> y_single = y.cast<float>();
  RidgeFold<float>(in_precision<float>(factor), {0, 40}).accumulate(y_single, alphas, mse_s, r2);
  EXPECT_LE(((mse_s - mse_d).array().abs() / mse_d.array()).maxCoeff(), 1e-5);
}

TEST(NearTies, FlagsColumnsWhoseBestAlphasAreWithinTheTolerance) {
  Scores mse(3, 4);
  mse << 1.0, 2.0, 5.0, 1.0,   //
      1.00001, 1.0, 6.0, 1.0,  //
      2.0, 1.5, 5.00000001, 1.0;
  // Column 0: gap 1e-5 relative; 1: clear; 2: gap 2e-9; 3: exact tie.
  const auto all = [](double t) { return Eigen::VectorXd::Constant(4, t).eval(); };
  EXPECT_EQ(near_ties(mse, all(1e-4)), (std::vector<Eigen::Index>{0, 2, 3}));
  EXPECT_EQ(near_ties(mse, all(1e-6)), (std::vector<Eigen::Index>{2, 3}));
  EXPECT_EQ(near_ties(mse, all(0.0)), (std::vector<Eigen::Index>{3}));
  Eigen::VectorXd per_column(4);
  per_column << 1e-4, 1e-4, 1e-10, 0.0;  // each column its own tolerance
  EXPECT_EQ(near_ties(mse, per_column), (std::vector<Eigen::Index>{0, 3}));
}

// The real design's folds: 4,920 training rows in 12 runs, k folds.
std::vector<mpi::Range> real_folds(std::size_t k) {
  std::vector<mpi::Range> runs;
  for (std::size_t r = 0; r < 12; ++r) runs.push_back({r * 410, r * 410 + 410});
  return contiguous_folds(runs, k);
}

TEST(RefitOwner, IsTheFirstGroupWithFewerFolds) {
  EXPECT_EQ(refit_owner(5, 1), 0u);
  EXPECT_EQ(refit_owner(5, 2), 1u);  // groups hold 3 and 2 folds
  EXPECT_EQ(refit_owner(5, 3), 2u);  // 2, 2, 1
  EXPECT_EQ(refit_owner(4, 2), 1u);  // equal: the last group
  EXPECT_EQ(refit_owner(5, 5), 4u);
}

TEST(PlanFoldGroups, SplitsFoldsWhenFactorizationsDominate) {
  const auto folds = real_folds(5);
  // p = 512 with 20,000 voxels: the per-voxel work dominates.
  EXPECT_EQ(plan_fold_groups(4920, 600, folds, 512, 20, 20000, 2), 1u);
  // p = 4,096 with 500 voxels: the 4k eigendecompositions dominate.
  EXPECT_EQ(plan_fold_groups(4920, 600, folds, 4096, 20, 500, 2), 2u);
  EXPECT_EQ(plan_fold_groups(4920, 600, folds, 4096, 20, 500, 4), 4u);
  // Never more groups than folds, always a divisor of the ranks.
  EXPECT_EQ(plan_fold_groups(4920, 600, folds, 4096, 20, 500, 1), 1u);
  EXPECT_EQ(plan_fold_groups(4920, 600, folds, 4096, 20, 500, 3), 3u);
  EXPECT_EQ(plan_fold_groups(4920, 600, folds, 4096, 20, 10, 10), 5u);
  EXPECT_EQ(plan_fold_groups(4920, 600, folds, 4096, 20, 10, 7), 1u);  // 7 has no divisor in 2..5
}

// Each group's modelled time: its factorizations plus its pieces of scoring.
std::vector<double> group_times(const std::vector<mpi::Range>& folds,
                                const std::vector<std::vector<double>>& shares, std::size_t p,
                                std::size_t voxels, std::size_t groups) {
  std::vector<double> time(groups, 0.0);
  time[refit_owner(folds.size(), groups)] += factor_flops(4920, p, 600);
  for (std::size_t k = 0; k < folds.size(); ++k) {
    const std::size_t n_val = folds[k].size();
    time[k % groups] += factor_flops(4920 - n_val, p, n_val);
    for (std::size_t g = 0; g < groups; ++g)
      time[g] += shares[k][g] * double(voxels) * fold_flops_per_target(4920 - n_val, n_val, p, 20);
  }
  return time;
}

TEST(PlanFoldShares, EvensOutTheGroupsFactorizations) {
  const auto folds = real_folds(5);
  for (std::size_t groups : {1u, 2u, 3u, 5u}) {
    const auto shares = plan_fold_shares(4920, 600, folds, 4096, 20, 5000, groups);
    ASSERT_EQ(shares.size(), 5u);
    for (const auto& s : shares) {
      double sum = 0;
      for (double f : s) {
        EXPECT_GE(f, 0.0);
        sum += f;
      }
      EXPECT_NEAR(sum, 1.0, 1e-12);
    }
    const std::vector<double> t = group_times(folds, shares, 4096, 5000, groups);
    const auto [lo, hi] = std::minmax_element(t.begin(), t.end());
    EXPECT_LT(*hi / *lo, 1.01) << groups << " groups";
  }
  // 2 groups: group 0 factorizes 3 folds, group 1 two and the refit; only
  // the last fold of group 0 is shared, and group 1 takes part of it.
  const auto two = plan_fold_shares(4920, 600, folds, 4096, 20, 5000, 2);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(two[k][k % 2], 1.0) << "fold " << k;
  EXPECT_GT(two[4][1], 0.1);
  EXPECT_GT(two[4][0], 0.1);
  // 4 folds on 2 groups: the refit's owner hands part of its last fold over.
  const auto even = plan_fold_shares(4920, 600, real_folds(4), 4096, 20, 5000, 2);
  EXPECT_GT(even[3][0], 0.0);
  EXPECT_EQ(even[2][0], 1.0);
}

TEST(PlanFoldShares, KeepsFoldsWithTheirOwnersWithoutVoxels) {
  const auto shares = plan_fold_shares(4920, 600, real_folds(5), 4096, 20, 0, 2);
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_EQ(shares[k][k % 2], 1.0);
    EXPECT_EQ(shares[k][1 - k % 2], 0.0);
  }
}

// Each group's folds in fold order, batched within the budget; a fold's
// last pass is the latest in which any group scores a piece of it.
TEST(PlanScoringPasses, BatchesEachGroupsFoldsWithinTheBudget) {
  const std::vector<std::vector<double>> shares = {
      {1, 0}, {0, 1}, {1, 0}, {0, 1}, {0.5, 0.5}};  // fold 4 shared by both groups
  const std::vector<bool> wanted = {true, true, false, true, true};
  const ScoringPasses plan = plan_scoring_passes(shares, wanted, {3, 3, 3, 3, 3}, 6);
  EXPECT_EQ(plan.batches[0], (std::vector<std::vector<std::size_t>>{{0, 4}}));  // fold 2 not wanted
  EXPECT_EQ(plan.batches[1], (std::vector<std::vector<std::size_t>>{{1, 3}, {4}}));
  EXPECT_EQ(plan.last_pass, (std::vector<std::size_t>{0, 0, 0, 0, 1}));
  // A fold larger than the budget is a pass of its own.
  const ScoringPasses big = plan_scoring_passes({{1}, {1}}, {true, true}, {10, 1}, 5);
  EXPECT_EQ(big.batches[0], (std::vector<std::vector<std::size_t>>{{0}, {1}}));
}

TEST(ShareOfBlock, CoversTheBlockInGroupOrder) {
  const std::vector<double> shares = {0.25, 0.0, 0.75};
  const mpi::Range block{100, 301};  // 201 columns
  const mpi::Range a = share_of_block(shares, 0, block), b = share_of_block(shares, 1, block),
                   c = share_of_block(shares, 2, block);
  EXPECT_EQ(a.begin, 100u);
  EXPECT_EQ(a.end, 150u);  // round(0.25 * 201) = 50
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(c.begin, 150u);
  EXPECT_EQ(c.end, 301u);
  EXPECT_TRUE(share_of_block({1.0}, 0, {0, 0}).empty());
}

}  // namespace
}  // namespace b2m::solvers
