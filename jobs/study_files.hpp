// Reading and writing the study's file kinds (docs/formats.md) in terms of
// the analysis types: feature files, design files, events trees.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "mpi/partition.hpp"

#include "analysis/feature_alignment.hpp"
#include "io/h5_file.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

// Where a design comes from when it is aligned on the fly.
struct AlignmentOptions {
  std::string features;    // feature file with clip embeddings
  std::string space;       // feature space in it
  std::string events_dir;  // BIDS func directory with the events files
  std::vector<int> delays = {1, 2, 3, 4};
  double tr = 1.5;
};

// A column-major matrix as the row-major buffer HDF5 hyperslabs expect.
template <class T>
[[nodiscard]] std::vector<T> row_major(const solvers::Matrix<T>& m) {
  std::vector<T> out(static_cast<std::size_t>(m.size()));
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      out.data(), m.rows(), m.cols()) = m;
  return out;
}

// Run row ranges from the per-row run labels of a responses file: each run
// must be one contiguous block of at least two rows. `where` names the data.
[[nodiscard]] std::vector<mpi::Range> run_ranges(const std::vector<std::int64_t>& labels,
                                                 const std::string& where);

// The shape of a responses file (docs/formats.md).
struct ResponsesLayout {
  std::size_t n = 0, m = 0, voxels = 0;
  std::vector<mpi::Range> runs;
  // Test rows per test clip, from the optional `ids` attribute of /test
  // (one id per clip); 0 where the file does not say.
  std::size_t test_clip_rows = 0;
};
// Checks that /train/Y [n, V], /test/Y [m, V] and /train/run [n] agree, that
// there is a voxel, that the runs are contiguous and that the test clip ids,
// if given, divide the test rows evenly; errors name the file.
[[nodiscard]] ResponsesLayout read_responses_layout(const io::H5File& f);
// Test rows per clip given `clips` test clip ids for `rows` test rows of
// `file`; an error unless they divide evenly.
[[nodiscard]] std::size_t rows_per_clip(std::size_t rows, std::size_t clips,
                                        const std::string& file);

// Reads rows x [cols] of a [rows, V] dataset into a column-major matrix.
// Collective: every rank reads, even with an empty selection.
template <class T>
[[nodiscard]] solvers::Matrix<T> read_block(const io::H5File& f, const std::string& dataset,
                                            std::size_t rows, mpi::Range cols) {
  std::vector<T> flat(rows * cols.size());
  f.read<T>(dataset, {0, cols.begin}, {cols.empty() ? 0 : rows, cols.size()}, flat.data());
  using RM = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RM>(flat.data(), static_cast<Eigen::Index>(rows),
                              static_cast<Eigen::Index>(cols.size()));
}

// Throws an InputError naming the first non-finite value of a block whose
// columns are voxels cols.begin, cols.begin + 1, ... of `where`.
template <class T>
void check_finite(const solvers::Matrix<T>& block, const std::string& where, mpi::Range cols) {
  for (Eigen::Index j = 0; j < block.cols(); ++j)
    for (Eigen::Index i = 0; i < block.rows(); ++i)
      if (!std::isfinite(block(i, j)))
        throw InputError(where + ": non-finite value at row " + std::to_string(i) + ", voxel " +
                         std::to_string(cols.begin + static_cast<std::size_t>(j)));
}

// The embeddings of one space of a feature file.
[[nodiscard]] analysis::ClipEmbeddings read_clip_embeddings(const io::H5File& file,
                                                            const std::string& space);
void write_clip_embeddings(io::H5File& file, const std::string& space,
                           const analysis::ClipEmbeddings& clips);

// The design of a space, aligned from a feature file and an events directory
// (collective: every rank builds the same design).
[[nodiscard]] analysis::Design align_design(const AlignmentOptions& alignment,
                                            const mpi::Comm& comm);

// The events files of a directory that a design depends on (for provenance).
[[nodiscard]] std::vector<std::string> events_files(const std::string& events_dir);

}  // namespace b2m::jobs
