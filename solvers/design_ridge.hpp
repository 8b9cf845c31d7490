// Ridge on a design: training rows X (n x p) and the test rows X_test they
// predict, through the smaller eigenproblem (ridge_factor.hpp picks the
// primal p x p or the dual n x n one from the shape). Both ways of the
// solver interface (ridge_solver.hpp): whole fits of few targets (decode's
// ROI models, an ROI of a few hundred voxels factorizing a Gram matrix of
// that order per fold, not the n x n kernel) and per-fold factors for
// streamed targets (encode's voxels). Serial: one rank's numerics.
#pragma once

#include <functional>

#include "solvers/ridge_solver.hpp"

namespace b2m::solvers {

class DesignRidge final : public RidgeSolver, public SpectralSolver {
 public:
  DesignRidge(Matrix<double> x, Matrix<double> x_test);

  // Where the design may go while an eigensolver holds a Gram matrix and
  // its eigenvectors: encode parks it in a scratch file at large p, so that
  // the three (each about 130-160 MB at p = 4,096) are never in memory
  // together. Used only when X, the Gram matrix and its vectors would
  // exceed `budget_bytes` together (at p = 4,096, not at p = 512): parking
  // costs writing and reading X.
  struct Parking {
    std::function<void(Matrix<double>&)> park;     // moves X out (leaving it empty)
    std::function<void(Matrix<double>&)> restore;  // and back
    double budget_bytes = 0;
  };
  void park_with(Parking parking) { parking_ = std::move(parking); }

  [[nodiscard]] CvFit fit(const Matrix<double>& y, const std::vector<mpi::Range>& folds,
                          const std::vector<double>& alphas) override;

  [[nodiscard]] Eigen::Index rows() const override { return rows_; }
  [[nodiscard]] RidgeFactor factor(mpi::Range held_out, bool with_weights) override;
  [[nodiscard]] Eigen::Index factor_rank(Eigen::Index n_train) const override;
  // Computed in the design's own storage (the primal X V has X's shape):
  // the refit never holds X and X V together.
  [[nodiscard]] RidgeFactor take_refit_factor(bool with_weights) override;

 private:
  // The eigendecomposition of the Gram matrix of the rows outside `held_out`.
  [[nodiscard]] SymmetricEigen gram_eigen(mpi::Range held_out);

  Matrix<double> x_, x_test_;
  Eigen::Index rows_, features_;
  Parking parking_;
};

}  // namespace b2m::solvers
