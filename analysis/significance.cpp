#include "analysis/significance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace b2m::analysis {

double fisher_p_value(double r, double n) {
  if (std::isnan(r) || !(n > 3)) return std::numeric_limits<double>::quiet_NaN();
  const double clipped = std::clamp(r, -1 + 1e-15, 1 - 1e-15);
  const double z = std::atanh(clipped) * std::sqrt(n - 3.0);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

namespace {

// Lag products summed over the pairs (t, t + k) inside one segment, for
// lags 1..max_lag, of a series centred on its mean, divided by its variance
// (sum of squares / n).
std::vector<double> lag_products(const double* x, std::size_t n, std::size_t max_lag,
                                 std::size_t segment) {
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += x[i];
  mean /= double(n);
  std::vector<double> c(n);
  double variance = 0;
  for (std::size_t i = 0; i < n; ++i) {
    c[i] = x[i] - mean;
    variance += c[i] * c[i];
  }
  variance /= double(n);
  std::vector<double> sums(max_lag + 1, 0.0);
  if (variance <= 0) return sums;
  for (std::size_t k = 1; k <= max_lag; ++k) {
    for (std::size_t t = 0; t + k < n; ++t)
      if (t / segment == (t + k) / segment) sums[k] += c[t] * c[t + k];
    sums[k] /= variance;
  }
  return sums;
}

}  // namespace

double effective_samples(const double* x, const double* y, std::size_t n, std::size_t max_lag,
                         std::size_t segment) {
  segment = std::clamp<std::size_t>(segment, 1, n);
  max_lag = std::min(max_lag, segment - 1);
  const auto sx = lag_products(x, n, max_lag, segment);
  const auto sy = lag_products(y, n, max_lag, segment);
  double inflation = 1.0;
  for (std::size_t k = 1; k <= max_lag; ++k) {
    // Pairs at lag k inside segments: full segments give segment - k each.
    const std::size_t full = n / segment, rest = n % segment;
    const double pairs = double(full * (segment - k)) + double(rest > k ? rest - k : 0);
    // (N_k / n) rho_x(k) rho_y(k), with rho(k) = lag products / N_k.
    if (pairs > 0) inflation += 2.0 * sx[k] * sy[k] / (double(n) * pairs);
  }
  return double(n) / std::max(1.0, inflation);
}

std::vector<double> fdr_q_values(const std::vector<double>& p) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!std::isnan(p[i])) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> q(p.size(), std::numeric_limits<double>::quiet_NaN());
  const double m = static_cast<double>(order.size());
  double running = 1.0;
  for (std::size_t k = order.size(); k-- > 0;) {
    running = std::min(running, p[order[k]] * m / double(k + 1));
    q[order[k]] = running;
  }
  return q;
}

}  // namespace b2m::analysis
