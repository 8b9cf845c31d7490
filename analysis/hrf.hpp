// The canonical haemodynamic response function (SPM's double gamma: a peak
// gamma of shape 6 minus an undershoot gamma of shape 16 scaled by 1/6, unit
// time scale in seconds), sampled on the TR grid.
#pragma once

#include <vector>

namespace b2m::analysis {

// HRF samples at t = 0, tr, 2 tr, ... up to `length_s`, normalized to unit sum.
[[nodiscard]] std::vector<double> canonical_hrf(double tr, double length_s = 32.0);

// Causal convolution of each column of a row-major-free signal with `kernel`,
// restarted at each run start (`run_starts` includes 0).
void convolve_runs(std::vector<double>& signal, std::size_t columns, std::size_t rows,
                   const std::vector<std::size_t>& run_starts, const std::vector<double>& kernel);

}  // namespace b2m::analysis
