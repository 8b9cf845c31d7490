// b2m evaluate's judge (analysis/reconstruction_judge): identification and
// tag agreement of reconstructions against their stimuli, checked where
// the answer is known.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "analysis/reconstruction_judge.hpp"
#include "core/error.hpp"
#include "tests/support/random.hpp"

namespace b2m::analysis {
namespace {

constexpr int kClasses = 3;
constexpr Eigen::Index kDim = 12;

// n clips: class i % 3, centred at 3 on its own dimension; the last
// dimension is loud (sd 1000) and carries nothing.
solvers::Matrix<double> clips(std::mt19937_64& rng, Eigen::Index n, std::vector<int>& labels) {
  return testing::labelled_rows(rng, n, kDim, kClasses, 3.0, labels, kDim - 1);
}

struct Study {
  std::mt19937_64 rng{11};
  std::vector<int> pool_labels, labels;
  solvers::Matrix<double> pool = clips(rng, 300, pool_labels);
  solvers::Matrix<double> stimuli = clips(rng, 60, labels);
  ReconstructionJudge judge{pool, {{"genre", pool_labels, kClasses}}};
};

TEST(ReconstructionJudge, PerfectReconstructionsAreIdentifiedAndAgree) {
  Study s;
  const Verdict v = s.judge.judge(s.stimuli, s.stimuli);
  EXPECT_DOUBLE_EQ(v.mean_identification, 1.0);
  EXPECT_DOUBLE_EQ(v.agreement.at(0), 1.0);
  EXPECT_GT(s.judge.ceiling(0), 0.85);  // classes 3 sd apart
}

TEST(ReconstructionJudge, ZScoresWithThePoolSoALoudDimensionDoesNotDrown) {
  Study s;
  // Each reconstruction: its stimulus with a little noise, and a fresh
  // draw of the loud dimension. Unscaled, the loud dimension would make
  // every correlation about the same; scaled by the pool it is one of 12.
  std::normal_distribution<double> normal(0.0, 1.0);
  solvers::Matrix<double> rec = s.stimuli;
  for (Eigen::Index i = 0; i < rec.rows(); ++i) {
    for (Eigen::Index j = 0; j < kDim - 1; ++j) rec(i, j) += 0.3 * normal(s.rng);
    rec(i, kDim - 1) = 1000.0 * normal(s.rng);
  }
  EXPECT_GT(s.judge.judge(rec, s.stimuli).mean_identification, 0.9);
}

TEST(ReconstructionJudge, PairingChanceIsTheProductOfClassFrequencies) {
  Study s;
  std::vector<int> unused;
  const solvers::Matrix<double> other = clips(s.rng, 60, unused);
  const Verdict v = s.judge.judge(other, s.stimuli);
  const std::vector<int> a = s.judge.classify(0, other), b = s.judge.classify(0, s.stimuli);
  double expected = 0, same = 0;
  for (int k = 0; k < kClasses; ++k)
    expected += double(std::count(a.begin(), a.end(), k)) *
                double(std::count(b.begin(), b.end(), k)) / (60.0 * 60.0);
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i] ? 1 : 0;
  EXPECT_NEAR(v.pairing_chance.at(0), expected, 1e-15);
  EXPECT_NEAR(v.agreement.at(0), same / 60.0, 1e-15);
  // `other` repeats the stimuli's class order (i % 3): rows pair by class.
  EXPECT_GT(v.agreement.at(0), 0.8);
  // Its clips are not the stimuli: identification is the share of the 19
  // of 59 others of the same class it cannot tell apart, about 2/3.
  EXPECT_NEAR(v.mean_identification, 40.0 / 59.0, 0.12);
}

TEST(ReconstructionJudge, RefusesMismatchedShapes) {
  Study s;
  EXPECT_THROW(static_cast<void>(s.judge.judge(s.stimuli.topRows(10), s.stimuli)), ConfigError);
  EXPECT_THROW(static_cast<void>(s.judge.judge(s.stimuli.leftCols(5), s.stimuli.leftCols(5))),
               ConfigError);
  std::vector<int> one(300, 0);
  EXPECT_THROW(ReconstructionJudge(s.pool, {{"mood", one, 1}}), ConfigError);
}

}  // namespace
}  // namespace b2m::analysis
