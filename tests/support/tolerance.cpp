#include "tests/support/tolerance.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>

namespace b2m::testing {

double backward_error(const solvers::Matrix<double>& a, const solvers::Matrix<double>& w,
                      const solvers::Matrix<double>& b) {
  const Eigen::SelfAdjointEigenSolver<solvers::Matrix<double>> eig(a.transpose() * a,
                                                                   Eigen::EigenvaluesOnly);
  const double a_norm = std::sqrt(std::max(0.0, eig.eigenvalues().maxCoeff()));
  return (a * w - b).norm() / (a_norm * w.norm() + b.norm());
}

double ridge_backward_error(const solvers::Matrix<double>& x, const solvers::Matrix<double>& y,
                            double alpha, const solvers::Matrix<double>& w) {
  const solvers::Matrix<double> a =
      x.transpose() * x + alpha * solvers::Matrix<double>::Identity(x.cols(), x.cols());
  return backward_error(a, w, x.transpose() * y);
}

double ridge_condition(const solvers::Matrix<double>& x, double alpha) {
  const Eigen::JacobiSVD<solvers::Matrix<double>> svd(x);
  const Eigen::VectorXd s = svd.singularValues();
  const double smallest = x.rows() < x.cols() ? 0.0 : s(s.size() - 1);
  return (s(0) * s(0) + alpha) / (smallest * smallest + alpha);
}

}  // namespace b2m::testing
