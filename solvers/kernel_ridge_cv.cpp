#include "solvers/kernel_ridge_cv.hpp"

#include <string>

#include "core/error.hpp"
#include "solvers/ordered_sum.hpp"

namespace b2m::solvers {
namespace {

// Rows (and columns) of a fold's training set: every row outside `val`.
std::vector<Eigen::Index> outside(Eigen::Index n, mpi::Range val) {
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < n; ++i)
    if (static_cast<std::size_t>(i) < val.begin || static_cast<std::size_t>(i) >= val.end)
      rows.push_back(i);
  return rows;
}

}  // namespace

KernelRidgeCv kernel_ridge_cv(const Matrix<double>& kernel, const Matrix<double>& y,
                              const std::vector<mpi::Range>& folds,
                              const std::vector<double>& alphas, const mpi::Comm& comm,
                              const EigenPlan& plan) {
  const Eigen::Index n = kernel.rows();
  const Eigen::Index d = y.cols();
  const auto n_alphas = static_cast<Eigen::Index>(alphas.size());
  if (kernel.cols() != n || y.rows() != n)
    throw ConfigError("kernel ridge: kernel is " + std::to_string(kernel.rows()) + " x " +
                      std::to_string(kernel.cols()) + ", targets have " + std::to_string(y.rows()) +
                      " rows");
  if (alphas.empty()) throw ConfigError("kernel ridge: empty alpha grid");

  KernelRidgeCv out;
  out.cv_mse.setZero(n_alphas, d);
  // Validation predictions of every row for every alpha, to keep the
  // chosen one per target once all folds are scored.
  std::vector<Matrix<double>> predictions(alphas.size(), Matrix<double>(n, d));
  for (const mpi::Range& val : folds) {
    const std::vector<Eigen::Index> train = outside(n, val);
    const auto a = static_cast<Eigen::Index>(val.begin);
    const auto m = static_cast<Eigen::Index>(val.size());
    const SymmetricEigen eig = symmetric_eigen(kernel(train, train), comm, plan);
    const Eigen::VectorXd lambda = eig.values.cwiseMax(0.0);
    const Matrix<double> left = kernel(Eigen::seqN(a, m), train) * eig.vectors;
    const Matrix<double> b = eig.vectors.transpose() * y(train, Eigen::all);
    const auto square = [](double v) { return v * v; };
    for (Eigen::Index i = 0; i < n_alphas; ++i) {
      const Eigen::VectorXd shrink =
          (1.0 / (lambda.array() + alphas[static_cast<std::size_t>(i)])).matrix();
      Matrix<double> pred = left * (shrink.asDiagonal() * b);
      for (Eigen::Index j = 0; j < d; ++j) {
        const Eigen::VectorXd residual = y.col(j).segment(a, m) - pred.col(j);
        out.cv_mse(i, j) += ordered_sum(residual.data(), static_cast<std::size_t>(m), square) /
                            double(m) / double(folds.size());
      }
      predictions[static_cast<std::size_t>(i)].middleRows(a, m) = pred;
    }
  }

  // The root's choice (first minimum on ties), so every rank agrees.
  std::vector<long long> best(static_cast<std::size_t>(d), 0);
  for (Eigen::Index j = 0; j < d; ++j) {
    Eigen::Index k = 0;
    out.cv_mse.col(j).minCoeff(&k);
    best[static_cast<std::size_t>(j)] = k;
  }
  comm.bcast(best.data(), best.size(), 0);
  out.alpha.resize(d);
  out.cv_prediction.resize(n, d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const auto k = static_cast<std::size_t>(best[static_cast<std::size_t>(j)]);
    out.alpha_index.push_back(k);
    out.alpha(j) = alphas[k];
    out.cv_prediction.col(j) = predictions[k].col(j);
  }
  predictions.clear();

  // Refit on all rows, each target with its own alpha.
  const SymmetricEigen eig = symmetric_eigen(kernel, comm, plan);
  const Eigen::VectorXd lambda = eig.values.cwiseMax(0.0);
  Matrix<double> b = eig.vectors.transpose() * y;
  for (Eigen::Index j = 0; j < d; ++j) b.col(j).array() /= lambda.array() + out.alpha(j);
  out.dual = eig.vectors * b;
  comm.bcast(out.dual.data(), static_cast<std::size_t>(out.dual.size()), 0);
  comm.bcast(out.cv_prediction.data(), static_cast<std::size_t>(out.cv_prediction.size()), 0);
  return out;
}

}  // namespace b2m::solvers
