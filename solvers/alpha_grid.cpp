#include "solvers/alpha_grid.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace b2m::solvers {

std::vector<double> AlphaGrid::alphas() const {
  std::vector<double> out = values;
  if (out.empty()) {
    if (count < 1 || !(min > 0) || !(max >= min) || !std::isfinite(max))
      throw ConfigError("alpha grid: need at least 1 alpha and 0 < alpha-min <= alpha-max, got " +
                        std::to_string(count) + " from " + std::to_string(min) + " to " +
                        std::to_string(max));
    const double low = std::log10(min), high = std::log10(max);
    for (std::size_t i = 0; i < count; ++i) {
      const double t = count == 1 ? 0.0 : double(i) / double(count - 1);
      out.push_back(std::pow(10.0, low + t * (high - low)));
    }
  }
  for (double a : out)
    if (!(a > 0) || !std::isfinite(a))
      throw ConfigError("alpha grid: alphas must be positive and finite, got " + std::to_string(a));
  return out;
}

}  // namespace b2m::solvers
