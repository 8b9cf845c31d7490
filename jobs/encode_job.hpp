// `b2m encode`: voxelwise ridge encoding models, distributed over ranks.
#pragma once

#include <string>
#include <vector>

#include "jobs/study_files.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

enum class Precision { single, double_ };

struct EncodeOptions {
  std::vector<std::string> responses;  // one file per subject
  // Either an aligned design file ...
  std::string design;
  // ... or clip embeddings aligned with the events (alignment.features set).
  AlignmentOptions alignment;
  // Output path; with several subjects it must contain "{subject}", replaced
  // by the responses file's name without "_responses.h5" / ".h5".
  std::string out;
  std::size_t folds = 5;
  std::vector<double> alphas;  // empty: log-spaced from alpha_min to alpha_max
  std::size_t n_alphas = 20;
  double alpha_min = 1.0;
  double alpha_max = 1e7;
  Precision precision = Precision::double_;
  std::size_t block_size = 2048;
  std::size_t fold_groups = 0;  // 0: chosen from the problem size
  // Fold factors held at once in the passes over the responses (MB).
  std::size_t factor_memory_mb = 256;
  bool zscore = true;
  bool save_weights = false;
  bool overwrite = false;
  std::string summary_path;  // optional TSV of the cross-subject summary
  std::string command_line;
};

// One row of the cross-subject summary.
struct EncodeSummary {
  std::string subject;
  std::string space;
  std::size_t voxels = 0;
  std::size_t constant_voxels = 0;
  std::size_t significant = 0;   // q < 0.05 (BH-FDR over p_test)
  double median_r_auditory = 0;  // NaN without an auditory ROI
  double median_r = 0;
  double alpha_low = 0;  // chosen-alpha range (5th-95th percentile)
  double alpha_high = 0;
  bool reused = false;  // complete output already existed
};

// Runs every subject; returns the summary rows (complete on every rank).
std::vector<EncodeSummary> run_encode(const EncodeOptions& options, const mpi::Comm& world);

// The cross-subject summary as an aligned text table, and as TSV.
[[nodiscard]] std::string format_summary(const std::vector<EncodeSummary>& rows);
[[nodiscard]] std::string format_summary_tsv(const std::vector<EncodeSummary>& rows);

}  // namespace b2m::jobs
