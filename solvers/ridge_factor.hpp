// Ridge regression in spectral form. For training rows X (n x p) and targets
// Y (n x V), the ridge predictions of other rows X_out at regularization alpha
// are
//
//   X_out (X^T X + alpha I)^-1 X^T Y = left diag(1 / (lambda + alpha)) right Y
//
// with, from one symmetric eigendecomposition of the smaller Gram matrix,
//   primal (p <= n):  X^T X = V diag(lambda) V^T,  right = (X V)^T,  left = X_out V
//   dual   (p >  n):  X X^T = U diag(lambda) U^T,  right = U^T,      left = X_out X^T U
// and weights = weights_left diag(1 / (lambda + alpha)) right Y, weights_left
// being V (primal) or X^T U (dual).
//
// The factors are always computed in double precision: the Gram matrix
// squares the condition number, which float cannot afford at small alpha, and
// a symmetric eigensolver on the Gram matrix is about 3x faster than an SVD of
// X. Single-precision runs cast the factors and do their per-target GEMMs in
// float.
#pragma once

#include "solvers/matrix.hpp"

namespace b2m::solvers {

struct RidgeFactor {
  Eigen::VectorXd lambda;       // k = min(n, p), clamped at 0
  Matrix<double> right;         // k x n
  Matrix<double> left;          // n_out x k
  Matrix<double> weights_left;  // p x k; empty unless asked for
};

[[nodiscard]] RidgeFactor ridge_factor(const ConstMatrixRef<double>& x,
                                       const ConstMatrixRef<double>& x_out, bool with_weights);

// The diagonal 1 / (lambda + alpha) in the working precision.
template <class T>
[[nodiscard]] Vector<T> ridge_shrinkage(const Eigen::VectorXd& lambda, double alpha) {
  return (1.0 / (lambda.array() + alpha)).matrix().cast<T>();
}

}  // namespace b2m::solvers
