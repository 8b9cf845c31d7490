// Retrieval's scan, query building and identification against brute force.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "analysis/retrieval.hpp"
#include "core/error.hpp"

namespace b2m::analysis {
namespace {

solvers::Matrix<float> gaussian(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  solvers::Matrix<float> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

// Scanning the corpus in chunks of any size gives the brute-force top k
// and, per query, the count of other rows scoring at least the stimulus.
TEST(CorpusScan, ChunkedScanEqualsBruteForce) {
  const Eigen::Index d = 8, rows = 500, nq = 6;
  const std::size_t k = 5;
  const solvers::Matrix<float> corpus = gaussian(d, rows, 1);  // one row per column
  solvers::Matrix<float> queries = gaussian(d, nq, 2);
  queries.col(0) = corpus.col(17) + 0.1f * queries.col(0);  // query 0's stimulus: row 17
  normalize_columns(queries);
  solvers::Matrix<float> unit_corpus = corpus;
  normalize_columns(unit_corpus);
  const Eigen::MatrixXf all = unit_corpus.transpose() * queries;  // rows x queries
  std::vector<double> stimulus_score(nq, std::numeric_limits<double>::quiet_NaN());
  std::vector<long long> stimulus_row(nq, -1);
  stimulus_score[0] = all(17, 0);
  stimulus_row[0] = 17;
  for (const Eigen::Index chunk : {1, 64, 77, 500}) {
    CorpusScan scan(queries, k, stimulus_score, stimulus_row);
    for (Eigen::Index first = 0; first < rows; first += chunk) {
      solvers::Matrix<float> part = corpus.middleCols(first, std::min(chunk, rows - first));
      scan.scan(part, first);
    }
    for (Eigen::Index q = 0; q < nq; ++q) {
      std::vector<Candidate> brute;
      for (Eigen::Index i = 0; i < rows; ++i) brute.push_back({all(i, q), i});
      std::sort(brute.begin(), brute.end(), ranks_before);
      const std::vector<Candidate> got = scan.top().sorted(std::size_t(q));
      ASSERT_EQ(got.size(), k);
      for (std::size_t j = 0; j < k; ++j) EXPECT_EQ(got[j].index, brute[j].index) << chunk;
    }
    double at_least = 0;
    for (Eigen::Index i = 0; i < rows; ++i) at_least += i != 17 && all(i, 0) >= all(17, 0);
    EXPECT_EQ(scan.at_least()[0], at_least);
    EXPECT_EQ(scan.at_least()[1], 0.0);  // no stimulus: never counted
  }
  const std::vector<double> ident = corpus_identification({3.0, 0.0}, {17, -1}, 501);
  EXPECT_DOUBLE_EQ(ident[0], 1.0 - 3.0 / 500.0);
  EXPECT_TRUE(std::isnan(ident[1]));
}

TEST(ClipQueries, AveragesEachClipsWindowsOrKeepsThem) {
  // 4 windows (rows) of 2 dims: clips 1, 1, 0, 1.
  const std::vector<double> values = {1, 2, 3, 4, 10, 20, 5, 6};
  const std::vector<std::string> ids = {"rock.00001", "jazz.00002"};
  const Queries per_clip = clip_queries(values, 2, {1, 1, 0, 1}, ids, false, "d.h5");
  EXPECT_EQ(per_clip.clip, (std::vector<std::string>{"jazz.00002", "rock.00001"}));
  EXPECT_FLOAT_EQ(per_clip.embeddings(0, 0), 3.0f);  // (1 + 3 + 5) / 3
  EXPECT_FLOAT_EQ(per_clip.embeddings(0, 1), 4.0f);
  EXPECT_FLOAT_EQ(per_clip.embeddings(1, 0), 10.0f);
  const Queries per_window = clip_queries(values, 2, {1, 1, 0, 1}, ids, true, "d.h5");
  EXPECT_EQ(per_window.embeddings.rows(), 4);
  EXPECT_THROW(static_cast<void>(clip_queries(values, 2, {1, 2, 0, 1}, ids, false, "d.h5")),
               InputError);
}

TEST(QueryTags, TheStimulusOwnTagElseTheGenreOfTheClipId) {
  const std::vector<std::string> tags = {"genre", "mood"};
  const std::vector<std::vector<std::string>> names = {{"blues", "rock"}, {"dark", "bright"}};
  const auto got = query_tags(tags, names, {"rock.00003", "rock.00004", "pop.00001"}, {12, -1, -1},
                              {{0, 0, 0}, {1, 0, 0}});
  EXPECT_EQ(got[0], (std::vector<std::int32_t>{0, 1, -1}));  // stimulus's tag; id's genre; unknown
  EXPECT_EQ(got[1], (std::vector<std::int32_t>{1, -1, -1}));
}

TEST(StimulusFinder, FindsEachQuerysClipOnce) {
  StimulusFinder finder({"a", "b", "a", "z"}, 1);
  finder.scan(10, {"x", "a", "b"}, {{7, 8, 9}});
  finder.scan(13, {"a"}, {{5}});  // a repeated id: its last row
  EXPECT_EQ(finder.row(), (std::vector<long long>{13, 12, 13, -1}));
  EXPECT_EQ(finder.tags()[0], (std::vector<double>{5, 9, 5, 0}));
}

}  // namespace
}  // namespace b2m::analysis
