// What each rank reads of a subject's responses for decoding: its share of
// the selected voxels, column chunk by column chunk, averaged into the
// decoding samples and standardized (training samples within each run, test
// samples together). No rank holds its voxels whole unless a batch of ROI
// models asks for them.
#pragma once

#include <functional>
#include <vector>

#include "analysis/decode_samples.hpp"
#include "analysis/voxel_selection.hpp"
#include "io/h5_file.hpp"
#include "io/responses_file.hpp"
#include "mpi/comm.hpp"
#include "solvers/matrix.hpp"

namespace b2m::jobs {

// A subject's responses as decode reads them.
struct DecodeSource {
  const io::H5File& responses;
  io::ResponsesLayout layout;
  analysis::DecodeSamples samples;
  std::vector<mpi::Range> runs;  // training sample ranges per run
};

// Voxels per collective read (at most; at least where the chunk is sized
// to the memory).
inline constexpr std::size_t kReadColumns = 4096;
inline constexpr std::size_t kMinReadColumns = 256;

// A chunk: training and test samples x its voxels, and the position of its
// first voxel among all selected voxels.
using ChunkUse = std::function<void(const solvers::Matrix<double>& train,
                                    const solvers::Matrix<double>& test, std::size_t first)>;

// Reads `mine` in chunks of `columns` file columns and hands each to `use`.
// Every rank calls `use` equally often, with empty chunks too, so `use` may
// run collectives. Collective.
void for_each_chunk(const DecodeSource& source, const analysis::VoxelShare& mine,
                    const mpi::Comm& comm, std::size_t columns, const ChunkUse& use);

// The voxels of a batch of ROI models (roi_share), held whole: training
// and test inputs (samples x voxels) and each column's model. Collective.
struct RoiInputs {
  solvers::Matrix<double> train, test;
  std::vector<std::size_t> model_of;
};
[[nodiscard]] RoiInputs read_roi_inputs(const DecodeSource& source,
                                        const analysis::VoxelShare& mine, const mpi::Comm& comm);

}  // namespace b2m::jobs
