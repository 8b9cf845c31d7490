// From clip-window embeddings to a time-aligned design matrix: window
// averaging onto the TR grid (Brain2Music), z-scoring per run, FIR delays
// (voxelwise_tutorials' Delayer), and averaging of the test repetitions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analysis/stimulus_timeline.hpp"
#include "io/bids_events.hpp"
#include "io/design_file.hpp"
#include "io/feature_file.hpp"
#include "mpi/comm.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

// The embeddings of one feature space (io/feature_file.hpp).
using io::ClipEmbeddings;

// Features of each TR of a run: the mean of the windows of the playing clip
// that overlap the TR slot; zero where no clip plays.
[[nodiscard]] solvers::Matrix<double> tr_features(const ClipEmbeddings& clips,
                                                  const RunTimeline& timeline, double tr);

// Shifted copies of `features`, delay-major: columns [d*dim, (d+1)*dim) hold
// the features `delays[d]` TRs earlier, zero before the run start.
[[nodiscard]] solvers::Matrix<double> apply_delays(const solvers::Matrix<double>& features,
                                                   const std::vector<int>& delays);

// train_x (n_train x p), test_x (n_test x p, mean over repetitions), the
// test clip ids and each training row's run (io/design_file.hpp).
using Design = io::DesignMatrices;

// The whole design. Training rows: every TR of every training run. Test rows:
// clip by clip (sorted ids), TR by TR, averaged over the clip's repetitions.
[[nodiscard]] Design build_design(const ClipEmbeddings& clips,
                                  const std::vector<io::RunEvents>& train_runs,
                                  const std::vector<io::RunEvents>& test_runs, double tr,
                                  const std::vector<int>& delays);

// Where a design comes from when it is aligned on the fly: a feature file's
// space and the events of a BIDS func directory.
struct DesignSource {
  std::string features;    // feature file with clip embeddings
  std::string space;       // feature space in it
  std::string events_dir;  // BIDS func directory with the events files
  std::vector<int> delays = {1, 2, 3, 4, 5, 6};
  double tr = 1.5;
};
// Reads the embeddings and events (the feature file on `comm`, every rank
// the same) and builds the design (collective: every rank gets it).
[[nodiscard]] Design align_design(const DesignSource& source, const mpi::Comm& comm);

}  // namespace b2m::analysis
