#include "solvers/lapack.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "solvers/lapack_imports.hpp"

namespace b2m::solvers::lapack {

void syevr(int n, double* a, int lda, double* w, double* z, int ldz) {
  const char jobz = 'V', range = 'A', uplo = 'L';
  const double vl = 0, vu = 0, abstol = 0;  // 0: LAPACK's default tolerance
  const int il = 0, iu = 0;
  int found = 0, info = 0;
  std::vector<int> isuppz(2 * static_cast<std::size_t>(std::max(1, n)));
  double work_query = 0;
  int iwork_query = 0, lwork = -1, liwork = -1;
  dsyevr_(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &found, w, z, &ldz,
          isuppz.data(), &work_query, &lwork, &iwork_query, &liwork, &info);
  if (info != 0) throw LapackError("dsyevr (workspace query)", info);
  lwork = static_cast<int>(work_query) + 1;
  liwork = iwork_query;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(std::max(1, liwork)));
  dsyevr_(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &found, w, z, &ldz,
          isuppz.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0) throw LapackError("dsyevr", info);
  if (found != n)
    throw NumericError("dsyevr returned " + std::to_string(found) + " of " + std::to_string(n) +
                       " eigenpairs");
}

void gemm_nt(int m, int n, int k, const double* a, int lda, const double* b, int ldb, double beta,
             double* c, int ldc) {
  if (m == 0 || n == 0) return;
  const char no = 'N', yes = 'T';
  const double one = 1.0;
  dgemm_(&no, &yes, &m, &n, &k, &one, a, &lda, b, &ldb, &beta, c, &ldc);
}

}  // namespace b2m::solvers::lapack
