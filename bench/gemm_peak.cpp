// This machine's GEMM throughput, the yardstick of the encode benchmark:
// prints one JSON line per precision, {"precision": ..., "gflops": ...},
// the best of several square multiplies through the same BLAS b2m uses.
#include <chrono>
#include <cstdio>

#include "solvers/matrix.hpp"

namespace {

template <class T>
double best_gflops(Eigen::Index n, int repeats) {
  const b2m::solvers::Matrix<T> a = b2m::solvers::Matrix<T>::Random(n, n);
  const b2m::solvers::Matrix<T> b = b2m::solvers::Matrix<T>::Random(n, n);
  b2m::solvers::Matrix<T> c(n, n);
  double best = 0;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    c.noalias() = a * b;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 2.0 * double(n) * double(n) * double(n) / s / 1e9);
  }
  return best + 0.0 * c(0, 0);
}

}  // namespace

int main() {
  std::printf("{\"precision\": \"double\", \"gflops\": %.2f}\n", best_gflops<double>(2048, 5));
  std::printf("{\"precision\": \"single\", \"gflops\": %.2f}\n", best_gflops<float>(2048, 5));
  return 0;
}
