// Eigendecomposition of a symmetric matrix, A = V diag(values) V^T, the one
// dense factorization the ridge solvers use (a distributed implementation can
// replace this LAPACK one behind the same call).
#pragma once

#include "solvers/matrix.hpp"

namespace b2m::solvers {

struct SymmetricEigen {
  Eigen::VectorXd values;  // ascending
  Matrix<double> vectors;  // n x n, orthonormal columns
};

// Reads the lower triangle of `a` and destroys it.
[[nodiscard]] SymmetricEigen symmetric_eigen(Matrix<double>& a);

}  // namespace b2m::solvers
