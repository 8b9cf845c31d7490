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
  EXPECT_NEAR(fisher_p_value(0.1, 403), 0.5 * std::erfc(std::atanh(0.1) * 20 / std::sqrt(2.0)),
              1e-15);
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
  EXPECT_NEAR(effective_samples(white.data(), other.data(), n, 10, n) / double(n), 1.0, 0.05);
  // Two AR(1) series with the same rho: n (1 - rho^2) / (1 + rho^2).
  const double expected = (1 - rho * rho) / (1 + rho * rho);
  EXPECT_NEAR(effective_samples(ar.data(), ar2.data(), n, 30, n) / double(n), expected, 0.05);
}

// Stationary AR(1) of unit variance, restarted every `segment` rows: the test
// rows of a study, clip after clip.
std::vector<double> segmented_ar1(std::mt19937_64& rng, std::size_t n, std::size_t segment,
                                  double rho) {
  std::normal_distribution<double> normal;
  std::vector<double> x(n);
  for (std::size_t t = 0; t < n; ++t)
    x[t] = t % segment == 0 ? normal(rng) : rho * x[t - 1] + std::sqrt(1 - rho * rho) * normal(rng);
  return x;
}

TEST(Significance, EffectiveSamplesOfIndependentSegments) {
  // Segments of L rows: 1 + 2 sum_{k<L} ((L - k) / L) (rho_x rho_y)^k.
  std::mt19937_64 rng(9);
  const std::size_t n = 200000, segment = 10;
  const double rx = 0.9, ry = 0.5;
  const auto x = segmented_ar1(rng, n, segment, rx);
  const auto y = segmented_ar1(rng, n, segment, ry);
  double inflation = 1;
  for (std::size_t k = 1; k < segment; ++k)
    inflation += 2.0 * double(segment - k) / double(segment) * std::pow(rx * ry, double(k));
  EXPECT_NEAR(effective_samples(x.data(), y.data(), n, 20, segment) / double(n), 1 / inflation,
              0.02);
}

TEST(Significance, PValuesOfSegmentedNullsAreCalibrated) {
  // 600 test rows in 60 clips, a smooth prediction and AR(1) noise: the
  // fraction of p < 0.05 must be 5% (6,000 pairs: standard error 0.28%).
  // Pooling lag pairs across clips gives 6.8% here (measured).
  std::mt19937_64 rng(13);
  const std::size_t n = 600, segment = 10, pairs = 6000;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < pairs; ++i) {
    const auto x = segmented_ar1(rng, n, segment, 0.95);
    const auto y = segmented_ar1(rng, n, segment, 0.7);
    double mx = 0, my = 0;
    for (std::size_t t = 0; t < n; ++t) {
      mx += x[t] / double(n);
      my += y[t] / double(n);
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t t = 0; t < n; ++t) {
      sxy += (x[t] - mx) * (y[t] - my);
      sxx += (x[t] - mx) * (x[t] - mx);
      syy += (y[t] - my) * (y[t] - my);
    }
    const double r = sxy / std::sqrt(sxx * syy);
    hits += fisher_p_value(r, effective_samples(x.data(), y.data(), n, 20, segment)) < 0.05;
  }
  EXPECT_NEAR(double(hits) / double(pairs), 0.05, 0.01);
}

// encode's block of p-values equals the per-voxel formula, NaN where invalid.
TEST(Significance, TestPValuesOfABlockArePerColumnFisherOverEffectiveSamples) {
  std::mt19937_64 rng(21);
  const std::size_t n = 120, segment = 12;
  solvers::Matrix<double> pred(n, 3), truth(n, 3);
  for (Eigen::Index j = 0; j < 3; ++j) {
    const auto x = segmented_ar1(rng, n, segment, 0.8);
    const auto y = segmented_ar1(rng, n, segment, 0.5);
    for (std::size_t t = 0; t < n; ++t) {
      pred(Eigen::Index(t), j) = x[t];
      truth(Eigen::Index(t), j) = 0.3 * x[t] + y[t];
    }
  }
  Eigen::VectorXd r(3);
  r << 0.25, 0.1, -0.2;
  const Eigen::VectorXd p = test_p_values<double>(pred, truth, r, {1, 1, 0}, 20, segment);
  for (Eigen::Index j = 0; j < 2; ++j) {
    const double n_eff = effective_samples(pred.col(j).data(), truth.col(j).data(), n, 20, segment);
    EXPECT_EQ(p(j), fisher_p_value(r(j), n_eff)) << j;
  }
  EXPECT_TRUE(std::isnan(p(2)));
  // The paper's null reads only r and the row count.
  const Eigen::VectorXd g =
      test_p_values<double>(pred, truth, r, {1, 1, 0}, 20, segment, TestNull::gaussian);
  for (Eigen::Index j = 0; j < 2; ++j) EXPECT_EQ(g(j), gaussian_null_p_value(r(j), double(n)));
  EXPECT_TRUE(std::isnan(g(2)));
}

// Student's t against its closed forms at 1 (Cauchy) and 2 degrees of
// freedom, far into the tails.
TEST(Significance, StudentTMatchesClosedForms) {
  const double pi = std::acos(-1.0);
  for (double t : {-30.0, -2.0, -0.3, 0.0, 0.5, 1.0, 4.0, 50.0, 1e4}) {
    const double cauchy = t > 0 ? std::atan(1.0 / t) / pi : 0.5 - std::atan(t) / pi;
    EXPECT_NEAR(student_t_upper(t, 1), cauchy, 1e-13 * std::max(1.0, cauchy)) << t;
    // 1 - t / s = 2 / (s (s + t)) for t > 0, without cancellation.
    const double s = std::sqrt(2.0 + t * t);
    const double two = t > 0 ? 1.0 / (s * (s + t)) : 0.5 * (1.0 - t / s);
    EXPECT_NEAR(student_t_upper(t, 2) / two, 1.0, 1e-10) << t;
  }
  EXPECT_TRUE(std::isnan(student_t_upper(1.0, 0)));
}

// r of two independent Gaussian vectors: uniform on (-1, 1) at n = 4, and
// density (2 / pi) sqrt(1 - r^2) at n = 5.
TEST(Significance, GaussianNullMatchesTheExactDistributionOfR) {
  const double pi = std::acos(-1.0);
  for (double r : {-0.99, -0.5, 0.0, 0.2, 0.7, 0.999}) {
    EXPECT_NEAR(gaussian_null_p_value(r, 4), 0.5 * (1.0 - r), 1e-13) << r;
    const double five = 0.5 - (r * std::sqrt(1.0 - r * r) + std::asin(r)) / pi;
    EXPECT_NEAR(gaussian_null_p_value(r, 5), five, 1e-13) << r;
  }
  EXPECT_EQ(gaussian_null_p_value(1.0, 50), 0.0);
  EXPECT_TRUE(std::isnan(gaussian_null_p_value(0.3, 2)));
  EXPECT_TRUE(std::isnan(gaussian_null_p_value(std::nan(""), 50)));
}

// And it is calibrated on independent Gaussian rows: 5% of null pairs at
// p < 0.05 (binomial sd 0.0015 over 20,000 pairs).
TEST(Significance, GaussianNullIsCalibratedOnIndependentRows) {
  std::mt19937_64 rng(8);
  std::normal_distribution<double> normal;
  const std::size_t n = 30, pairs = 20000;
  std::size_t hits = 0;
  Eigen::VectorXd x(n), y(n);
  for (std::size_t k = 0; k < pairs; ++k) {
    for (std::size_t t = 0; t < n; ++t) {
      x(Eigen::Index(t)) = normal(rng);
      y(Eigen::Index(t)) = normal(rng);
    }
    const Eigen::ArrayXd a = x.array() - x.mean(), b = y.array() - y.mean();
    const double r = (a * b).sum() / std::sqrt((a * a).sum() * (b * b).sum());
    hits += gaussian_null_p_value(r, double(n)) < 0.05;
  }
  EXPECT_NEAR(double(hits) / double(pairs), 0.05, 0.006);
}

}  // namespace
}  // namespace b2m::analysis
