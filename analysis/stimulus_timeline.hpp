// Where each clip sits on the TR grid of each run, derived from the events.
// Shared by the simulator (to synthesize responses) and the design builder
// (to align features), so both agree on every TR.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "io/bids_events.hpp"

namespace b2m::analysis {

// Per TR of one run: which clip is playing (index into a clip list, -1 for
// none) and the time within the clip at which the TR starts.
struct RunTimeline {
  std::vector<int> clip;
  std::vector<double> clip_time;  // seconds since the clip's onset
  [[nodiscard]] std::size_t trs() const { return clip.size(); }
};

// `clip_index` maps clip ids to the caller's clip list; a clip missing from
// it is an InputError naming `source`. The run lasts until its last event ends.
[[nodiscard]] RunTimeline run_timeline(const io::RunEvents& run, double tr,
                                       const std::map<std::string, int>& clip_index,
                                       const std::string& source);

// One presentation of a test clip: its run and the run's TR at its onset.
struct Presentation {
  std::size_t run = 0;
  std::size_t first_tr = 0;
};

// The test set: unique clips (sorted ids), each presented `repetitions`
// times for `trs_per_clip` TRs. The first event of a run is a warm-up and
// not counted when the same clip is played again later in that run (the
// ds003720 test runs open with a repeat of their last clip).
struct TestLayout {
  std::vector<std::string> clip_ids;
  std::size_t trs_per_clip = 0;
  std::size_t repetitions = 0;
  std::vector<std::vector<Presentation>> presentations;  // [clip][repetition]
  [[nodiscard]] std::size_t rows() const { return clip_ids.size() * trs_per_clip; }
};
[[nodiscard]] TestLayout test_layout(const std::vector<io::RunEvents>& test_runs, double tr);

// The genre of a clip id "<genre>.000NN" (the text before the first '.').
[[nodiscard]] std::string clip_genre(const std::string& clip_id);

// Unique clip ids of a set of runs, sorted.
[[nodiscard]] std::vector<std::string> unique_clips(const std::vector<io::RunEvents>& runs);

}  // namespace b2m::analysis
