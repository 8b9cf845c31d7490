// Tolerances scaled to the problem (../shared/STYLE.md, item 10). A solver's
// answer is checked by the residual of the equations it solves, relative to
// the sizes those equations allow (a backward-stable solver keeps the
// normwise backward error below a small multiple of n eps); two answers of
// the same problem are compared within what the problem's condition number
// makes of that.
#pragma once

#include <limits>

#include "solvers/matrix.hpp"

namespace b2m::testing {

inline constexpr double kEps = std::numeric_limits<double>::epsilon();

// The normwise backward error of W as a solution of A W = B:
// ||A W - B||_F / (||A||_2 ||W||_F + ||B||_F).
[[nodiscard]] double backward_error(const solvers::Matrix<double>& a,
                                    const solvers::Matrix<double>& w,
                                    const solvers::Matrix<double>& b);

// The same for the ridge normal equations (X^T X + alpha I) W = X^T Y.
[[nodiscard]] double ridge_backward_error(const solvers::Matrix<double>& x,
                                          const solvers::Matrix<double>& y, double alpha,
                                          const solvers::Matrix<double>& w);

// The 2-norm condition number of X^T X + alpha I (equally of X X^T + alpha I
// where X has fewer rows than columns, zero eigenvalues included).
[[nodiscard]] double ridge_condition(const solvers::Matrix<double>& x, double alpha);

// How far two backward-stable solutions of an order-n problem of condition
// number `condition` may differ, relatively: c n eps times the condition.
[[nodiscard]] inline double forward_tolerance(Eigen::Index n, double condition, double c = 10) {
  return c * double(n) * kEps * condition;
}

}  // namespace b2m::testing
