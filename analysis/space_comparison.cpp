#include "analysis/space_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "analysis/split_mix64.hpp"
#include "core/error.hpp"

namespace b2m::analysis {

using solvers::Matrix;

std::vector<Overlap> overlap_by_label(const std::vector<std::uint8_t>& a,
                                      const std::vector<std::uint8_t>& b,
                                      const std::vector<std::int32_t>& label, std::size_t labels) {
  if (a.size() != b.size() || a.size() != label.size())
    throw ConfigError("overlap_by_label: masks of " + std::to_string(a.size()) + " and " +
                      std::to_string(b.size()) + " voxels, labels of " +
                      std::to_string(label.size()));
  std::vector<Overlap> out(labels);
  for (std::size_t v = 0; v < a.size(); ++v) {
    if (label[v] < 0 || std::size_t(label[v]) >= labels) continue;
    Overlap& o = out[std::size_t(label[v])];
    o.a += a[v] != 0;
    o.b += b[v] != 0;
    o.both += a[v] != 0 && b[v] != 0;
  }
  for (Overlap& o : out)
    if (o.a + o.b > 0) o.dice = 2.0 * double(o.both) / double(o.a + o.b);
  return out;
}

std::vector<std::uint32_t> clip_bootstrap(std::uint64_t seed, std::uint64_t index,
                                          std::size_t clips) {
  SplitMix64 stream = SplitMix64::stream(seed, index);
  std::vector<std::uint32_t> count(clips, 0);
  for (std::size_t i = 0; i < clips; ++i) ++count[std::size_t(stream.below(clips))];
  return count;
}

template <class T>
PairedClipSums::PairedClipSums(const solvers::ConstMatrixRef<T>& a,
                               const solvers::ConstMatrixRef<T>& b,
                               const solvers::ConstMatrixRef<T>& observed, std::size_t clip_rows)
    : clip_rows_(Eigen::Index(clip_rows)) {
  const Eigen::Index m = observed.rows(), width = observed.cols();
  if (a.rows() != m || b.rows() != m || a.cols() != width || b.cols() != width)
    throw ConfigError("PairedClipSums: predictions and observed rows differ in shape");
  if (clip_rows == 0 || m % clip_rows_ != 0)
    throw ConfigError("PairedClipSums: the rows are not whole clips");
  const Eigen::Index clips = m / clip_rows_;
  sums_.setZero(clips, 8 * width);
  for (Eigen::Index v = 0; v < width; ++v)
    for (Eigen::Index c = 0; c < clips; ++c) {
      double s[8] = {};
      for (Eigen::Index i = c * clip_rows_; i < (c + 1) * clip_rows_; ++i) {
        const double y = double(observed(i, v)), x = double(a(i, v)), z = double(b(i, v));
        s[0] += y;
        s[1] += y * y;
        s[2] += x;
        s[3] += x * x;
        s[4] += x * y;
        s[5] += z;
        s[6] += z * z;
        s[7] += z * y;
      }
      for (Eigen::Index k = 0; k < 8; ++k) sums_(c, 8 * v + k) = s[k];
    }
}

template PairedClipSums::PairedClipSums(const solvers::ConstMatrixRef<float>&,
                                        const solvers::ConstMatrixRef<float>&,
                                        const solvers::ConstMatrixRef<float>&, std::size_t);
template PairedClipSums::PairedClipSums(const solvers::ConstMatrixRef<double>&,
                                        const solvers::ConstMatrixRef<double>&,
                                        const solvers::ConstMatrixRef<double>&, std::size_t);

void PairedClipSums::correlations(const Matrix<double>& weights, Matrix<double>& r_a,
                                  Matrix<double>& r_b) const {
  if (weights.cols() != clips())
    throw ConfigError("PairedClipSums: weights for " + std::to_string(weights.cols()) +
                      " clips, sums of " + std::to_string(clips()));
  // One product gives every draw's sums of every voxel.
  const Matrix<double> drawn = weights * sums_;  // draws x 8 w
  const Eigen::Index draws = weights.rows(), width = voxels();
  r_a.resize(draws, width);
  r_b.resize(draws, width);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto r_of = [&](double n, double sy, double syy, double sx, double sxx, double sxy) {
    const double cov = sxy - sx * sy / n;
    const double vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
    return vx > 0 && vy > 0 ? cov / std::sqrt(vx * vy) : nan;
  };
  for (Eigen::Index d = 0; d < draws; ++d) {
    const double n = weights.row(d).sum() * double(clip_rows_);
    for (Eigen::Index v = 0; v < width; ++v) {
      const double y = drawn(d, 8 * v), yy = drawn(d, 8 * v + 1);
      r_a(d, v) = r_of(n, y, yy, drawn(d, 8 * v + 2), drawn(d, 8 * v + 3), drawn(d, 8 * v + 4));
      r_b(d, v) = r_of(n, y, yy, drawn(d, 8 * v + 5), drawn(d, 8 * v + 6), drawn(d, 8 * v + 7));
    }
  }
}

void add_region_differences(const Matrix<double>& r_a, const Matrix<double>& r_b,
                            const std::vector<std::vector<std::uint32_t>>& regions,
                            Matrix<double>& sums, Matrix<double>& counts) {
  if (r_b.rows() != r_a.rows() || r_b.cols() != r_a.cols() ||
      Eigen::Index(regions.size()) != r_a.cols() || sums.cols() != r_a.rows() ||
      counts.rows() != sums.rows() || counts.cols() != sums.cols())
    throw ConfigError("add_region_differences: shapes differ");
  for (Eigen::Index j = 0; j < r_a.cols(); ++j)
    for (std::uint32_t region : regions[std::size_t(j)])
      for (Eigen::Index d = 0; d < r_a.rows(); ++d) {
        const double diff = r_a(d, j) - r_b(d, j);
        if (std::isnan(diff)) continue;
        sums(region, d) += diff;
        counts(region, d) += 1;
      }
}

PairedDifference summarize_bootstrap(double observed, std::vector<double> draws, double level) {
  if (!(level > 0 && level < 1))
    throw ConfigError("summarize_bootstrap: the interval's level must lie in (0, 1)");
  draws.erase(std::remove_if(draws.begin(), draws.end(), [](double d) { return std::isnan(d); }),
              draws.end());
  PairedDifference out;
  out.observed = observed;
  out.draws = draws.size();
  if (draws.empty()) {
    out.low = out.high = out.p = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  std::sort(draws.begin(), draws.end());
  // Percentile interval: the draws at ranks (1 - level) / 2 and (1 + level) / 2.
  const auto at = [&](double q) {
    const double pos = q * double(draws.size() - 1);
    const auto lo = std::size_t(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, draws.size() - 1);
    return draws[lo] + (pos - double(lo)) * (draws[hi] - draws[lo]);
  };
  out.low = at((1 - level) / 2);
  out.high = at((1 + level) / 2);
  const auto below = std::size_t(std::upper_bound(draws.begin(), draws.end(), 0.0) - draws.begin());
  const auto above = std::size_t(draws.end() - std::lower_bound(draws.begin(), draws.end(), 0.0));
  const std::size_t other_side = std::min(below, above);
  out.p = std::min(1.0, 2.0 * (1.0 + double(other_side)) / (1.0 + double(draws.size())));
  return out;
}

PairedDifference across_subjects(const std::vector<double>& observed,
                                 const std::vector<std::vector<double>>& draws, double level) {
  if (observed.empty() || draws.size() != observed.size())
    throw ConfigError("across_subjects: needs one draw series per subject, and a subject");
  const std::size_t n = draws.front().size();
  std::vector<double> mean(n, 0.0);
  for (const std::vector<double>& subject : draws) {
    if (subject.size() != n) throw ConfigError("across_subjects: subjects' draws differ in count");
    for (std::size_t d = 0; d < n; ++d) mean[d] += subject[d] / double(draws.size());
  }
  double total = 0;
  for (double v : observed) total += v / double(observed.size());
  return summarize_bootstrap(total, mean, level);
}

Matrix<double> density_2d(const std::vector<double>& x, const std::vector<double>& y,
                          std::size_t bins, double low, double high) {
  if (x.size() != y.size()) throw ConfigError("density_2d: x and y differ in length");
  if (bins < 1 || !(high > low)) throw ConfigError("density_2d: needs bins >= 1 and high > low");
  Matrix<double> out = Matrix<double>::Zero(Eigen::Index(bins), Eigen::Index(bins));
  const auto bin = [&](double v) {
    const double at = std::floor((v - low) / (high - low) * double(bins));
    return Eigen::Index(std::clamp(at, 0.0, double(bins - 1)));
  };
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i]) && !std::isnan(y[i])) out(bin(x[i]), bin(y[i])) += 1;
  return out;
}

}  // namespace b2m::analysis
