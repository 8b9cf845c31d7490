// The one place where LAPACK's Fortran prototypes are declared, and typed
// C++ wrappers over them. Every call's `info` is checked and turned into a
// NumericError naming the routine.
#pragma once

namespace b2m::solvers::lapack {

// All eigenvalues (ascending, into w) and eigenvectors (columns of the n x n
// matrix z) of the symmetric n x n matrix `a`, whose lower triangle is read
// and destroyed (MRRR, dsyevr: no n x n workspace beyond z).
void syevr(int n, double* a, int lda, double* w, double* z, int ldz);

}  // namespace b2m::solvers::lapack
