#include "solvers/scalapack.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.hpp"

extern "C" {
int numroc_(const int* n, const int* nb, const int* iproc, const int* isrcproc, const int* nprocs);
void descinit_(int* desc, const int* m, const int* n, const int* mb, const int* nb,
               const int* irsrc, const int* icsrc, const int* ictxt, const int* lld, int* info);
void pdsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* ia,
              const int* ja, const int* desca, double* w, double* z, const int* iz, const int* jz,
              const int* descz, double* work, const int* lwork, int* iwork, const int* liwork,
              int* info);
void pdpotrf_(const char* uplo, const int* n, double* a, const int* ia, const int* ja,
              const int* desca, int* info);
void pdpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* ia,
              const int* ja, const int* desca, double* b, const int* ib, const int* jb,
              const int* descb, int* info);
void pdgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
             const double* alpha, const double* a, const int* ia, const int* ja, const int* desca,
             const double* b, const int* ib, const int* jb, const int* descb, const double* beta,
             double* c, const int* ic, const int* jc, const int* descc);
void pdgemr2d_(const int* m, const int* n, const double* a, const int* ia, const int* ja,
               const int* desca, double* b, const int* ib, const int* jb, const int* descb,
               const int* ictxt);
}

namespace b2m::solvers::scalapack {

int numroc(int n, int block, int iproc, int nprocs) {
  const int source = 0;
  return numroc_(&n, &block, &iproc, &source, &nprocs);
}

Descriptor descinit(int m, int n, int mb, int nb, int context, int lld) {
  Descriptor desc{};
  const int source = 0;
  int info = 0;
  descinit_(desc.data(), &m, &n, &mb, &nb, &source, &source, &context, &lld, &info);
  if (info != 0)
    throw NumericError("descinit (" + std::to_string(m) + " x " + std::to_string(n) + " in " +
                           std::to_string(mb) + " x " + std::to_string(nb) + " blocks, lld " +
                           std::to_string(lld) + ")",
                       info);
  return desc;
}

void pdsyevd(const mpi::BlacsGrid& grid, int n, double* a, const Descriptor& desca, double* w,
             double* z, const Descriptor& descz) {
  const char jobz = 'V', uplo = 'L';
  const int one = 1;
  int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  pdsyevd_(&jobz, &uplo, &n, a, &one, &one, desca.data(), w, z, &one, &one, descz.data(),
           &work_query, &lwork, &iwork_query, &liwork, &info);
  if (info != 0) throw NumericError("pdsyevd (workspace query)", info);
  // The query (and the documented bound) leave out what the back
  // transformation (pdormtr) needs when the block size is large next to the
  // local matrix; pdormtr then rejects its workspace and pdsyevd still
  // returns info = 0 with garbage vectors. Add pdormtr's own requirement.
  const int nb = desca[5];
  const long long np = numroc(n, nb, grid.row(), grid.rows());
  const long long nq = numroc(n, nb, grid.col(), grid.cols());
  const long long documented =
      std::max(1 + 6LL * n + 2 * np * nq, 3LL * n + std::max(nb * (np + 1), 3LL * nb)) + 2LL * n;
  const long long ormtr = std::max(1LL * nb * (nb - 1) / 2, (np + nq) * nb) + 1LL * nb * nb;
  const long long need = std::max(static_cast<long long>(work_query), documented) + ormtr;
  if (need > 2147483647LL) throw NumericError("pdsyevd (workspace over 2^31 values)", 0);
  lwork = static_cast<int>(need);
  liwork = std::max(iwork_query, 7 * n + 8 * grid.cols() + 2) + 64;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  pdsyevd_(&jobz, &uplo, &n, a, &one, &one, desca.data(), w, z, &one, &one, descz.data(),
           work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0) throw NumericError("pdsyevd", info);
}

bool pdpotrf(const mpi::BlacsGrid& grid, int n, const Sub& a) {
  if (n == 0) return true;
  const char uplo = 'L';
  const int ia = a.row + 1, ja = a.col + 1;
  int info = 0;
  pdpotrf_(&uplo, &n, a.data, &ia, &ja, a.desc.data(), &info);
  // Every process takes the same branch, whichever of them met the pivot.
  info = grid.comm().allreduce(info, mpi::Op::max);
  if (info < 0) throw NumericError("pdpotrf", info);
  return info == 0;
}

void pdpotrs(int n, int nrhs, const Sub& a, const Sub& b) {
  if (n == 0 || nrhs == 0) return;
  const char uplo = 'L';
  const int ia = a.row + 1, ja = a.col + 1, ib = b.row + 1, jb = b.col + 1;
  int info = 0;
  pdpotrs_(&uplo, &n, &nrhs, a.data, &ia, &ja, a.desc.data(), b.data, &ib, &jb, b.desc.data(),
           &info);
  if (info != 0) throw NumericError("pdpotrs", info);
}

void pdgemm(char ta, char tb, int m, int n, int k, double alpha, const Sub& a, const Sub& b,
            double beta, const Sub& c) {
  if (m == 0 || n == 0 || k == 0) return;
  const int ia = a.row + 1, ja = a.col + 1, ib = b.row + 1, jb = b.col + 1, ic = c.row + 1,
            jc = c.col + 1;
  pdgemm_(&ta, &tb, &m, &n, &k, &alpha, a.data, &ia, &ja, a.desc.data(), b.data, &ib, &jb,
          b.desc.data(), &beta, c.data, &ic, &jc, c.desc.data());
}

void pdgemr2d(int m, int n, const Sub& a, const Sub& b, int context) {
  if (m == 0 || n == 0) return;
  const int ia = a.row + 1, ja = a.col + 1, ib = b.row + 1, jb = b.col + 1;
  pdgemr2d_(&m, &n, a.data, &ia, &ja, a.desc.data(), b.data, &ib, &jb, b.desc.data(), &context);
}

}  // namespace b2m::solvers::scalapack
