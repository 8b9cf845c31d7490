#include "solvers/ridge_factor.hpp"

#include "solvers/symmetric_eigen.hpp"

namespace b2m::solvers {

RidgeFactor ridge_factor(const ConstMatrixRef<double>& x, const ConstMatrixRef<double>& x_out,
                         bool with_weights) {
  const Eigen::Index n = x.rows();
  const Eigen::Index p = x.cols();
  RidgeFactor f;
  Matrix<double> gram;
  if (p <= n) {
    gram.setZero(p, p);
    gram.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());  // X^T X, lower triangle
    SymmetricEigen eig = symmetric_eigen(gram);
    gram.resize(0, 0);
    f.lambda = eig.values.cwiseMax(0.0);
    f.right.noalias() = (x * eig.vectors).transpose();
    f.left.noalias() = x_out * eig.vectors;
    if (with_weights) f.weights_left = std::move(eig.vectors);
  } else {
    gram.setZero(n, n);
    gram.selfadjointView<Eigen::Lower>().rankUpdate(x);  // X X^T, lower triangle
    SymmetricEigen eig = symmetric_eigen(gram);
    gram.resize(0, 0);
    f.lambda = eig.values.cwiseMax(0.0);
    const Matrix<double> cross = x_out * x.transpose();
    f.left.noalias() = cross * eig.vectors;
    if (with_weights) f.weights_left.noalias() = x.transpose() * eig.vectors;
    f.right = eig.vectors.transpose();
  }
  return f;
}

}  // namespace b2m::solvers
