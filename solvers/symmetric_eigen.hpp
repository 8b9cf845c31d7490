// Eigendecomposition of a symmetric matrix, A = V diag(values) V^T: the dense
// factorization behind the ridge solvers, with one interface for both
// back ends. LAPACK (dsyevr) on one rank, or ScaLAPACK (pdsyevd) on a process
// grid over block-cyclic matrices when the matrix outgrows one rank; both
// give the same decomposition to round-off (eigenvectors up to sign). Every
// ScaLAPACK solve in b2m goes through symmetric_eigen.
#pragma once

#include <utility>

#include "mpi/comm.hpp"
#include "solvers/distributed_matrix.hpp"
#include "solvers/matrix.hpp"

namespace b2m::solvers {

struct SymmetricEigen {
  Eigen::VectorXd values;  // ascending
  Matrix<double> vectors;  // n x n, orthonormal columns
};

// Local LAPACK. Reads the lower triangle of `a` and destroys it.
[[nodiscard]] SymmetricEigen symmetric_eigen(Matrix<double>& a);

// automatic: the caller picks (kernel_ridge_cv farms its independent solves
// over the ranks, one LAPACK solve each; decode with several ranks keeps the
// kernel block-cyclic and uses the overload below). symmetric_eigen itself
// solves an automatic plan with LAPACK.
enum class EigenBackend { automatic, lapack, scalapack };

struct EigenPlan {
  EigenBackend backend = EigenBackend::automatic;
  int grid_rows = 0;  // 0: the most nearly square grid over all ranks
  int grid_cols = 0;
  int block = 64;  // block-cyclic block size

  // grid_rows x grid_cols, or the most nearly square grid over `ranks`.
  [[nodiscard]] std::pair<int, int> grid_shape(int ranks) const;
};

// `a` is the same on every rank of `comm` (lower triangle read); so is the
// result. LAPACK: the root solves and broadcasts. ScaLAPACK: all ranks solve
// together on a grid_rows x grid_cols grid. Collective over `comm`.
[[nodiscard]] SymmetricEigen symmetric_eigen(const Matrix<double>& a, const mpi::Comm& comm,
                                             const EigenPlan& plan);

// Block-cyclic, for matrices no rank holds whole: pdsyevd on `a`'s grid
// (lower triangle read), consuming `a`'s storage; the eigenvectors keep its
// grid and block size. Collective over the grid.
struct DistributedEigen {
  Eigen::VectorXd values;  // ascending, on every rank
  DistributedMatrix vectors;
};
[[nodiscard]] DistributedEigen symmetric_eigen(DistributedMatrix&& a);

}  // namespace b2m::solvers
