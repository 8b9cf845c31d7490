// The dense factorization behind ridge: X = U diag(s) V^T with k = min(n, p).
// This is the single entry point the ridge solvers use, so a distributed
// (ScaLAPACK) implementation can replace the LAPACK one without touching them.
#pragma once

#include "solvers/matrix.hpp"

namespace b2m::solvers {

template <class T>
struct ThinSvd {
  Matrix<T> u;  // n x k
  Vector<T> s;  // k, descending
  Matrix<T> v;  // p x k
};

template <class T>
[[nodiscard]] ThinSvd<T> thin_svd(const ConstMatrixRef<T>& x);

}  // namespace b2m::solvers
