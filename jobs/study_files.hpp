// Reading and writing the study's file kinds (docs/formats.md) in terms of
// the analysis types: feature files, design files, events trees.
#pragma once

#include <string>
#include <vector>

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
