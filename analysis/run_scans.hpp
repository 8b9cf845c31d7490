// Which scans of each run a prepared responses file keeps, and which rows of
// a subject's arrays hold what the events say was played.
//
// ds003720 opens every run with a warm-up clip that repeats a clip played
// elsewhere (a training run repeats the previous run's last clip, a test run
// its own last clip). The dataset's preprocessed arrays drop the scans of
// that first event: 400 of each run's 410 scans, 12 x 400 training rows and
// 6 x 400 test rows. b2m keeps the scan number of every row, so the design
// and decoding samples find their scans whichever were kept.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/stimulus_timeline.hpp"
#include "io/bids_events.hpp"

namespace b2m::analysis {

// The scans of one run that are kept: [first, scans).
struct RunScans {
  int run = 0;            // run number (events file)
  std::size_t scans = 0;  // scans the events span, ceil(end of the last event / TR)
  std::size_t first = 0;  // the end of the first event in scans with the warm-up dropped, else 0
  [[nodiscard]] std::size_t kept() const { return scans - first; }
};

// One per run; with `drop_warmup`, the first event of each run is the warm-up
// and its scans are dropped (an error unless its duration is a whole number
// of scans).
[[nodiscard]] std::vector<RunScans> run_scans(const std::vector<io::RunEvents>& runs, double tr,
                                              bool drop_warmup);

// The training rows of the kept scans, run after run: the run number, the
// scan and the playing clip (index into `clip_ids`, -1 for none) of each.
struct TrainingRows {
  std::vector<std::int32_t> run, scan, clip;
  std::vector<std::string> clip_ids;  // the runs' unique clips, sorted
};
[[nodiscard]] TrainingRows training_rows(const std::vector<io::RunEvents>& runs,
                                         const std::vector<RunScans>& scans, double tr);

// For test runs stored one after another with their kept scans only (the
// dataset's Resp_Test): the first row of every presentation,
// [clip][repetition], in `layout`'s clip order. An error, naming the run's
// events file, if a presentation falls in dropped scans.
[[nodiscard]] std::vector<std::vector<std::size_t>> presentation_rows(
    const TestLayout& layout, const std::vector<io::RunEvents>& runs,
    const std::vector<RunScans>& scans);

// The clips of `layout` (indices into its sorted ids) in the order of their
// first presentation: the other order in which a table of clip means (the
// dataset's Resp_Test_Mean) may list them.
[[nodiscard]] std::vector<std::size_t> first_presentation_order(const TestLayout& layout);

// What each row of a subject's preprocessed arrays holds, in the dataset's
// layout: the runs' kept scans with the warm-up dropped, training runs one
// after another (Resp_Training), test runs likewise (Resp_Test), and the
// test clips' means (Resp_Test_Mean, `test.rows()` rows).
struct ArrayLayout {
  double tr = 0;
  std::vector<RunScans> train_scans, test_scans;
  TrainingRows train;
  TestLayout test;
  std::vector<std::vector<std::size_t>> presentation_rows;  // [clip][repetition]
  std::vector<std::size_t> first_order;                     // first_presentation_order
  [[nodiscard]] std::size_t test_array_rows() const;
};
[[nodiscard]] ArrayLayout array_layout(const std::vector<io::RunEvents>& train_runs,
                                       const std::vector<io::RunEvents>& test_runs, double tr);

}  // namespace b2m::analysis
