// A dense matrix distributed block-cyclically over a BLACS grid, the layout
// ScaLAPACK works on. The grid and block size belong to the matrix; its
// ScaLAPACK descriptor is derived from them in one place (scalapack.cpp).
// Local storage is column-major.
#pragma once

#include "solvers/blacs_grid.hpp"
#include "solvers/matrix.hpp"

namespace b2m::solvers {

class DistributedMatrix {
 public:
  DistributedMatrix(const BlacsGrid& grid, int rows, int cols, int block);

  // This rank's blocks of a matrix every rank holds in full (no communication).
  static DistributedMatrix from_replicated(const BlacsGrid& grid, const Matrix<double>& full,
                                           int block);
  // The full matrix, on every rank of the grid (collective).
  [[nodiscard]] Matrix<double> gather() const;
  // The full matrix on `root` of the grid's communicator; elsewhere an empty
  // matrix (collective).
  [[nodiscard]] Matrix<double> gather_to(int root) const;

  [[nodiscard]] int rows() const { return rows_; }
  [[nodiscard]] int cols() const { return cols_; }
  [[nodiscard]] int block() const { return block_; }
  [[nodiscard]] Matrix<double>& local() { return local_; }
  [[nodiscard]] const Matrix<double>& local() const { return local_; }
  [[nodiscard]] const BlacsGrid& grid() const { return grid_; }

  // Rows (or columns) of a block-cyclic dimension of `n` in blocks of
  // `block` that grid row (or column) `p` of `nprocs` holds (ScaLAPACK's numroc).
  [[nodiscard]] static int local_count(int n, int block, int p, int nprocs);
  // Global index of local row / column `i` on grid row / column `p`.
  [[nodiscard]] static int global_index(int i, int block, int p, int nprocs) {
    return (i / block * nprocs + p) * block + i % block;
  }
  // Local index of global row / column `g` on grid row / column `p`, or -1
  // where another process holds it.
  [[nodiscard]] static int local_index(int g, int block, int p, int nprocs) {
    if ((g / block) % nprocs != p) return -1;
    return (g / block / nprocs) * block + g % block;
  }
  // Adds `value` to every diagonal entry (square matrices).
  void add_to_diagonal(double value);

 private:
  // The full matrix from every rank's local blocks, in rank order.
  [[nodiscard]] Matrix<double> assemble(const std::vector<double>& all,
                                        const std::vector<std::size_t>& counts) const;

  const BlacsGrid& grid_;
  int rows_, cols_, block_;
  Matrix<double> local_;
};

// The largest block size up to `block` that gives every process of a
// rows x cols grid a block of an n x n matrix: pdsyevd hangs when a process
// holds no block of a matrix that others hold several of (seen with n = 7,
// block 16 on 1 x 2).
[[nodiscard]] int fitting_block(int n, int block, int rows, int cols);
// Whether an n x n matrix gives every process of a rows x cols grid a row
// and a column at all (in blocks of 1); pdsyevd may hang where it does not.
[[nodiscard]] bool fills_grid(int n, int rows, int cols);

}  // namespace b2m::solvers
