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
// --pairs runs a whole set of pairs (e.g. the paper's) in one command.
#pragma once

#include <cstdint>
#include <optional>
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
  // Or a set of pairs of spaces (e.g. the paper's, paper_pairs()) over the
  // results that templates with {subject} and {space} name; the subjects
  // are those with a result of the first pair's space A, unless listed.
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string results_template, stats_template;
  std::vector<std::string> subjects;
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
  // Rows at the start of each test clip left out of the bootstrapped r;
  // unset: the results' (their largest FIR delay).
  std::optional<std::size_t> carry_over_rows;
  std::string roi_summary;  // per-region table, per subject and across subjects
  OutputOptions output;     // --out with {subject}
};

// The comparisons of the paper's encoding claims, as (A, B) pairs of the
// simulator's space names: MuLan-music vs MuLan-text, MuLan vs w2v-BERT, and
// each music space (MuLan-music, w2v-BERT, SoundStream) vs the genre
// one-hot control and vs the non-music acoustic baseline (modulation).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> paper_pairs();

[[nodiscard]] io::SummaryTable run_compare(const CompareOptions& o, const mpi::Comm& world);

}  // namespace b2m::jobs
