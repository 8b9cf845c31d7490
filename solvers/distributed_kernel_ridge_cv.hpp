// Kernel ridge with the kernel block-cyclic on a ScaLAPACK grid: the
// algorithm and the result of kernel_ridge_cv (kernel_ridge_cv.hpp), for
// kernels that should not be held whole by every rank. Every O(n^2) object
// (the kernel, a fold's training kernel, its eigenvectors, the validation
// rows of the kernel times them, pdsyevd's workspace) is spread over the
// grid, so a rank holds about 4 n^2 / ranks doubles at the peak instead of
// about 4 n^2. Only n x d objects (targets, predictions, dual coefficients)
// are replicated.
//
// Per fold, with tr the rows outside the validation range [a, b):
//   K[tr, tr] (lower triangle, by pdgemr2d) = U diag(lambda) U^T (pdsyevd)
//   L = K[val, tr] U,  B = U^T Y[tr]                               (pdgemm)
//   validation prediction at alpha = L diag(1 / (lambda + alpha)) B (pdgemm)
// The refit on all rows factorizes K + alpha I by pdpotrf once per chosen
// alpha (targets_by_alpha in kernel_ridge_cv.hpp). Only the kernel's lower
// triangle is read.
#pragma once

#include <optional>
#include <vector>

#include "mpi/partition.hpp"
#include "solvers/distributed_matrix.hpp"
#include "solvers/kernel_ridge_cv.hpp"

namespace b2m::solvers {

// `y` (n x d) is the same on every rank of the kernel's grid, and so is the
// result. The kernel is taken by value (the refit's fallback
// eigendecomposition overwrites it). The smallest fold's training kernel
// must give every process of the grid a row, and the block size every
// process a block of it (fitting_block). Collective over the grid.
[[nodiscard]] KernelRidgeCv kernel_ridge_cv(DistributedMatrix kernel, const Matrix<double>& y,
                                            const std::vector<mpi::Range>& folds,
                                            const std::vector<double>& alphas);

// The solver interface (ridge_solver.hpp) on a block-cyclic kernel and the
// cross kernel of the test rows (n_test x n, on every rank): the fit above
// and the test predictions K_test C. The fit consumes the kernel (its
// refit may decompose it in place), so a solver fits once.
class DistributedKernelRidge final : public RidgeSolver {
 public:
  DistributedKernelRidge(DistributedMatrix kernel, Matrix<double> test_kernel);
  [[nodiscard]] CvFit fit(const Matrix<double>& y, const std::vector<mpi::Range>& folds,
                          const std::vector<double>& alphas) override;

 private:
  std::optional<DistributedMatrix> kernel_;
  Matrix<double> test_kernel_;
};

}  // namespace b2m::solvers
