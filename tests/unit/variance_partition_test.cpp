// Variance partitioning: the exact split against its closed forms, and the
// corrected split against a projected-gradient solve of the same problem.
#include "analysis/variance_partition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

// Masks for two spaces A (bit 0) and B (bit 1): A = 1, B = 2, AB = 3.
TEST(VariancePartition, TwoSpacesFollowTheClosedForms) {
  const VariancePartition vp(2);
  ASSERT_EQ(vp.masks(), 3u);
  const double a = 0.12, b = 0.07, ab = 0.15;
  const std::vector<double> x = vp.exact({a, b, ab});
  EXPECT_NEAR(x[0], ab - b, 1e-15);      // unique A
  EXPECT_NEAR(x[1], ab - a, 1e-15);      // unique B
  EXPECT_NEAR(x[2], a + b - ab, 1e-15);  // shared
  // Non-negative already: the correction changes nothing.
  const std::vector<double> c = vp.corrected({a, b, ab});
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(c[i], x[i], 1e-15);
}

TEST(VariancePartition, CorrectsAJointModelWorseThanEitherAlone) {
  const VariancePartition vp(2);
  // Exact: unique -0.05 each, shared 0.15. Corrected: no unique variance and
  // the shared size s minimizing (0.1 - s)^2 + (0.1 - s)^2 + (0.05 - s)^2.
  const std::vector<double> x = vp.exact({0.1, 0.1, 0.05});
  EXPECT_NEAR(x[0], -0.05, 1e-15);
  const std::vector<double> c = vp.corrected({0.1, 0.1, 0.05});
  EXPECT_EQ(c[0], 0.0);
  EXPECT_EQ(c[1], 0.0);
  EXPECT_NEAR(c[2], 0.25 / 3, 1e-15);
  // Nothing explained at all: every region 0.
  for (double v : vp.corrected({-0.01, -0.02, -0.01})) EXPECT_EQ(v, 0.0);
}

TEST(VariancePartition, ThreeSpacesRecoverPlantedRegions) {
  const VariancePartition vp(3);
  ASSERT_EQ(vp.masks(), 7u);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 0.1);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<double> regions(7);
    for (double& v : regions) v = u(rng);
    const std::vector<double> r2 = vp.subset_r2(regions);
    // The whole model explains every region; A alone the four it touches.
    double total = 0;
    for (double v : regions) total += v;
    EXPECT_NEAR(r2[6], total, 1e-14);
    EXPECT_NEAR(r2[0], regions[0] + regions[2] + regions[4] + regions[6], 1e-14);
    const std::vector<double> x = vp.exact(r2), c = vp.corrected(r2);
    for (std::size_t i = 0; i < 7; ++i) {
      EXPECT_NEAR(x[i], regions[i], 1e-13);
      EXPECT_NEAR(c[i], regions[i], 1e-13);
    }
  }
}

// Projected gradient on 0.5 |A x - r|^2, x >= 0: slow but independent.
std::vector<double> projected_gradient(const VariancePartition& vp, const std::vector<double>& r) {
  std::vector<double> x(vp.masks(), 0.0);
  const double step = 0.05;  // below 1 / largest eigenvalue of A^T A (at most 16 for 3 spaces)
  for (int it = 0; it < 200000; ++it) {
    const std::vector<double> fit = vp.subset_r2(x);
    std::vector<double> grad(x.size(), 0.0);
    for (std::size_t s = 0; s < x.size(); ++s)
      for (std::size_t t = 0; t < x.size(); ++t)
        if (((s + 1) & (t + 1)) != 0) grad[t] += fit[s] - r[s];
    for (std::size_t t = 0; t < x.size(); ++t) x[t] = std::max(0.0, x[t] - step * grad[t]);
  }
  return x;
}

TEST(VariancePartition, CorrectedIsTheClosestNonNegativeSplit) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 0.05);
  for (std::size_t spaces : {2, 3}) {
    const VariancePartition vp(spaces);
    int corrected_trials = 0;
    for (int trial = 0; trial < 10; ++trial) {
      std::vector<double> r2(vp.masks());
      for (double& v : r2) v = 0.05 + noise(rng);  // inconsistent: some exact sizes < 0
      const std::vector<double> c = vp.corrected(r2), reference = projected_gradient(vp, r2);
      const std::vector<double> x = vp.exact(r2);
      corrected_trials += *std::min_element(x.begin(), x.end()) < 0 ? 1 : 0;
      for (std::size_t i = 0; i < c.size(); ++i) {
        EXPECT_GE(c[i], 0.0);
        EXPECT_NEAR(c[i], reference[i], 1e-8) << spaces << " spaces, trial " << trial;
      }
    }
    EXPECT_GE(corrected_trials, 5) << "the trials must exercise the correction";
  }
}

TEST(VariancePartition, RefusesOtherSpaceCountsAndPassesNaN) {
  EXPECT_THROW(VariancePartition(1), ConfigError);
  EXPECT_THROW(VariancePartition(4), ConfigError);
  const VariancePartition vp(2);
  EXPECT_TRUE(std::isnan(vp.exact({0.1, NAN, 0.2})[0]));
  EXPECT_TRUE(std::isnan(vp.corrected({0.1, NAN, 0.2})[2]));
}

}  // namespace
}  // namespace b2m::analysis
