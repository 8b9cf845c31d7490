// Per-ROI summaries of a per-voxel score (b2m stats' --roi-summary): for
// each ROI of a subject the voxel count, mean and median of the score and
// the fraction of voxels in each significance mask; and the same figures
// across subjects, as mean +- sd of the subjects' values (subjects whose ROI
// has no finite score are left out of its mean).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace b2m::analysis {

struct RoiScores {
  std::string roi;
  std::size_t voxels = 0;        // voxels with a finite score
  double mean = 0, median = 0;   // of the score (NaN: no voxel)
  std::vector<double> fraction;  // per mask: share of the voxels in it
};

// One entry per ROI name, in name order of the atlas (label l is names[l]).
// `masks` are per-voxel 0/1 vectors (e.g. q < 0.05, family-wise p < 0.05).
[[nodiscard]] std::vector<RoiScores> roi_scores(
    const std::vector<std::int64_t>& label, const std::vector<std::string>& names,
    const std::vector<double>& score, const std::vector<std::vector<std::uint8_t>>& masks);

struct RoiAcross {
  std::string roi;
  std::size_t subjects = 0;                // with a finite mean score
  std::pair<double, double> mean, median;  // mean +- sd over subjects
  std::vector<std::pair<double, double>> fraction;
};

// Across subjects, for ROIs matched by name (the union of the subjects' ROIs,
// in first-seen order).
[[nodiscard]] std::vector<RoiAcross> roi_across_subjects(
    const std::vector<std::vector<RoiScores>>& subjects);

}  // namespace b2m::analysis
