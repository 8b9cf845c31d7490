#include <gtest/gtest.h>

#include <cmath>

#include "analysis/scores.hpp"
#include "analysis/zscore.hpp"

namespace b2m::analysis {
namespace {

TEST(Zscore, StandardizesEachRangeAndFlagsConstantColumns) {
  solvers::Matrix<double> m(6, 3);
  m << 1, 5, 2, 2, 5, 2, 3, 5, 2, 10, 5, 7, 20, 5, 7, 40, 5, 9;
  const auto varies = zscore_within<double>(m, {{0, 3}, {3, 6}});
  EXPECT_TRUE(varies[0]);
  EXPECT_FALSE(varies[1]);
  EXPECT_TRUE(varies[2]);  // constant in the first range only
  for (const auto& r : {std::pair{0, 3}, std::pair{3, 3}}) {
    const auto block = m.block(r.first, 0, r.second, 1);
    EXPECT_NEAR(block.mean(), 0.0, 1e-14);
    EXPECT_NEAR(block.squaredNorm() / 3.0, 1.0, 1e-14);
  }
  EXPECT_EQ(m.col(1).squaredNorm(), 0.0);
  EXPECT_EQ(m.block(0, 2, 3, 1).squaredNorm(), 0.0);
  // Population std of {1, 2, 3} is sqrt(2/3).
  EXPECT_NEAR(m(0, 0), -1.0 / std::sqrt(2.0 / 3.0), 1e-14);
}

TEST(Scores, PearsonAndRSquaredMatchHandComputedValues) {
  solvers::Matrix<double> pred(3, 2), truth(3, 2);
  pred << 1, 1, 2, 1, 3, 1;
  truth << 1, 1, 2, 2, 4, 3;
  const auto r = pearson_r<double>(pred, truth);
  // x = 1,2,3; y = 1,2,4: sxy = 3, sxx = 2, syy = 14/3.
  EXPECT_NEAR(r(0), 3.0 / std::sqrt(2.0 * 14.0 / 3.0), 1e-14);
  EXPECT_TRUE(std::isnan(r(1)));  // constant prediction
  const auto r2 = r_squared<double>(pred, truth);
  // SSE = 0 + 0 + 1, SST = 14/3.
  EXPECT_NEAR(r2(0), 1.0 - 1.0 / (14.0 / 3.0), 1e-14);
  solvers::Matrix<double> flat = solvers::Matrix<double>::Ones(3, 2);
  EXPECT_TRUE(std::isnan(r_squared<double>(pred, flat)(0)));
}

}  // namespace
}  // namespace b2m::analysis
