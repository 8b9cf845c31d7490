// Reproducible test data: the same matrix on every rank for a given seed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

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

// Labelled clusters for the classifier tests: row i of n is of class
// i % classes, standard normal in `dim` dimensions plus `shift` on the
// dimension of its class; the dimensions in `loud` have sd 1000 and carry
// nothing.
[[nodiscard]] inline solvers::Matrix<double> labelled_rows(std::mt19937_64& rng, Eigen::Index n,
                                                           Eigen::Index dim, int classes,
                                                           double shift, std::vector<int>& labels,
                                                           Eigen::Index loud = -1) {
  std::normal_distribution<double> normal(0.0, 1.0);
  solvers::Matrix<double> x(n, dim);
  labels.clear();
  for (Eigen::Index i = 0; i < n; ++i) {
    labels.push_back(int(i % classes));
    for (Eigen::Index j = 0; j < dim; ++j)
      x(i, j) = normal(rng) * (j == loud ? 1000.0 : 1.0) + (j == labels.back() ? shift : 0.0);
  }
  return x;
}

}  // namespace b2m::testing
