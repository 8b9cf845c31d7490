// Statistics of the per-unit summaries: NaN-aware means and medians, order
// statistics, and mean +- sd over subjects.
#pragma once

#include <utility>
#include <vector>

namespace b2m::analysis {

// The mean of the finite values (NaN if there are none).
[[nodiscard]] double mean_finite(const std::vector<double>& v);
// The median of the finite values: the upper median (element size / 2 of
// the sorted values) for an even count; NaN if there are none.
[[nodiscard]] double median_finite(std::vector<double> v);
// Order statistics of the finite values at percents lo and hi (sorted
// element floor(size * percent / 100), at most the last): e.g. 5 and 95
// for a 5th-95th percentile range. NaNs if there are none.
[[nodiscard]] std::pair<double, double> percentile_range(std::vector<double> v, std::size_t lo,
                                                         std::size_t hi);
// Mean and sample standard deviation (n - 1; 0 for a single value).
[[nodiscard]] std::pair<double, double> mean_sd(const std::vector<double>& v);

}  // namespace b2m::analysis
