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

// Autocorrelation of a centred series at lags 1..max_lag.
std::vector<double> autocorrelation(const double* x, std::size_t n, std::size_t max_lag) {
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += x[i];
  mean /= double(n);
  double c0 = 0;
  for (std::size_t i = 0; i < n; ++i) c0 += (x[i] - mean) * (x[i] - mean);
  std::vector<double> rho(max_lag + 1, 0.0);
  if (c0 <= 0) return rho;
  for (std::size_t k = 1; k <= max_lag && k < n; ++k) {
    double c = 0;
    for (std::size_t i = k; i < n; ++i) c += (x[i] - mean) * (x[i - k] - mean);
    rho[k] = c / c0;
  }
  return rho;
}

}  // namespace

double effective_samples(const double* x, const double* y, std::size_t n, std::size_t max_lag) {
  const auto rx = autocorrelation(x, n, max_lag);
  const auto ry = autocorrelation(y, n, max_lag);
  double inflation = 1.0;
  for (std::size_t k = 1; k <= max_lag; ++k) inflation += 2.0 * rx[k] * ry[k];
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
