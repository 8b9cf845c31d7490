#include "io/brain_mask.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace b2m::io {

std::array<std::int32_t, 3> BrainMask::ijk(std::size_t voxel) const {
  const std::size_t at = index[voxel];
  const std::size_t nx = geometry.dims[0], ny = geometry.dims[1];
  return {static_cast<std::int32_t>(at % nx), static_cast<std::int32_t>((at / nx) % ny),
          static_cast<std::int32_t>(at / (nx * ny))};
}

std::map<std::int64_t, std::string> read_label_names(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read the label names " + path);
  std::map<std::int64_t, std::string> out;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    std::istringstream fields(line.substr(start));
    std::string label, name;
    fields >> label;
    std::getline(fields >> std::ws, name);
    std::size_t used = 0;
    std::int64_t value = 0;
    try {
      value = std::stoll(label, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != label.size() || used == 0) {
      if (out.empty() && number == 1) continue;  // a header line
      throw InputError(path + ":" + std::to_string(number) + ": '" + label +
                       "' is not an integer label");
    }
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    if (name.empty())
      throw InputError(path + ":" + std::to_string(number) + ": label " + label + " has no name");
    if (!out.emplace(value, name).second)
      throw InputError(path + ":" + std::to_string(number) + ": label " + label +
                       " is named twice");
  }
  if (out.empty()) throw InputError(path + ": no label names");
  return out;
}

BrainMask read_brain_mask(const std::string& mask, const std::string& atlas,
                          const std::string& names) {
  BrainMask out;
  out.source = mask;
  const std::vector<float> in = read_nifti_volume(mask, out.geometry);
  for (std::size_t i = 0; i < in.size(); ++i)
    if (in[i] != 0 && !std::isnan(in[i])) out.index.push_back(i);
  if (out.index.empty()) throw InputError(mask + ": the mask has no voxel");
  if (atlas.empty()) return out;

  Geometry grid;
  const std::vector<float> labels = read_nifti_volume(atlas, grid);
  if (!grid.same_grid(out.geometry))
    throw InputError(atlas + ": the atlas grid (" + grid.describe() +
                     ") differs from the mask's, " + mask + " (" + out.geometry.describe() + ")");
  std::map<std::int64_t, std::string> table = read_label_names(names);
  std::set<std::int64_t> present;
  for (std::size_t at : out.index) {
    const float l = labels[at];
    if (!(std::abs(l - std::round(l)) < 1e-3))
      throw InputError(atlas + ": label " + std::to_string(l) + " at voxel " + std::to_string(at) +
                       " is not an integer");
    present.insert(std::llround(l));
  }
  if (present.count(0) && !table.count(0)) table[0] = "unlabelled";
  for (std::int64_t l : present)
    if (!table.count(l))
      throw InputError(atlas + ": label " + std::to_string(l) + " (in the mask) has no name in " +
                       names);
  std::map<std::int64_t, std::int32_t> dense;
  for (const auto& [label, name] : table) {
    dense[label] = static_cast<std::int32_t>(out.names.size());
    out.names.push_back(name);
    out.labels.push_back(label);
  }
  for (std::size_t at : out.index) out.roi.push_back(dense.at(std::llround(labels[at])));
  return out;
}

}  // namespace b2m::io
