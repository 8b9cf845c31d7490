#include "analysis/hrf.hpp"

#include <cmath>

namespace b2m::analysis {
namespace {

double gamma_pdf(double t, double shape) {
  if (t <= 0) return 0.0;
  return std::exp((shape - 1) * std::log(t) - t - std::lgamma(shape));
}

}  // namespace

std::vector<double> canonical_hrf(double tr, double length_s) {
  std::vector<double> h;
  double sum = 0;
  for (double t = 0; t <= length_s + 1e-9; t += tr) {
    h.push_back(gamma_pdf(t, 6.0) - gamma_pdf(t, 16.0) / 6.0);
    sum += h.back();
  }
  for (double& v : h) v /= sum;
  return h;
}

void convolve_runs(std::vector<double>& signal, std::size_t columns, std::size_t rows,
                   const std::vector<std::size_t>& run_starts, const std::vector<double>& kernel) {
  // signal is column-major rows x columns.
  std::vector<double> out(signal.size(), 0.0);
  for (std::size_t r = 0; r < run_starts.size(); ++r) {
    const std::size_t begin = run_starts[r];
    const std::size_t end = r + 1 < run_starts.size() ? run_starts[r + 1] : rows;
    for (std::size_t c = 0; c < columns; ++c) {
      const double* in = signal.data() + c * rows;
      double* o = out.data() + c * rows;
      for (std::size_t t = begin; t < end; ++t) {
        double acc = 0;
        for (std::size_t k = 0; k < kernel.size() && k <= t - begin; ++k)
          acc += kernel[k] * in[t - k];
        o[t] = acc;
      }
    }
  }
  signal.swap(out);
}

}  // namespace b2m::analysis
