// Ridge regression with one regularization per target, chosen by K-fold
// cross-validation over a grid (the algorithm of himalaya's RidgeCV with the
// "svd" solver), organised so the cost per alpha is one small GEMM:
//
//   per fold:  X_train = U S V^T (thin SVD), A = X_val V, B = U^T Y_train
//   per alpha: prediction on the validation rows = A diag(s / (s^2 + alpha)) B
//
// The per-alpha matrices M_a = A diag(.) U^T (n_val x n_train) that a
// straightforward implementation forms are never built: scaling B costs
// O(k V) and the product A (.) costs 2 n_val k V instead of 2 n_val n_train V.
// No intercept: callers z-score X and Y.
#pragma once

#include <vector>

#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"

namespace b2m::solvers {

// Contiguous-run folds: runs (contiguous row ranges, in order) are dealt into
// `k` contiguous groups of near-equal run count; fold f validates on group f.
[[nodiscard]] std::vector<mpi::Range> contiguous_folds(const std::vector<mpi::Range>& runs,
                                                       std::size_t k);

// One cross-validation fold, factorized once, scoring any number of voxel
// blocks. Buffers are sized per block width and reused.
template <class T>
class RidgeFold {
 public:
  // x: all n training rows; the fold validates on rows `validation`.
  RidgeFold(const ConstMatrixRef<T>& x, mpi::Range validation);

  // y: all n training rows of a block of targets. Adds this fold's
  // validation mean squared error to `mse` and its validation R^2 to `r2`
  // (both n_alphas x block width).
  void accumulate(const ConstMatrixRef<T>& y, const std::vector<double>& alphas,
                  Eigen::Ref<Eigen::MatrixXd> mse, Eigen::Ref<Eigen::MatrixXd> r2);

 private:
  mpi::Range validation_;
  std::size_t n_ = 0;
  Vector<T> s_;
  Matrix<T> ut_;  // k x n_train
  Matrix<T> a_;   // n_val x k
  Matrix<T> uty_, scaled_, residual_;
};

// The refit on all training rows with each target's own alpha, and the
// prediction of the test rows.
template <class T>
class RidgeRefit {
 public:
  RidgeRefit(const ConstMatrixRef<T>& x_train, const ConstMatrixRef<T>& x_test, bool keep_weights);

  // y: training rows of a block of targets; alpha: one per column (a NaN
  // alpha gives a zero model). Writes test predictions (n_test x width) and,
  // if `weights` is non-null and weights were kept, the weights (p x width).
  void fit(const ConstMatrixRef<T>& y, const Eigen::Ref<const Eigen::VectorXd>& alpha,
           Matrix<T>& test_prediction, Matrix<T>* weights);

 private:
  Vector<T> s_;
  Matrix<T> ut_;      // k x n
  Matrix<T> xtest_v_; // n_test x k
  Matrix<T> v_;       // p x k, only with keep_weights
  Matrix<T> uty_;
};

}  // namespace b2m::solvers
