#include "analysis/permutation_test.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "analysis/split_mix64.hpp"
#include "core/error.hpp"

namespace b2m::analysis {
namespace {

using solvers::Matrix;

// Voxels whose products are summed together: B of a batch is
// batch x C^2 doubles (7 MB for 256 voxels of 60 clips).
constexpr Eigen::Index kBatch = 256;

// The columns [first, first + width) of `x`, standardized over their rows
// and transposed (width x m); `valid` is cleared for a constant column.
template <class T>
Matrix<double> standardized_rows(const solvers::ConstMatrixRef<T>& x, Eigen::Index first,
                                 Eigen::Index width, std::vector<std::uint8_t>& valid) {
  Matrix<double> out = x.middleCols(first, width).template cast<double>().transpose();
  const double m = static_cast<double>(out.cols());
  for (Eigen::Index v = 0; v < width; ++v) {
    const double mean = out.row(v).sum() / m;
    out.row(v).array() -= mean;
    const double sd = std::sqrt(out.row(v).squaredNorm() / m);
    if (!(sd > 0) || !std::isfinite(sd)) {
      valid[std::size_t(first + v)] = 0;
      out.row(v).setZero();
    } else {
      out.row(v) /= sd;
    }
  }
  return out;
}

}  // namespace

std::vector<std::uint32_t> clip_permutation(std::uint64_t seed, std::uint64_t index,
                                            std::size_t clips) {
  SplitMix64 stream = SplitMix64::stream(seed, index);
  std::vector<std::uint32_t> order(clips);
  std::iota(order.begin(), order.end(), 0u);
  for (std::size_t i = clips; i > 1; --i)
    std::swap(order[i - 1], order[std::size_t(stream.below(i))]);
  return order;
}

template <class T>
Matrix<T> clip_tails(const solvers::ConstMatrixRef<T>& x, std::size_t clip_rows, std::size_t skip) {
  if (clip_rows == 0 || x.rows() % Eigen::Index(clip_rows) != 0)
    throw ConfigError("clip_tails: the rows are not whole clips");
  if (skip >= clip_rows)
    throw ConfigError("clip_tails: skipping " + std::to_string(skip) + " rows of clips of " +
                      std::to_string(clip_rows) + " leaves none");
  const auto L = Eigen::Index(clip_rows), kept = L - Eigen::Index(skip);
  const Eigen::Index clips = x.rows() / L;
  Matrix<T> out(clips * kept, x.cols());
  for (Eigen::Index c = 0; c < clips; ++c)
    out.middleRows(c * kept, kept) = x.middleRows(c * L + Eigen::Index(skip), kept);
  return out;
}

template Matrix<float> clip_tails<float>(const solvers::ConstMatrixRef<float>&, std::size_t,
                                         std::size_t);
template Matrix<double> clip_tails<double>(const solvers::ConstMatrixRef<double>&, std::size_t,
                                           std::size_t);

template <class T>
PermutationCounts permutation_counts(const solvers::ConstMatrixRef<T>& prediction,
                                     const solvers::ConstMatrixRef<T>& observed,
                                     std::size_t clip_rows,
                                     const std::vector<std::vector<std::uint32_t>>& permutations) {
  const Eigen::Index m = prediction.rows(), width = prediction.cols();
  if (observed.rows() != m || observed.cols() != width)
    throw ConfigError("permutation_counts: prediction and observed differ in shape");
  if (clip_rows == 0 || m % Eigen::Index(clip_rows) != 0)
    throw ConfigError("permutation_counts: the rows are not whole clips");
  const auto L = static_cast<Eigen::Index>(clip_rows);
  const Eigen::Index C = m / L;
  for (const auto& pi : permutations)
    if (pi.size() != std::size_t(C))
      throw ConfigError("permutation_counts: a permutation of the wrong length");

  PermutationCounts out;
  out.r = Eigen::VectorXd::Constant(width, std::numeric_limits<double>::quiet_NaN());
  out.exceed.assign(std::size_t(width), 0);
  out.max_r.assign(permutations.size(), -std::numeric_limits<double>::infinity());
  std::vector<std::uint8_t> valid(std::size_t(width), 1);
  Matrix<double> products;  // batch x C^2: column c C + c' holds B[c, c'] of every voxel
  Eigen::VectorXd sum, observed_sum;
  for (Eigen::Index first = 0; first < width; first += kBatch) {
    const Eigen::Index n = std::min(kBatch, width - first);
    const Matrix<double> p = standardized_rows<T>(prediction, first, n, valid);
    const Matrix<double> y = standardized_rows<T>(observed, first, n, valid);
    products.resize(n, C * C);
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index d = 0; d < C; ++d) {
        auto b = products.col(c * C + d);
        b = p.col(c * L).cwiseProduct(y.col(d * L));
        for (Eigen::Index k = 1; k < L; ++k) b += p.col(c * L + k).cwiseProduct(y.col(d * L + k));
      }
    // The observed pairing is summed in the order every permutation is, so
    // the identity permutation ties with it exactly.
    observed_sum = products.col(0);
    for (Eigen::Index c = 1; c < C; ++c) observed_sum += products.col(c * C + c);
    for (Eigen::Index v = 0; v < n; ++v)
      if (valid[std::size_t(first + v)]) out.r(first + v) = observed_sum(v) / double(m);
    for (std::size_t k = 0; k < permutations.size(); ++k) {
      const std::vector<std::uint32_t>& pi = permutations[k];
      sum = products.col(Eigen::Index(pi[0]));
      for (Eigen::Index c = 1; c < C; ++c)
        sum += products.col(c * C + Eigen::Index(pi[std::size_t(c)]));
      double top = out.max_r[k];
      for (Eigen::Index v = 0; v < n; ++v) {
        if (!valid[std::size_t(first + v)]) continue;
        out.exceed[std::size_t(first + v)] += sum(v) >= observed_sum(v) ? 1 : 0;
        top = std::max(top, sum(v) / double(m));
      }
      out.max_r[k] = top;
    }
  }
  return out;
}

template PermutationCounts permutation_counts<float>(
    const solvers::ConstMatrixRef<float>&, const solvers::ConstMatrixRef<float>&, std::size_t,
    const std::vector<std::vector<std::uint32_t>>&);
template PermutationCounts permutation_counts<double>(
    const solvers::ConstMatrixRef<double>&, const solvers::ConstMatrixRef<double>&, std::size_t,
    const std::vector<std::vector<std::uint32_t>>&);

std::vector<double> permutation_p(const Eigen::VectorXd& r,
                                  const std::vector<std::uint64_t>& exceed,
                                  std::size_t permutations) {
  std::vector<double> p(std::size_t(r.size()), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t v = 0; v < p.size(); ++v)
    if (!std::isnan(r(Eigen::Index(v))))
      p[v] = (1.0 + double(exceed[v])) / (1.0 + double(permutations));
  return p;
}

MaxStatisticNull::MaxStatisticNull(std::vector<double> max_r) : sorted_(std::move(max_r)) {
  std::sort(sorted_.begin(), sorted_.end());
}

std::vector<double> MaxStatisticNull::p_values(const Eigen::VectorXd& r) const {
  std::vector<double> p(std::size_t(r.size()), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t v = 0; v < p.size(); ++v) {
    const double x = r(Eigen::Index(v));
    if (std::isnan(x)) continue;
    const auto at_least = sorted_.end() - std::lower_bound(sorted_.begin(), sorted_.end(), x);
    p[v] = (1.0 + double(at_least)) / (1.0 + double(sorted_.size()));
  }
  return p;
}

double MaxStatisticNull::threshold(double level) const {
  // An r above sorted_[at] reaches at most P - 1 - at of the maxima; the
  // first `at` where that count gives p < level, by p_values' own formula.
  const std::size_t n = sorted_.size();
  for (std::size_t at = 0; at < n; ++at)
    if ((1.0 + double(n - 1 - at)) / (1.0 + double(n)) < level) return sorted_[at];
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace b2m::analysis
