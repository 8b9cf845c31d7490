// b2m partition: banded ridge over two or three feature spaces and the
// variance partitioning of their models (issue 17).
//
// Per subject, every candidate band weighting of the simplex grid
// (solvers/banded_ridge.hpp) is one run of encode's passes on the design
// with each space's columns scaled by sqrt(g_b): voxel blocks, fold groups,
// checkpoints and resume as encode has them, each candidate's results kept
// in a group of the output's checkpoint. A final pass picks, per voxel and
// per subset of the spaces, the candidate and alpha of least cross-validated
// error among the candidates inside the subset (the simplex's faces hold
// each subset's models, the vertices the single spaces'), scores each
// subset's model on the test rows and splits the test R^2 into the regions
// of the spaces' Venn diagram (analysis/variance_partition.hpp).
#pragma once

#include <string>
#include <vector>

#include "analysis/feature_alignment.hpp"
#include "io/summary_table.hpp"
#include "jobs/encode_passes.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"
#include "solvers/alpha_grid.hpp"

namespace b2m::jobs {

struct PartitionOptions {
  std::vector<std::string> responses;  // one file per subject
  std::vector<std::string> spaces;     // 2 or 3 feature spaces of `alignment.features`
  analysis::DesignSource alignment;    // features, events, delays, tr (its space unused)
  std::size_t grid_steps = 4;          // band weights are multiples of 1 / grid_steps
  std::size_t folds = 5;
  solvers::AlphaGrid alphas{{}, 20, 1.0, 1e7};
  std::size_t fold_groups = 0;  // 0: chosen from the problem size
  EncodeSettings passes;        // block size, factor memory, z-scoring
  // The summary's region sizes are means over voxels whose joint model
  // reaches this test R^2.
  double summary_r2 = 0.05;
  // Per-ROI table of the region sizes (TSV, or JSON for *.json): per
  // subject and across subjects; "" for none.
  std::string roi_summary;
  OutputOptions output;  // --out: with several subjects it must contain {subject}
};

[[nodiscard]] io::SummaryTable run_partition(const PartitionOptions& o, const mpi::Comm& world);

}  // namespace b2m::jobs
