#include "analysis/detrend.hpp"

#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

// Subtracts from each value the median of the values within `half` places
// of it (fewer at the ends). A sorted copy of the window is kept and updated
// as it slides: one removal and one insertion per step, each a binary search
// and a short move.
void subtract_running_median(float* x, std::size_t n, std::size_t half, std::vector<float>& window,
                             std::vector<float>& median) {
  window.clear();
  median.resize(n);
  std::size_t hi = 0;  // values [lo, hi) are in the window
  std::size_t lo = 0;
  for (std::size_t t = 0; t < n; ++t) {
    const std::size_t want_hi = std::min(n, t + half + 1);
    const std::size_t want_lo = t > half ? t - half : 0;
    for (; hi < want_hi; ++hi)
      window.insert(std::upper_bound(window.begin(), window.end(), x[hi]), x[hi]);
    for (; lo < want_lo; ++lo) window.erase(std::lower_bound(window.begin(), window.end(), x[lo]));
    const std::size_t m = window.size();
    median[t] = m % 2 ? window[m / 2] : 0.5f * (window[m / 2 - 1] + window[m / 2]);
  }
  for (std::size_t t = 0; t < n; ++t) x[t] -= median[t];
}

}  // namespace

DetrendMethod detrend_method(const std::string& name, const std::string& option) {
  if (name == "median") return DetrendMethod::running_median;
  if (name == "polynomial") return DetrendMethod::polynomial;
  if (name == "none") return DetrendMethod::none;
  throw ConfigError(option + " must be median, polynomial or none, got '" + name + "'");
}

std::size_t median_half_width(double window_s, double tr) {
  if (!(window_s > 0) || !(tr > 0))
    throw ConfigError("the running median window and the TR must be positive");
  return static_cast<std::size_t>(std::floor(window_s / 2 / tr + 1e-9));
}

void detrend(solvers::Matrix<float>& run, double tr, const DetrendOptions& o) {
  const auto n = static_cast<std::size_t>(run.rows());
  if (o.method == DetrendMethod::none || n == 0) return;
  if (o.method == DetrendMethod::running_median) {
    const std::size_t half = median_half_width(o.window_s, tr);
    std::vector<float> window, median;
    window.reserve(2 * half + 1);
    for (Eigen::Index v = 0; v < run.cols(); ++v)
      subtract_running_median(run.col(v).data(), n, half, window, median);
    return;
  }
  if (o.order < 0) throw ConfigError("the polynomial order must be >= 0");
  // An orthonormal basis of 1, t, ..., t^order over the run (t scaled to
  // [-1, 1] so the powers stay well conditioned), then Y -= Q (Q^T Y).
  const auto terms = static_cast<Eigen::Index>(std::min<std::size_t>(std::size_t(o.order) + 1, n));
  Eigen::MatrixXd powers(static_cast<Eigen::Index>(n), terms);
  for (std::size_t t = 0; t < n; ++t) {
    const double s = n > 1 ? 2.0 * double(t) / double(n - 1) - 1.0 : 0.0;
    double p = 1;
    for (Eigen::Index k = 0; k < terms; ++k, p *= s) powers(Eigen::Index(t), k) = p;
  }
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(powers);
  const Eigen::MatrixXd q =
      qr.householderQ() * Eigen::MatrixXd::Identity(static_cast<Eigen::Index>(n), terms);
  constexpr Eigen::Index kColumns = 1024;  // columns per product: a bounded double copy
  for (Eigen::Index first = 0; first < run.cols(); first += kColumns) {
    const Eigen::Index width = std::min(kColumns, run.cols() - first);
    const Eigen::MatrixXd y = run.middleCols(first, width).cast<double>();
    run.middleCols(first, width) = (y - q * (q.transpose() * y)).cast<float>();
  }
}

}  // namespace b2m::analysis
