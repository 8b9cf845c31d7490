#include "analysis/identification.hpp"

#include <cmath>
#include <set>
#include <string>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

// Rows centred and scaled to unit norm (a constant row stays zero).
solvers::Matrix<double> standardized_rows(const solvers::Matrix<double>& m) {
  solvers::Matrix<double> out = m.colwise() - m.rowwise().mean();
  for (Eigen::Index i = 0; i < out.rows(); ++i) {
    const double norm = out.row(i).norm();
    if (norm > 0) out.row(i) /= norm;
  }
  return out;
}

}  // namespace

Eigen::MatrixXd row_correlations(const solvers::Matrix<double>& a,
                                 const solvers::Matrix<double>& b) {
  if (a.cols() != b.cols())
    throw ConfigError("row_correlations: " + std::to_string(a.cols()) + " vs " +
                      std::to_string(b.cols()) + " columns");
  return standardized_rows(a) * standardized_rows(b).transpose();
}

std::vector<double> identification_accuracy(const solvers::Matrix<double>& prediction,
                                            const solvers::Matrix<double>& truth) {
  if (prediction.rows() != truth.rows() || prediction.rows() < 2)
    throw ConfigError(
        "identification: needs the same number (>= 2) of predictions and targets, got " +
        std::to_string(prediction.rows()) + " and " + std::to_string(truth.rows()));
  const Eigen::MatrixXd c = row_correlations(prediction, truth);
  const Eigen::Index n = c.rows();
  std::vector<double> out(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    std::size_t wins = 0;
    for (Eigen::Index j = 0; j < n; ++j)
      if (j != i && c(i, i) > c(i, j)) ++wins;
    out[static_cast<std::size_t>(i)] = double(wins) / double(n - 1);
  }
  return out;
}

GroupMeans group_means(const std::vector<double>& values, const std::vector<std::string>& labels) {
  GroupMeans out;
  const std::set<std::string> unique(labels.begin(), labels.end());
  for (const std::string& label : unique) {
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == label) {
        sum += values[i];
        ++count;
      }
    out.labels.push_back(label);
    out.means.push_back(sum / double(count));
  }
  return out;
}

}  // namespace b2m::analysis
