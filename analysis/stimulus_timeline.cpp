#include "analysis/stimulus_timeline.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

std::size_t whole_trs(double seconds, double tr, const std::string& what) {
  const double n = seconds / tr;
  if (std::abs(n - std::round(n)) > 1e-6)
    throw InputError(what + " (" + std::to_string(seconds) +
                     " s) is not a whole number of TRs of " + std::to_string(tr) + " s");
  return static_cast<std::size_t>(std::llround(n));
}

}  // namespace

RunTimeline run_timeline(const io::RunEvents& run, double tr,
                         const std::map<std::string, int>& clip_index, const std::string& source) {
  double end = 0;
  for (const auto& e : run.events) end = std::max(end, e.onset + e.duration);
  RunTimeline out;
  const auto n = static_cast<std::size_t>(std::ceil(end / tr - 1e-9));
  out.clip.assign(n, -1);
  out.clip_time.assign(n, 0.0);
  for (const auto& e : run.events) {
    const auto found = clip_index.find(e.clip_id());
    if (found == clip_index.end())
      throw InputError(source + ": no embedding for clip " + e.clip_id() + " of " + run.file);
    for (std::size_t t = 0; t < n; ++t) {
      const double start = static_cast<double>(t) * tr;
      if (start + 1e-9 >= e.onset && start < e.onset + e.duration - 1e-9) {
        out.clip[t] = found->second;
        out.clip_time[t] = start - e.onset;
      }
    }
  }
  return out;
}

std::string clip_genre(const std::string& clip_id) {
  return clip_id.substr(0, clip_id.find('.'));
}

std::vector<std::string> unique_clips(const std::vector<io::RunEvents>& runs) {
  std::set<std::string> ids;
  for (const auto& run : runs)
    for (const auto& e : run.events) ids.insert(e.clip_id());
  return {ids.begin(), ids.end()};
}

TestLayout test_layout(const std::vector<io::RunEvents>& test_runs, double tr) {
  TestLayout out;
  out.clip_ids = unique_clips(test_runs);
  out.presentations.resize(out.clip_ids.size());
  for (std::size_t r = 0; r < test_runs.size(); ++r) {
    const auto& events = test_runs[r].events;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      const bool warm_up =
          i == 0 && std::any_of(events.begin() + 1, events.end(), [&](const io::Event& later) {
            return later.clip_id() == e.clip_id();
          });
      if (warm_up) continue;
      const std::size_t length = whole_trs(e.duration, tr, test_runs[r].file + " event duration");
      if (out.trs_per_clip == 0) out.trs_per_clip = length;
      if (length != out.trs_per_clip)
        throw InputError(test_runs[r].file + ": test clips of different lengths");
      const auto c = static_cast<std::size_t>(
          std::lower_bound(out.clip_ids.begin(), out.clip_ids.end(), e.clip_id()) -
          out.clip_ids.begin());
      out.presentations[c].push_back({r, whole_trs(e.onset, tr, test_runs[r].file + " onset")});
    }
  }
  out.repetitions = out.presentations.empty() ? 0 : out.presentations.front().size();
  for (std::size_t c = 0; c < out.clip_ids.size(); ++c)
    if (out.presentations[c].size() != out.repetitions)
      throw InputError("test clip " + out.clip_ids[c] + " is presented " +
                       std::to_string(out.presentations[c].size()) + " times, others " +
                       std::to_string(out.repetitions));
  return out;
}

}  // namespace b2m::analysis
