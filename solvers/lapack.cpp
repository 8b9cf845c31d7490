#include "solvers/lapack.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"

extern "C" {
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work,
             const int* lwork, int* iwork, int* info);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork,
             int* iwork, int* info);
}

namespace b2m::solvers::lapack {
namespace {

template <class T>
void call_gesdd(const char* jobz, const int* m, const int* n, T* a, const int* lda, T* s, T* u,
                const int* ldu, T* vt, const int* ldvt, T* work, const int* lwork, int* iwork,
                int* info) {
  if constexpr (std::is_same_v<T, double>)
    dgesdd_(jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info);
  else
    sgesdd_(jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info);
}

}  // namespace

template <class T>
void gesdd(int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt) {
  const char* routine = std::is_same_v<T, double> ? "dgesdd" : "sgesdd";
  const char jobz = 'S';
  std::vector<int> iwork(8 * static_cast<std::size_t>(std::min(m, n)));
  int info = 0;
  int lwork = -1;
  T query = 0;
  call_gesdd<T>(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, &query, &lwork, iwork.data(), &info);
  if (info != 0) throw NumericError(std::string(routine) + " (workspace query)", info);
  lwork = static_cast<int>(query) + 1;
  std::vector<T> work(static_cast<std::size_t>(lwork));
  call_gesdd<T>(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work.data(), &lwork, iwork.data(),
                &info);
  if (info != 0) throw NumericError(routine, info);
}

template void gesdd<double>(int, int, double*, int, double*, double*, int, double*, int);
template void gesdd<float>(int, int, float*, int, float*, float*, int, float*, int);

}  // namespace b2m::solvers::lapack
