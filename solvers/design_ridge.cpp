#include "solvers/design_ridge.hpp"

#include <string>

#include "core/error.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::solvers {

DesignRidge::DesignRidge(Matrix<double> x, Matrix<double> x_test)
    : x_(std::move(x)), x_test_(std::move(x_test)), rows_(x_.rows()), features_(x_.cols()) {
  if (x_test_.cols() != features_)
    throw ConfigError("design ridge: " + std::to_string(rows_) + " x " + std::to_string(features_) +
                      " training rows but " + std::to_string(x_test_.cols()) + " test features");
}

Eigen::Index DesignRidge::factor_rank(Eigen::Index n_train) const {
  return ridge_is_primal(n_train, features_) ? features_ : n_train;
}

SymmetricEigen DesignRidge::gram_eigen(mpi::Range held_out) {
  Matrix<double> gram = ridge_gram(x_, held_out);
  const double bytes = double(sizeof(double)) * double(2 * gram.size() + x_.size());
  const bool park = parking_.park && bytes > parking_.budget_bytes;
  if (park) parking_.park(x_);
  SymmetricEigen eig = symmetric_eigen(gram);
  gram.resize(0, 0);
  if (park) parking_.restore(x_);
  return eig;
}

RidgeFactor DesignRidge::factor(mpi::Range held_out, bool with_weights) {
  SymmetricEigen eig = gram_eigen(held_out);
  if (held_out.empty()) return ridge_factor(x_, {}, x_test_, std::move(eig), with_weights);
  // (a view made before parking would point at freed storage)
  const auto x_val = x_.middleRows(static_cast<Eigen::Index>(held_out.begin),
                                   static_cast<Eigen::Index>(held_out.size()));
  return ridge_factor(x_, held_out, x_val, std::move(eig), with_weights);
}

RidgeFactor DesignRidge::take_refit_factor(bool with_weights) {
  SymmetricEigen eig = gram_eigen({});
  RidgeFactor f = ridge_factor(std::move(x_), x_test_, std::move(eig), with_weights);
  x_.resize(0, 0);
  x_test_.resize(0, 0);
  return f;
}

CvFit DesignRidge::fit(const Matrix<double>& y, const std::vector<mpi::Range>& folds,
                       const std::vector<double>& alphas) {
  const Eigen::Index n = rows_, d = y.cols();
  if (y.rows() != n)
    throw ConfigError("design ridge: " + std::to_string(n) + " training rows for " +
                      std::to_string(y.rows()) + " target rows");
  Scores mse = Scores::Zero(long(alphas.size()), d), r2 = mse;
  std::vector<RidgeFactor> factors;
  for (const mpi::Range& val : folds) {
    factors.push_back(factor(val, false));
    // (RidgeFold takes its factor by value; the copy is one fold's.)
    RidgeFold<double>(factors.back(), val).accumulate(y, alphas, mse, r2);
  }
  CvFit out;
  out.alpha.resize(d);
  for (Eigen::Index j = 0; j < d; ++j) {
    out.alpha_index.push_back(static_cast<std::size_t>(best_alpha(mse.col(j))));
    out.alpha(j) = alphas[out.alpha_index.back()];
  }
  // A fold's validation predictions are a refit on its training rows (its
  // factors' right_t holds only those rows).
  out.cv_prediction.resize(n, d);
  Matrix<double> prediction, y_train;
  for (std::size_t k = 0; k < folds.size(); ++k) {
    const auto a = static_cast<Eigen::Index>(folds[k].begin);
    const auto m = static_cast<Eigen::Index>(folds[k].size());
    y_train.resize(n - m, d);
    y_train.topRows(a) = y.topRows(a);
    y_train.bottomRows(n - a - m) = y.bottomRows(n - a - m);
    RidgeRefit<double>(std::move(factors[k])).fit(y_train, out.alpha, prediction, nullptr);
    out.cv_prediction.middleRows(a, m) = prediction;
  }
  RidgeRefit<double>(factor({}, false)).fit(y, out.alpha, out.test_prediction, nullptr);
  return out;
}

}  // namespace b2m::solvers
