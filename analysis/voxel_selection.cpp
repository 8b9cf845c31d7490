#include "analysis/voxel_selection.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

std::int64_t roi_label(const io::Atlas& atlas, const std::string& name, const std::string& where) {
  const auto found = std::find(atlas.names.begin(), atlas.names.end(), name);
  if (found == atlas.names.end()) {
    std::string known;
    for (const auto& n : atlas.names) known += (known.empty() ? "" : ", ") + n;
    throw InputError(where + ": no ROI named '" + name + "' (ROIs: " + known + ")");
  }
  return found - atlas.names.begin();
}

}  // namespace

VoxelSelection all_voxels(std::size_t voxels) {
  VoxelSelection s;
  s.voxels.resize(voxels);
  std::iota(s.voxels.begin(), s.voxels.end(), std::size_t{0});
  return s;
}

VoxelSelection best_scored_voxels(const std::vector<double>& score, std::size_t count,
                                  const std::string& source) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < score.size(); ++i)
    if (std::isfinite(score[i])) order.push_back(i);
  if (order.size() < count)
    throw InputError(source + ": asked for the top " + std::to_string(count) + " voxels, only " +
                     std::to_string(order.size()) + " have a finite cv_score");
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  order.resize(count);
  std::sort(order.begin(), order.end());
  VoxelSelection s;
  s.voxels = std::move(order);
  return s;
}

VoxelSelection roi_voxels(const io::Atlas& atlas, const std::vector<std::string>& rois,
                          std::size_t models_top, const std::string& source) {
  std::vector<std::int64_t> wanted;
  for (const auto& name : rois) wanted.push_back(roi_label(atlas, name, source));
  if (wanted.empty())
    for (std::size_t l = 0; l < atlas.names.size(); ++l)
      wanted.push_back(static_cast<std::int64_t>(l));
  std::vector<std::size_t> count(atlas.names.size(), 0);
  for (std::int64_t l : atlas.label) ++count[static_cast<std::size_t>(l)];
  VoxelSelection s;
  std::vector<long> model(atlas.names.size(), -1);
  for (std::int64_t l : wanted) {
    const auto li = static_cast<std::size_t>(l);
    if (count[li] == 0) {
      if (!rois.empty()) throw InputError(source + ": ROI '" + atlas.names[li] + "' has no voxels");
      continue;  // an atlas label without voxels gets no model
    }
    if (model[li] < 0) {
      model[li] = static_cast<long>(s.models.size());
      s.models.push_back(atlas.names[li]);
    }
  }
  for (std::size_t i = 0; i < atlas.label.size(); ++i) {
    const long m = model[static_cast<std::size_t>(atlas.label[i])];
    if (m < 0) continue;
    s.voxels.push_back(i);
    if (models_top > 0) s.model_of.push_back(static_cast<std::size_t>(m));
  }
  if (models_top > s.models.size())
    throw ConfigError("the top " + std::to_string(models_top) + " of one model per ROI, but only " +
                      std::to_string(s.models.size()) + " ROIs have voxels in " + source);
  if (models_top == 0) s.models.clear();
  return s;
}

VoxelShare even_share(const VoxelSelection& sel, std::size_t voxels, std::size_t ranks,
                      std::size_t rank) {
  VoxelShare s;
  s.span = mpi::even_part(voxels, ranks, rank);
  const auto begin = std::lower_bound(sel.voxels.begin(), sel.voxels.end(), s.span.begin);
  const auto end = std::lower_bound(sel.voxels.begin(), sel.voxels.end(), s.span.end);
  s.voxels.assign(begin, end);
  s.first = static_cast<std::size_t>(begin - sel.voxels.begin());
  return s;
}

VoxelShare roi_share(const VoxelSelection& sel, const std::vector<std::size_t>& models) {
  VoxelShare s;
  for (std::size_t i = 0; i < sel.voxels.size(); ++i)
    if (std::binary_search(models.begin(), models.end(), sel.model_of[i])) {
      s.voxels.push_back(sel.voxels[i]);
      s.model_of.push_back(sel.model_of[i]);
    }
  if (!s.voxels.empty()) s.span = {s.voxels.front(), s.voxels.back() + 1};
  return s;
}

std::vector<std::vector<std::size_t>> roi_batches(const VoxelSelection& sel, std::size_t samples,
                                                  std::size_t budget, std::size_t ranks,
                                                  std::size_t rank) {
  std::vector<std::size_t> voxels(sel.models.size(), 0);
  for (std::size_t m : sel.model_of) ++voxels[m];
  std::vector<std::vector<std::size_t>> batches;
  std::size_t bytes = 0;
  for (std::size_t model = rank; model < sel.models.size(); model += ranks) {
    const std::size_t need = voxels[model] * samples * sizeof(double);
    if (batches.empty() || bytes + need > budget) {
      batches.emplace_back();
      bytes = 0;
    }
    batches.back().push_back(model);
    bytes += need;
  }
  return batches;
}

}  // namespace b2m::analysis
