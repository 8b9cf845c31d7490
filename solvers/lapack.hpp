// The one place where LAPACK's Fortran prototypes are declared, and typed
// C++ wrappers over them. Every call's `info` is checked and turned into a
// NumericError naming the routine.
#pragma once

namespace b2m::solvers::lapack {

// Thin SVD (divide and conquer, JOBZ='S') of the column-major m x n matrix
// `a` (overwritten). u: m x k, s: k, vt: k x n, with k = min(m, n).
template <class T>
void gesdd(int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt);

}  // namespace b2m::solvers::lapack
