#include "solvers/distributed_matrix.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "solvers/lapack_imports.hpp"

namespace b2m::solvers {

int fitting_block(int n, int block, int rows, int cols) {
  const int procs = std::max(rows, cols);
  return std::max(1, std::min(block, (n + procs - 1) / procs));
}

bool fills_grid(int n, int rows, int cols) {
  return n >= std::max(rows, cols);
}

int DistributedMatrix::local_count(int n, int block, int p, int nprocs) {
  const int source = 0;
  return numroc_(&n, &block, &p, &source, &nprocs);
}

DistributedMatrix::DistributedMatrix(const BlacsGrid& grid, int rows, int cols, int block)
    : grid_(grid), rows_(rows), cols_(cols), block_(block) {
  if (block < 1)
    throw ConfigError("distributed matrix: block size must be positive, got " +
                      std::to_string(block));
  local_.setZero(local_count(rows, block, grid.row(), grid.rows()),
                 local_count(cols, block, grid.col(), grid.cols()));
}

DistributedMatrix DistributedMatrix::from_replicated(const BlacsGrid& grid,
                                                     const Matrix<double>& full, int block) {
  DistributedMatrix m(grid, static_cast<int>(full.rows()), static_cast<int>(full.cols()), block);
  for (Eigen::Index j = 0; j < m.local_.cols(); ++j) {
    const int gj = global_index(static_cast<int>(j), block, grid.col(), grid.cols());
    for (Eigen::Index i = 0; i < m.local_.rows(); ++i)
      m.local_(i, j) = full(global_index(static_cast<int>(i), block, grid.row(), grid.rows()), gj);
  }
  return m;
}

void DistributedMatrix::add_to_diagonal(double value) {
  for (Eigen::Index j = 0; j < local_.cols(); ++j) {
    const int g = global_index(static_cast<int>(j), block_, grid_.col(), grid_.cols());
    const int i = local_index(g, block_, grid_.row(), grid_.rows());
    if (i >= 0) local_(i, j) += value;
  }
}

Matrix<double> DistributedMatrix::assemble(const std::vector<double>& all,
                                           const std::vector<std::size_t>& counts) const {
  Matrix<double> full(rows_, cols_);
  std::size_t at = 0;
  for (int rank = 0; rank < grid_.comm().size(); ++rank) {
    const int prow = rank / grid_.cols(), pcol = rank % grid_.cols();
    const int lr = local_count(rows_, block_, prow, grid_.rows());
    const int lc = local_count(cols_, block_, pcol, grid_.cols());
    const std::size_t count = counts[static_cast<std::size_t>(rank)];
    if (static_cast<std::size_t>(lr) * static_cast<std::size_t>(lc) != count)
      throw Error("distributed matrix gather: rank " + std::to_string(rank) + " sent " +
                  std::to_string(count) + " values, its blocks of the " + std::to_string(rows_) +
                  " x " + std::to_string(cols_) + " matrix hold " + std::to_string(lr * lc));
    for (int j = 0; j < lc; ++j) {
      const int gj = global_index(j, block_, pcol, grid_.cols());
      for (int i = 0; i < lr; ++i)
        full(global_index(i, block_, prow, grid_.rows()), gj) =
            all[at + static_cast<std::size_t>(j) * static_cast<std::size_t>(lr) +
                static_cast<std::size_t>(i)];
    }
    at += count;
  }
  return full;
}

Matrix<double> DistributedMatrix::gather() const {
  std::vector<std::size_t> counts;
  const std::vector<double> all =
      grid_.comm().allgatherv(local_.data(), static_cast<std::size_t>(local_.size()), &counts);
  return assemble(all, counts);
}

Matrix<double> DistributedMatrix::gather_to(int root) const {
  std::vector<std::size_t> counts;
  const std::vector<double> all =
      grid_.comm().gatherv(local_.data(), static_cast<std::size_t>(local_.size()), root, &counts);
  if (grid_.comm().rank() != root) return {};
  return assemble(all, counts);
}

}  // namespace b2m::solvers
