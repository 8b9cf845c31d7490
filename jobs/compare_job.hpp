// b2m compare: two feature spaces' encoding models of the same voxels, per
// subject and across subjects (issue 17, item 3).
//
// For each subject, an encode result of space A and one of space B (both
// made with --save-predictions, on the same responses): per region (each
// ROI of the atlas, each --roi-group, and all voxels) the voxels
// significant for A, for B and for both and their Dice coefficient, at q <
// --q (from b2m stats outputs when given, else Benjamini-Hochberg over
// encode's analytic p) and at r > --r-threshold (the paper's 0.4); the mean
// of r_A - r_B over the region's voxels significant for either space, with
// a bootstrap over test clips (analysis/space_comparison.hpp) for its
// interval and two-sided p; and the 2-D density of (r_A, r_B) over all
// voxels. Voxel blocks are dealt round-robin over the ranks and each
// block's sums are added in block order, so the results do not depend on
// the rank count. Across subjects the same clip draws are averaged, which
// gives each region's test over subjects; --roi-summary writes both.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/summary_table.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct CompareOptions {
  std::vector<std::string> a, b;              // encode results, paired by order
  std::vector<std::string> a_stats, b_stats;  // optional b2m stats outputs, in the same order
  // Named unions of ROIs: a ROI belongs to a group when its name contains
  // one of the group's patterns (e.g. primary auditory cortex).
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  double q = 0.05;
  double r_threshold = 0.4;
  std::size_t bootstrap = 1000;
  std::uint64_t seed = 0;
  double level = 0.95;  // of the bootstrap interval
  std::size_t bins = 100;
  std::size_t block_size = 4096;
  std::string roi_summary;  // per-region table, per subject and across subjects
  OutputOptions output;     // --out with {subject}
};

[[nodiscard]] io::SummaryTable run_compare(const CompareOptions& o, const mpi::Comm& world);

}  // namespace b2m::jobs
