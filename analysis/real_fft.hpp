// One real-to-complex FFT length through FFTW, owning its plan and its
// aligned buffers. Planned with FFTW_ESTIMATE: a measured plan may pick
// another algorithm on another run or rank and change the last bits, and
// b2m's results must not depend on the run or the rank count.
#pragma once

#include <fftw3.h>
#include <cstddef>

namespace b2m::analysis {

class RealFft {
 public:
  explicit RealFft(std::size_t n);
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;
  ~RealFft() noexcept;

  [[nodiscard]] std::size_t size() const { return n_; }
  // The n samples the next transform reads.
  [[nodiscard]] double* input() { return in_; }
  // Transforms input() and writes |X_k|^2, k = 0..n/2, into `power`.
  void power(double* power);

 private:
  std::size_t n_;
  double* in_ = nullptr;
  fftw_complex* out_ = nullptr;
  fftw_plan plan_ = nullptr;
};

}  // namespace b2m::analysis
