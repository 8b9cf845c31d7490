// The voxels of a subject that b2m models: the non-zero voxels of a mask
// image, in the image's storage order (i fastest, then j, then k), with their
// ROI from an atlas image on the same grid and a table of label names
// (Destrieux's 150 parcels, say). What `prepare` reads before the bold runs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/nifti.hpp"

namespace b2m::io {

struct BrainMask {
  std::string source;  // the mask's path
  Geometry geometry;
  std::vector<std::size_t> index;  // linear storage index of each voxel
  // With an atlas: each voxel's ROI (index into names) and the atlas label
  // value of each name (label 0, where the atlas leaves a mask voxel
  // unlabelled, is named "unlabelled" unless the table names it).
  std::vector<std::int32_t> roi;
  std::vector<std::string> names;
  std::vector<std::int64_t> labels;
  [[nodiscard]] std::size_t voxels() const { return index.size(); }
  // The voxel's i, j, k.
  [[nodiscard]] std::array<std::int32_t, 3> ijk(std::size_t voxel) const;
};

// A label table: one label per line, "LABEL<tab or spaces>NAME"; blank lines,
// lines starting with '#' and a header line whose first field is not an
// integer are skipped. An InputError naming the file and line otherwise, or
// for a label named twice.
[[nodiscard]] std::map<std::int64_t, std::string> read_label_names(const std::string& path);

// The mask (non-zero = in), and with `atlas` non-empty the atlas (integer
// labels) and its names. Errors name the files: no voxel in the mask, an
// atlas on another grid, a non-integer label, a label in the mask without a
// name.
[[nodiscard]] BrainMask read_brain_mask(const std::string& mask, const std::string& atlas,
                                        const std::string& names);

}  // namespace b2m::io
