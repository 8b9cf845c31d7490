#include "solvers/ridge_cv.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "solvers/ordered_sum.hpp"

namespace b2m::solvers {
namespace {

// The factor in the working precision: a view for double, a copy for float.
template <class T>
const Matrix<T>& in_precision(const Matrix<double>& m, Matrix<T>& copy) {
  if constexpr (std::is_same_v<T, double>) {
    return m;
  } else {
    copy = m.cast<T>();
    return copy;
  }
}

}  // namespace

std::vector<mpi::Range> contiguous_folds(const std::vector<mpi::Range>& runs, std::size_t k) {
  if (k < 2) throw ConfigError("cross-validation needs at least 2 folds, got " + std::to_string(k));
  if (runs.size() < k)
    throw InputError("cannot make " + std::to_string(k) + " run-grouped folds from " +
                     std::to_string(runs.size()) + " runs");
  std::vector<mpi::Range> folds;
  for (std::size_t f = 0; f < k; ++f) {
    const mpi::Range group = mpi::even_part(runs.size(), k, f);
    folds.push_back({runs[group.begin].begin, runs[group.end - 1].end});
  }
  return folds;
}

RidgeFold::RidgeFold(const ConstMatrixRef<double>& x, mpi::Range validation)
    : validation_(validation) {
  const auto a = static_cast<Eigen::Index>(validation.begin);
  const auto b = static_cast<Eigen::Index>(validation.end);
  const Eigen::Index n = x.rows();
  Matrix<double> x_train(n - (b - a), x.cols());
  x_train.topRows(a) = x.topRows(a);
  x_train.bottomRows(n - b) = x.bottomRows(n - b);
  factor_ = ridge_factor(x_train, x.middleRows(a, b - a), false);
}

template <class T>
void RidgeFold::accumulate(const ConstMatrixRef<T>& y, const std::vector<double>& alphas,
                           Eigen::Ref<Eigen::MatrixXd> mse, Eigen::Ref<Eigen::MatrixXd> r2) const {
  const auto a = static_cast<Eigen::Index>(validation_.begin);
  const auto b = static_cast<Eigen::Index>(validation_.end);
  const Eigen::Index n = y.rows();
  const Eigen::Index m = b - a;
  Matrix<T> right_copy, left_copy;
  const Matrix<T>& right = in_precision<T>(factor_.right, right_copy);
  const Matrix<T>& left = in_precision<T>(factor_.left, left_copy);
  // B = right Y_train, without gathering the training rows.
  Matrix<T> by;
  by.noalias() = right.leftCols(a) * y.topRows(a);
  by.noalias() += right.rightCols(n - b) * y.bottomRows(n - b);
  const auto y_val = y.middleRows(a, m);
  const auto width = y.cols();
  const auto rows = static_cast<std::size_t>(m);
  Eigen::VectorXd variance(width);
  for (Eigen::Index j = 0; j < width; ++j) {
    double mean = 0;
    ordered_moments(y_val.col(j).data(), rows, mean, variance(j));
  }
  const auto square = [](double v) { return v * v; };
  Matrix<T> scaled, residual;
  for (std::size_t i = 0; i < alphas.size(); ++i) {
    scaled.noalias() = ridge_shrinkage<T>(factor_.lambda, alphas[i]).asDiagonal() * by;
    residual = y_val;
    residual.noalias() -= left * scaled;
    const auto row = static_cast<Eigen::Index>(i);
    for (Eigen::Index j = 0; j < width; ++j) {
      const double fold_mse = ordered_sum(residual.col(j).data(), rows, square) / double(m);
      mse(row, j) += fold_mse;
      r2(row, j) += 1.0 - fold_mse / variance(j);
    }
  }
}

std::vector<Eigen::Index> near_ties(const Eigen::MatrixXd& mse, const Eigen::VectorXd& relative) {
  std::vector<Eigen::Index> out;
  for (Eigen::Index j = 0; j < mse.cols(); ++j) {
    Eigen::Index best = 0;
    const double low = mse.col(j).minCoeff(&best);
    for (Eigen::Index i = 0; i < mse.rows(); ++i)
      if (i != best && mse(i, j) <= low + relative(j) * std::abs(low)) {
        out.push_back(j);
        break;
      }
  }
  return out;
}

RidgeRefit::RidgeRefit(const ConstMatrixRef<double>& x_train, const ConstMatrixRef<double>& x_test,
                       bool keep_weights)
    : factor_(ridge_factor(x_train, x_test, keep_weights)), keep_weights_(keep_weights) {}

RidgeRefit::RidgeRefit(RidgeFactor factor, bool keep_weights)
    : factor_(std::move(factor)), keep_weights_(keep_weights) {}

template <class T>
void RidgeRefit::fit(const ConstMatrixRef<T>& y, const Eigen::Ref<const Eigen::VectorXd>& alpha,
                     Matrix<T>& test_prediction, Matrix<T>* weights) const {
  if (weights != nullptr && !keep_weights_) throw ConfigError("ridge refit: weights were not kept");
  Matrix<T> right_copy, left_copy, weights_copy;
  const Matrix<T>& right = in_precision<T>(factor_.right, right_copy);
  Matrix<T> by;
  by.noalias() = right * y;
  right_copy.resize(0, 0);
  for (Eigen::Index j = 0; j < by.cols(); ++j) {
    if (std::isnan(alpha(j))) {
      by.col(j).setZero();
    } else {
      by.col(j).array() *= ridge_shrinkage<T>(factor_.lambda, alpha(j)).array();
    }
  }
  test_prediction.noalias() = in_precision<T>(factor_.left, left_copy) * by;
  if (weights != nullptr)
    weights->noalias() = in_precision<T>(factor_.weights_left, weights_copy) * by;
}

template void RidgeFold::accumulate<double>(const ConstMatrixRef<double>&,
                                            const std::vector<double>&, Eigen::Ref<Eigen::MatrixXd>,
                                            Eigen::Ref<Eigen::MatrixXd>) const;
template void RidgeFold::accumulate<float>(const ConstMatrixRef<float>&, const std::vector<double>&,
                                           Eigen::Ref<Eigen::MatrixXd>,
                                           Eigen::Ref<Eigen::MatrixXd>) const;
template void RidgeRefit::fit<double>(const ConstMatrixRef<double>&,
                                      const Eigen::Ref<const Eigen::VectorXd>&, Matrix<double>&,
                                      Matrix<double>*) const;
template void RidgeRefit::fit<float>(const ConstMatrixRef<float>&,
                                     const Eigen::Ref<const Eigen::VectorXd>&, Matrix<float>&,
                                     Matrix<float>*) const;

}  // namespace b2m::solvers
