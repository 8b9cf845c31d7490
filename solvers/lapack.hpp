// Typed C++ wrappers of the LAPACK and BLAS routines b2m calls directly
// (prototypes: lapack_imports.hpp). Every call's `info` is checked and turned
// into a LapackError naming the routine.
#pragma once

namespace b2m::solvers::lapack {

// All eigenvalues (ascending, into w) and eigenvectors (columns of the n x n
// matrix z) of the symmetric n x n matrix `a`, whose lower triangle is read
// and destroyed (MRRR, dsyevr: no n x n workspace beyond z).
void syevr(int n, double* a, int lda, double* w, double* z, int ldz);

// C = A B^T + beta C for column-major A (m x k), B (n x k), C (m x n) with
// leading dimensions: BLAS reads B transposed in place, where an Eigen
// product of a strided block's transpose may first copy it (129 MB at
// p = 4,096).
void gemm_nt(int m, int n, int k, const double* a, int lda, const double* b, int ldb, double beta,
             double* c, int ldc);

}  // namespace b2m::solvers::lapack
