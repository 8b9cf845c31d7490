#include "analysis/summary_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace b2m::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void keep_finite(std::vector<double>& v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
}

}  // namespace

double mean_finite(const std::vector<double>& v) {
  double sum = 0;
  std::size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      sum += x;
      ++n;
    }
  return n ? sum / double(n) : kNaN;
}

double median_finite(std::vector<double> v) {
  keep_finite(v);
  if (v.empty()) return kNaN;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

std::pair<double, double> percentile_range(std::vector<double> v, std::size_t lo, std::size_t hi) {
  keep_finite(v);
  if (v.empty()) return {kNaN, kNaN};
  std::sort(v.begin(), v.end());
  const auto at = [&](std::size_t percent) {
    return v[std::min(v.size() - 1, v.size() * percent / 100)];
  };
  return {at(lo), at(hi)};
}

std::pair<double, double> mean_sd(const std::vector<double>& v) {
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return {mean, v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0};
}

}  // namespace b2m::analysis
