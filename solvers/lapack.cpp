#include "solvers/lapack.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"

extern "C" {
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a,
             const int* lda, const double* vl, const double* vu, const int* il, const int* iu,
             const double* abstol, int* m, double* w, double* z, const int* ldz, int* isuppz,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc);
}

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
  if (info != 0) throw NumericError("dsyevr (workspace query)", info);
  lwork = static_cast<int>(work_query) + 1;
  liwork = iwork_query;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(std::max(1, liwork)));
  dsyevr_(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol, &found, w, z, &ldz,
          isuppz.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0) throw NumericError("dsyevr", info);
  if (found != n)
    throw NumericError(
        "dsyevr (returned " + std::to_string(found) + " of " + std::to_string(n) + " eigenpairs)",
        info);
}

void gemm_nt(int m, int n, int k, const double* a, int lda, const double* b, int ldb, double beta,
             double* c, int ldc) {
  if (m == 0 || n == 0) return;
  const char no = 'N', yes = 'T';
  const double one = 1.0;
  dgemm_(&no, &yes, &m, &n, &k, &one, a, &lda, b, &ldb, &beta, c, &ldc);
}

}  // namespace b2m::solvers::lapack
