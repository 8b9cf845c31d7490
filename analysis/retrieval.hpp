// Cosine top-k retrieval building blocks: bounded per-query top-k lists, the
// scan of a corpus chunk, the merge of per-shard lists, and class agreement
// of the retrieved items.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "mpi/comm.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

struct Candidate {
  double score = 0;
  std::int64_t index = 0;  // global corpus row
};

// Higher score first; equal scores by lower index, so the order (and the
// merge) does not depend on how the corpus was sharded.
[[nodiscard]] inline bool ranks_before(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// The k best candidates of each query seen so far.
class TopK {
 public:
  TopK(std::size_t queries, std::size_t k);
  void offer(std::size_t query, double score, std::int64_t index);
  // The score a candidate must reach to enter the query's list (-inf while
  // the list is not full): the cheap test before offer() in a scan.
  [[nodiscard]] double threshold(std::size_t query) const {
    const auto& heap = heaps_[query];
    return heap.size() < k_ ? -std::numeric_limits<double>::infinity() : heap.front().score;
  }
  // Best first.
  [[nodiscard]] std::vector<Candidate> sorted(std::size_t query) const;
  [[nodiscard]] std::size_t k() const { return k_; }
  [[nodiscard]] std::size_t queries() const { return heaps_.size(); }

 private:
  std::size_t k_;
  std::vector<std::vector<Candidate>> heaps_;  // min-heaps under ranks_before
};

// The scan of corpus rows for a set of queries: per query the k rows of
// highest cosine, and, for identification among the corpus, the count of
// rows other than the stimulus's own that score at least as high as it.
class CorpusScan {
 public:
  // `queries`: d x queries, unit columns. Per query the stimulus's own
  // score (NaN where the stimulus is not in the corpus: never counted) and
  // row (-1: none).
  CorpusScan(solvers::Matrix<float> queries, std::size_t k, std::vector<double> stimulus_score,
             std::vector<long long> stimulus_row);
  // Rows that are never retrieved nor counted (retrieve --exclude-stimuli):
  // `excluded[i]` != 0 for row first_row + i of this rank's shard.
  void exclude(std::vector<std::uint8_t> excluded, std::int64_t first_row);
  // Scores rows first_row, first_row + 1, ... given as the columns of
  // `rows` (d x n), which are normalized in place.
  void scan(solvers::Matrix<float>& rows, std::int64_t first_row);
  [[nodiscard]] const TopK& top() const { return top_; }
  // Per query, rows other than the stimulus's scoring at least its score.
  [[nodiscard]] const std::vector<double>& at_least() const { return at_least_; }

 private:
  solvers::Matrix<float> queries_;
  TopK top_;
  std::vector<double> stimulus_score_;
  std::vector<long long> stimulus_row_;
  std::vector<double> at_least_;
  solvers::Matrix<float> scores_;  // reused from chunk to chunk
  std::vector<std::uint8_t> excluded_;
  std::int64_t excluded_first_ = 0;
};

// Where each query's stimulus sits in a corpus sharded over ranks, found by
// clip id while the shards' ids and tags are scanned: its row and its tags.
class StimulusFinder {
 public:
  StimulusFinder(const std::vector<std::string>& clips, std::size_t n_tags);
  // The ids and tags ([tag][row]) of rows first, first + 1, ...
  void scan(std::size_t first, const std::vector<std::string>& ids,
            const std::vector<std::vector<std::int32_t>>& tags);
  // Every rank's finds, on every rank (collective). Ids must be unique
  // (repeated_id); were one repeated, the last of its rows would be the
  // stimulus's, whatever the number of shards.
  void combine(const mpi::Comm& comm);
  [[nodiscard]] const std::vector<long long>& row() const { return row_; }  // -1: none
  [[nodiscard]] const std::vector<std::vector<double>>& tags() const { return tags_; }

 private:
  std::unordered_map<std::string, std::vector<std::size_t>> queries_;  // clip id -> queries
  std::vector<long long> row_;
  std::vector<std::vector<double>> tags_;  // [tag][query]
};

// A retrieved corpus row as the merge hands it back: its score and row,
// its id and its tags.
struct Retrieved {
  Candidate candidate;
  std::string id;
  std::vector<std::int32_t> tags;
};

// Every rank's top-k lists of `local` merged into each query's k best rows
// overall, on every rank (collective over `comm`). `describe(c, id, tags)`
// gives the id and the `n_tags` tags of a row this rank holds.
using DescribeRow = std::function<void(const Candidate&, std::string& id, std::int32_t* tags)>;
[[nodiscard]] std::vector<std::vector<Retrieved>> merge_top_k(const TopK& local, std::size_t n_tags,
                                                              const DescribeRow& describe,
                                                              const mpi::Comm& comm);

// Decoded test predictions (rows x d, row-major `values`) as queries: per
// test clip the mean of its windows' predictions (clips in order of first
// appearance), or with `per_window` every window. `clip` indexes `ids`;
// an index outside it is an InputError naming `source`.
struct Queries {
  solvers::Matrix<float> embeddings;  // queries x d
  std::vector<std::string> clip;      // each query's clip id
};
[[nodiscard]] Queries clip_queries(const std::vector<double>& values, std::size_t d,
                                   const std::vector<std::int32_t>& clip,
                                   const std::vector<std::string>& ids, bool per_window,
                                   const std::string& source);

// Identification among a corpus of `rows` rows (1 - the fraction of the
// other rows scoring at least as high as the stimulus), per query from the
// counts of CorpusScan::at_least summed over the shards; NaN where the
// stimulus is not in the corpus (row -1).
[[nodiscard]] std::vector<double> corpus_identification(const std::vector<double>& at_least,
                                                        const std::vector<long long>& stimulus_row,
                                                        std::size_t rows);

// The class of each query for each corpus tag (-1 unknown): the stimulus's
// own tag where it is in the corpus (`stimulus_tags[tag][query]`), else,
// for a tag named "genre", the genre of the clip id ("<genre>.NNNNN") where
// the tag's value names (`tag_names[tag]`) include it.
[[nodiscard]] std::vector<std::vector<std::int32_t>> query_tags(
    const std::vector<std::string>& tags, const std::vector<std::vector<std::string>>& tag_names,
    const std::vector<std::string>& clips, const std::vector<long long>& stimulus_row,
    const std::vector<std::vector<double>>& stimulus_tags);

// Rows scaled to unit Euclidean norm; a zero row stays zero.
[[nodiscard]] solvers::Matrix<float> unit_rows(const solvers::Matrix<float>& m);
// An id that occurs more than once among every rank's `shard_ids`, or
// nullopt; the same answer on every rank (collective).
[[nodiscard]] std::optional<std::string> repeated_id(const std::vector<std::string>& shard_ids,
                                                     const mpi::Comm& comm);

// Columns scaled to unit Euclidean norm, in place; a zero column stays zero.
void normalize_columns(solvers::Matrix<float>& m);

// The agreement a list of clips drawn at random from the corpus reaches
// (the same at every n): per query with a known tag t (>= 0), the share of
// the eligible rows whose tag is t (`counts[t]` of `rows`); the mean over
// queries, NaN if none.
[[nodiscard]] double chance_agreement(const std::vector<double>& counts, double rows,
                                      const std::vector<std::int32_t>& query_tags);

// For each query, the fraction of its first n retrieved items whose tag
// equals the query's, for n = 1..k (queries with tag < 0 are skipped);
// returns the mean over queries per n (k values).
[[nodiscard]] std::vector<double> agreement_curve(
    const std::vector<std::vector<std::int32_t>>& retrieved_tags,
    const std::vector<std::int32_t>& query_tags);

}  // namespace b2m::analysis
