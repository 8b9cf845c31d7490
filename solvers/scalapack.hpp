// The one place where ScaLAPACK's prototypes are declared, with typed
// wrappers. Every call's `info` is checked and a non-zero value becomes a
// NumericError naming the routine.
#pragma once

#include <array>

#include "mpi/blacs_grid.hpp"

namespace b2m::solvers::scalapack {

using Descriptor = std::array<int, 9>;

// Rows or columns of a block-cyclic dimension held by process `iproc`.
[[nodiscard]] int numroc(int n, int block, int iproc, int nprocs);

// The descriptor of an m x n matrix in mb x nb blocks on `context`, first
// block on process (0, 0), local leading dimension `lld`.
[[nodiscard]] Descriptor descinit(int m, int n, int mb, int nb, int context, int lld);

// All eigenvalues (ascending) and eigenvectors of the distributed symmetric
// n x n matrix (lower triangle read, destroyed), divide and conquer.
void pdsyevd(const mpi::BlacsGrid& grid, int n, double* a, const Descriptor& desca, double* w,
             double* z, const Descriptor& descz);

// A submatrix of a distributed matrix: rows row, row + 1, ... and columns
// col, col + 1, ... (0-based here; ScaLAPACK's are 1-based).
struct Sub {
  double* data;
  const Descriptor& desc;
  int row = 0, col = 0;
};

// The Cholesky factor L (lower triangle, overwriting it) of the n x n
// symmetric matrix at `a`, whose lower triangle is read. False, on every
// process of the grid, when it is not positive definite in floating point
// (info > 0); an illegal argument (info < 0) throws. Collective.
[[nodiscard]] bool pdpotrf(const mpi::BlacsGrid& grid, int n, const Sub& a);

// Solves A X = B for the n x nrhs right-hand sides at `b` (overwritten by
// X), with A's Cholesky factor from pdpotrf at `a`. Collective.
void pdpotrs(int n, int nrhs, const Sub& a, const Sub& b);

// C = alpha op(A) op(B) + beta C on m x n (op(A) m x k) submatrices of
// distributed matrices of one grid; op is a transpose when `ta` / `tb` is
// 'T'. Nothing is computed, and C is left as it is, when m, n or k is 0:
// callers accumulate into a zeroed C with beta = 1.
void pdgemm(char ta, char tb, int m, int n, int k, double alpha, const Sub& a, const Sub& b,
            double beta, const Sub& c);

// Copies the m x n submatrix at `a` into the one at `b` (any layouts on
// grids within `context`). Collective over the context; skipped when empty.
void pdgemr2d(int m, int n, const Sub& a, const Sub& b, int context);

}  // namespace b2m::solvers::scalapack
