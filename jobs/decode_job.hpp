// `b2m decode`: voxels -> embeddings with ridge (kernel ridge on all or a
// selection of voxels, or one model per ROI), per subject and feature
// space, distributed over ranks; identification accuracy and embedding
// correlation as in Brain2Music.
#pragma once

#include <string>
#include <vector>

#include "io/summary_table.hpp"
#include "jobs/cli.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"
#include "solvers/alpha_grid.hpp"
#include "solvers/symmetric_eigen.hpp"

namespace b2m::jobs {

// How a whole-brain model holds its n x n kernel: every rank a copy (the
// eigendecompositions farmed out, one LAPACK solve per rank), or
// block-cyclic on a ScaLAPACK grid (memory per rank falls as 1/ranks).
enum class KernelLayout { automatic, replicated, distributed };

struct DecodeOptions {
  std::vector<std::string> responses;  // one file per subject
  std::string features;                // clip embeddings (feature file)
  std::vector<std::string> spaces;     // target spaces, each decoded separately
  std::string events_dir;              // BIDS func directory (timing)
  // TR, delay, windows or whole clips, the warm-up clip and the genre left
  // out of training.
  analysis::SampleOptions samples;
  std::size_t folds = 5;
  solvers::AlphaGrid alphas{{}, 20, 1.0, 1e9};
  // Voxel selection (at most one of the last two):
  std::vector<std::string> rois;   // only voxels of these ROIs (all voxels if empty)
  std::size_t roi_models_top = 0;  // > 0: one model per ROI, average the top k by CV r
  // ROI models are fitted in batches whose voxels (all samples, double) fit
  // in this many MB per rank; a larger ROI is a batch of its own.
  std::size_t roi_memory_mb = 256;
  std::size_t top_voxels = 0;  // > 0: the top voxels by cv_score of `encode_result`
  std::string encode_result;
  bool save_weights = false;
  solvers::EigenPlan eigen;
  KernelLayout kernel_layout = KernelLayout::automatic;
  // --out: "{subject}" and "{space}" are filled in (required when there are
  // several subjects or spaces).
  OutputOptions output;
};

// Runs every subject x space; returns the summary (one row per subject and
// space, on every rank) after printing it and the per-space mean +- sd over
// subjects (the paper's Table 2).
io::SummaryTable run_decode(const DecodeOptions& options, const mpi::Comm& world);

// The verb: options from the command line, then run_decode.
int decode_command(const cli::Arguments& args, const mpi::Comm& world);

}  // namespace b2m::jobs
