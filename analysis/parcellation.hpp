// The parcels of the calibrated simulator (study_simulator.hpp): the 74
// cortical labels of the Destrieux atlas (FreeSurfer's aparc.a2009s) in each
// hemisphere, 148 in all, as the paper's ROI analyses used. Sizes follow a
// lognormal whose mean / median ratio (1.86) is Destrieux's (median about
// 140, mean about 260 voxels at 2 mm); they are scaled to the requested
// voxel count. A parcel's kind says how the stimulus drives it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mpi/partition.hpp"

namespace b2m::analysis {

enum class ParcelKind : std::uint8_t {
  primary,   // Heschl's gyrus and the transverse temporal sulcus
  belt,      // planum temporale and the lateral superior temporal gyrus
  adjacent,  // superior temporal sulcus, planum polare, posterior lateral fissure
  other,
};

struct Parcellation {
  std::vector<std::string> names;  // "lh.G_temp_sup-G_T_transv", ...
  std::vector<ParcelKind> kind;
  std::vector<mpi::Range> voxels;  // each parcel's voxels, contiguous and in order

  [[nodiscard]] std::size_t size() const { return names.size(); }
  // The parcel of voxel v.
  [[nodiscard]] std::size_t parcel_of(std::size_t v) const;
};

// `voxels` voxels in the 148 parcels (every parcel gets at least one voxel
// when there are enough). The auditory parcels get the mean size, so that
// the driven fraction does not hinge on a draw; the others' sizes are drawn
// from `seed`.
[[nodiscard]] Parcellation destrieux_parcellation(std::size_t voxels, std::uint64_t seed);

}  // namespace b2m::analysis
