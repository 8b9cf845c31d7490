// Decoding targets standardized per dimension, and back: the kernel ridge
// fits standardized targets (no intercept), and predictions are reported
// in the embedding's own units.
#pragma once

#include "solvers/matrix.hpp"

namespace b2m::analysis {

struct StandardizedTargets {
  solvers::Matrix<double> z;    // (y - mean) / sd, per column
  Eigen::RowVectorXd mean, sd;  // population sd; 1 for a constant column
  // Standardized values (rows x the same columns) in the targets' units.
  [[nodiscard]] solvers::Matrix<double> original(const solvers::Matrix<double>& zs) const;
};

// A constant column gets sd 1, so that it is predicted by its mean.
[[nodiscard]] StandardizedTargets standardize_targets(const solvers::Matrix<double>& y);

}  // namespace b2m::analysis
