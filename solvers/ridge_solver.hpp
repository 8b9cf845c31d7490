// The solver interface: every cross-validated ridge model of b2m is fitted
// through it. A solver is a ridge problem with its inputs bound (a design X
// with the rows it predicts, or a kernel K = X X^T with its test rows,
// replicated or block-cyclic) and one regularization per target, chosen by
// run-grouped cross-validation over an alpha grid (the first alpha of least
// summed validation error). No intercept: callers standardize X and Y.
//
// Two ways in, for the two shapes of problem b2m meets:
//
//   RidgeSolver::fit       targets held in memory (decode's embedding
//                          dimensions): the chosen alphas, the cross-validated
//                          predictions and the test predictions in one call.
//   SpectralSolver::factor targets too many to hold (encode's voxels): the
//                          spectral factors of one fold (ridge_factor.hpp),
//                          which RidgeFold scores and RidgeRefit refits block by
//                          block of targets (ridge_cv.hpp), while the caller
//                          decides what is held, parked or sent between ranks.
//
// Implementations: DesignRidge (both ways; primal or dual eigenproblem from
// the shape), KernelRidge (a kernel every rank holds; its folds farmed over
// the ranks) and DistributedKernelRidge (a block-cyclic kernel on a ScaLAPACK
// grid). A new solver (e.g. banded ridge, one regularization per feature
// space) implements RidgeSolver, and SpectralSolver where its factors are a
// design's: docs/architecture.md says where it plugs in.
#pragma once

#include <vector>

#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"
#include "solvers/ridge_factor.hpp"

namespace b2m::solvers {

// A cross-validated fit of d targets over n training rows.
struct CvFit {
  std::vector<std::size_t> alpha_index;  // chosen alpha per target (index into the grid)
  Eigen::VectorXd alpha;                 // chosen alpha per target
  Matrix<double> cv_prediction;          // n x d, each row from the fold that held it out
  Matrix<double> test_prediction;        // n_test x d, from the refit on all rows
  Matrix<double> dual;                   // n x d dual coefficients (kernel solvers; else empty)
};

class RidgeSolver {
 public:
  virtual ~RidgeSolver() = default;

  // Fits the targets `y` (n x d; the same on every rank of the solver's
  // communicator, and so is the result). Collective where the solver is.
  [[nodiscard]] virtual CvFit fit(const Matrix<double>& y, const std::vector<mpi::Range>& folds,
                                  const std::vector<double>& alphas) = 0;
};

class SpectralSolver {
 public:
  virtual ~SpectralSolver() = default;

  // Training rows (all of them, folds included).
  [[nodiscard]] virtual Eigen::Index rows() const = 0;
  // The spectral factors of the rows outside `held_out`, predicting the
  // held-out rows; with an empty range, of every row, predicting the test
  // rows (the refit), with the weights' factor if asked for.
  [[nodiscard]] virtual RidgeFactor factor(mpi::Range held_out, bool with_weights) = 0;
  // The refit's factors, as factor({}, with_weights) gives them, when they
  // are the solver's last use: it may hand them its own storage.
  [[nodiscard]] virtual RidgeFactor take_refit_factor(bool with_weights) {
    return factor({}, with_weights);
  }
  // Values the factors of a fold training on `n_train` rows hold per row
  // of the design (their memory, for callers that plan what to hold).
  [[nodiscard]] virtual Eigen::Index factor_rank(Eigen::Index n_train) const = 0;
};

}  // namespace b2m::solvers
