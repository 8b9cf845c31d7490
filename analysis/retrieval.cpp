#include "analysis/retrieval.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace b2m::analysis {

TopK::TopK(std::size_t queries, std::size_t k) : k_(k), heaps_(queries) {
  if (k == 0) throw ConfigError("top-k: k must be at least 1");
}

void TopK::offer(std::size_t query, double score, std::int64_t index) {
  auto& heap = heaps_[query];
  const Candidate c{score, index};
  if (heap.size() < k_) {
    heap.push_back(c);
    std::push_heap(heap.begin(), heap.end(), ranks_before);
  } else if (ranks_before(c, heap.front())) {
    std::pop_heap(heap.begin(), heap.end(), ranks_before);
    heap.back() = c;
    std::push_heap(heap.begin(), heap.end(), ranks_before);
  }
}

std::vector<Candidate> TopK::sorted(std::size_t query) const {
  std::vector<Candidate> out = heaps_[query];
  std::sort(out.begin(), out.end(), ranks_before);
  return out;
}

solvers::Matrix<float> unit_rows(const solvers::Matrix<float>& m) {
  solvers::Matrix<float> out = m;
  for (Eigen::Index i = 0; i < out.rows(); ++i) {
    const double norm = out.row(i).cast<double>().norm();
    if (norm > 0) out.row(i) /= static_cast<float>(norm);
  }
  return out;
}

void normalize_columns(solvers::Matrix<float>& m) {
  // Vectorized float norms: a relative error of about 1e-7 on a cosine,
  // far below what separates retrieved clips.
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    const float norm = m.col(j).norm();
    if (norm > 0) m.col(j) /= norm;
  }
}

std::vector<double> agreement_curve(const std::vector<std::vector<std::int32_t>>& retrieved_tags,
                                    const std::vector<std::int32_t>& query_tags) {
  const std::size_t k = retrieved_tags.empty() ? 0 : retrieved_tags.front().size();
  std::vector<double> curve(k, 0.0);
  std::size_t counted = 0;
  for (std::size_t q = 0; q < query_tags.size(); ++q) {
    if (query_tags[q] < 0) continue;
    ++counted;
    std::size_t same = 0;
    for (std::size_t n = 0; n < k; ++n) {
      same += retrieved_tags[q][n] == query_tags[q];
      curve[n] += double(same) / double(n + 1);
    }
  }
  for (double& c : curve)
    c = counted ? c / double(counted) : std::numeric_limits<double>::quiet_NaN();
  return curve;
}

}  // namespace b2m::analysis
