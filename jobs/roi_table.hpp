// The per-ROI table of a per-voxel score that stats' and partition's
// --roi-summary write: per subject and group (a space, a partition region)
// each ROI's voxel count, mean and median of the score and the fraction of
// its voxels in each mask; then per group the same across subjects as
// mean +- sd (rows with subject "all", voxels 0).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analysis/roi_summary.hpp"
#include "io/summary_table.hpp"

namespace b2m::jobs {

class RoiTable {
 public:
  // Columns: subject, `group`, roi, subjects, voxels, then mean and median
  // (named mean_SCORE, median_SCORE, or mean and median where `score` is
  // empty) and fraction_MASK per mask.
  RoiTable(std::string group, const std::string& score, std::vector<std::string> masks);

  // One subject's ROIs in `group_value`.
  void add(const std::string& subject, const std::string& group_value,
           std::vector<analysis::RoiScores> scores);

  // Adds the across-subject rows, groups in first-seen order, and writes
  // the table (TSV, or JSON for *.json).
  void write(const std::string& path);

 private:
  std::string group_, mean_, median_;
  std::vector<std::string> masks_;
  io::SummaryTable table_;
  std::vector<std::string> groups_;
  std::map<std::string, std::vector<std::vector<analysis::RoiScores>>> by_group_;
};

}  // namespace b2m::jobs
