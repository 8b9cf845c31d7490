// Tests of a figure across subjects against chance (analysis/subject_tests.hpp):
// the t-test against scipy's value, the sign-flip test against hand counts.
#include "analysis/subject_tests.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace b2m::analysis {
namespace {

TEST(SubjectTests, TTestMatchesScipy) {
  // scipy.stats.ttest_1samp([1, 2, 3, 4, 5], 0, alternative="greater"):
  // t = 4.242640687119285, p = 0.0066177997818413475.
  const SubjectTest t = test_above_chance({1, 2, 3, 4, 5}, {0, 0, 0, 0, 0});
  EXPECT_EQ(t.subjects, 5u);
  EXPECT_DOUBLE_EQ(t.mean, 3.0);
  EXPECT_NEAR(t.sd, std::sqrt(2.5), 1e-15);
  EXPECT_NEAR(t.t, 4.242640687119285, 1e-12);
  EXPECT_NEAR(t.p_t, 0.0066177997818413475, 1e-10);
  EXPECT_DOUBLE_EQ(t.p_sign_flip, 1.0 / 32);  // only the observed signs reach the mean
}

TEST(SubjectTests, SignFlipCountsThePatternsAtLeastAsLarge) {
  // d = (1, 2, -0.5), sum 2.5: of the 8 sign patterns, sums 2.5 and 3.5 reach it.
  EXPECT_DOUBLE_EQ(test_above_chance({1, 2, -0.5}, {0, 0, 0}).p_sign_flip, 2.0 / 8);
  // Per-subject chance: the differences are what is tested.
  const SubjectTest t = test_above_chance({0.75, 0.875, 1.0}, {0.25, 0.375, 0.5});
  EXPECT_DOUBLE_EQ(t.chance, 0.375);
  EXPECT_TRUE(std::isnan(t.t));  // every difference 0.5: no spread, no t
  EXPECT_DOUBLE_EQ(t.p_sign_flip, 1.0 / 8);
  // Below chance: every pattern reaches it.
  EXPECT_DOUBLE_EQ(test_above_chance({0.4, 0.45}, {0.5, 0.5}).p_sign_flip, 1.0);
}

TEST(SubjectTests, ManySubjectsDrawPatternsAtRandom) {
  std::vector<double> up(30), chance(30, 0.5);
  for (std::size_t i = 0; i < up.size(); ++i) up[i] = 0.6 + 0.001 * double(i);
  EXPECT_LT(test_above_chance(up, chance).p_sign_flip, 1e-5);
  // Symmetric differences: p near one half.
  std::vector<double> mixed(30);
  for (std::size_t i = 0; i < mixed.size(); ++i) mixed[i] = 0.5 + (i % 2 == 0 ? 0.1 : -0.1);
  const double p = test_above_chance(mixed, chance).p_sign_flip;
  EXPECT_GT(p, 0.4);
  EXPECT_LT(p, 0.65);
}

}  // namespace
}  // namespace b2m::analysis
