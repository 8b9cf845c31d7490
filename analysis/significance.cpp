#include "analysis/significance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace b2m::analysis {

double fisher_p_value(double r, std::size_t n) {
  if (std::isnan(r) || n < 4) return std::numeric_limits<double>::quiet_NaN();
  const double clipped = std::clamp(r, -1 + 1e-15, 1 - 1e-15);
  const double z = std::atanh(clipped) * std::sqrt(double(n) - 3.0);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
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
