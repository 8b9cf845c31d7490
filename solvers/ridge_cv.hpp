// Ridge regression with one regularization per target, chosen by K-fold
// cross-validation over a grid (the algorithm of himalaya's RidgeCV with the
// "svd" solver), organised so the cost per alpha is one small GEMM:
//
//   per fold:  spectral factors of the training rows (ridge_factor.hpp),
//              B = right_t^T Y_train
//   per alpha: prediction on the validation rows = left diag(1/(lambda+alpha)) B
//
// The per-alpha matrices M_a = left diag(.) right (n_val x n_train) that a
// straightforward implementation forms are never built: scaling B costs
// O(k V) and the product left (.) costs 2 n_val k V instead of 2 n_val n_train V.
// No intercept: callers z-score X and Y.
#pragma once

#include <cstdint>
#include <vector>

#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"
#include "solvers/ridge_factor.hpp"

namespace b2m::solvers {

// Contiguous-run folds: runs (contiguous row ranges, in order) are dealt into
// `k` contiguous groups of near-equal run count; fold f validates on group f.
[[nodiscard]] std::vector<mpi::Range> contiguous_folds(const std::vector<mpi::Range>& runs,
                                                       std::size_t k);

// One cross-validation fold from its factors (ridge_factor with the fold's
// validation rows held out and as x_out), scoring any number of target
// blocks in the factors' precision T.
template <class T>
class RidgeFold {
 public:
  RidgeFold(SpectralFactor<T> factor, mpi::Range validation);

  // y: all n training rows of a block of targets. Adds this fold's
  // validation mean squared error to `mse` and its validation R^2 to `r2`
  // (both n_alphas x block width). The sums run in a fixed order, so a
  // column's scores do not depend on the block it sits in.
  void accumulate(const ConstMatrixRef<T>& y, const std::vector<double>& alphas,
                  Eigen::Ref<Scores> mse, Eigen::Ref<Scores> r2) const;

 private:
  SpectralFactor<T> factor_;
  mpi::Range validation_;
};

// The index of the alpha of least validation error in one column of
// errors (one per alpha): the first minimum on ties, as numpy's argmin.
[[nodiscard]] Eigen::Index best_alpha(
    const Eigen::Ref<const Eigen::VectorXd, 0, Eigen::InnerStride<>>& mse);

// Columns of summed validation errors (n_alphas x width) whose best alpha is
// not clear at the precision the errors were computed in: another alpha's
// error is within `relative(j)` of the smallest (relative: one per column).
// Single-precision runs rescore these in double so that both precisions
// choose the same alpha.
[[nodiscard]] std::vector<Eigen::Index> near_ties(const Scores& mse,
                                                  const Eigen::VectorXd& relative);

// Per target (column of fold scores summed over `folds` folds) the alpha of
// least validation error (best_alpha) and its mean validation R^2; NaN for
// both where `valid` is 0 (a target without variance). Into `alpha` and
// `cv_score`, sized by the caller.
void choose_alphas(const Scores& mse, const Scores& r2, std::size_t folds,
                   const std::vector<double>& alphas, const std::vector<std::uint8_t>& valid,
                   Eigen::Ref<Eigen::VectorXd> alpha, Eigen::Ref<Eigen::VectorXd> cv_score);

// The `relative` of near_ties for errors scored in float, from the errors
// and R^2 summed over `folds` folds. On data of unit variance a float
// validation MSE is off by up to 2e-8 (measured on noise voxels at
// p = 512); 1e-6 leaves a 50x margin. The rounding error of a residual
// scales with the data, not with the residual, so the relative error of the
// MSE grows as 1 / sqrt(unexplained fraction) at the best alpha.
[[nodiscard]] Eigen::VectorXd float_tie_tolerance(const Scores& mse, const Scores& r2,
                                                  std::size_t folds);

// The refit on all training rows with each target's own alpha, and the
// prediction of the test rows, from factors computed with nothing held out
// and x_out = the test rows (weights available if the factors kept them).
template <class T>
class RidgeRefit {
 public:
  explicit RidgeRefit(SpectralFactor<T> factor) : factor_(std::move(factor)) {}

  // y: training rows of a block of targets; alpha: one per column (a NaN
  // alpha gives a zero model). Writes test predictions (n_test x width) and,
  // if `weights` is non-null, the weights (p x width, row-major: they are
  // computed to be written).
  void fit(const ConstMatrixRef<T>& y, const Eigen::Ref<const Eigen::VectorXd>& alpha,
           Matrix<T>& test_prediction, RowMajorMatrix<T>* weights) const;

 private:
  SpectralFactor<T> factor_;
};

}  // namespace b2m::solvers
