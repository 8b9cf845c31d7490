#include "jobs/roi_table.hpp"

#include <utility>

namespace b2m::jobs {
namespace {

nlohmann::json pair(std::pair<double, double> v) {
  return nlohmann::json::array({io::number(v.first), io::number(v.second)});
}

std::vector<io::Column> columns(const std::string& group, const std::string& mean,
                                const std::string& median, const std::vector<std::string>& masks) {
  std::vector<io::Column> out = {io::text("subject"),   io::text(group),     io::text("roi"),
                                 io::count("subjects"), io::count("voxels"), io::mean_sd(mean),
                                 io::mean_sd(median)};
  for (const std::string& m : masks) out.push_back(io::mean_sd("fraction_" + m));
  return out;
}

}  // namespace

RoiTable::RoiTable(std::string group, const std::string& score, std::vector<std::string> masks)
    : group_(std::move(group)),
      mean_(score.empty() ? "mean" : "mean_" + score),
      median_(score.empty() ? "median" : "median_" + score),
      masks_(std::move(masks)),
      table_(columns(group_, mean_, median_, masks_)) {}

void RoiTable::add(const std::string& subject, const std::string& group_value,
                   std::vector<analysis::RoiScores> scores) {
  for (const analysis::RoiScores& s : scores) {
    nlohmann::json row = {{"subject", subject},
                          {group_, group_value},
                          {"roi", s.roi},
                          {"subjects", 1},
                          {"voxels", s.voxels},
                          {mean_, pair({s.mean, 0.0})},
                          {median_, pair({s.median, 0.0})}};
    for (std::size_t m = 0; m < masks_.size(); ++m)
      row["fraction_" + masks_[m]] = pair({s.fraction[m], 0.0});
    table_.add(row);
  }
  if (by_group_.find(group_value) == by_group_.end()) groups_.push_back(group_value);
  by_group_[group_value].push_back(std::move(scores));
}

void RoiTable::write(const std::string& path) {
  for (const std::string& g : groups_)
    for (const analysis::RoiAcross& a : analysis::roi_across_subjects(by_group_[g])) {
      nlohmann::json row = {{"subject", "all"},       {group_, g},   {"roi", a.roi},
                            {"subjects", a.subjects}, {"voxels", 0}, {mean_, pair(a.mean)},
                            {median_, pair(a.median)}};
      for (std::size_t m = 0; m < masks_.size(); ++m)
        row["fraction_" + masks_[m]] = pair(a.fraction[m]);
      table_.add(row);
    }
  io::write_summary(table_, path);
}

}  // namespace b2m::jobs
