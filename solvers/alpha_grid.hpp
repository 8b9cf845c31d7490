// The regularization grid a cross-validated solver scores: explicit values,
// or `count` values log-spaced from `min` to `max` (both included), as
// himalaya's and scikit-learn's users write np.logspace.
#pragma once

#include <cstddef>
#include <vector>

namespace b2m::solvers {

struct AlphaGrid {
  std::vector<double> values;  // explicit alphas; empty: log-spaced
  std::size_t count = 20;
  double min = 1.0;
  double max = 1e7;

  // The alphas, in the order given (log-spaced: ascending). A ConfigError
  // unless there is at least one, each positive and finite, and
  // 0 < min <= max for a log-spaced grid.
  [[nodiscard]] std::vector<double> alphas() const;
};

}  // namespace b2m::solvers
