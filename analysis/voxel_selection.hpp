// Which voxels a decoding model reads: all of them, the best scored by an
// encoding model, or those of named atlas ROIs (optionally one model per
// ROI, Brain2Music's ensemble).
#pragma once

#include <string>
#include <vector>

#include "io/responses_file.hpp"
#include "mpi/partition.hpp"

namespace b2m::analysis {

struct VoxelSelection {
  std::vector<std::size_t> voxels;    // sorted
  std::vector<std::size_t> model_of;  // one model per ROI: each voxel's model
  std::vector<std::string> models;    // one model per ROI: the ROI names
};

[[nodiscard]] VoxelSelection all_voxels(std::size_t voxels);

// The `count` voxels of highest `score` (ties: the lower index first);
// non-finite scores are never chosen. `source` names the scores in errors.
[[nodiscard]] VoxelSelection best_scored_voxels(const std::vector<double>& score, std::size_t count,
                                                const std::string& source);

// The voxels of the ROIs named `rois` (all labelled ROIs if empty). With
// `models_top` > 0, one model per ROI that has voxels, of which at least
// `models_top` must exist. A named ROI that is not in the atlas, or has no
// voxels, is an InputError naming `source`.
[[nodiscard]] VoxelSelection roi_voxels(const io::Atlas& atlas,
                                        const std::vector<std::string>& rois,
                                        std::size_t models_top, const std::string& source);

// The selected voxels one rank reads (sorted file columns), the columns of
// the file scanned for them, and where the first sits among all selected
// voxels (meaningful for even shares, whose voxels are consecutive there).
struct VoxelShare {
  std::vector<std::size_t> voxels;
  std::vector<std::size_t> model_of;  // ROI shares: each voxel's model
  mpi::Range span;
  std::size_t first = 0;
};

// For a whole model: the selected voxels in part `rank` of `ranks` even
// parts of the file's `voxels` columns.
[[nodiscard]] VoxelShare even_share(const VoxelSelection& sel, std::size_t voxels,
                                    std::size_t ranks, std::size_t rank);
// For ROI models: the voxels of `models` (ascending), scanned over the file
// columns from the first to the last of them.
[[nodiscard]] VoxelShare roi_share(const VoxelSelection& sel,
                                   const std::vector<std::size_t>& models);

// The ROI models rank `rank` of `ranks` fits (model % ranks), in batches
// whose inputs (every one of `samples` samples of their voxels, in double)
// stay within `budget` bytes; a model larger than that is a batch of its
// own. Holding all of a rank's ROI voxels at once took 3.5 GB at V = 60,000
// on one rank.
[[nodiscard]] std::vector<std::vector<std::size_t>> roi_batches(const VoxelSelection& sel,
                                                                std::size_t samples,
                                                                std::size_t budget,
                                                                std::size_t ranks,
                                                                std::size_t rank);

}  // namespace b2m::analysis
