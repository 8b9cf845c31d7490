// b2m stats: permutation statistics of encode results, and tests across
// subjects of decode and retrieve results (issue 17).
//
// For each encode result made with --save-predictions: every voxel's test r
// against a null of whole test clips permuted (analysis/permutation_test.hpp),
// over the rows of each clip past those its prediction carries over from
// earlier clips,
// the family-wise p of the max-statistic null, Benjamini-Hochberg q, and the
// significance masks at the chosen levels. Ranks form a grid of voxel groups
// x permutation groups; each permutation is drawn from (seed, index), so the
// results do not depend on the rank count. Decode and retrieve results are
// grouped by stage and space, and each figure reported as above chance is
// tested across the subjects (analysis/subject_tests.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/summary_table.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct StatsOptions {
  std::vector<std::string> results;  // encode outputs made with --save-predictions
  std::size_t permutations = 1000;
  std::uint64_t seed = 0;
  double q = 0.05;                     // FDR level of /voxels/significant
  double fwer = 0.05;                  // family-wise level of /voxels/significant_fwer
  std::size_t permutation_groups = 1;  // rank groups that split the permutations
  std::size_t block_size = 4096;       // voxels read at once
  // Rows at the start of each test clip left out of the tested r; unset:
  // what the encode result says (its largest FIR delay).
  std::optional<std::size_t> carry_over_rows;
  std::string roi_summary;    // per-ROI TSV, per subject and across subjects
  std::string subject_tests;  // decode / retrieve figures tested across subjects
  OutputOptions output;
};

[[nodiscard]] io::SummaryTable run_stats(const StatsOptions& o, const mpi::Comm& world);

}  // namespace b2m::jobs
