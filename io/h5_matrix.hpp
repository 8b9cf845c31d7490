// Eigen matrices as hyperslabs of 2-D (or, for a leading index, 3-D) HDF5
// datasets, which are row-major. Reads of voxel columns come back
// column-major (one voxel, one contiguous column: the layout of every
// solver). Writes take whole row-major matrices: results that are mostly
// written (scores per fold, weights, simulated responses) are computed
// row-major and written from where they were computed; any other argument
// (column-major, a block) converts to a temporary row-major matrix, the one
// transposing copy HDF5 needs. A whole matrix is contiguous on every rank,
// so no rank can fail a layout check that its peers pass.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/h5_file.hpp"
#include "mpi/partition.hpp"

namespace b2m::io {

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ColMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

// Reads rows x [cols] of a [rows, V] dataset into a column-major matrix.
// Collective: every rank reads, even with an empty selection.
template <class T>
[[nodiscard]] ColMajor<T> read_columns(const H5File& f, const std::string& dataset,
                                       std::size_t rows, mpi::Range cols) {
  RowMajor<T> block(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols.size()));
  f.read<T>(dataset, {0, cols.begin}, {cols.empty() ? 0 : rows, cols.size()}, block.data());
  return block;
}

// The rows and columns `m` writes: none for an empty matrix, whose rank
// joins the collective transfer without writing.
template <class T>
[[nodiscard]] Shape written_extent(const RowMajor<T>& m) {
  if (m.rows() == 0 || m.cols() == 0) return {0, 0};
  return {static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())};
}

// Writes `m` at row `row`, column `col` of a 2-D dataset.
template <class T>
void write_rows(H5File& f, const std::string& dataset, std::size_t row, std::size_t col,
                const RowMajor<T>& m) {
  f.write<T>(dataset, {row, col}, written_extent<T>(m), m.data());
}

// The same for slice `index` of a 3-D dataset [slices, rows, cols].
template <class T>
void write_slice(H5File& f, const std::string& dataset, std::size_t index, std::size_t col,
                 const RowMajor<T>& m) {
  const Shape extent = written_extent<T>(m);
  f.write<T>(dataset, {index, 0, col}, {extent[0] ? 1u : 0u, extent[0], extent[1]}, m.data());
}

// Columns `cols` of slice `index` of a 3-D dataset [slices, rows, cols]
// (collective; an empty range joins without reading).
template <class T>
[[nodiscard]] ColMajor<T> read_slice_columns(const H5File& f, const std::string& dataset,
                                             std::size_t index, std::size_t rows, mpi::Range cols) {
  RowMajor<T> block(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols.size()));
  const std::size_t n = cols.empty() ? 0 : 1;
  f.read<T>(dataset, {index, 0, cols.begin}, {n, n * rows, cols.size()}, block.data());
  return block;
}

// Creates a 2-D dataset of m's shape and writes rank 0's `m` into it.
template <class T>
void write_matrix(H5File& f, const std::string& dataset, const RowMajor<T>& m) {
  f.create<T>(dataset, {static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())});
  if (f.comm().is_root())
    write_rows<T>(f, dataset, 0, 0, m);
  else
    write_rows<T>(f, dataset, 0, 0, RowMajor<T>());
}

// Throws an InputError naming the first non-finite value of a block whose
// columns are voxels cols.begin, cols.begin + 1, ... of `where`.
template <class T>
void check_finite(const ColMajor<T>& block, const std::string& where, mpi::Range cols) {
  for (Eigen::Index j = 0; j < block.cols(); ++j)
    for (Eigen::Index i = 0; i < block.rows(); ++i)
      if (!std::isfinite(block(i, j)))
        throw InputError(where + ": non-finite value at row " + std::to_string(i) + ", voxel " +
                         std::to_string(cols.begin + static_cast<std::size_t>(j)));
}

}  // namespace b2m::io
