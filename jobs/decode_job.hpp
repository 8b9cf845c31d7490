// `b2m decode`: voxels -> embeddings with dual (kernel) ridge, per subject
// and feature space, distributed over ranks; identification accuracy and
// embedding correlation as in Brain2Music.
#pragma once

#include <string>
#include <vector>

#include "mpi/comm.hpp"
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
  // Output path; "{subject}" and "{space}" are filled in (required when
  // there are several subjects or spaces).
  std::string out;
  double tr = 1.5;
  double delay_s = 4.5;
  bool per_clip = false;
  std::size_t folds = 5;
  std::vector<double> alphas;  // empty: log-spaced from alpha_min to alpha_max
  std::size_t n_alphas = 20;
  double alpha_min = 1.0;
  double alpha_max = 1e9;
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
  bool overwrite = false;
  std::string summary_path;  // optional TSV of the summary
  std::string command_line;
};

// One row of the decoding summary (one subject, one space).
struct DecodeSummary {
  std::string subject;
  std::string space;
  std::size_t train_samples = 0;
  std::size_t test_samples = 0;
  std::size_t voxels = 0;            // voxels the model used
  double identification = 0;         // mean identification accuracy (chance 0.5)
  double embedding_correlation = 0;  // mean corr(pred_i, true_i) over test samples
  double mean_cv_r = 0;              // mean over dimensions of the CV correlation
  bool reused = false;               // complete output already existed
};

// Runs every subject x space; returns the summary rows (complete on every rank).
std::vector<DecodeSummary> run_decode(const DecodeOptions& options, const mpi::Comm& world);

// Per subject and space, then per space mean +- sd over subjects (the paper's Table 2).
[[nodiscard]] std::string format_decode_summary(const std::vector<DecodeSummary>& rows);
[[nodiscard]] std::string format_decode_summary_tsv(const std::vector<DecodeSummary>& rows);

}  // namespace b2m::jobs
