#include "analysis/standardized_ridge.hpp"

#include <Eigen/Cholesky>
#include <string>

#include "core/error.hpp"

namespace b2m::analysis {

StandardizedRidge::StandardizedRidge(std::size_t inputs, std::size_t targets) {
  if (inputs == 0 || targets == 0) throw ConfigError("StandardizedRidge: needs inputs and targets");
  const auto d = Eigen::Index(inputs), q = Eigen::Index(targets);
  xx_ = solvers::Matrix<double>::Zero(d, d);
  xy_ = solvers::Matrix<double>::Zero(d, q);
  sx_ = solvers::Vector<double>::Zero(d);
  sy_ = solvers::Vector<double>::Zero(q);
}

void StandardizedRidge::add(const solvers::Matrix<double>& x, const solvers::Matrix<double>& y) {
  if (x.rows() != sx_.size() || y.rows() != sy_.size() || x.cols() != y.cols())
    throw ConfigError("StandardizedRidge::add: inputs and targets do not match");
  xx_.noalias() += x * x.transpose();
  xy_.noalias() += x * y.transpose();
  sx_ += x.rowwise().sum();
  sy_ += y.rowwise().sum();
  rows_ += double(x.cols());
}

void StandardizedRidge::fit(const mpi::Comm& comm, double ridge) {
  comm.allreduce_in_place(xx_.data(), std::size_t(xx_.size()), mpi::Op::sum);
  comm.allreduce_in_place(xy_.data(), std::size_t(xy_.size()), mpi::Op::sum);
  comm.allreduce_in_place(sx_.data(), std::size_t(sx_.size()), mpi::Op::sum);
  comm.allreduce_in_place(sy_.data(), std::size_t(sy_.size()), mpi::Op::sum);
  rows_ = comm.allreduce(rows_, mpi::Op::sum);
  if (rows_ < double(sx_.size()) + 1)
    throw ConfigError(std::to_string(std::size_t(rows_)) + " rows, fewer than the " +
                      std::to_string(sx_.size()) + " input dimensions + 1: too few to fit");
  mean_x_ = sx_ / rows_;
  mean_y_ = sy_ / rows_;
  // Centred (co)variances from the raw sums, per row.
  const solvers::Matrix<double> cov = xx_ / rows_ - mean_x_ * mean_x_.transpose();
  const solvers::Matrix<double> cross = xy_ / rows_ - mean_x_ * mean_y_.transpose();
  inv_sd_ = solvers::Vector<double>(sx_.size());
  for (Eigen::Index j = 0; j < inv_sd_.size(); ++j) {
    const double var = cov(j, j);
    if (!(var > 1e-24 * (1 + mean_x_(j) * mean_x_(j))))
      throw ConfigError("input dimension " + std::to_string(j) + " is constant over the rows");
    inv_sd_(j) = 1 / std::sqrt(var);
  }
  solvers::Matrix<double> corr = inv_sd_.asDiagonal() * cov * inv_sd_.asDiagonal();
  corr.diagonal().array() += ridge;
  weights_ = corr.ldlt().solve(inv_sd_.asDiagonal() * cross);
}

solvers::Vector<double> StandardizedRidge::predict(const double* x) const {
  if (!fitted()) throw ConfigError("StandardizedRidge::predict before fit");
  const Eigen::Map<const solvers::Vector<double>> v(x, mean_x_.size());
  return mean_y_ + weights_.transpose() * (v - mean_x_).cwiseProduct(inv_sd_);
}

}  // namespace b2m::analysis
