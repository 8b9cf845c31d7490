#include "solvers/scalapack.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "solvers/lapack_imports.hpp"

namespace b2m::solvers::scalapack {

// The grid's BLACS context, for the descriptor below and pdgemr2d.
struct Access {
  static int context(const BlacsGrid& grid) { return grid.context_; }
};

namespace {

using Descriptor = std::array<int, 9>;

// The descriptor of `m`: its shape in square blocks of its block size on
// its grid's context, first block on process (0, 0), the local leading
// dimension of its storage. The one place a descriptor is made.
Descriptor describe(const DistributedMatrix& m) {
  Descriptor desc{};
  const int rows = m.rows(), cols = m.cols(), block = m.block(), source = 0;
  const int context = Access::context(m.grid());
  const int lld = std::max<int>(1, static_cast<int>(m.local().rows()));
  int info = 0;
  descinit_(desc.data(), &rows, &cols, &block, &block, &source, &source, &context, &lld, &info);
  if (info != 0)
    throw ScalapackError("descinit (" + std::to_string(rows) + " x " + std::to_string(cols) +
                             " in blocks of " + std::to_string(block) + ", lld " +
                             std::to_string(lld) + ")",
                         info);
  return desc;
}

// A submatrix as ScaLAPACK takes it: data, 1-based first row and column,
// descriptor.
struct Fortran {
  explicit Fortran(const ConstSub& s)
      : data(s.m.local().data()), row(s.row + 1), col(s.col + 1), desc(describe(s.m)) {}
  const double* data;
  int row, col;
  Descriptor desc;
};
struct FortranOut {
  explicit FortranOut(const Sub& s)
      : data(s.m.local().data()), row(s.row + 1), col(s.col + 1), desc(describe(s.m)) {}
  double* data;
  int row, col;
  Descriptor desc;
};

}  // namespace

void pdsyevd(int n, const Sub& a_sub, double* w, const Sub& z_sub) {
  const BlacsGrid& grid = a_sub.m.grid();
  const FortranOut a(a_sub), z(z_sub);
  const char jobz = 'V', uplo = 'L';
  int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  pdsyevd_(&jobz, &uplo, &n, a.data, &a.row, &a.col, a.desc.data(), w, z.data, &z.row, &z.col,
           z.desc.data(), &work_query, &lwork, &iwork_query, &liwork, &info);
  if (info != 0) throw ScalapackError("pdsyevd (workspace query)", info);
  // The query (and the documented bound) leave out what the back
  // transformation (pdormtr) needs when the block size is large next to the
  // local matrix; pdormtr then rejects its workspace and pdsyevd still
  // returns info = 0 with garbage vectors. Add pdormtr's own requirement.
  const int nb = a_sub.m.block();
  const long long np = DistributedMatrix::local_count(n, nb, grid.row(), grid.rows());
  const long long nq = DistributedMatrix::local_count(n, nb, grid.col(), grid.cols());
  const long long documented =
      std::max(1 + 6LL * n + 2 * np * nq, 3LL * n + std::max(nb * (np + 1), 3LL * nb)) + 2LL * n;
  const long long ormtr = std::max(1LL * nb * (nb - 1) / 2, (np + nq) * nb) + 1LL * nb * nb;
  const long long need = std::max(static_cast<long long>(work_query), documented) + ormtr;
  if (need > 2147483647LL)
    throw NumericError("pdsyevd: a workspace of " + std::to_string(need) +
                       " values is over 2^31; use more processes");
  lwork = static_cast<int>(need);
  liwork = std::max(iwork_query, 7 * n + 8 * grid.cols() + 2) + 64;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  pdsyevd_(&jobz, &uplo, &n, a.data, &a.row, &a.col, a.desc.data(), w, z.data, &z.row, &z.col,
           z.desc.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0) throw ScalapackError("pdsyevd", info);
}

bool pdpotrf(int n, const Sub& a_sub) {
  if (n == 0) return true;
  const FortranOut a(a_sub);
  const char uplo = 'L';
  int info = 0;
  pdpotrf_(&uplo, &n, a.data, &a.row, &a.col, a.desc.data(), &info);
  // Every process takes the same branch, whichever of them met the pivot.
  info = a_sub.m.grid().comm().allreduce(info, mpi::Op::max);
  if (info < 0) throw ScalapackError("pdpotrf", info);
  return info == 0;
}

void pdpotrs(int n, int nrhs, const ConstSub& a_sub, const Sub& b_sub) {
  if (n == 0 || nrhs == 0) return;
  const Fortran a(a_sub);
  const FortranOut b(b_sub);
  const char uplo = 'L';
  int info = 0;
  pdpotrs_(&uplo, &n, &nrhs, a.data, &a.row, &a.col, a.desc.data(), b.data, &b.row, &b.col,
           b.desc.data(), &info);
  if (info != 0) throw ScalapackError("pdpotrs", info);
}

void pdgemm(char ta, char tb, int m, int n, int k, double alpha, const ConstSub& a_sub,
            const ConstSub& b_sub, double beta, const Sub& c_sub) {
  if (m == 0 || n == 0 || k == 0) return;
  const Fortran a(a_sub), b(b_sub);
  const FortranOut c(c_sub);
  pdgemm_(&ta, &tb, &m, &n, &k, &alpha, a.data, &a.row, &a.col, a.desc.data(), b.data, &b.row,
          &b.col, b.desc.data(), &beta, c.data, &c.row, &c.col, c.desc.data());
}

void pdgemr2d(int m, int n, const ConstSub& a_sub, const Sub& b_sub) {
  if (m == 0 || n == 0) return;
  const Fortran a(a_sub);
  const FortranOut b(b_sub);
  const int context = Access::context(a_sub.m.grid());
  pdgemr2d_(&m, &n, a.data, &a.row, &a.col, a.desc.data(), b.data, &b.row, &b.col, b.desc.data(),
            &context);
}

}  // namespace b2m::solvers::scalapack
