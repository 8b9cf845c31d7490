// Per-column scores of predictions against measurements.
#pragma once

#include "solvers/matrix.hpp"

namespace b2m::analysis {

// Pearson correlation of each column of `prediction` with the same column of
// `truth`; NaN where either column is constant.
template <class T>
[[nodiscard]] Eigen::VectorXd pearson_r(const solvers::ConstMatrixRef<T>& prediction,
                                        const solvers::ConstMatrixRef<T>& truth);

// Coefficient of determination 1 - SSE / SST per column (SST about the
// column mean of `truth`, as scikit-learn's r2_score); NaN for a constant truth.
template <class T>
[[nodiscard]] Eigen::VectorXd r_squared(const solvers::ConstMatrixRef<T>& prediction,
                                        const solvers::ConstMatrixRef<T>& truth);

// The mean over columns of the finite Pearson r of pearson_r (NaN if none
// is finite): decoding's summary of its per-dimension correlations.
[[nodiscard]] double mean_column_r(const solvers::Matrix<double>& prediction,
                                   const solvers::Matrix<double>& truth);

}  // namespace b2m::analysis
