// A BLACS process grid over a communicator: the grid every distributed
// matrix (distributed_matrix.hpp) lives on. The BLACS system handle and the
// grid context are owned here and released in the destructor; the context
// number itself reaches only the ScaLAPACK wrappers (scalapack.cpp), which
// derive each matrix's descriptor from it.
#pragma once

#include <utility>

#include "mpi/comm.hpp"

namespace b2m::solvers {

namespace scalapack {
struct Access;  // scalapack.cpp: the one reader of the context
}

class BlacsGrid {
 public:
  // All ranks of `comm`, row-major: rank r sits at (r / cols, r % cols).
  // rows * cols must equal comm.size(). Collective over `comm`.
  BlacsGrid(const mpi::Comm& comm, int rows, int cols);
  ~BlacsGrid() noexcept;
  BlacsGrid(const BlacsGrid&) = delete;
  BlacsGrid& operator=(const BlacsGrid&) = delete;

  // The most nearly square shape rows x cols = ranks, rows <= cols.
  [[nodiscard]] static std::pair<int, int> square_shape(int ranks);

  [[nodiscard]] int rows() const { return rows_; }
  [[nodiscard]] int cols() const { return cols_; }
  [[nodiscard]] int row() const { return row_; }
  [[nodiscard]] int col() const { return col_; }
  [[nodiscard]] const mpi::Comm& comm() const { return comm_; }

 private:
  friend struct scalapack::Access;
  const mpi::Comm& comm_;
  int system_handle_ = -1;
  int context_ = -1;
  int rows_ = 0, cols_ = 0, row_ = -1, col_ = -1;
};

}  // namespace b2m::solvers
