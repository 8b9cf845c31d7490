#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/significance.hpp"

namespace b2m::analysis {
namespace {

TEST(Significance, BenjaminiHochbergMatchesHandComputation) {
  const double nan = std::nan("");
  const auto q = fdr_q_values({0.01, 0.04, 0.03, 0.2, nan});
  EXPECT_NEAR(q[0], 0.04, 1e-15);
  EXPECT_NEAR(q[1], 0.16 / 3.0, 1e-15);
  EXPECT_NEAR(q[2], 0.16 / 3.0, 1e-15);
  EXPECT_NEAR(q[3], 0.2, 1e-15);
  EXPECT_TRUE(std::isnan(q[4]));
}

TEST(Significance, FisherPValue) {
  EXPECT_DOUBLE_EQ(fisher_p_value(0.0, 100), 0.5);
  // atanh(0.1) * sqrt(400) = 2.00670...; 1 - Phi(2.00670) = 0.022393...
  EXPECT_NEAR(fisher_p_value(0.1, 403), 0.5 * std::erfc(std::atanh(0.1) * 20 / std::sqrt(2.0)), 1e-15);
  EXPECT_NEAR(fisher_p_value(0.1, 403), 0.02239, 1e-4);
  EXPECT_TRUE(std::isnan(fisher_p_value(std::nan(""), 100)));
}

TEST(Significance, EffectiveSamplesShrinkWithSharedAutocorrelation) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  const std::size_t n = 20000;
  std::vector<double> white(n), other(n), ar(n), ar2(n);
  const double rho = 0.6;
  for (std::size_t i = 0; i < n; ++i) {
    white[i] = normal(rng);
    other[i] = normal(rng);
    ar[i] = (i ? rho * ar[i - 1] : 0) + normal(rng);
    ar2[i] = (i ? rho * ar2[i - 1] : 0) + normal(rng);
  }
  EXPECT_NEAR(effective_samples(white.data(), other.data(), n, 10) / double(n), 1.0, 0.05);
  // Two AR(1) series with the same rho: n (1 - rho^2) / (1 + rho^2).
  const double expected = (1 - rho * rho) / (1 + rho * rho);
  EXPECT_NEAR(effective_samples(ar.data(), ar2.data(), n, 30) / double(n), expected, 0.05);
}

}  // namespace
}  // namespace b2m::analysis
