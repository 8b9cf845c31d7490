#include "analysis/roi_summary.hpp"

#include <cmath>
#include <limits>
#include <map>

#include "analysis/summary_stats.hpp"
#include "core/error.hpp"

namespace b2m::analysis {

std::vector<RoiScores> roi_scores(const std::vector<std::int64_t>& label,
                                  const std::vector<std::string>& names,
                                  const std::vector<double>& score,
                                  const std::vector<std::vector<std::uint8_t>>& masks) {
  if (label.size() != score.size())
    throw ConfigError("roi_scores: " + std::to_string(label.size()) + " labels for " +
                      std::to_string(score.size()) + " scores");
  for (const auto& mask : masks)
    if (mask.size() != score.size()) throw ConfigError("roi_scores: a mask of the wrong length");
  std::vector<std::vector<std::size_t>> members(names.size());
  for (std::size_t v = 0; v < label.size(); ++v)
    if (label[v] >= 0 && std::size_t(label[v]) < names.size() && std::isfinite(score[v]))
      members[std::size_t(label[v])].push_back(v);
  std::vector<RoiScores> out;
  for (std::size_t l = 0; l < names.size(); ++l) {
    RoiScores s;
    s.roi = names[l];
    s.voxels = members[l].size();
    std::vector<double> values;
    for (std::size_t v : members[l]) values.push_back(score[v]);
    s.mean = mean_finite(values);
    s.median = median_finite(values);
    for (const auto& mask : masks) {
      std::size_t in = 0;
      for (std::size_t v : members[l]) in += mask[v] != 0 ? 1 : 0;
      s.fraction.push_back(s.voxels == 0 ? std::numeric_limits<double>::quiet_NaN()
                                         : double(in) / double(s.voxels));
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<RoiAcross> roi_across_subjects(const std::vector<std::vector<RoiScores>>& subjects) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const RoiScores*>> by_roi;
  std::size_t masks = 0;
  for (const auto& subject : subjects)
    for (const RoiScores& s : subject) {
      if (by_roi.find(s.roi) == by_roi.end()) order.push_back(s.roi);
      masks = std::max(masks, s.fraction.size());
      if (std::isfinite(s.mean))
        by_roi[s.roi].push_back(&s);
      else
        by_roi[s.roi];
    }
  std::vector<RoiAcross> out;
  for (const std::string& roi : order) {
    const auto& list = by_roi[roi];
    RoiAcross a;
    a.roi = roi;
    a.subjects = list.size();
    const auto over = [&](auto value) {
      std::vector<double> v;
      for (const RoiScores* s : list) v.push_back(value(*s));
      if (v.empty())
        return std::pair(std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::quiet_NaN());
      return mean_sd(v);
    };
    a.mean = over([](const RoiScores& s) { return s.mean; });
    a.median = over([](const RoiScores& s) { return s.median; });
    for (std::size_t k = 0; k < masks; ++k)
      a.fraction.push_back(over([&](const RoiScores& s) {
        return k < s.fraction.size() ? s.fraction[k] : std::numeric_limits<double>::quiet_NaN();
      }));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace b2m::analysis
