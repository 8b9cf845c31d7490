// The noise ceiling (analysis/noise_ceiling.hpp) against its closed form on
// responses of known signal and noise power.
#include "analysis/noise_ceiling.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace b2m::analysis {
namespace {

using solvers::Matrix;

// R repetitions of m rows: column j is a shared signal of variance
// signal[j] plus independent unit noise in each repetition.
std::vector<Matrix<double>> repetitions(std::size_t reps, Eigen::Index m,
                                        const std::vector<double>& signal, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const auto v = static_cast<Eigen::Index>(signal.size());
  Matrix<double> s(m, v);
  for (Eigen::Index j = 0; j < v; ++j)
    for (Eigen::Index i = 0; i < m; ++i) s(i, j) = std::sqrt(signal[std::size_t(j)]) * normal(rng);
  std::vector<Matrix<double>> out;
  for (std::size_t r = 0; r < reps; ++r) {
    Matrix<double> y = s;
    for (Eigen::Index j = 0; j < v; ++j)
      for (Eigen::Index i = 0; i < m; ++i) y(i, j) += normal(rng);
    out.push_back(std::move(y));
  }
  return out;
}

TEST(NoiseCeiling, MatchesTheClosedFormOfSignalAndNoisePower) {
  // EV = s / (s + 1); ceiling of the R-mean = sqrt(s / (s + 1 / R)).
  const std::vector<double> signal = {0.02, 0.2, 1.0};
  for (std::size_t reps : {2u, 4u}) {
    const NoiseCeiling c = noise_ceiling(repetitions(reps, 200000, signal, 7 + reps));
    for (std::size_t j = 0; j < signal.size(); ++j) {
      const double s = signal[j], r = double(reps);
      EXPECT_NEAR(c.explainable_variance(long(j)), s / (s + 1), 0.01) << reps << " reps, " << s;
      EXPECT_NEAR(c.ceiling(long(j)), std::sqrt(s / (s + 1 / r)), 0.015) << reps << " reps, " << s;
    }
  }
}

TEST(NoiseCeiling, CorrectsTheBiasOfFewRepetitions) {
  // Short tests, two repetitions: averaged over many voxels the estimate is
  // the true EV, where the uncorrected ratio var(mean) / mean var is not.
  const std::vector<double> signal(4000, 0.3 / 0.7);  // EV 0.3
  const auto reps = repetitions(2, 60, signal, 3);
  const NoiseCeiling c = noise_ceiling(reps);
  EXPECT_NEAR(c.explainable_variance.mean(), 0.3, 0.01);
  const Matrix<double> mean = (reps[0] + reps[1]) / 2;
  const auto var = [](const Matrix<double>& y) {
    return ((y.rowwise() - y.colwise().mean()).array().square().colwise().mean()).eval();
  };
  const double naive = (var(mean) / ((var(reps[0]) + var(reps[1])) / 2)).mean();
  EXPECT_GT(naive, 0.6);  // (0.3 + 0.7 / 2) / 1: the correction matters
}

TEST(NoiseCeiling, IdenticalRepetitionsAreFullyExplainableAndPureNoiseIsNot) {
  auto reps = repetitions(3, 500, {1.0, 0.0}, 11);
  for (auto& y : reps) y.col(0) = reps[0].col(0);
  const NoiseCeiling c = noise_ceiling(reps);
  EXPECT_NEAR(c.explainable_variance(0), 1.0, 1e-12);
  EXPECT_NEAR(c.ceiling(0), 1.0, 1e-12);
  EXPECT_NEAR(c.explainable_variance(1), 0.0, 0.1);
  // A negative estimate has no ceiling and no normalized r.
  const Eigen::VectorXd r = Eigen::Vector2d(0.5, 0.1);
  const Eigen::VectorXd ceiling = Eigen::Vector2d(0.5, 0.0);
  const Eigen::VectorXd n = normalized_r(r, ceiling);
  EXPECT_DOUBLE_EQ(n(0), 1.0);
  EXPECT_TRUE(std::isnan(n(1)));
}

TEST(NoiseCeiling, ConstantVoxelsAndTooFewRepetitions) {
  auto reps = repetitions(2, 50, {1.0}, 5);
  for (auto& y : reps) y.setConstant(3.0);
  const NoiseCeiling c = noise_ceiling(reps);
  EXPECT_TRUE(std::isnan(c.explainable_variance(0)));
  EXPECT_TRUE(std::isnan(c.ceiling(0)));
  EXPECT_THROW(static_cast<void>(noise_ceiling({reps[0]})), std::exception);
}

}  // namespace
}  // namespace b2m::analysis
