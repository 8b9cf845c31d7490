#include "solvers/ridge_cv.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "solvers/ordered_sum.hpp"

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
RidgeFold<T>::RidgeFold(SpectralFactor<T> factor, mpi::Range validation)
    : factor_(std::move(factor)), validation_(validation) {}

template <class T>
void RidgeFold<T>::accumulate(const ConstMatrixRef<T>& y, const std::vector<double>& alphas,
                              Eigen::Ref<Scores> mse, Eigen::Ref<Scores> r2) const {
  const auto a = static_cast<Eigen::Index>(validation_.begin);
  const auto b = static_cast<Eigen::Index>(validation_.end);
  const Eigen::Index n = y.rows();
  const Eigen::Index m = b - a;
  const Matrix<T>& right_t = factor_.right_t;
  const Matrix<T>& left = factor_.left;
  // B = right_t^T Y_train, without gathering the training rows.
  Matrix<T> by;
  by.noalias() = right_t.topRows(a).transpose() * y.topRows(a);
  by.noalias() += right_t.bottomRows(n - b).transpose() * y.bottomRows(n - b);
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

Eigen::Index best_alpha(const Eigen::Ref<const Eigen::VectorXd, 0, Eigen::InnerStride<>>& mse) {
  Eigen::Index best = 0;
  mse.minCoeff(&best);
  return best;
}

void choose_alphas(const Scores& mse, const Scores& r2, std::size_t folds,
                   const std::vector<double>& alphas, const std::vector<std::uint8_t>& valid,
                   Eigen::Ref<Eigen::VectorXd> alpha, Eigen::Ref<Eigen::VectorXd> cv_score) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (Eigen::Index j = 0; j < mse.cols(); ++j) {
    const Eigen::Index best = best_alpha(mse.col(j));
    const bool ok = valid[static_cast<std::size_t>(j)] != 0;
    alpha(j) = ok ? alphas[static_cast<std::size_t>(best)] : nan;
    cv_score(j) = ok ? r2(best, j) / double(folds) : nan;
  }
}

Eigen::VectorXd float_tie_tolerance(const Scores& mse, const Scores& r2, std::size_t folds) {
  constexpr double kFloatMseError = 1e-6;
  Eigen::VectorXd tolerance(mse.cols());
  for (Eigen::Index j = 0; j < mse.cols(); ++j) {
    const double explained = r2(best_alpha(mse.col(j)), j) / double(folds);
    tolerance(j) = kFloatMseError / std::sqrt(std::max(1e-6, 1.0 - explained));
  }
  return tolerance;
}

std::vector<Eigen::Index> near_ties(const Scores& mse, const Eigen::VectorXd& relative) {
  std::vector<Eigen::Index> out;
  for (Eigen::Index j = 0; j < mse.cols(); ++j) {
    const Eigen::Index best = best_alpha(mse.col(j));
    const double low = mse(best, j);
    for (Eigen::Index i = 0; i < mse.rows(); ++i)
      if (i != best && mse(i, j) <= low + relative(j) * std::abs(low)) {
        out.push_back(j);
        break;
      }
  }
  return out;
}

template <class T>
void RidgeRefit<T>::fit(const ConstMatrixRef<T>& y, const Eigen::Ref<const Eigen::VectorXd>& alpha,
                        Matrix<T>& test_prediction, RowMajorMatrix<T>* weights) const {
  if (weights != nullptr && factor_.weights_left.size() == 0 && factor_.lambda.size() > 0)
    throw ConfigError("ridge refit: the factors were made without weights");
  Matrix<T> by;
  by.noalias() = factor_.right_t.transpose() * y;
  for (Eigen::Index j = 0; j < by.cols(); ++j) {
    if (std::isnan(alpha(j))) {
      by.col(j).setZero();
    } else {
      by.col(j).array() *= ridge_shrinkage<T>(factor_.lambda, alpha(j)).array();
    }
  }
  test_prediction.noalias() = factor_.left * by;
  if (weights != nullptr) weights->noalias() = factor_.weights_left * by;
}

template class RidgeFold<double>;
template class RidgeFold<float>;
template class RidgeRefit<double>;
template class RidgeRefit<float>;

}  // namespace b2m::solvers
