// Ridge regression with one regularization per target, chosen by K-fold
// cross-validation over a grid (the algorithm of himalaya's RidgeCV with the
// "svd" solver), organised so the cost per alpha is one small GEMM:
//
//   per fold:  spectral factors of the training rows (ridge_factor.hpp),
//              B = right Y_train
//   per alpha: prediction on the validation rows = left diag(1/(lambda+alpha)) B
//
// The per-alpha matrices M_a = left diag(.) right (n_val x n_train) that a
// straightforward implementation forms are never built: scaling B costs
// O(k V) and the product left (.) costs 2 n_val k V instead of 2 n_val n_train V.
// No intercept: callers z-score X and Y.
#pragma once

#include <vector>

#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"
#include "solvers/ridge_factor.hpp"

namespace b2m::solvers {

// Contiguous-run folds: runs (contiguous row ranges, in order) are dealt into
// `k` contiguous groups of near-equal run count; fold f validates on group f.
[[nodiscard]] std::vector<mpi::Range> contiguous_folds(const std::vector<mpi::Range>& runs,
                                                       std::size_t k);

// One cross-validation fold, factorized once (in double), scoring any number
// of target blocks in float or double.
class RidgeFold {
 public:
  // x: all n training rows; the fold validates on rows `validation`.
  RidgeFold(const ConstMatrixRef<double>& x, mpi::Range validation);

  // y: all n training rows of a block of targets. Adds this fold's
  // validation mean squared error to `mse` and its validation R^2 to `r2`
  // (both n_alphas x block width). The sums run in a fixed order, so a
  // column's scores do not depend on the block it sits in.
  template <class T>
  void accumulate(const ConstMatrixRef<T>& y, const std::vector<double>& alphas,
                  Eigen::Ref<Eigen::MatrixXd> mse, Eigen::Ref<Eigen::MatrixXd> r2) const;

 private:
  mpi::Range validation_;
  RidgeFactor factor_;
};

// Columns of summed validation errors (n_alphas x width) whose best alpha is
// not clear at the precision the errors were computed in: another alpha's
// error is within `relative(j)` of the smallest (relative: one per column).
// Single-precision runs rescore these in double so that both precisions
// choose the same alpha.
[[nodiscard]] std::vector<Eigen::Index> near_ties(const Eigen::MatrixXd& mse,
                                                  const Eigen::VectorXd& relative);

// The refit on all training rows with each target's own alpha, and the
// prediction of the test rows.
class RidgeRefit {
 public:
  RidgeRefit(const ConstMatrixRef<double>& x_train, const ConstMatrixRef<double>& x_test,
             bool keep_weights);
  // From factors computed elsewhere (ridge_factor with x_out = the test rows),
  // e.g. on another rank and broadcast.
  RidgeRefit(RidgeFactor factor, bool keep_weights);

  // y: training rows of a block of targets; alpha: one per column (a NaN
  // alpha gives a zero model). Writes test predictions (n_test x width) and,
  // if `weights` is non-null and weights were kept, the weights (p x width).
  template <class T>
  void fit(const ConstMatrixRef<T>& y, const Eigen::Ref<const Eigen::VectorXd>& alpha,
           Matrix<T>& test_prediction, Matrix<T>* weights) const;

 private:
  RidgeFactor factor_;
  bool keep_weights_;
};

}  // namespace b2m::solvers
