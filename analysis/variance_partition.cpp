#include "analysis/variance_partition.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace b2m::analysis {

using solvers::Matrix;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

bool has_nan(const std::vector<double>& values) {
  for (double v : values)
    if (std::isnan(v)) return true;
  return false;
}

}  // namespace

VariancePartition::VariancePartition(std::size_t spaces) : spaces_(spaces) {
  if (spaces < 2 || spaces > 3)
    throw ConfigError("variance partitioning takes 2 or 3 feature spaces, got " +
                      std::to_string(spaces));
  masks_ = (std::size_t{1} << spaces) - 1;
  const auto m = Eigen::Index(masks_);
  touches_ = Matrix<double>::Zero(m, m);
  for (std::size_t s = 1; s <= masks_; ++s)
    for (std::size_t t = 1; t <= masks_; ++t)
      if ((s & t) != 0) touches_(Eigen::Index(s - 1), Eigen::Index(t - 1)) = 1;
  inverse_ = touches_.fullPivLu().inverse();
  // Every support's solve, once: a voxel then costs 2^(2^B - 1) small
  // products (128 of 7 x 7 for three spaces).
  support_solve_.resize(std::size_t{1} << masks_);
  for (std::size_t support = 1; support < support_solve_.size(); ++support) {
    Matrix<double> a(m, 0);
    for (std::size_t t = 0; t < masks_; ++t)
      if ((support >> t) & 1) {
        a.conservativeResize(Eigen::NoChange, a.cols() + 1);
        a.col(a.cols() - 1) = touches_.col(Eigen::Index(t));
      }
    // (1)'s columns are independent (touches_ is invertible), so every
    // support's normal equations are too.
    support_solve_[support] = (a.transpose() * a).ldlt().solve(a.transpose());
  }
}

std::vector<double> VariancePartition::exact(const std::vector<double>& subset_r2) const {
  if (has_nan(subset_r2)) return std::vector<double>(masks_, kNaN);
  const Eigen::Map<const Eigen::VectorXd> r(subset_r2.data(), Eigen::Index(masks_));
  const Eigen::VectorXd sizes = inverse_ * r;
  return {sizes.data(), sizes.data() + sizes.size()};
}

std::vector<double> VariancePartition::corrected(const std::vector<double>& subset_r2) const {
  if (has_nan(subset_r2)) return std::vector<double>(masks_, kNaN);
  const Eigen::Map<const Eigen::VectorXd> r(subset_r2.data(), Eigen::Index(masks_));
  // Non-negative least squares by enumeration: the optimum is the
  // unconstrained fit on its own support, so the best fit among supports
  // whose fit is non-negative is the optimum. The empty support (all
  // regions 0) is always feasible.
  Eigen::VectorXd best = Eigen::VectorXd::Zero(Eigen::Index(masks_));
  double best_error = r.squaredNorm();
  for (std::size_t support = 1; support < support_solve_.size(); ++support) {
    const Eigen::VectorXd x = support_solve_[support] * r;
    if ((x.array() < 0).any()) continue;
    Eigen::VectorXd sizes = Eigen::VectorXd::Zero(Eigen::Index(masks_));
    for (std::size_t t = 0, k = 0; t < masks_; ++t)
      if ((support >> t) & 1) sizes(Eigen::Index(t)) = x(Eigen::Index(k++));
    const double error = (touches_ * sizes - r).squaredNorm();
    if (error < best_error) {
      best_error = error;
      best = sizes;
    }
  }
  return {best.data(), best.data() + best.size()};
}

std::vector<double> VariancePartition::subset_r2(const std::vector<double>& regions) const {
  const Eigen::Map<const Eigen::VectorXd> x(regions.data(), Eigen::Index(masks_));
  const Eigen::VectorXd r = touches_ * x;
  return {r.data(), r.data() + r.size()};
}

}  // namespace b2m::analysis
