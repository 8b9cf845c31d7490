// A BLACS process grid over a communicator: the context every ScaLAPACK call
// runs on. The BLACS system handle and the grid context are owned here and
// released in the destructor; nothing else sees them except as the context
// number a descriptor needs (solvers/distributed_matrix.hpp).
#pragma once

#include <utility>

#include "mpi/comm.hpp"

namespace b2m::mpi {

class BlacsGrid {
 public:
  // All ranks of `comm`, row-major: rank r sits at (r / cols, r % cols).
  // rows * cols must equal comm.size(). Collective over `comm`.
  BlacsGrid(const Comm& comm, int rows, int cols);
  ~BlacsGrid();
  BlacsGrid(const BlacsGrid&) = delete;
  BlacsGrid& operator=(const BlacsGrid&) = delete;

  // The most nearly square shape rows x cols = ranks, rows <= cols.
  [[nodiscard]] static std::pair<int, int> square_shape(int ranks);

  [[nodiscard]] int context() const { return context_; }
  [[nodiscard]] int rows() const { return rows_; }
  [[nodiscard]] int cols() const { return cols_; }
  [[nodiscard]] int row() const { return row_; }
  [[nodiscard]] int col() const { return col_; }
  [[nodiscard]] const Comm& comm() const { return comm_; }

 private:
  const Comm& comm_;
  int system_handle_ = -1;
  int context_ = -1;
  int rows_ = 0, cols_ = 0, row_ = -1, col_ = -1;
};

}  // namespace b2m::mpi
