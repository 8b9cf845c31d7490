// From clip-window embeddings to a time-aligned design matrix: window
// averaging onto the TR grid (Brain2Music), z-scoring per run, FIR delays
// (voxelwise_tutorials' Delayer), and averaging of the test repetitions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analysis/stimulus_timeline.hpp"
#include "io/bids_events.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

// Embeddings of every clip window of one feature space.
struct ClipEmbeddings {
  std::string source;  // file (and space) they came from, for error messages
  std::vector<std::string> ids;
  std::size_t windows = 0;
  std::size_t dim = 0;
  double window_s = 0;
  double step_s = 0;
  std::vector<float> values;  // [clip][window][dim]

  [[nodiscard]] const float* window(std::size_t clip, std::size_t w) const {
    return values.data() + (clip * windows + w) * dim;
  }
  [[nodiscard]] std::map<std::string, int> index() const;
};

// Features of each TR of a run: the mean of the windows of the playing clip
// that overlap the TR slot; zero where no clip plays.
[[nodiscard]] solvers::Matrix<double> tr_features(const ClipEmbeddings& clips,
                                                  const RunTimeline& timeline, double tr);

// Shifted copies of `features`, delay-major: columns [d*dim, (d+1)*dim) hold
// the features `delays[d]` TRs earlier, zero before the run start.
[[nodiscard]] solvers::Matrix<double> apply_delays(const solvers::Matrix<double>& features,
                                                   const std::vector<int>& delays);

struct Design {
  solvers::Matrix<double> train_x;  // n_train x p
  std::vector<int> train_run;       // run number of each training row
  solvers::Matrix<double> test_x;   // n_test x p, mean over repetitions
  std::vector<std::string> test_clips;
};

// The whole design. Training rows: every TR of every training run. Test rows:
// clip by clip (sorted ids), TR by TR, averaged over the clip's repetitions.
[[nodiscard]] Design build_design(const ClipEmbeddings& clips,
                                  const std::vector<io::RunEvents>& train_runs,
                                  const std::vector<io::RunEvents>& test_runs, double tr,
                                  const std::vector<int>& delays);

}  // namespace b2m::analysis
