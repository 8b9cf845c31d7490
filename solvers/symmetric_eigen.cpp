#include "solvers/symmetric_eigen.hpp"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "mpi/agree.hpp"
#include "solvers/distributed_matrix.hpp"
#include "solvers/lapack.hpp"
#include "solvers/scalapack.hpp"

namespace b2m::solvers {
namespace {

void require_square(Eigen::Index rows, Eigen::Index cols) {
  if (rows != cols)
    throw ConfigError("symmetric_eigen: matrix is " + std::to_string(rows) + " x " +
                      std::to_string(cols) + ", not square");
}

// How far the checks below let an invariant of an n x n decomposition of a
// matrix of Frobenius norm `norm` miss.
double tolerance(Eigen::Index n, double norm) {
  return 1e3 * double(n) * std::numeric_limits<double>::epsilon() *
         std::max(norm, std::numeric_limits<double>::min());
}

// ScaLAPACK can report success on a failed back transformation (see
// scalapack.cpp). Two O(n^2) invariants catch a wrong result: the trace is
// the sum of the eigenvalues, and A v_1 = lambda_1 v_1 for the largest pair.
void check_decomposition(const Matrix<double>& a, const SymmetricEigen& eig, const char* routine) {
  const Eigen::Index n = a.rows();
  if (n == 0) return;
  const double tol = tolerance(n, a.norm());
  const double trace_error = std::abs(a.trace() - eig.values.sum());
  const Eigen::VectorXd v = eig.vectors.col(n - 1);
  const double pair_error = (a * v - eig.values(n - 1) * v).norm();
  if (!(trace_error <= tol) || !(pair_error <= tol) || !(std::abs(v.norm() - 1.0) <= 1e-8))
    throw NumericError(
        std::string(routine) + " returned an inconsistent decomposition (trace error " +
        std::to_string(trace_error) + ", eigenpair residual " + std::to_string(pair_error) + ")");
}

// The trace and Frobenius norm of a distributed square matrix, on every rank
// of its grid (collective). Where only the lower triangle is filled (as
// pdsyevd reads it) the norm is up to sqrt(2) low, which is fine for a
// tolerance's scale.
std::pair<double, double> trace_and_norm(const DistributedMatrix& a) {
  const BlacsGrid& grid = a.grid();
  const int nb = a.block();
  double sums[2] = {0.0, a.local().squaredNorm()};
  for (Eigen::Index j = 0; j < a.local().cols(); ++j) {
    const int g = DistributedMatrix::global_index(static_cast<int>(j), nb, grid.col(), grid.cols());
    const int i = DistributedMatrix::local_index(g, nb, grid.row(), grid.rows());
    if (i >= 0) sums[0] += a.local()(i, j);  // else row g lives on another process row
  }
  grid.comm().allreduce_in_place(sums, 2, mpi::Op::sum);
  return {sums[0], std::sqrt(sums[1])};
}

SymmetricEigen scalapack_eigen(const Matrix<double>& a, const mpi::Comm& comm,
                               const EigenPlan& plan) {
  const auto [rows, cols] = plan.grid_shape(comm.size());
  const BlacsGrid grid(comm, rows, cols);
  const auto n = static_cast<int>(a.rows());
  DistributedEigen eig = symmetric_eigen(
      DistributedMatrix::from_replicated(grid, a, fitting_block(n, plan.block, rows, cols)));
  SymmetricEigen out{std::move(eig.values), eig.vectors.gather()};
  check_decomposition(a, out, "pdsyevd");
  return out;
}

}  // namespace

std::pair<int, int> EigenPlan::grid_shape(int ranks) const {
  if (grid_rows > 0 && grid_cols > 0) return {grid_rows, grid_cols};
  return BlacsGrid::square_shape(ranks);
}

SymmetricEigen symmetric_eigen(Matrix<double>& a) {
  require_square(a.rows(), a.cols());
  const auto n = static_cast<int>(a.rows());
  SymmetricEigen out{Eigen::VectorXd(n), Matrix<double>(n, n)};
  if (n > 0) lapack::syevr(n, a.data(), n, out.values.data(), out.vectors.data(), n);
  return out;
}

SymmetricEigen symmetric_eigen(const Matrix<double>& a, const mpi::Comm& comm,
                               const EigenPlan& plan) {
  require_square(a.rows(), a.cols());
  if (plan.backend == EigenBackend::scalapack && a.rows() > 0)
    return scalapack_eigen(a, comm, plan);
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

DistributedEigen symmetric_eigen(DistributedMatrix&& a) {
  require_square(a.rows(), a.cols());
  const BlacsGrid& grid = a.grid();
  const int n = a.rows();
  DistributedEigen out{Eigen::VectorXd(n), DistributedMatrix(grid, n, n, a.block())};
  if (n == 0) return out;
  const auto [trace, norm] = trace_and_norm(a);
  // pdsyevd on a matrix with a NaN hung with 4 processes (n = 40, block 8;
  // it failed cleanly with 1 and 2); every rank sees the same norm, so all
  // stop here.
  if (!std::isfinite(norm))
    throw NumericError("pdsyevd: the " + std::to_string(n) + " x " + std::to_string(n) +
                       " matrix has non-finite entries");
  // pdsyevd's workspace and the eigenvectors are the callers' memory peak.
  // Hand the heap's free pages back first: glibc keeps freed blocks under its
  // dynamic mmap threshold (up to 32 MB: a previous fold's products, a kernel
  // assembly's buffers), which otherwise stayed resident through the solve.
  malloc_trim(0);
  mpi::agree_on(grid.comm(), [&] { scalapack::pdsyevd(n, {a}, out.values.data(), {out.vectors}); });
  a.local().resize(0, 0);
  // A is gone, so of check_decomposition's invariants only the trace is left;
  // garbage vectors (see scalapack.cpp) also fail the unit norm of the last.
  double last = 0;
  const int j = DistributedMatrix::local_index(n - 1, a.block(), grid.col(), grid.cols());
  if (j >= 0) last = out.vectors.local().col(j).squaredNorm();
  grid.comm().allreduce_in_place(&last, 1, mpi::Op::sum);
  const double trace_error = std::abs(trace - out.values.sum());
  if (!(trace_error <= tolerance(n, norm)) || !(std::abs(std::sqrt(last) - 1.0) <= 1e-8))
    throw NumericError("pdsyevd returned an inconsistent decomposition (trace error " +
                       std::to_string(trace_error) + ", norm of the last eigenvector " +
                       std::to_string(std::sqrt(last)) + ")");
  return out;
}

}  // namespace b2m::solvers
