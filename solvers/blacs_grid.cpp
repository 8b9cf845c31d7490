#include "solvers/blacs_grid.hpp"

#include <string>

#include "core/error.hpp"
#include "mpi/mpi_error.hpp"
#include "solvers/lapack_imports.hpp"

namespace b2m::solvers {

BlacsGrid::BlacsGrid(const mpi::Comm& comm, int rows, int cols)
    : comm_(comm), rows_(rows), cols_(cols) {
  if (rows < 1 || cols < 1 || rows * cols != comm.size())
    throw ConfigError("a " + std::to_string(rows) + " x " + std::to_string(cols) +
                      " process grid needs " + std::to_string(rows * cols) +
                      " ranks, the communicator has " + std::to_string(comm.size()));
  system_handle_ = Csys2blacs_handle(comm.raw());
  context_ = system_handle_;
  Cblacs_gridinit(&context_, "Row", rows, cols);
  int r = 0, c = 0;
  Cblacs_gridinfo(context_, &r, &c, &row_, &col_);
  // BLACS reports failures only through the grid it hands back.
  if (r != rows || c != cols || row_ != comm.rank() / cols || col_ != comm.rank() % cols) {
    Cfree_blacs_system_handle(system_handle_);
    throw mpi::MpiError("Cblacs_gridinit (a " + std::to_string(rows) + " x " +
                            std::to_string(cols) + " grid came back as " + std::to_string(r) +
                            " x " + std::to_string(c) + ")",
                        MPI_ERR_OTHER, __FILE__, __LINE__);
  }
}

BlacsGrid::~BlacsGrid() noexcept {
  Cblacs_gridexit(context_);
  Cfree_blacs_system_handle(system_handle_);
}

std::pair<int, int> BlacsGrid::square_shape(int ranks) {
  int rows = 1;
  for (int r = 1; r * r <= ranks; ++r)
    if (ranks % r == 0) rows = r;
  return {rows, ranks / rows};
}

}  // namespace b2m::solvers
