// Sums in a fixed order. Eigen's vectorized reductions peel elements until
// the data is aligned, so the rounding of a column sum depends on where the
// column happens to sit in memory. A sum that feeds the choice of alpha must
// not: a last-bit difference can flip a near tie between two alphas, and a
// resumed or re-blocked run must reproduce an uninterrupted one exactly.
#pragma once

#include <cstddef>

namespace b2m::solvers {

// sum_i f(x[i]) in double, with four interleaved partial sums combined in
// a fixed order (the compiler may not reassociate them without fast-math).
template <class T, class F>
[[nodiscard]] double ordered_sum(const T* x, std::size_t n, F&& f) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += f(static_cast<double>(x[i]));
    s1 += f(static_cast<double>(x[i + 1]));
    s2 += f(static_cast<double>(x[i + 2]));
    s3 += f(static_cast<double>(x[i + 3]));
  }
  for (; i < n; ++i) s0 += f(static_cast<double>(x[i]));
  return (s0 + s1) + (s2 + s3);
}

// Mean and population variance of a contiguous series, in a fixed order.
template <class T>
void ordered_moments(const T* x, std::size_t n, double& mean, double& variance) {
  mean = ordered_sum(x, n, [](double v) { return v; }) / double(n);
  const double m = mean;
  variance = ordered_sum(x, n, [m](double v) { return (v - m) * (v - m); }) / double(n);
}

}  // namespace b2m::solvers
