#include "solvers/symmetric_eigen.hpp"

#include "core/error.hpp"
#include "solvers/lapack.hpp"

namespace b2m::solvers {

SymmetricEigen symmetric_eigen(Matrix<double>& a) {
  if (a.rows() != a.cols())
    throw ConfigError("symmetric_eigen: matrix is " + std::to_string(a.rows()) + " x " +
                      std::to_string(a.cols()) + ", not square");
  const auto n = static_cast<int>(a.rows());
  SymmetricEigen out{Eigen::VectorXd(n), Matrix<double>(n, n)};
  if (n > 0) lapack::syevr(n, a.data(), n, out.values.data(), out.vectors.data(), n);
  return out;
}

}  // namespace b2m::solvers
