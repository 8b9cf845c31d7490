#include "solvers/ridge_cv.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "solvers/ordered_sum.hpp"
#include "solvers/thin_svd.hpp"

namespace b2m::solvers {

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

template <class T>
RidgeFold<T>::RidgeFold(const ConstMatrixRef<T>& x, mpi::Range validation)
    : validation_(validation), n_(static_cast<std::size_t>(x.rows())) {
  const auto a = static_cast<Eigen::Index>(validation.begin);
  const auto b = static_cast<Eigen::Index>(validation.end);
  const Eigen::Index n = x.rows();
  Matrix<T> x_train(n - (b - a), x.cols());
  x_train.topRows(a) = x.topRows(a);
  x_train.bottomRows(n - b) = x.bottomRows(n - b);
  ThinSvd<T> svd = thin_svd<T>(x_train);
  s_ = std::move(svd.s);
  ut_ = svd.u.transpose();
  a_.noalias() = x.middleRows(a, b - a) * svd.v;
}

template <class T>
void RidgeFold<T>::accumulate(const ConstMatrixRef<T>& y, const std::vector<double>& alphas,
                              Eigen::Ref<Eigen::MatrixXd> mse, Eigen::Ref<Eigen::MatrixXd> r2) {
  const auto a = static_cast<Eigen::Index>(validation_.begin);
  const auto b = static_cast<Eigen::Index>(validation_.end);
  const Eigen::Index n = y.rows();
  const Eigen::Index m = b - a;
  // B = U^T Y_train, without gathering the training rows.
  uty_.noalias() = ut_.leftCols(a) * y.topRows(a);
  uty_.noalias() += ut_.rightCols(n - b) * y.bottomRows(n - b);
  const auto y_val = y.middleRows(a, m);
  const auto width = y.cols();
  const auto rows = static_cast<std::size_t>(m);
  Eigen::VectorXd variance(width);
  for (Eigen::Index j = 0; j < width; ++j) {
    double mean = 0;
    ordered_moments(y_val.col(j).data(), rows, mean, variance(j));
  }
  const auto square = [](double v) { return v * v; };
  for (std::size_t i = 0; i < alphas.size(); ++i) {
    const Vector<T> d = (s_.array() / (s_.array().square() + T(alphas[i]))).matrix();
    scaled_.noalias() = d.asDiagonal() * uty_;
    residual_ = y_val;
    residual_.noalias() -= a_ * scaled_;
    const auto row = static_cast<Eigen::Index>(i);
    for (Eigen::Index j = 0; j < width; ++j) {
      const double fold_mse = ordered_sum(residual_.col(j).data(), rows, square) / double(m);
      mse(row, j) += fold_mse;
      r2(row, j) += 1.0 - fold_mse / variance(j);
    }
  }
}

template <class T>
RidgeRefit<T>::RidgeRefit(const ConstMatrixRef<T>& x_train, const ConstMatrixRef<T>& x_test,
                          bool keep_weights) {
  ThinSvd<T> svd = thin_svd<T>(x_train);
  s_ = std::move(svd.s);
  ut_ = svd.u.transpose();
  xtest_v_.noalias() = x_test * svd.v;
  if (keep_weights) v_ = std::move(svd.v);
}

template <class T>
void RidgeRefit<T>::fit(const ConstMatrixRef<T>& y, const Eigen::Ref<const Eigen::VectorXd>& alpha,
                        Matrix<T>& test_prediction, Matrix<T>* weights) {
  uty_.noalias() = ut_ * y;
  for (Eigen::Index j = 0; j < uty_.cols(); ++j) {
    if (std::isnan(alpha(j))) {
      uty_.col(j).setZero();
    } else {
      uty_.col(j).array() *= s_.array() / (s_.array().square() + T(alpha(j)));
    }
  }
  test_prediction.noalias() = xtest_v_ * uty_;
  if (weights != nullptr) {
    if (v_.size() == 0 && s_.size() > 0) throw ConfigError("ridge refit: weights were not kept");
    weights->noalias() = v_ * uty_;
  }
}

template class RidgeFold<double>;
template class RidgeFold<float>;
template class RidgeRefit<double>;
template class RidgeRefit<float>;

}  // namespace b2m::solvers
