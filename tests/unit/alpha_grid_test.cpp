#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "solvers/alpha_grid.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::solvers {
namespace {

TEST(AlphaGrid, LogSpacedFromMinToMaxInclusive) {
  const std::vector<double> a = AlphaGrid{{}, 7, 1e-2, 1e4}.alphas();
  ASSERT_EQ(a.size(), 7u);
  for (std::size_t i = 0; i < a.size(); ++i)  // 10^-2, 10^-1, ..., 10^4
    EXPECT_NEAR(std::log10(a[i]), -2.0 + double(i), 1e-14) << i;
  EXPECT_EQ((AlphaGrid{{}, 1, 3.0, 3.0}.alphas()), std::vector<double>{3.0});
}

TEST(AlphaGrid, ExplicitValuesAreKeptInTheirOrder) {
  EXPECT_EQ((AlphaGrid{{10, 1, 100}, 20, 1, 1e7}.alphas()), (std::vector<double>{10, 1, 100}));
}

TEST(AlphaGrid, RefusesEmptyNonPositiveAndNonFiniteGrids) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(static_cast<void>(AlphaGrid{{}, 0, 1, 10}.alphas()), ConfigError);
  EXPECT_THROW(static_cast<void>(AlphaGrid{{}, 5, 0, 10}.alphas()), ConfigError);
  EXPECT_THROW(static_cast<void>(AlphaGrid{{}, 5, 10, 1}.alphas()), ConfigError);
  EXPECT_THROW(static_cast<void>(AlphaGrid{{}, 5, 1, inf}.alphas()), ConfigError);
  EXPECT_THROW(static_cast<void>(AlphaGrid{{1, -1}, 5, 1, 10}.alphas()), ConfigError);
  EXPECT_THROW(static_cast<void>(AlphaGrid{{std::nan("")}, 5, 1, 10}.alphas()), ConfigError);
}

TEST(BestAlpha, IsTheFirstMinimumAsNumpysArgmin) {
  Eigen::VectorXd mse(5);
  mse << 3, 1, 2, 1, 5;
  EXPECT_EQ(best_alpha(mse), 1);
  mse << 0.5, 1, 2, 1, 0.5;
  EXPECT_EQ(best_alpha(mse), 0);
}

// The tolerance is 1e-6 / sqrt(unexplained fraction at the best alpha), the
// unexplained fraction floored at 1e-6.
TEST(FloatTieTolerance, GrowsAsTheBestAlphaExplainsMore) {
  Eigen::MatrixXd mse(3, 3), r2(3, 3);
  mse << 2, 1, 5,  //
      1, 3, 4,     //
      4, 2, 6;
  r2 << 0.0, 1.5, 4.5,         // summed over 5 folds
      3.0, 0.0, 4.9999999999,  //
      0.0, 0.0, 0.0;
  const Eigen::VectorXd t = float_tie_tolerance(mse, r2, 5);
  EXPECT_DOUBLE_EQ(t(0), 1e-6 / std::sqrt(1.0 - 3.0 / 5));  // best alpha: row 1
  EXPECT_DOUBLE_EQ(t(1), 1e-6 / std::sqrt(1.0 - 1.5 / 5));  // row 0
  EXPECT_DOUBLE_EQ(t(2), 1e-6 / std::sqrt(1e-6));           // row 1, floored
}

}  // namespace
}  // namespace b2m::solvers
