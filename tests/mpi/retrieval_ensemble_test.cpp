// The distributed halves of retrieval (the merge of per-shard top-k lists,
// stimuli found in shards) and of the ROI ensemble (models farmed over
// ranks) against the same work done on one rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "analysis/retrieval.hpp"
#include "analysis/roi_ensemble.hpp"
#include "mpi/comm.hpp"
#include "mpi/partition.hpp"
#include "tests/support/mpi_assert.hpp"

namespace b2m::analysis {
namespace {

// Scores of `rows` corpus rows for `queries` queries, with ties (every
// score is a multiple of 1/8), the same on every rank.
std::vector<std::vector<double>> scores(std::size_t rows, std::size_t queries) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> eighths(0, 16);
  std::vector<std::vector<double>> s(queries, std::vector<double>(rows));
  for (auto& q : s)
    for (double& v : q) v = eighths(rng) / 8.0;
  return s;
}

TEST(MergeTopK, EqualsTheTopKOfTheWholeCorpusWithIdsAndTags) {
  const mpi::Comm world = mpi::Comm::world();
  const std::size_t rows = 103, queries = 4, k = 7;
  const auto s = scores(rows, queries);
  const mpi::Range mine =
      mpi::even_part(rows, std::size_t(world.size()), std::size_t(world.rank()));
  TopK local(queries, k), whole(queries, k);
  for (std::size_t q = 0; q < queries; ++q)
    for (std::size_t i = 0; i < rows; ++i) {
      whole.offer(q, s[q][i], std::int64_t(i));
      if (i >= mine.begin && i < mine.end) local.offer(q, s[q][i], std::int64_t(i));
    }
  const auto merged = merge_top_k(
      local, 2,
      [&](const Candidate& c, std::string& id, std::int32_t* tags) {
        id = "row-" + std::to_string(c.index);
        tags[0] = std::int32_t(c.index % 3);
        tags[1] = -std::int32_t(c.index);
      },
      world);
  B2M_ASSERT_ALL(world, merged.size() == queries);
  for (std::size_t q = 0; q < queries; ++q) {
    const std::vector<Candidate> want = whole.sorted(q);
    B2M_ASSERT_ALL(world, merged[q].size() == k);
    for (std::size_t j = 0; j < k; ++j) {
      EXPECT_EQ(merged[q][j].candidate.index, want[j].index) << q << ", " << j;
      EXPECT_EQ(merged[q][j].candidate.score, want[j].score);
      EXPECT_EQ(merged[q][j].id, "row-" + std::to_string(want[j].index));
      EXPECT_EQ(merged[q][j].tags, (std::vector<std::int32_t>{std::int32_t(want[j].index % 3),
                                                              -std::int32_t(want[j].index)}));
    }
  }
}

TEST(StimulusFinder, ShardsFindWhatOneRankFindsAndAgreeOnRepeatedIds) {
  const mpi::Comm world = mpi::Comm::world();
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back("clip." + std::to_string(i % 30));  // 30..39 repeat
  const std::vector<std::string> clips = {"clip.3", "clip.12", "clip.35", "clip.29"};
  const mpi::Range mine =
      mpi::even_part(ids.size(), std::size_t(world.size()), std::size_t(world.rank()));
  StimulusFinder finder(clips, 1);
  const std::vector<std::string> shard(ids.begin() + long(mine.begin),
                                       ids.begin() + long(mine.end));
  std::vector<std::vector<std::int32_t>> tags(1);
  for (std::size_t i = mine.begin; i < mine.end; ++i) tags[0].push_back(std::int32_t(i));
  finder.scan(mine.begin, shard, tags);
  finder.combine(world);
  // clip.3 sits at rows 3 and 33: every rank agrees on one of them, the last.
  EXPECT_EQ(finder.row(), (std::vector<long long>{33, 12, -1, 29}));
  EXPECT_EQ(finder.tags()[0], (std::vector<double>{33, 12, 0, 29}));
}

// Models farmed over the ranks (model m on rank m % ranks) give the
// ensemble one rank computes with all of them.
TEST(RoiEnsemble, FarmedModelsCombineAsOnOneRank) {
  const mpi::Comm world = mpi::Comm::world();
  const std::size_t models = 7, top = 3;
  const Eigen::Index n = 6, n_test = 4, d = 2;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> cv_r = {0.2, nan, 0.5, 0.5, 0.1, 0.9, -0.3};
  const auto fit_of = [&](std::size_t m) {
    solvers::CvFit fit;
    fit.test_prediction = solvers::Matrix<double>::Constant(n_test, d, double(m));
    fit.cv_prediction = solvers::Matrix<double>::Constant(n, d, 10.0 * double(m));
    fit.alpha = Eigen::VectorXd::Constant(d, std::pow(10.0, double(m)));
    return fit;
  };
  RoiEnsemble farmed(models, top, n, n_test, d);
  for (std::size_t m = std::size_t(world.rank()); m < models; m += std::size_t(world.size()))
    farmed.offer(m, cv_r[m], fit_of(m));
  const RoiEnsemble::Result got = farmed.combine(world);
  // Ranked 0.9 (5), then the tie 0.5 by index (2, 3); NaN last.
  EXPECT_EQ(got.top, (std::vector<std::uint8_t>{0, 0, 1, 1, 0, 1, 0}));
  EXPECT_NEAR(got.test(0, 0), (5.0 + 2.0 + 3.0) / 3.0, 1e-15);
  EXPECT_NEAR(got.cv(n - 1, d - 1), 10.0 * (5.0 + 2.0 + 3.0) / 3.0, 1e-13);
  for (std::size_t m = 0; m < models; ++m) {
    EXPECT_EQ(got.alpha(Eigen::Index(m), 1), std::pow(10.0, double(m)));
    if (!std::isnan(cv_r[m])) {
      EXPECT_EQ(got.cv_r[m], cv_r[m]);
    }
  }
  EXPECT_TRUE(roi_ranks_before(cv_r, 2, 3));
  EXPECT_TRUE(roi_ranks_before(cv_r, 6, 1));  // NaN ranks last
}

}  // namespace
}  // namespace b2m::analysis
