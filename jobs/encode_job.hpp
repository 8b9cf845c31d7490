// `b2m encode`: voxelwise ridge encoding models, distributed over ranks.
#pragma once

#include <string>
#include <vector>

#include "analysis/feature_alignment.hpp"
#include "io/summary_table.hpp"
#include "jobs/cli.hpp"
#include "jobs/encode_passes.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"
#include "solvers/alpha_grid.hpp"

namespace b2m::jobs {

enum class Precision { single, double_ };

struct EncodeOptions {
  std::vector<std::string> responses;  // one file per subject
  // Either an aligned design file ...
  std::string design;
  // ... or clip embeddings aligned with the events (alignment.features set):
  // TR rows with FIR delays, or with `window_samples` decode's samples (a
  // window's embedding against the mean of its scans, shifted by
  // samples.delay_s), the paper's encoding.
  analysis::DesignSource alignment;
  bool window_samples = false;
  analysis::SampleOptions samples;
  std::size_t folds = 5;
  solvers::AlphaGrid alphas{{}, 20, 1.0, 1e7};
  Precision precision = Precision::double_;
  std::size_t fold_groups = 0;  // 0: chosen from the problem size
  EncodeSettings passes;        // block size, factor memory, z-scoring, weights
  // --out: with several subjects it must contain "{subject}", replaced by
  // the responses file's name without "_responses.h5" / ".h5".
  OutputOptions output;
};

// Runs every subject; returns the summary (one row per subject, on every
// rank) after printing it.
io::SummaryTable run_encode(const EncodeOptions& options, const mpi::Comm& world);

// The verb: options from the command line, then run_encode.
int encode_command(const cli::Arguments& args, const mpi::Comm& world);

}  // namespace b2m::jobs
