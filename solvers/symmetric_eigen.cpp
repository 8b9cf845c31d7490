#include "solvers/symmetric_eigen.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "mpi/agree.hpp"
#include "mpi/blacs_grid.hpp"
#include "solvers/distributed_matrix.hpp"
#include "solvers/lapack.hpp"
#include "solvers/scalapack.hpp"

namespace b2m::solvers {
namespace {

void require_square(const Matrix<double>& a) {
  if (a.rows() != a.cols())
    throw ConfigError("symmetric_eigen: matrix is " + std::to_string(a.rows()) + " x " +
                      std::to_string(a.cols()) + ", not square");
}

// ScaLAPACK can report success on a failed back transformation (see
// scalapack.cpp). Two O(n^2) invariants catch a wrong result: the trace is
// the sum of the eigenvalues, and A v_1 = lambda_1 v_1 for the largest pair.
void check_decomposition(const Matrix<double>& a, const SymmetricEigen& eig, const char* routine) {
  const Eigen::Index n = a.rows();
  if (n == 0) return;
  const double scale = std::max(a.norm(), std::numeric_limits<double>::min());
  const double tol = 1e3 * double(n) * std::numeric_limits<double>::epsilon() * scale;
  const double trace_error = std::abs(a.trace() - eig.values.sum());
  const Eigen::VectorXd v = eig.vectors.col(n - 1);
  const double pair_error = (a * v - eig.values(n - 1) * v).norm();
  if (!(trace_error <= tol) || !(pair_error <= tol) || !(std::abs(v.norm() - 1.0) <= 1e-8))
    throw NumericError(std::string(routine) +
                           " returned an inconsistent decomposition (trace error " +
                           std::to_string(trace_error) + ", eigenpair residual " +
                           std::to_string(pair_error) + ")",
                       0);
}

SymmetricEigen scalapack_eigen(const Matrix<double>& a, const mpi::Comm& comm,
                               const EigenPlan& plan) {
  const auto [rows, cols] = plan.grid_shape(comm.size());
  const mpi::BlacsGrid grid(comm, rows, cols);
  const auto n = static_cast<int>(a.rows());
  const int block = fitting_block(n, plan.block, rows, cols);
  DistributedMatrix work = DistributedMatrix::from_replicated(grid, a, block);
  DistributedMatrix vectors(grid, n, n, block);
  SymmetricEigen out{Eigen::VectorXd(n), Matrix<double>()};
  mpi::agree_on(comm, [&] {
    scalapack::pdsyevd(grid, n, work.local().data(), work.descriptor(), out.values.data(),
                       vectors.local().data(), vectors.descriptor());
  });
  work.local().resize(0, 0);
  out.vectors = vectors.gather();
  check_decomposition(a, out, "pdsyevd");
  return out;
}

}  // namespace

std::pair<int, int> EigenPlan::grid_shape(int ranks) const {
  if (grid_rows > 0 && grid_cols > 0) return {grid_rows, grid_cols};
  return mpi::BlacsGrid::square_shape(ranks);
}

SymmetricEigen symmetric_eigen(Matrix<double>& a) {
  require_square(a);
  const auto n = static_cast<int>(a.rows());
  SymmetricEigen out{Eigen::VectorXd(n), Matrix<double>(n, n)};
  if (n > 0) lapack::syevr(n, a.data(), n, out.values.data(), out.vectors.data(), n);
  return out;
}

SymmetricEigen symmetric_eigen(const Matrix<double>& a, const mpi::Comm& comm,
                               const EigenPlan& plan) {
  require_square(a);
  const bool distributed = plan.backend == EigenBackend::scalapack ||
                           (plan.backend == EigenBackend::automatic && comm.size() > 1 &&
                            a.rows() >= plan.scalapack_from);
  if (distributed && a.rows() > 0) return scalapack_eigen(a, comm, plan);
  const auto n = a.rows();
  SymmetricEigen out{Eigen::VectorXd(n), Matrix<double>(n, n)};
  // A failure on the root must reach the others before they wait in bcast.
  mpi::agree_on(comm, [&] {
    if (comm.is_root()) {
      Matrix<double> work = a;
      out = symmetric_eigen(work);
    }
  });
  if (comm.size() > 1) {
    comm.bcast(out.values.data(), static_cast<std::size_t>(n), 0);
    comm.bcast(out.vectors.data(), static_cast<std::size_t>(out.vectors.size()), 0);
  }
  return out;
}

}  // namespace b2m::solvers
