// Ridge regression in spectral form. For training rows X (n x p) and targets
// Y (n x V), the ridge predictions of other rows X_out at regularization alpha
// are
//
//   X_out (X^T X + alpha I)^-1 X^T Y = left diag(1 / (lambda + alpha)) right_t^T Y
//
// with, from one symmetric eigendecomposition of the smaller Gram matrix,
//   primal (n > 1.1 p): X^T X = V diag(lambda) V^T, right_t = X V,  left = X_out V
//   dual   (otherwise):  X X^T = U diag(lambda) U^T,  right_t = U,    left = X_out X^T U
// and weights = weights_left diag(1 / (lambda + alpha)) right_t^T Y,
// weights_left being V (primal) or X^T U (dual). right_t is kept untransposed
// (n x k) so that the dual's U is stored once, not copied into its transpose.
//
// The factors are always computed in double precision: the Gram matrix
// squares the condition number, which float cannot afford at small alpha, and
// a symmetric eigensolver on the Gram matrix is about 3x faster than an SVD of
// X. Single-precision runs cast the finished factors once and do their
// per-target GEMMs in float.
#pragma once

#include <array>

#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"
#include "solvers/symmetric_eigen.hpp"

namespace b2m::solvers {

template <class T>
struct SpectralFactor {
  Eigen::VectorXd lambda;  // k = p (primal) or n (dual), clamped at 0
  Matrix<T> right_t;       // n x k
  Matrix<T> left;          // n_out x k
  Matrix<T> weights_left;  // p x k; empty unless asked for
};
using RidgeFactor = SpectralFactor<double>;

// Factors of the rows of `x` outside `held_out` (the training rows), for
// predicting `x_out`. The training rows are never gathered into a copy: at
// p = 4,096 that copy would be as large as the Gram matrix.
[[nodiscard]] RidgeFactor ridge_factor(const ConstMatrixRef<double>& x, mpi::Range held_out,
                                       const ConstMatrixRef<double>& x_out, bool with_weights);

// The same in steps, for callers that manage memory between them (encode
// parks X on disk while the eigensolver holds the Gram matrix and its
// vectors): the Gram matrix (lower triangle), then the factors from its
// eigendecomposition.
[[nodiscard]] bool ridge_is_primal(Eigen::Index n_train, Eigen::Index p);
[[nodiscard]] Matrix<double> ridge_gram(const ConstMatrixRef<double>& x, mpi::Range held_out);
[[nodiscard]] RidgeFactor ridge_factor(const ConstMatrixRef<double>& x, mpi::Range held_out,
                                       const ConstMatrixRef<double>& x_out, SymmetricEigen eig,
                                       bool with_weights);
// With nothing held out, consuming x: the primal factor X V is computed in
// X's storage.
[[nodiscard]] RidgeFactor ridge_factor(Matrix<double>&& x, const ConstMatrixRef<double>& x_out,
                                       SymmetricEigen eig, bool with_weights);

// A factor's shape in five numbers (k, the rows of right_t and of left, the
// rows and columns of weights_left), as it travels to a scratch file or to
// another rank, and a factor resized to such a shape.
using FactorShape = std::array<double, 5>;
[[nodiscard]] FactorShape factor_shape(const RidgeFactor& f);
void resize_factor(RidgeFactor& f, const FactorShape& shape);

// The factor in the working precision: moved for double, cast for float.
template <class T>
[[nodiscard]] SpectralFactor<T> in_precision(RidgeFactor f) {
  if constexpr (std::is_same_v<T, double>) {
    return f;
  } else {
    SpectralFactor<T> out;
    out.lambda = std::move(f.lambda);
    out.right_t = f.right_t.cast<T>();
    f.right_t.resize(0, 0);
    out.left = f.left.cast<T>();
    out.weights_left = f.weights_left.cast<T>();
    return out;
  }
}

// The diagonal 1 / (lambda + alpha) in the working precision.
template <class T>
[[nodiscard]] Vector<T> ridge_shrinkage(const Eigen::VectorXd& lambda, double alpha) {
  return (1.0 / (lambda.array() + alpha)).matrix().cast<T>();
}

}  // namespace b2m::solvers
