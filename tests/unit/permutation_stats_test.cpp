// Permutation tests (analysis/permutation_test.hpp): the permutations are
// uniform and reproducible, the counts equal a brute-force recomputation of
// r for every permutation, and the p-values follow their definitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "analysis/permutation_test.hpp"
#include "analysis/scores.hpp"
#include "core/error.hpp"
#include "tests/support/random.hpp"

namespace b2m::analysis {
namespace {

using solvers::Matrix;

using testing::gaussian;

TEST(ClipPermutation, IsAReproduciblePermutationPerIndex) {
  std::set<std::vector<std::uint32_t>> seen;
  for (std::uint64_t index = 0; index < 200; ++index) {
    const std::vector<std::uint32_t> pi = clip_permutation(7, index, 60);
    std::vector<std::uint32_t> sorted = pi;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint32_t c = 0; c < 60; ++c) ASSERT_EQ(sorted[c], c) << "index " << index;
    EXPECT_EQ(pi, clip_permutation(7, index, 60));
    seen.insert(pi);
  }
  EXPECT_EQ(seen.size(), 200u);  // 60! permutations: a repeat would mean a broken stream
  EXPECT_NE(clip_permutation(7, 0, 60), clip_permutation(8, 0, 60));
}

TEST(ClipPermutation, EveryOrderOfFourClipsIsEquallyLikely) {
  // 24 orders, 48,000 draws: each count is Binomial(48000, 1/24), sd 30.6.
  std::map<std::vector<std::uint32_t>, int> counts;
  const int draws = 48000;
  for (int i = 0; i < draws; ++i) ++counts[clip_permutation(3, std::uint64_t(i), 4)];
  ASSERT_EQ(counts.size(), 24u);
  double chi2 = 0;
  for (const auto& [order, n] : counts) chi2 += std::pow(n - draws / 24.0, 2) / (draws / 24.0);
  EXPECT_LT(chi2, 49.7);  // the 0.999 quantile of chi-square with 23 degrees of freedom
}

// r of every column after pairing prediction clip c with response clip
// pi(c), the direct way.
Eigen::VectorXd permuted_r(const Matrix<double>& p, const Matrix<double>& y, std::size_t rows,
                           const std::vector<std::uint32_t>& pi) {
  Matrix<double> shuffled(y.rows(), y.cols());
  const auto l = Eigen::Index(rows);
  for (std::size_t c = 0; c < pi.size(); ++c)
    shuffled.middleRows(Eigen::Index(c) * l, l) = y.middleRows(Eigen::Index(pi[c]) * l, l);
  return pearson_r<double>(p, shuffled);
}

TEST(PermutationCounts, EqualABruteForceRecomputationOfEveryPermutedR) {
  const std::size_t clips = 12, rows = 5;
  const Eigen::Index m = Eigen::Index(clips * rows), voxels = 300;  // two batches
  const Matrix<double> y = gaussian(m, voxels, 1);
  Matrix<double> p = 0.3 * y + gaussian(m, voxels, 2);  // some signal
  p.col(5).setConstant(2.0);                            // a constant column
  std::vector<std::vector<std::uint32_t>> perms;
  for (std::uint64_t k = 0; k < 150; ++k) perms.push_back(clip_permutation(11, k, clips));
  const PermutationCounts got = permutation_counts<double>(p, y, rows, perms);

  const Eigen::VectorXd r = pearson_r<double>(p, y);
  std::vector<std::uint64_t> exceed(voxels, 0);
  std::vector<double> max_r(perms.size(), -INFINITY);
  for (std::size_t k = 0; k < perms.size(); ++k) {
    const Eigen::VectorXd rk = permuted_r(p, y, rows, perms[k]);
    for (Eigen::Index v = 0; v < voxels; ++v) {
      if (v == 5) continue;
      exceed[std::size_t(v)] += rk(v) >= r(v) - 1e-12 ? 1 : 0;
      max_r[k] = std::max(max_r[k], rk(v));
    }
  }
  EXPECT_TRUE(std::isnan(got.r(5)));
  EXPECT_EQ(got.exceed[5], 0u);
  for (Eigen::Index v = 0; v < voxels; ++v) {
    if (v == 5) continue;
    EXPECT_NEAR(got.r(v), r(v), 1e-12) << v;
    EXPECT_EQ(got.exceed[std::size_t(v)], exceed[std::size_t(v)]) << v;
  }
  for (std::size_t k = 0; k < perms.size(); ++k) EXPECT_NEAR(got.max_r[k], max_r[k], 1e-12) << k;
}

TEST(PermutationCounts, AreTheSameWhateverTheColumnsAreComputedWith) {
  // A rank computes any share of the voxels: a column's counts must not
  // depend on its neighbours (the batches), bit for bit.
  const std::size_t rows = 4;
  const Matrix<double> y = gaussian(40, 700, 3), p = gaussian(40, 700, 4);
  std::vector<std::vector<std::uint32_t>> perms;
  for (std::uint64_t k = 0; k < 50; ++k) perms.push_back(clip_permutation(5, k, 10));
  const PermutationCounts all = permutation_counts<double>(p, y, rows, perms);
  const PermutationCounts part =
      permutation_counts<double>(p.middleCols(333, 300), y.middleCols(333, 300), rows, perms);
  for (Eigen::Index v = 0; v < 300; ++v) {
    EXPECT_EQ(part.r(v), all.r(333 + v));
    EXPECT_EQ(part.exceed[std::size_t(v)], all.exceed[std::size_t(333 + v)]);
  }
}

TEST(ClipTails, KeepEachClipsRowsPastItsCarryOverInOrder) {
  // Row r of column c holds 100 c + r: the kept rows say which they are.
  solvers::Matrix<double> x(12, 2);
  for (Eigen::Index r = 0; r < 12; ++r)
    for (Eigen::Index c = 0; c < 2; ++c) x(r, c) = double(100 * c + r);
  const solvers::Matrix<double> kept = analysis::clip_tails<double>(x, 4, 3);
  ASSERT_EQ(kept.rows(), 3);
  for (Eigen::Index c = 0; c < 2; ++c)
    for (Eigen::Index k = 0; k < 3; ++k) EXPECT_EQ(kept(k, c), double(100 * c + 4 * k + 3));
  EXPECT_EQ(analysis::clip_tails<double>(x, 4, 0), x);
  EXPECT_THROW(static_cast<void>(analysis::clip_tails<double>(x, 4, 4)), ConfigError);
  EXPECT_THROW(static_cast<void>(analysis::clip_tails<double>(x, 5, 1)), ConfigError);
}

TEST(PermutationP, FollowsItsDefinitions) {
  Eigen::VectorXd r(3);
  r << 0.5, NAN, 0.1;
  const std::vector<double> p = permutation_p(r, {0, 0, 9}, 19);
  EXPECT_DOUBLE_EQ(p[0], 1.0 / 20);
  EXPECT_TRUE(std::isnan(p[1]));
  EXPECT_DOUBLE_EQ(p[2], 10.0 / 20);
  // max_r of 4 permutations: 0.1 reaches 3 of them (ties count), 0.5 none.
  const MaxStatisticNull null({0.3, 0.1, 0.05, 0.2});
  const std::vector<double> fwer = null.p_values(r);
  EXPECT_DOUBLE_EQ(fwer[0], 1.0 / 5);
  EXPECT_TRUE(std::isnan(fwer[1]));
  EXPECT_DOUBLE_EQ(fwer[2], 4.0 / 5);
  // With 4 permutations no p is below 0.2; below 0.25 an r must pass them all.
  EXPECT_TRUE(std::isnan(null.threshold(0.2)));
  EXPECT_DOUBLE_EQ(null.threshold(0.25), 0.3);
  EXPECT_DOUBLE_EQ(null.threshold(0.5), 0.2);
}

TEST(MaxStatisticNull, ThresholdSplitsTheVoxelsAsTheirPDoes) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> g;
  for (std::size_t permutations : {19, 99, 999, 1000}) {
    std::vector<double> max_r(permutations);
    for (double& x : max_r) x = std::round(g(rng) * 20) / 20;  // ties
    const MaxStatisticNull null(max_r);
    Eigen::VectorXd r(400);
    for (Eigen::Index v = 0; v < r.size(); ++v) r(v) = std::round(g(rng) * 40) / 40 + 0.5;
    for (double level : {0.05, 0.1, 0.5}) {
      const double t = null.threshold(level);
      const std::vector<double> p = null.p_values(r);
      for (Eigen::Index v = 0; v < r.size(); ++v)
        EXPECT_EQ(r(v) > t, p[std::size_t(v)] < level)
            << permutations << " " << level << " " << r(v);
    }
  }
}

TEST(PermutationP, IsUniformUnderTheNull) {
  // Independent prediction and responses: P(p <= a) = a at the grid's
  // values (a multiple of 1 / (P + 1)), within binomial error.
  const std::size_t clips = 20, rows = 3;
  const Matrix<double> y = gaussian(60, 4000, 5), p = gaussian(60, 4000, 6);
  std::vector<std::vector<std::uint32_t>> perms;
  for (std::uint64_t k = 0; k < 99; ++k) perms.push_back(clip_permutation(9, k, clips));
  const PermutationCounts c = permutation_counts<double>(p, y, rows, perms);
  const std::vector<double> pv = permutation_p(c.r, c.exceed, perms.size());
  for (double a : {0.05, 0.2, 0.5}) {
    const double share =
        double(std::count_if(pv.begin(), pv.end(), [&](double x) { return x <= a + 1e-12; })) /
        double(pv.size());
    EXPECT_NEAR(share, a, 4 * std::sqrt(a * (1 - a) / double(pv.size()))) << a;
  }
}

}  // namespace
}  // namespace b2m::analysis
