// Eigendecomposition of a symmetric matrix, A = V diag(values) V^T: the dense
// factorization behind the ridge solvers, with one interface for both
// back ends. LAPACK (dsyevr) on one rank, or ScaLAPACK (pdsyevd) on a process
// grid over block-cyclic matrices when the matrix outgrows one rank; both
// give the same decomposition to round-off (eigenvectors up to sign).
#pragma once

#include <utility>

#include "mpi/comm.hpp"
#include "solvers/matrix.hpp"

namespace b2m::solvers {

struct SymmetricEigen {
  Eigen::VectorXd values;  // ascending
  Matrix<double> vectors;  // n x n, orthonormal columns
};

// Local LAPACK. Reads the lower triangle of `a` and destroys it.
[[nodiscard]] SymmetricEigen symmetric_eigen(Matrix<double>& a);

enum class EigenBackend { automatic, lapack, scalapack };

struct EigenPlan {
  EigenBackend backend = EigenBackend::automatic;
  int grid_rows = 0;  // 0: the most nearly square grid over all ranks
  int grid_cols = 0;
  int block = 64;  // block-cyclic block size
  // automatic: ScaLAPACK from this order up, when there is more than one rank
  // (kernel_ridge_cv farms its independent solves over the ranks instead)
  Eigen::Index scalapack_from = 2000;

  // grid_rows x grid_cols, or the most nearly square grid over `ranks`.
  [[nodiscard]] std::pair<int, int> grid_shape(int ranks) const;
};

// `a` is the same on every rank of `comm` (lower triangle read); so is the
// result. LAPACK: the root solves and broadcasts. ScaLAPACK: all ranks solve
// together on a grid_rows x grid_cols grid. Collective over `comm`.
[[nodiscard]] SymmetricEigen symmetric_eigen(const Matrix<double>& a, const mpi::Comm& comm,
                                             const EigenPlan& plan);

}  // namespace b2m::solvers
