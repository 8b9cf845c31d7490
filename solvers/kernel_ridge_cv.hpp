// Kernel (dual) ridge regression with one regularization per target, chosen
// by K-fold cross-validation over a grid: the solver for decoding, where the
// features (voxels) far outnumber the samples. With the training kernel
// K = X X^T (n x n) and targets Y (n x d), per fold:
//
//   K[tr, tr] = U diag(lambda) U^T,  A = K[val, tr] U,  B = U^T Y[tr]
//   validation prediction at alpha = A diag(1 / (lambda + alpha)) B
//
// so one eigendecomposition per fold serves every alpha. The refit on all
// rows gives the dual coefficients C, column j being (K + alpha_j I)^-1 y_j
// (by Cholesky: see targets_by_alpha); new rows are predicted by
// K[new, train] C and the primal weights are X^T C. These are exactly the
// primal ridge solutions (X^T X + alpha I)^-1 X^T y.
// No intercept: callers standardize X and Y.
#pragma once

#include <vector>

#include "mpi/comm.hpp"
#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"
#include "solvers/ridge_solver.hpp"
#include "solvers/symmetric_eigen.hpp"

namespace b2m::solvers {

struct KernelRidgeCv {
  std::vector<std::size_t> alpha_index;  // chosen alpha per target (index into the grid)
  Eigen::VectorXd alpha;                 // chosen alpha per target
  Eigen::MatrixXd cv_mse;                // n_alphas x d, mean over folds
  Matrix<double> cv_prediction;          // n x d, each row from the fold that held it out
  Matrix<double> dual;                   // n x d dual coefficients of the refit
};

// `kernel` (n x n) and `y` (n x d) are the same on every rank of `comm`, and
// so is the result (decisions are the root's, broadcast). The
// eigendecompositions run through symmetric_eigen with `plan`: LAPACK on the
// root or ScaLAPACK over all ranks. Collective over `comm`.
[[nodiscard]] KernelRidgeCv kernel_ridge_cv(const Matrix<double>& kernel, const Matrix<double>& y,
                                            const std::vector<mpi::Range>& folds,
                                            const std::vector<double>& alphas,
                                            const mpi::Comm& comm, const EigenPlan& plan);

// The solver interface (ridge_solver.hpp) on a kernel every rank of `comm`
// holds, with the cross kernel of the test rows (n_test x n): the fit above,
// and the test predictions K_test C from its dual coefficients C.
class KernelRidge final : public RidgeSolver {
 public:
  KernelRidge(Matrix<double> kernel, Matrix<double> test_kernel, const mpi::Comm& comm,
              EigenPlan plan);
  [[nodiscard]] CvFit fit(const Matrix<double>& y, const std::vector<mpi::Range>& folds,
                          const std::vector<double>& alphas) override;

 private:
  Matrix<double> kernel_, test_kernel_;
  const mpi::Comm& comm_;
  EigenPlan plan_;
};

// The interface's result from a kernel fit: its choices, cross-validated
// predictions and dual coefficients, and the test predictions K_test C.
[[nodiscard]] CvFit with_test_predictions(KernelRidgeCv cv, const Matrix<double>& test_kernel);

// The steps both kernel layouts share (here and distributed_kernel_ridge_cv):
// checks the shapes (a square kernel, one target row per kernel row) and a
// non-empty alpha grid; adds one fold's validation MSE per target (in a fixed summation order) to
// a row of cv_mse, and takes the root's choice of alpha per target (first
// minimum of the mean MSE) into out.alpha and out.alpha_index.
void check_kernel_ridge_inputs(Eigen::Index rows, Eigen::Index cols, Eigen::Index y_rows,
                               const std::vector<double>& alphas);
void add_fold_mse(const ConstMatrixRef<double>& prediction, const Matrix<double>& y, mpi::Range val,
                  std::size_t folds,
                  Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> cv_mse);
void choose_alphas(const std::vector<double>& alphas, const mpi::Comm& comm, KernelRidgeCv& out);

// The refit: the targets that chose each alpha of the grid (empty where
// none did). The refit factorizes K + alpha I by Cholesky once per alpha in
// use (3 of 20 for 128 SoundStream targets on a simulated subject): n^3 / 3
// flops each, where an eigendecomposition of K took about 9 n^3 (19 s for
// n = 4,920 on one core). Where K + alpha I is not positive definite in
// floating point (an alpha below K's rounding, or an indefinite kernel) the
// eigendecomposition takes over, its eigenvalues clamped at 0.
[[nodiscard]] std::vector<std::vector<Eigen::Index>> targets_by_alpha(const KernelRidgeCv& fit,
                                                                      std::size_t n_alphas);

}  // namespace b2m::solvers
