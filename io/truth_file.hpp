// The simulator's ground truth of one subject (docs/formats.md,
// `sub-NN_truth.h5`): which feature spaces drive each voxel, its SNR and
// noise ceiling, and the true weights as basis @ loadings per space.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5_file.hpp"
#include "io/h5_matrix.hpp"

namespace b2m::io {

// The datasets of `voxels` voxels, with each space's basis (d x rank;
// rank 0's is written) and the generating parameters as attributes of
// /parameters. Collective.
void create_truth(H5File& f, const std::vector<std::string>& spaces,
                  const std::vector<ColMajor<float>>& basis, std::size_t voxels,
                  const std::vector<std::pair<std::string, double>>& parameters,
                  const std::string& preset);

// Voxels from `first` on: driver bits, SNR, noise ceiling, the share of the
// signal no space reads and per space the loadings (rank x voxels). Collective; a rank without
// voxels passes empty ones (and no loadings).
struct TruthBlock {
  const std::vector<std::uint8_t>& drivers;
  const std::vector<float>& snr;
  const std::vector<float>& noise_ceiling;
  const std::vector<float>& unread;
  const std::vector<ColMajor<float>>& loadings;
};
void write_truth(H5File& f, std::size_t first, const TruthBlock& block);

}  // namespace b2m::io
