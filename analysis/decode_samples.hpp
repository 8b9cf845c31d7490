// Decoding samples: the fMRI scans that go with each embedding window.
//
// As in Brain2Music, a sample is one window of one clip presentation: its
// target is the window's embedding and its input the mean of the scans
// acquired inside the window, shifted by the hemodynamic delay. Training
// samples come from every event of every training run (rows of /train/Y);
// test samples from every window of every test clip (rows of /test/Y, which
// hold the clip's own TRs averaged over repetitions, so a window's delayed
// scans are cut at the clip's end). With `per_clip` a sample is a whole
// clip presentation and its target the mean of the clip's windows.
#pragma once

#include <string>
#include <vector>

#include "analysis/feature_alignment.hpp"
#include "analysis/stimulus_timeline.hpp"
#include "io/bids_events.hpp"
#include "io/decode_files.hpp"
#include "io/responses_file.hpp"
#include "mpi/partition.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis {

struct DecodeSample {
  std::vector<std::size_t> rows;  // response rows averaged into the sample
  std::size_t clip = 0;           // index into the embeddings' clip ids
  std::size_t window = 0;         // window of the clip (0 with per_clip)
  std::size_t run = 0;            // training run (CV groups); 0 for test samples
};

struct DecodeSamples {
  std::vector<DecodeSample> train;
  std::vector<DecodeSample> test;
  bool per_clip = false;
};

struct SampleOptions {
  double tr = 1.5;
  double delay_s = 4.5;  // hemodynamic delay added to every window
  bool per_clip = false;
  // Training windows cut at the clip's end, as test windows must be (the
  // test rows hold a clip's own scans only); otherwise a training window
  // runs on into the next clip's scans.
  bool cut_windows = false;
  // Leave out each training run's first event (ds003720's warm-up clip).
  bool drop_first_event = false;
  // Leave out every training clip of this genre (the paper's one-genre-out
  // ablation); empty: none.
  std::string exclude_genre;
};

// The events samples are made from: the training runs and the test clips.
struct SampleEvents {
  std::vector<io::RunEvents> train_runs;
  TestLayout test;
};

// Reads them from a BIDS events directory (scans of `tr` seconds).
[[nodiscard]] SampleEvents read_sample_events(const std::string& events_dir, double tr);

// `responses`: the layout of the responses file, whose test rows must be
// the test clips' TRs and whose training runs (io::ResponsesLayout::volumes:
// the scan of each row) must cover the events. A training sample that needs
// a scan the run lacks (the dropped warm-up clip of ds003720's preprocessed
// arrays, say) is left out; windows running past a run's last scan keep the
// scans they have.
[[nodiscard]] DecodeSamples decode_samples(const ClipEmbeddings& clips, const SampleEvents& events,
                                           const io::ResponsesLayout& responses,
                                           const SampleOptions& options,
                                           const std::string& responses_source);

// The samples as rows of responses (encode --window-samples): n training
// samples in runs, m test samples of `test_clips` clips, the voxels and
// repetitions of `responses`.
[[nodiscard]] io::ResponsesLayout sample_layout(const io::ResponsesLayout& responses,
                                                const DecodeSamples& samples,
                                                std::size_t test_clips);

// Targets of the samples (samples x dim): the window embedding, or the mean
// of the clip's windows with per_clip.
[[nodiscard]] solvers::Matrix<double> sample_targets(const ClipEmbeddings& clips,
                                                     const std::vector<DecodeSample>& samples,
                                                     bool per_clip);

// Which clip, window and run each sample is (the decode result's indices).
[[nodiscard]] io::DecodeSampleIndex sample_index(const DecodeSamples& samples);

// The row ranges of each training run among the samples (which are in
// run order): the groups of the cross-validation folds.
[[nodiscard]] std::vector<mpi::Range> sample_run_ranges(const std::vector<DecodeSample>& samples);

// Inputs of the samples: row means of `responses` (rows x columns) over each
// sample's rows (samples x columns).
template <class T>
[[nodiscard]] solvers::Matrix<double> average_rows(const solvers::Matrix<T>& responses,
                                                   const std::vector<DecodeSample>& samples);

}  // namespace b2m::analysis
