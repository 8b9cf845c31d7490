#include "solvers/kernel_assembly.hpp"

#include <algorithm>

#include "solvers/lapack.hpp"

namespace b2m::solvers {

ReplicatedKernel::ReplicatedKernel(Eigen::Index n, Eigen::Index n_test)
    : k_(Matrix<double>::Zero(n, n)), k_test_(Matrix<double>::Zero(n_test, n)) {}

void ReplicatedKernel::add(const Matrix<double>& train, const Matrix<double>& test) {
  if (train.cols() == 0) return;
  k_.selfadjointView<Eigen::Lower>().rankUpdate(train);
  k_test_.noalias() += test * train.transpose();
}

void ReplicatedKernel::finish(const mpi::Comm& comm) {
  Matrix<double> full = k_.selfadjointView<Eigen::Lower>();
  k_ = std::move(full);
  comm.allreduce_in_place(k_.data(), static_cast<std::size_t>(k_.size()), mpi::Op::sum);
  comm.allreduce_in_place(k_test_.data(), static_cast<std::size_t>(k_test_.size()), mpi::Op::sum);
}

LowerTiles lower_tiles(const DistributedMatrix& k, int prow, int pcol) {
  const BlacsGrid& grid = k.grid();
  const int n = k.rows(), nb = k.block();
  LowerTiles t;
  t.prow = prow;
  t.rows = DistributedMatrix::local_count(n, nb, prow, grid.rows());
  const int cols = DistributedMatrix::local_count(n, nb, pcol, grid.cols());
  for (int lj = 0; lj < cols; lj += nb) {
    const int gj = DistributedMatrix::global_index(lj, nb, pcol, grid.cols());
    int first = 0;
    while (first < t.rows && DistributedMatrix::global_index(first, nb, prow, grid.rows()) +
                                     std::min(nb, t.rows - first) <=
                                 gj)
      first += nb;
    first = std::min(first, t.rows);
    const int width = std::min(nb, cols - lj);
    t.panels.push_back({lj, gj, width, first, t.size});
    t.size += std::size_t(t.rows - first) * std::size_t(width);
  }
  return t;
}

void pack_lower_tiles(const Matrix<double>& x, const LowerTiles& t, const DistributedMatrix& k,
                      std::vector<double>& out) {
  const BlacsGrid& grid = k.grid();
  const int nb = k.block();
  out.resize(t.size);
  const auto ld = static_cast<int>(x.outerStride());
  const auto voxels = static_cast<int>(x.cols());
  if (voxels == 0) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  for (const LowerTiles::Panel& p : t.panels) {
    const int height = t.rows - p.first;
    double* panel = out.data() + p.offset;
    const double* right = x.data() + p.global_col;
    if (grid.rows() == 1) {  // every row is local: the panel is one product
      lapack::gemm_nt(height, p.width, voxels, x.data() + p.first, ld, right, ld, 0.0, panel,
                      height);
      continue;
    }
    for (int li = p.first; li < t.rows; li += nb) {
      const int gi = DistributedMatrix::global_index(li, nb, t.prow, grid.rows());
      lapack::gemm_nt(std::min(nb, t.rows - li), p.width, voxels, x.data() + gi, ld, right, ld, 0.0,
                      panel + (li - p.first), height);
    }
  }
}

BlockCyclicKernel::BlockCyclicKernel(DistributedMatrix& k, Eigen::Index n_test)
    : k_(k), k_test_(Matrix<double>::Zero(n_test, k.rows())) {
  const BlacsGrid& grid = k.grid();
  for (int owner = 0; owner < grid.comm().size(); ++owner)
    tiles_.push_back(lower_tiles(k, owner / grid.cols(), owner % grid.cols()));
}

void BlockCyclicKernel::add(const Matrix<double>& train, const Matrix<double>& test) {
  const mpi::Comm& comm = k_.grid().comm();
  if (train.cols() > 0) k_test_.noalias() += test * train.transpose();
  for (int owner = 0; owner < comm.size(); ++owner) {
    const LowerTiles& t = tiles_[static_cast<std::size_t>(owner)];
    pack_lower_tiles(train, t, k_, part_);
    comm.reduce_in_place(part_.data(), part_.size(), mpi::Op::sum, owner);
    if (owner != comm.rank()) continue;
    for (const LowerTiles::Panel& p : t.panels)
      k_.local().block(p.first, p.col, t.rows - p.first, p.width) +=
          Eigen::Map<const Matrix<double>>(part_.data() + p.offset, t.rows - p.first, p.width);
  }
}

void BlockCyclicKernel::finish() {
  // The packed-tile buffer (about n^2 / (2 ranks) values) must not outlive
  // the assembly: the solve that follows has the peak memory.
  std::vector<double>().swap(part_);
  k_.grid().comm().allreduce_in_place(k_test_.data(), static_cast<std::size_t>(k_test_.size()),
                                      mpi::Op::sum);
}

}  // namespace b2m::solvers
