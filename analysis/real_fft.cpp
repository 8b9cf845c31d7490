#include "analysis/real_fft.hpp"

#include <new>
#include <string>

#include "core/error.hpp"

namespace b2m::analysis {

RealFft::RealFft(std::size_t n) : n_(n) {
  if (n < 2) throw ConfigError("RealFft: length " + std::to_string(n) + " is too short");
  in_ = fftw_alloc_real(n);
  out_ = fftw_alloc_complex(n / 2 + 1);
  if (in_) plan_ = fftw_plan_dft_r2c_1d(int(n), in_, out_, FFTW_ESTIMATE);
  if (!in_ || !out_ || !plan_) {
    fftw_free(in_);
    fftw_free(out_);
    throw std::bad_alloc();
  }
}

RealFft::~RealFft() noexcept {
  fftw_destroy_plan(plan_);
  fftw_free(in_);
  fftw_free(out_);
}

void RealFft::power(double* power) {
  fftw_execute(plan_);
  for (std::size_t k = 0; k <= n_ / 2; ++k)
    power[k] = out_[k][0] * out_[k][0] + out_[k][1] * out_[k][1];
}

}  // namespace b2m::analysis
