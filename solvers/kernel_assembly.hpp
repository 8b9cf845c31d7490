// Linear kernels K = X X^T of n samples over features that no rank holds
// whole (decode's voxels): every rank adds the products of its own column
// chunks of X, and the partial kernels are summed over the ranks. With the
// training kernel comes the cross kernel K_test = X_test X^T of the test
// samples (n_test x n, on every rank).
//
//   ReplicatedKernel: every rank ends with all of K. Chunks are added as
//     rank updates of the lower triangle, mirrored and summed at the end.
//   BlockCyclicKernel: K stays block-cyclic on a ScaLAPACK grid, so that no
//     rank holds an n x n matrix: each chunk's contribution to every
//     process's lower tiles is reduced onto that process right away (the
//     distributed solver reads only the lower triangle).
//
// Both take chunks of any width, empty ones included, and give the same K
// to round-off whatever the chunking and the rank count.
#pragma once

#include <vector>

#include "mpi/comm.hpp"
#include "solvers/distributed_matrix.hpp"
#include "solvers/matrix.hpp"

namespace b2m::solvers {

class ReplicatedKernel {
 public:
  ReplicatedKernel(Eigen::Index n, Eigen::Index n_test);
  // Adds a chunk's training (n x c) and test (n_test x c) columns. Local.
  void add(const Matrix<double>& train, const Matrix<double>& test);
  // Sums over `comm`; K and K_test are then whole on every rank. Collective.
  void finish(const mpi::Comm& comm);
  [[nodiscard]] Matrix<double>& kernel() { return k_; }
  [[nodiscard]] Matrix<double>& test_kernel() { return k_test_; }

 private:
  Matrix<double> k_, k_test_;
};

// The lower triangle of a block-cyclic n x n matrix as process (prow, pcol)
// of its grid holds it: per panel of `block` local columns, the local rows
// from `first` on (below them the panel's tiles reach the diagonal; above,
// they lie wholly in the upper triangle). Packed one panel after another,
// it is about half the process's tiles.
struct LowerTiles {
  struct Panel {
    int col, global_col, width, first;
    std::size_t offset;  // in the packed buffer; leading dimension rows - first
  };
  int prow = 0, rows = 0;  // the process row and its local rows
  std::vector<Panel> panels;
  std::size_t size = 0;  // packed values
};
[[nodiscard]] LowerTiles lower_tiles(const DistributedMatrix& k, int prow, int pcol);

// The packed lower tiles `t` of x x^T for a chunk x (n x c): `out` is
// resized to t.size (a buffer reused from chunk to chunk: a fresh one per
// chunk cost a page fault per 4 KB).
void pack_lower_tiles(const Matrix<double>& x, const LowerTiles& t, const DistributedMatrix& k,
                      std::vector<double>& out);

class BlockCyclicKernel {
 public:
  // Accumulates into `k` (n x n, zero), whose grid spans the ranks.
  BlockCyclicKernel(DistributedMatrix& k, Eigen::Index n_test);
  // Adds a chunk (every rank calls it equally often: it reduces the
  // chunk's contribution onto each process). Collective. Each chunk sends
  // about n^2 / 2 values whatever its width.
  void add(const Matrix<double>& train, const Matrix<double>& test);
  // Sums K_test over the grid and frees the assembly's buffers. Collective.
  void finish();
  [[nodiscard]] Matrix<double>& test_kernel() { return k_test_; }

 private:
  DistributedMatrix& k_;
  Matrix<double> k_test_;
  std::vector<LowerTiles> tiles_;  // per process of the grid (rank order)
  std::vector<double> part_;
};

}  // namespace b2m::solvers
