// Removing the slow drift of fMRI time series, run by run, before the
// responses are z-scored (b2m prepare).
//
// Brain2Music removes the drift of each voxel with a running median filter
// of 240 s; b2m does the same by default: the median of the scans within
// +-120 s of each scan (161 scans at TR 1.5 s), the window truncated at the
// run's ends (no padding), subtracted from the scan. A polynomial fit of
// the run (Legendre-like orthonormal basis of the scan index) is the
// option many pipelines use instead.
#pragma once

#include <cstddef>
#include <string>

#include "solvers/matrix.hpp"

namespace b2m::analysis {

enum class DetrendMethod { none, running_median, polynomial };

struct DetrendOptions {
  DetrendMethod method = DetrendMethod::running_median;
  double window_s = 240;  // running median: the whole window, centred on each scan
  int order = 2;          // polynomial: highest power of the scan index
};

// "median", "polynomial" or "none"; a ConfigError naming `option` otherwise.
[[nodiscard]] DetrendMethod detrend_method(const std::string& name, const std::string& option);

// Scans on each side of a scan that a window of `window_s` seconds covers
// at `tr`: floor(window_s / 2 / tr).
[[nodiscard]] std::size_t median_half_width(double window_s, double tr);

// Removes the drift of every column of `run` (rows: the run's scans in
// time order) in place.
void detrend(solvers::Matrix<float>& run, double tr, const DetrendOptions& options);

}  // namespace b2m::analysis
