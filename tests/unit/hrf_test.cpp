#include <gtest/gtest.h>

#include <algorithm>

#include "analysis/hrf.hpp"

namespace b2m::analysis {
namespace {

TEST(Hrf, CanonicalShape) {
  const auto h = canonical_hrf(0.5);
  double sum = 0;
  for (double v : h) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  const auto peak = std::max_element(h.begin(), h.end()) - h.begin();
  EXPECT_NEAR(static_cast<double>(peak) * 0.5, 5.0, 0.6);  // SPM's peak is near 5 s
  EXPECT_LT(h[30], 0.0);                                   // undershoot at 15 s
}

TEST(Hrf, ConvolutionRestartsAtEachRun) {
  std::vector<double> signal = {1, 0, 0, 1, 0, 0};  // one column, two runs of 3
  convolve_runs(signal, 1, 6, {0, 3}, {0.5, 0.25, 0.25, 0.1});
  const std::vector<double> expected = {0.5, 0.25, 0.25, 0.5, 0.25, 0.25};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(signal[i], expected[i]);
}

}  // namespace
}  // namespace b2m::analysis
