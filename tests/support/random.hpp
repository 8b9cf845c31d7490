// Reproducible test data: the same matrix on every rank for a given seed.
#pragma once

#include <cstdint>
#include <random>

#include "solvers/matrix.hpp"

namespace b2m::testing {

// rows x cols standard normal values, column by column from one stream.
[[nodiscard]] inline solvers::Matrix<double> gaussian(Eigen::Index rows, Eigen::Index cols,
                                                      std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  solvers::Matrix<double> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

}  // namespace b2m::testing
