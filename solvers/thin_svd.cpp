#include "solvers/thin_svd.hpp"

#include "solvers/lapack.hpp"

namespace b2m::solvers {

template <class T>
ThinSvd<T> thin_svd(const ConstMatrixRef<T>& x) {
  const auto n = static_cast<int>(x.rows());
  const auto p = static_cast<int>(x.cols());
  const int k = std::min(n, p);
  Matrix<T> a = x;
  ThinSvd<T> out{Matrix<T>(n, k), Vector<T>(k), Matrix<T>()};
  Matrix<T> vt(k, p);
  if (k > 0)
    lapack::gesdd<T>(n, p, a.data(), std::max(1, n), out.s.data(), out.u.data(), std::max(1, n),
                     vt.data(), std::max(1, k));
  out.v = vt.transpose();
  return out;
}

template ThinSvd<double> thin_svd<double>(const ConstMatrixRef<double>&);
template ThinSvd<float> thin_svd<float>(const ConstMatrixRef<float>&);

}  // namespace b2m::solvers
