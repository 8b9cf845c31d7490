// Cosine top-k retrieval building blocks: bounded per-query top-k lists, the
// merge of per-shard lists, and class agreement of the retrieved items.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

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

 private:
  std::size_t k_;
  std::vector<std::vector<Candidate>> heaps_;  // min-heaps under ranks_before
};

// Rows scaled to unit Euclidean norm; a zero row stays zero.
[[nodiscard]] solvers::Matrix<float> unit_rows(const solvers::Matrix<float>& m);
// Columns scaled to unit Euclidean norm, in place; a zero column stays zero.
void normalize_columns(solvers::Matrix<float>& m);

// For each query, the fraction of its first n retrieved items whose tag
// equals the query's, for n = 1..k (queries with tag < 0 are skipped);
// returns the mean over queries per n (k values).
[[nodiscard]] std::vector<double> agreement_curve(
    const std::vector<std::vector<std::int32_t>>& retrieved_tags,
    const std::vector<std::int32_t>& query_tags);

}  // namespace b2m::analysis
