#include "analysis/retrieval.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <sstream>

#include "analysis/stimulus_timeline.hpp"
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

CorpusScan::CorpusScan(solvers::Matrix<float> queries, std::size_t k,
                       std::vector<double> stimulus_score, std::vector<long long> stimulus_row)
    : queries_(std::move(queries)),
      top_(static_cast<std::size_t>(queries_.cols()), k),
      stimulus_score_(std::move(stimulus_score)),
      stimulus_row_(std::move(stimulus_row)),
      at_least_(static_cast<std::size_t>(queries_.cols()), 0.0) {}

void CorpusScan::exclude(std::vector<std::uint8_t> excluded, std::int64_t first_row) {
  excluded_ = std::move(excluded);
  excluded_first_ = first_row;
}

void CorpusScan::scan(solvers::Matrix<float>& rows, std::int64_t first_row) {
  normalize_columns(rows);
  // rows x queries, one GEMM per chunk; each query's scores are contiguous.
  scores_.noalias() = rows.transpose() * queries_;
  const auto n = static_cast<std::size_t>(rows.cols());
  // An excluded row scores -inf: below any list's threshold once it holds a
  // row, and kept out of a list that does not (the test below).
  constexpr float kOut = -std::numeric_limits<float>::infinity();
  // Only the chunk's rows that the exclusion list covers are looked at.
  const std::int64_t last_row = first_row + static_cast<std::int64_t>(n);
  const std::int64_t excluded_end = excluded_first_ + static_cast<std::int64_t>(excluded_.size());
  for (std::int64_t row = std::max(first_row, excluded_first_);
       row < std::min(last_row, excluded_end); ++row)
    if (excluded_[static_cast<std::size_t>(row - excluded_first_)])
      scores_.row(static_cast<Eigen::Index>(row - first_row)).setConstant(kOut);
  for (std::size_t query = 0; query < top_.queries(); ++query) {
    const float* col = scores_.col(static_cast<Eigen::Index>(query)).data();
    double bar = top_.threshold(query);
    const auto bar_stimulus = static_cast<float>(stimulus_score_[query]);  // NaN: never counted
    std::size_t count = 0;
    // One vectorized max per block of scores serves both the list and the
    // identification count: almost every block is below the list's
    // threshold once it has filled, and below the stimulus's own score when
    // the decoding identifies it.
    constexpr std::size_t kBlock = 64;
    for (std::size_t b0 = 0; b0 < n; b0 += kBlock) {
      const std::size_t b1 = std::min(n, b0 + kBlock);
      // Eigen's packet max (a plain loop of std::max stays scalar).
      const float top_of_block =
          Eigen::Map<const Eigen::ArrayXf>(col + b0, static_cast<Eigen::Index>(b1 - b0)).maxCoeff();
      if (top_of_block >= bar)
        for (std::size_t i = b0; i < b1; ++i)
          if (col[i] >= bar && col[i] != kOut) {
            top_.offer(query, col[i], first_row + static_cast<std::int64_t>(i));
            bar = top_.threshold(query);
          }
      if (top_of_block >= bar_stimulus)  // branch-free, so it vectorizes
        for (std::size_t i = b0; i < b1; ++i) count += col[i] >= bar_stimulus ? 1 : 0;
    }
    const long long t = stimulus_row_[query];
    if (t >= first_row && t < first_row + static_cast<long long>(n) &&
        col[t - first_row] >= bar_stimulus)
      --count;
    at_least_[query] += double(count);
  }
}

StimulusFinder::StimulusFinder(const std::vector<std::string>& clips, std::size_t n_tags)
    : row_(clips.size(), -1), tags_(n_tags, std::vector<double>(clips.size(), 0.0)) {
  for (std::size_t i = 0; i < clips.size(); ++i) queries_[clips[i]].push_back(i);
}

void StimulusFinder::scan(std::size_t first, const std::vector<std::string>& ids,
                          const std::vector<std::vector<std::int32_t>>& tags) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto found = queries_.find(ids[i]);
    if (found == queries_.end()) continue;
    for (std::size_t query : found->second) {  // a later row of a repeated id wins
      row_[query] = static_cast<long long>(first + i);
      for (std::size_t g = 0; g < tags_.size(); ++g) tags_[g][query] = tags[g][i];
    }
  }
}

void StimulusFinder::combine(const mpi::Comm& comm) {
  const std::size_t nq = row_.size();
  std::vector<long long> last = row_;
  comm.allreduce_in_place(last.data(), nq, mpi::Op::max);
  for (std::size_t query = 0; query < nq; ++query)
    if (row_[query] != last[query])
      for (auto& t : tags_) t[query] = 0;
  row_ = last;
  for (auto& t : tags_) comm.allreduce_in_place(t.data(), nq, mpi::Op::sum);
}

std::vector<std::vector<Retrieved>> merge_top_k(const TopK& local, std::size_t n_tags,
                                                const DescribeRow& describe,
                                                const mpi::Comm& comm) {
  // Each rank's lists as columns of records: query, row, score, id (length
  // and characters) and tags, gathered column by column on every rank.
  std::vector<std::int64_t> query, row, id_length;
  std::vector<double> score;
  std::vector<char> id_chars;
  std::vector<std::int32_t> tags;
  std::string id;
  std::vector<std::int32_t> row_tags(n_tags);
  for (std::size_t q = 0; q < local.queries(); ++q)
    for (const Candidate& c : local.sorted(q)) {
      describe(c, id, row_tags.data());
      query.push_back(static_cast<std::int64_t>(q));
      row.push_back(c.index);
      score.push_back(c.score);
      id_length.push_back(static_cast<std::int64_t>(id.size()));
      id_chars.insert(id_chars.end(), id.begin(), id.end());
      tags.insert(tags.end(), row_tags.begin(), row_tags.end());
    }
  const auto all_query = comm.allgatherv(query.data(), query.size());
  const auto all_row = comm.allgatherv(row.data(), row.size());
  const auto all_score = comm.allgatherv(score.data(), score.size());
  const auto all_length = comm.allgatherv(id_length.data(), id_length.size());
  const auto all_chars = comm.allgatherv(id_chars.data(), id_chars.size());
  const auto all_tags = comm.allgatherv(tags.data(), tags.size());
  std::vector<std::vector<Retrieved>> merged(local.queries());
  std::size_t at = 0;
  for (std::size_t i = 0; i < all_query.size(); ++i) {
    Retrieved item;
    item.candidate = {all_score[i], all_row[i]};
    const auto length = static_cast<std::size_t>(all_length[i]);
    item.id.assign(all_chars.data() + at, length);
    at += length;
    item.tags.assign(all_tags.begin() + static_cast<long>(i * n_tags),
                     all_tags.begin() + static_cast<long>((i + 1) * n_tags));
    merged[static_cast<std::size_t>(all_query[i])].push_back(std::move(item));
  }
  for (auto& list : merged) {
    std::sort(list.begin(), list.end(), [](const Retrieved& a, const Retrieved& b) {
      return ranks_before(a.candidate, b.candidate);
    });
    list.resize(std::min(list.size(), local.k()));
  }
  return merged;
}

Queries clip_queries(const std::vector<double>& values, std::size_t d,
                     const std::vector<std::int32_t>& clip, const std::vector<std::string>& ids,
                     bool per_window, const std::string& source) {
  const std::size_t rows = clip.size();
  Queries q;
  std::vector<std::size_t> group(rows);
  std::map<std::int32_t, std::size_t> seen;
  for (std::size_t i = 0; i < rows; ++i) {
    if (clip[i] < 0 || static_cast<std::size_t>(clip[i]) >= ids.size())
      throw InputError(source + ":/test/clip: index " + std::to_string(clip[i]) +
                       " outside clip_ids");
    if (per_window) {
      group[i] = q.clip.size();
      q.clip.push_back(ids[static_cast<std::size_t>(clip[i])]);
      continue;
    }
    const auto [at, fresh] = seen.emplace(clip[i], q.clip.size());
    if (fresh) q.clip.push_back(ids[static_cast<std::size_t>(clip[i])]);
    group[i] = at->second;
  }
  solvers::Matrix<double> sum = solvers::Matrix<double>::Zero(
      static_cast<Eigen::Index>(q.clip.size()), static_cast<Eigen::Index>(d));
  std::vector<double> count(q.clip.size(), 0.0);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < d; ++j)
      sum(static_cast<Eigen::Index>(group[i]), static_cast<Eigen::Index>(j)) += values[i * d + j];
    count[group[i]] += 1;
  }
  for (std::size_t g = 0; g < count.size(); ++g) sum.row(static_cast<Eigen::Index>(g)) /= count[g];
  q.embeddings = sum.cast<float>();
  return q;
}

std::vector<double> corpus_identification(const std::vector<double>& at_least,
                                          const std::vector<long long>& stimulus_row,
                                          std::size_t rows) {
  std::vector<double> out;
  for (std::size_t query = 0; query < at_least.size(); ++query)
    out.push_back(stimulus_row[query] < 0 || rows < 2 ? std::numeric_limits<double>::quiet_NaN()
                                                      : 1.0 - at_least[query] / double(rows - 1));
  return out;
}

std::vector<std::vector<std::int32_t>> query_tags(
    const std::vector<std::string>& tags, const std::vector<std::vector<std::string>>& tag_names,
    const std::vector<std::string>& clips, const std::vector<long long>& stimulus_row,
    const std::vector<std::vector<double>>& stimulus_tags) {
  const std::size_t nq = clips.size();
  std::vector<std::vector<std::int32_t>> out(tags.size(), std::vector<std::int32_t>(nq, -1));
  for (std::size_t g = 0; g < tags.size(); ++g)
    for (std::size_t query = 0; query < nq; ++query) {
      if (stimulus_row[query] >= 0) {
        out[g][query] = static_cast<std::int32_t>(stimulus_tags[g][query]);
      } else if (tags[g] == "genre") {
        const std::string genre = clip_genre(clips[query]);
        const auto& names = tag_names[g];
        const auto found = std::find(names.begin(), names.end(), genre);
        if (found != names.end()) out[g][query] = static_cast<std::int32_t>(found - names.begin());
      }
    }
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
  // far below what separates retrieved clips. A column whose squares
  // overflow float (entries beyond about 1e19) is scaled by its largest
  // entry first, so its cosines stay right instead of becoming zeros.
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    auto col = m.col(j);
    float norm = col.norm();
    if (!std::isfinite(norm)) {
      const float largest = col.cwiseAbs().maxCoeff();
      if (std::isfinite(largest) && largest > 0) col /= largest;
      norm = col.norm();
    }
    if (norm > 0) col /= norm;
  }
}

std::optional<std::string> repeated_id(const std::vector<std::string>& shard_ids,
                                       const mpi::Comm& comm) {
  // Each id's 64-bit hash goes to every rank (8 bytes a row); only ids
  // whose hash occurs twice are then compared as strings, so a hash
  // collision never passes for a repeat.
  std::vector<std::uint64_t> hashes(shard_ids.size());
  std::transform(shard_ids.begin(), shard_ids.end(), hashes.begin(),
                 [](const std::string& id) { return std::hash<std::string>()(id); });
  std::vector<std::uint64_t> all = comm.allgatherv(hashes.data(), hashes.size());
  std::sort(all.begin(), all.end());
  std::vector<std::uint64_t> twice;
  for (std::size_t i = 1; i < all.size(); ++i)
    if (all[i] == all[i - 1] && (twice.empty() || twice.back() != all[i])) twice.push_back(all[i]);
  std::string suspects;  // this rank's ids under those hashes, NUL-separated
  for (std::size_t i = 0; i < shard_ids.size(); ++i)
    if (std::binary_search(twice.begin(), twice.end(), hashes[i])) suspects += shard_ids[i] + '\0';
  std::vector<std::string> ids;
  for (const std::string& part : comm.allgather(suspects)) {
    std::istringstream lines(part);
    for (std::string id; std::getline(lines, id, '\0');) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  const auto repeat = std::adjacent_find(ids.begin(), ids.end());
  if (repeat == ids.end()) return std::nullopt;
  return *repeat;
}

double chance_agreement(const std::vector<double>& counts, double rows,
                        const std::vector<std::int32_t>& query_tags) {
  double sum = 0;
  std::size_t known = 0;
  for (std::int32_t t : query_tags) {
    if (t < 0) continue;
    ++known;
    if (static_cast<std::size_t>(t) < counts.size() && rows > 0)
      sum += counts[static_cast<std::size_t>(t)] / rows;
  }
  return known ? sum / double(known) : std::numeric_limits<double>::quiet_NaN();
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
