// Typed, checked wrappers of the ScaLAPACK routines b2m calls, on
// distributed matrices (distributed_matrix.hpp). Each matrix's descriptor
// is derived from its grid and block size inside scalapack.cpp, in one
// function; no descriptor or BLACS context leaves it. Every `info` is
// checked: a non-zero value becomes a ScalapackError naming the routine.
#pragma once

#include "solvers/distributed_matrix.hpp"

namespace b2m::solvers::scalapack {

// The submatrix of `m` whose first entry is global row `row`, column `col`
// (0-based here; ScaLAPACK's are 1-based). Its extent is the routine's.
struct ConstSub {
  const DistributedMatrix& m;
  int row = 0, col = 0;
};
struct Sub {
  DistributedMatrix& m;
  int row = 0, col = 0;
  operator ConstSub() const { return {m, row, col}; }  // NOLINT: a view may be read
};

// All eigenvalues (ascending, into w: n values) and eigenvectors (into z) of
// the symmetric n x n matrix at `a`, whose lower triangle is read and
// destroyed; divide and conquer. Collective over a's grid.
void pdsyevd(int n, const Sub& a, double* w, const Sub& z);

// The Cholesky factor L (lower triangle, overwriting it) of the n x n
// symmetric matrix at `a`, whose lower triangle is read. False, on every
// process of the grid, when it is not positive definite in floating point
// (info > 0); an illegal argument (info < 0) throws. Collective.
[[nodiscard]] bool pdpotrf(int n, const Sub& a);

// Solves A X = B for the n x nrhs right-hand sides at `b` (overwritten by
// X), with A's Cholesky factor from pdpotrf at `a`. Collective.
void pdpotrs(int n, int nrhs, const ConstSub& a, const Sub& b);

// C = alpha op(A) op(B) + beta C on m x n (op(A) m x k) submatrices of
// distributed matrices of one grid; op is a transpose when `ta` / `tb` is
// 'T'. Nothing is computed, and C is left as it is, when m, n or k is 0:
// callers accumulate into a zeroed C with beta = 1.
void pdgemm(char ta, char tb, int m, int n, int k, double alpha, const ConstSub& a,
            const ConstSub& b, double beta, const Sub& c);

// Copies the m x n submatrix at `a` into the one at `b` (any layouts on
// grids within a's BLACS context). Collective; skipped when empty.
void pdgemr2d(int m, int n, const ConstSub& a, const Sub& b);

}  // namespace b2m::solvers::scalapack
