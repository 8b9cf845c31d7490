// Space comparison: the clip bootstrap's correlations against Pearson r on
// the drawn clips laid out row by row, and the summaries against hand
// computations.
#include "analysis/space_comparison.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "tests/support/random.hpp"

namespace b2m::analysis {
namespace {

using solvers::Matrix;

using testing::gaussian;

double pearson(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  const Eigen::VectorXd a = x.array() - x.mean(), b = y.array() - y.mean();
  return a.dot(b) / std::sqrt(a.squaredNorm() * b.squaredNorm());
}

TEST(Overlap, CountsAndDicePerLabel) {
  const std::vector<std::uint8_t> a = {1, 1, 0, 1, 0, 1, 1};
  const std::vector<std::uint8_t> b = {1, 0, 1, 1, 0, 0, 1};
  const std::vector<std::int32_t> label = {0, 0, 0, 1, 1, -1, 2};
  const std::vector<Overlap> o = overlap_by_label(a, b, label, 3);
  EXPECT_EQ(o[0].a, 2u);
  EXPECT_EQ(o[0].b, 2u);
  EXPECT_EQ(o[0].both, 1u);
  EXPECT_DOUBLE_EQ(o[0].dice, 0.5);
  EXPECT_DOUBLE_EQ(o[1].dice, 1.0);
  EXPECT_DOUBLE_EQ(o[2].dice, 1.0);
  EXPECT_THROW(static_cast<void>(overlap_by_label(a, b, {0, 1}, 3)), ConfigError);
  const std::vector<Overlap> none = overlap_by_label({0, 0}, {0, 0}, {0, 0}, 1);
  EXPECT_TRUE(std::isnan(none[0].dice));
}

TEST(ClipBootstrap, DrawsEveryClipCountOnce) {
  double total = 0;
  for (std::uint64_t k = 0; k < 2000; ++k) {
    const std::vector<std::uint32_t> c = clip_bootstrap(5, k, 60);
    std::uint32_t sum = 0;
    for (std::uint32_t x : c) sum += x;
    ASSERT_EQ(sum, 60u);
    total += c[7];
  }
  EXPECT_NEAR(total / 2000, 1.0, 0.08);  // each clip drawn once per draw on average
  EXPECT_EQ(clip_bootstrap(5, 3, 60), clip_bootstrap(5, 3, 60));
  EXPECT_NE(clip_bootstrap(5, 3, 60), clip_bootstrap(5, 4, 60));
}

TEST(PairedClipSums, GivesPearsonROnTheDrawnClips) {
  const Eigen::Index clips = 12, L = 5, width = 7;
  const Matrix<double> y = gaussian(clips * L, width, 1);
  const Matrix<double> a = y + gaussian(clips * L, width, 2);
  const Matrix<double> b = 0.3 * y + gaussian(clips * L, width, 3);
  using Ref = solvers::ConstMatrixRef<double>;
  const PairedClipSums sums{Ref(a), Ref(b), Ref(y), std::size_t(L)};
  ASSERT_EQ(sums.clips(), clips);
  Matrix<double> weights(3, clips);
  weights.row(0).setOnes();
  for (Eigen::Index d = 1; d < 3; ++d) {
    const std::vector<std::uint32_t> c = clip_bootstrap(9, std::uint64_t(d), std::size_t(clips));
    for (Eigen::Index k = 0; k < clips; ++k) weights(d, k) = c[std::size_t(k)];
  }
  Matrix<double> ra, rb;
  sums.correlations(weights, ra, rb);
  for (Eigen::Index d = 0; d < 3; ++d) {
    // The drawn clips laid out row by row, each as often as drawn.
    const auto rows = Eigen::Index(weights.row(d).sum()) * L;
    Matrix<double> yd(rows, width), ad(rows, width), bd(rows, width);
    Eigen::Index at = 0;
    for (Eigen::Index k = 0; k < clips; ++k)
      for (int times = 0; times < int(weights(d, k)); ++times, at += L) {
        yd.middleRows(at, L) = y.middleRows(k * L, L);
        ad.middleRows(at, L) = a.middleRows(k * L, L);
        bd.middleRows(at, L) = b.middleRows(k * L, L);
      }
    for (Eigen::Index v = 0; v < width; ++v) {
      EXPECT_NEAR(ra(d, v), pearson(ad.col(v), yd.col(v)), 1e-12);
      EXPECT_NEAR(rb(d, v), pearson(bd.col(v), yd.col(v)), 1e-12);
    }
  }
  EXPECT_THROW((PairedClipSums{Ref(a), Ref(b), Ref(y), 7}), ConfigError);
}

TEST(SummarizeBootstrap, PercentilesAndTwoSidedP) {
  std::vector<double> draws;
  for (int i = 0; i < 101; ++i) draws.push_back(0.01 * i - 0.1);  // -0.1 .. 0.9
  draws.push_back(NAN);
  const PairedDifference d = summarize_bootstrap(0.4, draws, 0.9);
  EXPECT_EQ(d.draws, 101u);
  EXPECT_NEAR(d.low, -0.05, 1e-12);  // numpy.percentile(draws, 5)
  EXPECT_NEAR(d.high, 0.85, 1e-12);
  // 11 draws are <= 0 (-0.1 .. 0.0): p = 2 x 12 / 102.
  EXPECT_NEAR(d.p, 24.0 / 102, 1e-12);
  EXPECT_DOUBLE_EQ(summarize_bootstrap(0.0, {-1, 1}, 0.9).p, 1.0);
  EXPECT_THROW(static_cast<void>(summarize_bootstrap(0, {1}, 1.0)), ConfigError);
}

TEST(RegionDifferences, SumsEachVoxelsDifferenceIntoItsRegionsSkippingNaN) {
  Matrix<double> r_a(2, 3), r_b(2, 3);
  r_a << 0.5, 0.2, NAN, 0.4, 0.1, 0.3;
  r_b << 0.1, 0.3, 0.2, 0.1, 0.1, 0.1;
  // Voxel 0 in regions 0 and 2, voxel 1 in region 1 and 2, voxel 2 in 2.
  const std::vector<std::vector<std::uint32_t>> regions = {{0, 2}, {1, 2}, {2}};
  Matrix<double> sums = Matrix<double>::Zero(3, 2), counts = sums;
  add_region_differences(r_a, r_b, regions, sums, counts);
  EXPECT_NEAR(sums(0, 0), 0.4, 1e-15);
  EXPECT_NEAR(sums(1, 0), -0.1, 1e-15);
  EXPECT_NEAR(sums(2, 0), 0.3, 1e-15);  // voxel 2's NaN left out
  EXPECT_EQ(counts(2, 0), 2.0);
  EXPECT_NEAR(sums(2, 1), 0.3 + 0.0 + 0.2, 1e-15);
  EXPECT_EQ(counts(2, 1), 3.0);
  Matrix<double> wrong = Matrix<double>::Zero(3, 5);
  EXPECT_THROW(add_region_differences(r_a, r_b, regions, wrong, wrong), ConfigError);
}

TEST(AcrossSubjects, AveragesTheSubjectsDrawByDraw) {
  // Two subjects, four draws; draw 3 is NaN for one subject and left out.
  const PairedDifference d =
      across_subjects({0.2, 0.4}, {{0.1, 0.3, 0.2, NAN}, {0.3, 0.1, 0.0, 0.5}}, 0.5);
  EXPECT_NEAR(d.observed, 0.3, 1e-15);
  EXPECT_EQ(d.draws, 3u);  // means 0.2, 0.2, 0.1: none at or below 0
  EXPECT_NEAR(d.p, 2.0 * 1 / 4, 1e-15);
  EXPECT_NEAR(d.low, 0.15, 1e-15);  // the 25th percentile of 0.1, 0.2, 0.2
  EXPECT_THROW(static_cast<void>(across_subjects({0.1}, {}, 0.9)), ConfigError);
}

TEST(Density2d, BinsClipsAndSkipsNaN) {
  const Matrix<double> h =
      density_2d({0.05, 0.95, 2.0, -1.0, NAN, 0.5}, {0.05, 0.05, 0.95, 0.5, 0.1, NAN}, 2, 0, 1);
  EXPECT_EQ(h.sum(), 4.0);
  EXPECT_EQ(h(0, 0), 1.0);  // (0.05, 0.05)
  EXPECT_EQ(h(1, 0), 1.0);  // (0.95, 0.05)
  EXPECT_EQ(h(1, 1), 1.0);  // (2.0 -> last bin, 0.95)
  EXPECT_EQ(h(0, 1), 1.0);  // (-1.0 -> first bin, 0.5)
}

}  // namespace
}  // namespace b2m::analysis
