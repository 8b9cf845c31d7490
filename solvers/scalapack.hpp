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

}  // namespace b2m::solvers::scalapack
