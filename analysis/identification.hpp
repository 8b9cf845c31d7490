// Decoding metrics on embeddings, one row per sample.
#pragma once

#include <string>
#include <vector>

#include "solvers/matrix.hpp"

namespace b2m::analysis {

// Pearson correlation between each row of `a` and each row of `b`
// (rows(a) x rows(b)), across columns (embedding dimensions).
[[nodiscard]] Eigen::MatrixXd row_correlations(const solvers::Matrix<double>& a,
                                               const solvers::Matrix<double>& b);

// Identification accuracy (Brain2Music): for each prediction i, the fraction
// of samples j != i with corr(pred_i, truth_i) > corr(pred_i, truth_j).
// Chance is 0.5; needs at least two samples.
[[nodiscard]] std::vector<double> identification_accuracy(const solvers::Matrix<double>& prediction,
                                                          const solvers::Matrix<double>& truth);

// The mean of `values` per label (e.g. identification per genre), labels
// in sorted order.
struct GroupMeans {
  std::vector<std::string> labels;
  std::vector<double> means;
};
[[nodiscard]] GroupMeans group_means(const std::vector<double>& values,
                                     const std::vector<std::string>& labels);

}  // namespace b2m::analysis
