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

// I_x(a, b) by its continued fraction (DLMF 8.17.22, evaluated by the
// modified Lentz method), which converges fast for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  const auto guard = [](double v) { return std::abs(v) < kTiny ? kTiny : v; };
  double c = 1.0, d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
  double f = d;
  for (int m = 1; m <= 1000; ++m) {
    const double two_m = 2.0 * m;
    const double even = m * (b - m) * x / ((a + two_m - 1.0) * (a + two_m));
    d = 1.0 / guard(1.0 + even * d);
    c = guard(1.0 + even / c);
    f *= d * c;
    const double odd = -(a + m) * (a + b + m) * x / ((a + two_m) * (a + two_m + 1.0));
    d = 1.0 / guard(1.0 + odd * d);
    c = guard(1.0 + odd / c);
    const double step = d * c;
    f *= step;
    if (std::abs(step - 1.0) < 1e-16) break;
  }
  return f;
}

// The regularized incomplete beta function I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0.0;
  if (x >= 1) return 1.0;
  if (x > (a + 1.0) / (a + b + 2.0)) return 1.0 - incomplete_beta(b, a, 1.0 - x);
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  return std::exp(log_front) * beta_fraction(a, b, x) / a;
}

}  // namespace

double student_t_upper(double t, double nu) {
  if (std::isnan(t) || !(nu > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  const double tail = 0.5 * incomplete_beta(0.5 * nu, 0.5, nu / (nu + t * t));
  return t >= 0 ? tail : 1.0 - tail;
}

double gaussian_null_p_value(double r, double n) {
  if (std::isnan(r) || !(n > 2)) return std::numeric_limits<double>::quiet_NaN();
  if (r >= 1) return 0.0;
  if (r <= -1) return 1.0;
  return student_t_upper(r * std::sqrt((n - 2.0) / (1.0 - r * r)), n - 2.0);
}

namespace {

// Buffers of the lag products, sized once for many series.
struct LagWork {
  std::vector<double> centred, x_sums, y_sums;
};

// Lag products summed over the pairs (t, t + k) inside one segment, for
// lags 1..max_lag, of a series centred on its mean, divided by its variance
// (sum of squares / n), into `sums` (max_lag + 1 values).
void lag_products(const double* x, std::size_t n, std::size_t max_lag, std::size_t segment,
                  std::vector<double>& c, std::vector<double>& sums) {
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += x[i];
  mean /= double(n);
  c.resize(n);
  double variance = 0;
  for (std::size_t i = 0; i < n; ++i) {
    c[i] = x[i] - mean;
    variance += c[i] * c[i];
  }
  variance /= double(n);
  sums.assign(max_lag + 1, 0.0);
  if (variance <= 0) return;
  for (std::size_t k = 1; k <= max_lag; ++k) {
    for (std::size_t t = 0; t + k < n; ++t)
      if (t / segment == (t + k) / segment) sums[k] += c[t] * c[t + k];
    sums[k] /= variance;
  }
}

double effective_samples(const double* x, const double* y, std::size_t n, std::size_t max_lag,
                         std::size_t segment, LagWork& work) {
  segment = std::clamp<std::size_t>(segment, 1, n);
  max_lag = std::min(max_lag, segment - 1);
  lag_products(x, n, max_lag, segment, work.centred, work.x_sums);
  lag_products(y, n, max_lag, segment, work.centred, work.y_sums);
  const std::vector<double>& sx = work.x_sums;
  const std::vector<double>& sy = work.y_sums;
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

}  // namespace

double effective_samples(const double* x, const double* y, std::size_t n, std::size_t max_lag,
                         std::size_t segment) {
  LagWork work;
  return effective_samples(x, y, n, max_lag, segment, work);
}

template <class T>
Eigen::VectorXd test_p_values(const solvers::ConstMatrixRef<T>& prediction,
                              const solvers::ConstMatrixRef<T>& truth, const Eigen::VectorXd& r,
                              const std::vector<std::uint8_t>& valid, std::size_t max_lag,
                              std::size_t segment, TestNull null) {
  const Eigen::Index m = prediction.rows();
  Eigen::VectorXd pred(m), real(m), p(prediction.cols());
  LagWork work;
  for (Eigen::Index j = 0; j < prediction.cols(); ++j) {
    if (null == TestNull::gaussian) {
      p(j) = valid[std::size_t(j)] ? gaussian_null_p_value(r(j), double(m))
                                   : std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    pred = prediction.col(j).template cast<double>();
    real = truth.col(j).template cast<double>();
    const double n_eff =
        effective_samples(pred.data(), real.data(), std::size_t(m), max_lag, segment, work);
    p(j) = valid[std::size_t(j)] ? fisher_p_value(r(j), n_eff)
                                 : std::numeric_limits<double>::quiet_NaN();
  }
  return p;
}

template Eigen::VectorXd test_p_values<double>(const solvers::ConstMatrixRef<double>&,
                                               const solvers::ConstMatrixRef<double>&,
                                               const Eigen::VectorXd&,
                                               const std::vector<std::uint8_t>&, std::size_t,
                                               std::size_t, TestNull);
template Eigen::VectorXd test_p_values<float>(const solvers::ConstMatrixRef<float>&,
                                              const solvers::ConstMatrixRef<float>&,
                                              const Eigen::VectorXd&,
                                              const std::vector<std::uint8_t>&, std::size_t,
                                              std::size_t, TestNull);

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

std::vector<std::uint8_t> threshold_mask(const std::vector<double>& values, double level,
                                         bool below) {
  std::vector<std::uint8_t> mask(values.size(), 0);
  for (std::size_t v = 0; v < values.size(); ++v)
    mask[v] = (below ? values[v] < level : values[v] > level) ? 1 : 0;  // NaN: 0
  return mask;
}

}  // namespace b2m::analysis
