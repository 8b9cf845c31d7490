#include "solvers/kernel_ridge_cv.hpp"

#include <string>

#include "core/error.hpp"
#include "mpi/agree.hpp"
#include "solvers/ordered_sum.hpp"
#include "solvers/ridge_cv.hpp"

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

// The refit's dual coefficients by Cholesky (see targets_by_alpha) into
// `dual`; false where K + alpha I is not numerically positive definite.
bool cholesky_refit(const Matrix<double>& kernel, const Matrix<double>& y,
                    const std::vector<double>& alphas, const KernelRidgeCv& fit,
                    Matrix<double>& dual) {
  const std::vector<std::vector<Eigen::Index>> groups = targets_by_alpha(fit, alphas.size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].empty()) continue;
    Matrix<double> shifted = kernel;
    shifted.diagonal().array() += alphas[i];
    const Eigen::LLT<Eigen::Ref<Matrix<double>>> llt(shifted);  // in place
    if (llt.info() != Eigen::Success) return false;
    Matrix<double> solved = y(Eigen::all, groups[i]);
    llt.solveInPlace(solved);
    dual(Eigen::all, groups[i]) = solved;
  }
  return true;
}

}  // namespace

std::vector<std::vector<Eigen::Index>> targets_by_alpha(const KernelRidgeCv& fit,
                                                        std::size_t n_alphas) {
  std::vector<std::vector<Eigen::Index>> groups(n_alphas);
  for (std::size_t j = 0; j < fit.alpha_index.size(); ++j)
    groups.at(fit.alpha_index[j]).push_back(static_cast<Eigen::Index>(j));
  return groups;
}

void check_kernel_ridge_inputs(Eigen::Index rows, Eigen::Index cols, Eigen::Index y_rows,
                               const std::vector<double>& alphas) {
  if (cols != rows || y_rows != rows)
    throw ConfigError("kernel ridge: kernel is " + std::to_string(rows) + " x " +
                      std::to_string(cols) + ", targets have " + std::to_string(y_rows) + " rows");
  if (alphas.empty()) throw ConfigError("kernel ridge: empty alpha grid");
}

void add_fold_mse(const ConstMatrixRef<double>& prediction, const Matrix<double>& y, mpi::Range val,
                  std::size_t folds,
                  Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> cv_mse) {
  const auto a = static_cast<Eigen::Index>(val.begin);
  const auto m = static_cast<Eigen::Index>(val.size());
  const auto square = [](double v) { return v * v; };
  std::vector<double> residual(static_cast<std::size_t>(m));  // one buffer for every target
  for (Eigen::Index j = 0; j < y.cols(); ++j) {
    for (Eigen::Index i = 0; i < m; ++i)
      residual[static_cast<std::size_t>(i)] = y(a + i, j) - prediction(i, j);
    cv_mse(j) += ordered_sum(residual.data(), residual.size(), square) / double(m) / double(folds);
  }
}

void choose_alphas(const std::vector<double>& alphas, const mpi::Comm& comm, KernelRidgeCv& out) {
  const Eigen::Index d = out.cv_mse.cols();
  std::vector<long long> best(static_cast<std::size_t>(d), 0);
  for (Eigen::Index j = 0; j < d; ++j)
    best[static_cast<std::size_t>(j)] = best_alpha(out.cv_mse.col(j));
  comm.bcast(best.data(), best.size(), 0);
  out.alpha.resize(d);
  out.alpha_index.clear();
  for (Eigen::Index j = 0; j < d; ++j) {
    const auto k = static_cast<std::size_t>(best[static_cast<std::size_t>(j)]);
    out.alpha_index.push_back(k);
    out.alpha(j) = alphas[k];
  }
}

CvFit with_test_predictions(KernelRidgeCv cv, const Matrix<double>& test_kernel) {
  CvFit out;
  out.test_prediction = test_kernel * cv.dual;
  out.alpha_index = std::move(cv.alpha_index);
  out.alpha = std::move(cv.alpha);
  out.cv_prediction = std::move(cv.cv_prediction);
  out.dual = std::move(cv.dual);
  return out;
}

KernelRidge::KernelRidge(Matrix<double> kernel, Matrix<double> test_kernel, const mpi::Comm& comm,
                         EigenPlan plan)
    : kernel_(std::move(kernel)), test_kernel_(std::move(test_kernel)), comm_(comm), plan_(plan) {}

CvFit KernelRidge::fit(const Matrix<double>& y, const std::vector<mpi::Range>& folds,
                       const std::vector<double>& alphas) {
  return with_test_predictions(kernel_ridge_cv(kernel_, y, folds, alphas, comm_, plan_),
                               test_kernel_);
}

KernelRidgeCv kernel_ridge_cv(const Matrix<double>& kernel, const Matrix<double>& y,
                              const std::vector<mpi::Range>& folds,
                              const std::vector<double>& alphas, const mpi::Comm& comm,
                              const EigenPlan& plan) {
  const Eigen::Index n = kernel.rows();
  const Eigen::Index d = y.cols();
  const auto n_alphas = static_cast<Eigen::Index>(alphas.size());
  check_kernel_ridge_inputs(kernel.rows(), kernel.cols(), y.rows(), alphas);

  // The K folds and the refit are tasks. With the automatic back end and
  // several ranks they are farmed out, one LAPACK solve per task on rank
  // task % size: independent solves scale better than one ScaLAPACK solve at
  // these orders. Otherwise every rank takes part in every eigendecomposition
  // (LAPACK on the root, or ScaLAPACK) and the root refits.
  const bool farm = plan.backend == EigenBackend::automatic && comm.size() > 1;
  const mpi::Comm self = mpi::Comm::self();
  EigenPlan local = plan;
  local.backend = EigenBackend::lapack;
  const auto mine = [&](std::size_t task) {
    return !farm || static_cast<int>(task % static_cast<std::size_t>(comm.size())) == comm.rank();
  };
  const auto eigen = [&](const Matrix<double>& a) {
    return farm ? symmetric_eigen(a, self, local) : symmetric_eigen(a, comm, plan);
  };

  KernelRidgeCv out;
  out.cv_mse.setZero(n_alphas, d);
  // The folds whose validation predictions this rank scores and keeps, for
  // every alpha, until all folds are scored and each target's alpha is
  // chosen: farmed, its own folds; otherwise the root (which decides) all of
  // them. The others only join the eigensolves. So a rank keeps n_alphas
  // predictions of its folds' rows, not of all n rows.
  const auto keeps = [&](std::size_t f) { return farm ? mine(f) : comm.is_root(); };
  std::vector<std::size_t> kept;
  Eigen::Index kept_rows = 0;
  for (std::size_t f = 0; f < folds.size(); ++f)
    if (keeps(f)) {
      kept.push_back(f);
      kept_rows += static_cast<Eigen::Index>(folds[f].size());
    }
  std::vector<Matrix<double>> predictions;
  mpi::agree_on(comm, [&] { predictions.assign(alphas.size(), Matrix<double>(kept_rows, d)); });
  // A failure in one rank's task must reach the others before the reduce.
  std::exception_ptr failure;
  try {
    Eigen::Index at = 0;  // the fold's first row among the kept rows
    for (std::size_t f = 0; f < folds.size(); ++f) {
      if (!mine(f)) continue;
      const mpi::Range& val = folds[f];
      const std::vector<Eigen::Index> train = outside(n, val);
      const auto a = static_cast<Eigen::Index>(val.begin);
      const auto m = static_cast<Eigen::Index>(val.size());
      const SymmetricEigen eig = eigen(kernel(train, train));
      const auto score = [&] {
        if (!keeps(f)) return;
        const Eigen::VectorXd lambda = eig.values.cwiseMax(0.0);
        const Matrix<double> left = kernel(Eigen::seqN(a, m), train) * eig.vectors;
        const Matrix<double> b = eig.vectors.transpose() * y(train, Eigen::all);
        for (Eigen::Index i = 0; i < n_alphas; ++i) {
          const Eigen::VectorXd shrink =
              (1.0 / (lambda.array() + alphas[static_cast<std::size_t>(i)])).matrix();
          auto pred = predictions[static_cast<std::size_t>(i)].middleRows(at, m);
          pred.noalias() = left * (shrink.asDiagonal() * b);
          add_fold_mse(pred, y, val, folds.size(), out.cv_mse.row(i));
        }
        at += m;
      };
      // Unfarmed, every rank solved the fold and only the root scores it:
      // a failure there must reach the others before the next solve.
      if (farm)
        score();
      else
        mpi::agree_on(comm, score);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  mpi::agree(comm, failure);
  if (farm)
    comm.allreduce_in_place(out.cv_mse.data(), static_cast<std::size_t>(out.cv_mse.size()),
                            mpi::Op::sum);
  else
    comm.bcast(out.cv_mse.data(), static_cast<std::size_t>(out.cv_mse.size()), 0);

  choose_alphas(alphas, comm, out);
  out.cv_prediction.setZero(n, d);  // zero outside this rank's kept folds
  Eigen::Index at = 0;
  for (std::size_t f : kept) {
    const auto m = static_cast<Eigen::Index>(folds[f].size());
    for (Eigen::Index j = 0; j < d; ++j)
      out.cv_prediction.col(j).segment(static_cast<Eigen::Index>(folds[f].begin), m) =
          predictions[out.alpha_index[static_cast<std::size_t>(j)]].col(j).segment(at, m);
    at += m;
  }
  predictions.clear();
  if (farm)
    comm.allreduce_in_place(out.cv_prediction.data(),
                            static_cast<std::size_t>(out.cv_prediction.size()), mpi::Op::sum);

  // Refit on all rows, each target with its own alpha.
  const std::size_t refit_task = folds.size();
  const int owner = farm ? static_cast<int>(refit_task % static_cast<std::size_t>(comm.size())) : 0;
  out.dual.setZero(n, d);
  int factored = 0;
  if (comm.rank() == owner) factored = cholesky_refit(kernel, y, alphas, out, out.dual) ? 1 : 0;
  comm.bcast(&factored, 1, owner);
  if (factored == 0) {
    SymmetricEigen refit;
    mpi::agree_on(comm, [&] {
      if (mine(refit_task)) refit = eigen(kernel);
    });
    if (comm.rank() == owner) {
      const Eigen::VectorXd lambda = refit.values.cwiseMax(0.0);
      Matrix<double> b = refit.vectors.transpose() * y;
      for (Eigen::Index j = 0; j < d; ++j) b.col(j).array() /= lambda.array() + out.alpha(j);
      out.dual = refit.vectors * b;
    }
  }
  comm.bcast(out.dual.data(), static_cast<std::size_t>(out.dual.size()), owner);
  if (!farm)  // (farmed, the allreduce above gave every rank all of them)
    comm.bcast(out.cv_prediction.data(), static_cast<std::size_t>(out.cv_prediction.size()), 0);
  return out;
}

}  // namespace b2m::solvers
