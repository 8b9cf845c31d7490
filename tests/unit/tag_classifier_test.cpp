// b2m evaluate's tag classifier (analysis/tag_classifier): a least-squares
// classifier on standardized embeddings, checked where the answer is
// known: separable classes are learned, random labels stay at chance, and
// its held-out accuracy says which is which.
#include <gtest/gtest.h>

#include <random>

#include "analysis/tag_classifier.hpp"
#include "core/error.hpp"
#include "tests/support/random.hpp"

namespace b2m::analysis {
namespace {

constexpr int kClasses = 3;
constexpr Eigen::Index kDim = 10;

// n rows: class i % 3, centred at 2 on its own dimension, plus noise.
solvers::Matrix<double> rows(std::mt19937_64& rng, Eigen::Index n, std::vector<int>& labels) {
  return testing::labelled_rows(rng, n, kDim, kClasses, 2.0, labels);
}

TEST(TagClassifier, LearnsSeparableClasses) {
  std::mt19937_64 rng(5);
  std::vector<int> labels, test_labels;
  const solvers::Matrix<double> x = rows(rng, 600, labels);
  const TagClassifier c(x, labels, kClasses);
  const solvers::Matrix<double> test = rows(rng, 300, test_labels);
  const std::vector<int> got = c.predict(test);
  int right = 0;
  for (std::size_t i = 0; i < got.size(); ++i) right += got[i] == test_labels[i];
  // The Bayes rate of these classes is about 0.87 (centres 2 sd apart on
  // their own axes); a linear rule gets close.
  EXPECT_GT(right, int(0.8 * 300));
  const double cv = cross_validated_accuracy(x, labels, kClasses);
  EXPECT_NEAR(cv, double(right) / 300, 0.06);
}

TEST(TagClassifier, RandomLabelsStayAtChance) {
  std::mt19937_64 rng(6);
  std::vector<int> labels;
  const solvers::Matrix<double> x = rows(rng, 600, labels);
  std::shuffle(labels.begin(), labels.end(), rng);  // no longer tied to x
  const double cv = cross_validated_accuracy(x, labels, kClasses);
  EXPECT_LT(cv, 1.0 / kClasses + 0.07);  // chance 1/3, sd about 0.02
  EXPECT_GT(cv, 1.0 / kClasses - 0.07);
}

TEST(TagClassifier, RefusesWhatItCannotFit) {
  std::mt19937_64 rng(7);
  std::vector<int> labels;
  solvers::Matrix<double> x = rows(rng, 60, labels);
  labels[4] = 3;
  EXPECT_THROW(TagClassifier(x, labels, kClasses), ConfigError);  // a label past the classes
  labels[4] = 1;
  EXPECT_THROW(TagClassifier(x, {0, 1}, kClasses), ConfigError);  // rows and labels differ
  EXPECT_THROW(TagClassifier(x.topRows(5), {0, 1, 2, 0, 1}, kClasses), ConfigError);  // too few
  x.col(3).setConstant(1.5);
  EXPECT_THROW(TagClassifier(x, labels, kClasses), ConfigError);  // a constant dimension
  EXPECT_THROW(TagClassifier(x, labels, 1), ConfigError);
}

TEST(TagClassifier, CrossValidatesOnTheFewestRowsItNeeds) {
  // 5 folds of 244 rows: the largest holds 49, leaving 195 = 194 + 1.
  EXPECT_EQ(min_cross_validation_rows(194), 244u);
  EXPECT_EQ(min_cross_validation_rows(kDim, 2), 22u);  // 22 - 11 = 11 = kDim + 1
  std::mt19937_64 rng(8);
  std::vector<int> labels;
  const solvers::Matrix<double> x = rows(rng, 40, labels);
  const Eigen::Index need = Eigen::Index(min_cross_validation_rows(kDim));
  const std::vector<int> first(labels.begin(), labels.begin() + need);
  EXPECT_NO_THROW(static_cast<void>(cross_validated_accuracy(x.topRows(need), first, kClasses)));
  const std::vector<int> fewer(labels.begin(), labels.begin() + need - 1);
  EXPECT_THROW(static_cast<void>(cross_validated_accuracy(x.topRows(need - 1), fewer, kClasses)),
               ConfigError);
}

}  // namespace
}  // namespace b2m::analysis
