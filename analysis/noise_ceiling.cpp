#include "analysis/noise_ceiling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

// Population variance (1/m) of each column.
Eigen::ArrayXd column_variance(const solvers::Matrix<double>& y) {
  const Eigen::RowVectorXd mean = y.colwise().mean();
  return (y.rowwise() - mean).array().square().colwise().sum().transpose() / double(y.rows());
}

}  // namespace

NoiseCeiling noise_ceiling(const std::vector<solvers::Matrix<double>>& reps) {
  if (reps.size() < 2) throw InputError("a noise ceiling needs at least two repetitions");
  const Eigen::Index m = reps.front().rows(), v = reps.front().cols();
  const double r = double(reps.size());
  solvers::Matrix<double> mean = solvers::Matrix<double>::Zero(m, v);
  Eigen::ArrayXd total = Eigen::ArrayXd::Zero(v);
  for (const auto& y : reps) {
    if (y.rows() != m || y.cols() != v)
      throw InputError("noise ceiling: repetitions of different shapes");
    mean += y / r;
    total += column_variance(y) / r;
  }
  const Eigen::ArrayXd of_mean = column_variance(mean);
  const Eigen::ArrayXd signal = (r * of_mean - total) / (r - 1);
  NoiseCeiling out;
  out.explainable_variance.resize(v);
  out.ceiling.resize(v);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (Eigen::Index j = 0; j < v; ++j) {
    if (!(total(j) > 0)) {
      out.explainable_variance(j) = out.ceiling(j) = nan;
      continue;
    }
    out.explainable_variance(j) = signal(j) / total(j);
    // SP <= var(Ybar) whenever TP >= var(Ybar), which Jensen guarantees.
    out.ceiling(j) = signal(j) > 0 ? std::sqrt(std::min(1.0, signal(j) / of_mean(j))) : 0.0;
  }
  return out;
}

Eigen::VectorXd normalized_r(const Eigen::VectorXd& r, const Eigen::VectorXd& ceiling) {
  Eigen::VectorXd out(r.size());
  for (Eigen::Index j = 0; j < r.size(); ++j)
    out(j) = ceiling(j) > 0 ? r(j) / ceiling(j) : std::numeric_limits<double>::quiet_NaN();
  return out;
}

}  // namespace b2m::analysis
