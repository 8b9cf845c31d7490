#include "solvers/distributed_kernel_ridge_cv.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "solvers/scalapack.hpp"
#include "solvers/symmetric_eigen.hpp"

namespace b2m::solvers {
namespace {

scalapack::Sub at(DistributedMatrix& m, int row = 0, int col = 0) {
  return {m, row, col};
}
scalapack::ConstSub at(const DistributedMatrix& m, int row = 0, int col = 0) {
  return {m, row, col};
}

// Multiplies each local entry of `m` by scale(global row, global column).
template <class Scale>
void scale_local(DistributedMatrix& m, Scale&& scale) {
  const BlacsGrid& grid = m.grid();
  for (Eigen::Index j = 0; j < m.local().cols(); ++j) {
    const int gj =
        DistributedMatrix::global_index(static_cast<int>(j), m.block(), grid.col(), grid.cols());
    for (Eigen::Index i = 0; i < m.local().rows(); ++i) {
      const int gi =
          DistributedMatrix::global_index(static_cast<int>(i), m.block(), grid.row(), grid.rows());
      m.local()(i, j) *= scale(gi, gj);
    }
  }
}

}  // namespace

DistributedKernelRidge::DistributedKernelRidge(DistributedMatrix kernel, Matrix<double> test_kernel)
    : kernel_(std::move(kernel)), test_kernel_(std::move(test_kernel)) {}

CvFit DistributedKernelRidge::fit(const Matrix<double>& y, const std::vector<mpi::Range>& folds,
                                  const std::vector<double>& alphas) {
  if (!kernel_) throw ConfigError("distributed kernel ridge: the kernel was used by a fit already");
  KernelRidgeCv cv = kernel_ridge_cv(std::move(*kernel_), y, folds, alphas);
  kernel_.reset();
  return with_test_predictions(std::move(cv), test_kernel_);
}

KernelRidgeCv kernel_ridge_cv(DistributedMatrix kernel, const Matrix<double>& y,
                              const std::vector<mpi::Range>& folds,
                              const std::vector<double>& alphas) {
  const BlacsGrid& grid = kernel.grid();
  const mpi::Comm& comm = grid.comm();
  const int n = kernel.rows(), nb = kernel.block();
  const auto d = static_cast<int>(y.cols());
  check_kernel_ridge_inputs(n, kernel.cols(), y.rows(), alphas);
  for (const mpi::Range& val : folds) {
    const int nt = n - static_cast<int>(val.size());
    if (nb > fitting_block(nt, nb, grid.rows(), grid.cols()) ||
        !fills_grid(nt, grid.rows(), grid.cols()))
      throw ConfigError("kernel ridge: block size " + std::to_string(nb) +
                        " leaves a process of the " + std::to_string(grid.rows()) + " x " +
                        std::to_string(grid.cols()) + " grid without a block of a fold's " +
                        std::to_string(nt) + "-row training kernel");
  }
  const DistributedMatrix yd = DistributedMatrix::from_replicated(grid, y, nb);

  KernelRidgeCv out;
  out.cv_mse.setZero(static_cast<Eigen::Index>(alphas.size()), d);
  // Each rank keeps the validation predictions of the alphas it owns
  // (i % ranks), to pick the chosen one per target once all folds are scored.
  const auto owns = [&](std::size_t i) {
    return static_cast<int>(i % static_cast<std::size_t>(comm.size())) == comm.rank();
  };
  std::vector<Matrix<double>> predictions(alphas.size());
  for (std::size_t i = 0; i < alphas.size(); ++i)
    if (owns(i)) predictions[i].setZero(n, d);

  for (const mpi::Range& val : folds) {
    const auto a = static_cast<int>(val.begin), b = static_cast<int>(val.end);
    const int m = b - a, nt = n - m;
    // The lower triangle of K[tr, tr]: the blocks above, left of and below
    // the validation rows.
    DistributedMatrix train(grid, nt, nt, nb);
    scalapack::pdgemr2d(a, a, at(kernel), at(train));
    scalapack::pdgemr2d(n - b, a, at(kernel, b, 0), at(train, a, 0));
    scalapack::pdgemr2d(n - b, n - b, at(kernel, b, b), at(train, a, a));
    DistributedEigen eig = symmetric_eigen(std::move(train));
    const Eigen::VectorXd lambda = eig.values.cwiseMax(0.0);
    // L = K[val, tr] U: K[val, :a] U[:a] + K[b:, val]^T U[a:].
    DistributedMatrix left(grid, m, nt, nb);
    scalapack::pdgemm('N', 'N', m, nt, a, 1.0, at(kernel, a, 0), at(eig.vectors), 1.0, at(left));
    scalapack::pdgemm('T', 'N', m, nt, n - b, 1.0, at(kernel, b, a), at(eig.vectors, a, 0), 1.0,
                      at(left));
    // B = U^T Y[tr].
    DistributedMatrix by(grid, nt, d, nb);
    scalapack::pdgemm('T', 'N', nt, d, a, 1.0, at(eig.vectors), at(yd), 1.0, at(by));
    scalapack::pdgemm('T', 'N', nt, d, n - b, 1.0, at(eig.vectors, a, 0), at(yd, b, 0), 1.0,
                      at(by));
    eig.vectors.local().resize(0, 0);
    DistributedMatrix scaled(grid, nt, d, nb), prediction(grid, m, d, nb);
    for (std::size_t i = 0; i < alphas.size(); ++i) {
      scaled.local() = by.local();
      scale_local(scaled, [&](int row, int) { return 1.0 / (lambda(row) + alphas[i]); });
      scalapack::pdgemm('N', 'N', m, d, nt, 1.0, at(left), at(scaled), 0.0, at(prediction));
      // The alpha's owner alone gathers the prediction, scores it (in the
      // fixed order of add_fold_mse, whatever the grid) and keeps it.
      const int owner = static_cast<int>(i % static_cast<std::size_t>(comm.size()));
      const Matrix<double> p = prediction.gather_to(owner);
      if (!owns(i)) continue;
      add_fold_mse(p, y, val, folds.size(), out.cv_mse.row(static_cast<Eigen::Index>(i)));
      predictions[i].middleRows(a, m) = p;
    }
  }

  // Each alpha's row was scored by its owner alone.
  comm.allreduce_in_place(out.cv_mse.data(), static_cast<std::size_t>(out.cv_mse.size()),
                          mpi::Op::sum);
  choose_alphas(alphas, comm, out);
  out.cv_prediction.setZero(n, d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const std::size_t k = out.alpha_index[static_cast<std::size_t>(j)];
    if (owns(k)) out.cv_prediction.col(j) = predictions[k].col(j);
  }
  predictions.clear();
  comm.allreduce_in_place(out.cv_prediction.data(),
                          static_cast<std::size_t>(out.cv_prediction.size()), mpi::Op::sum);

  // Refit on all rows, each target with its own alpha (see targets_by_alpha).
  out.dual.setZero(n, d);
  const std::vector<std::vector<Eigen::Index>> groups = targets_by_alpha(out, alphas.size());
  bool factored = true;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].empty()) continue;
    DistributedMatrix shifted = kernel;
    shifted.add_to_diagonal(alphas[i]);
    factored = scalapack::pdpotrf(n, at(shifted));
    if (!factored) break;
    const Matrix<double> targets = y(Eigen::all, groups[i]);
    DistributedMatrix solved = DistributedMatrix::from_replicated(grid, targets, nb);
    scalapack::pdpotrs(n, static_cast<int>(targets.cols()), at(shifted), at(solved));
    out.dual(Eigen::all, groups[i]) = solved.gather();
  }
  if (factored) return out;
  // Not positive definite: U diag(1 / (max(lambda, 0) + alpha_j)) U^T y_j.
  DistributedEigen eig = symmetric_eigen(std::move(kernel));
  const Eigen::VectorXd lambda = eig.values.cwiseMax(0.0);
  DistributedMatrix by(grid, n, d, nb), dual(grid, n, d, nb);
  scalapack::pdgemm('T', 'N', n, d, n, 1.0, at(eig.vectors), at(yd), 0.0, at(by));
  scale_local(by, [&](int row, int col) { return 1.0 / (lambda(row) + out.alpha(col)); });
  scalapack::pdgemm('N', 'N', n, d, n, 1.0, at(eig.vectors), at(by), 0.0, at(dual));
  out.dual = dual.gather();
  return out;
}

}  // namespace b2m::solvers
