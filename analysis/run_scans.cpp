#include "analysis/run_scans.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/error.hpp"

namespace b2m::analysis {

std::vector<RunScans> run_scans(const std::vector<io::RunEvents>& runs, double tr,
                                bool drop_warmup) {
  std::vector<RunScans> out;
  for (const io::RunEvents& run : runs) {
    RunScans s;
    s.run = run.run;
    double end = 0;
    for (const auto& e : run.events) end = std::max(end, e.onset + e.duration);
    s.scans = static_cast<std::size_t>(std::ceil(end / tr - 1e-9));
    if (drop_warmup && !run.events.empty()) {
      const io::Event& warmup = run.events.front();
      const double scans = (warmup.onset + warmup.duration) / tr;
      if (std::abs(scans - std::round(scans)) > 1e-6)
        throw InputError(run.file + ": the warm-up clip ends at " +
                         std::to_string(warmup.onset + warmup.duration) +
                         " s, not on a scan boundary of TR " + std::to_string(tr) +
                         " s, so its scans cannot be dropped whole");
      s.first = static_cast<std::size_t>(std::llround(scans));
    }
    out.push_back(s);
  }
  return out;
}

TrainingRows training_rows(const std::vector<io::RunEvents>& runs,
                           const std::vector<RunScans>& scans, double tr) {
  TrainingRows out;
  out.clip_ids = unique_clips(runs);
  std::map<std::string, int> index;
  for (std::size_t c = 0; c < out.clip_ids.size(); ++c)
    index[out.clip_ids[c]] = static_cast<int>(c);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const RunTimeline timeline = run_timeline(runs[r], tr, index, runs[r].file);
    for (std::size_t t = scans[r].first; t < scans[r].scans; ++t) {
      out.run.push_back(scans[r].run);
      out.scan.push_back(static_cast<std::int32_t>(t));
      out.clip.push_back(timeline.clip[t]);
    }
  }
  return out;
}

std::vector<std::vector<std::size_t>> presentation_rows(const TestLayout& layout,
                                                        const std::vector<io::RunEvents>& runs,
                                                        const std::vector<RunScans>& scans) {
  std::vector<std::size_t> offset(scans.size() + 1, 0);
  for (std::size_t r = 0; r < scans.size(); ++r) offset[r + 1] = offset[r] + scans[r].kept();
  std::vector<std::vector<std::size_t>> out(layout.clip_ids.size());
  for (std::size_t c = 0; c < layout.clip_ids.size(); ++c)
    for (const Presentation& p : layout.presentations[c]) {
      const RunScans& s = scans[p.run];
      if (p.first_tr < s.first || p.first_tr + layout.trs_per_clip > s.scans)
        throw InputError(runs[p.run].file + ": test clip " + layout.clip_ids[c] +
                         " is presented at scan " + std::to_string(p.first_tr) +
                         ", outside the kept scans " + std::to_string(s.first) + "-" +
                         std::to_string(s.scans - 1));
      out[c].push_back(offset[p.run] + p.first_tr - s.first);
    }
  return out;
}

std::vector<std::size_t> first_presentation_order(const TestLayout& layout) {
  std::vector<std::size_t> order(layout.clip_ids.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto first = [&](std::size_t c) {
    const Presentation& p = layout.presentations[c].front();
    return std::make_pair(p.run, p.first_tr);
  };
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return first(a) < first(b); });
  return order;
}

std::size_t ArrayLayout::test_array_rows() const {
  std::size_t n = 0;
  for (const RunScans& s : test_scans) n += s.kept();
  return n;
}

ArrayLayout array_layout(const std::vector<io::RunEvents>& train_runs,
                         const std::vector<io::RunEvents>& test_runs, double tr) {
  ArrayLayout l;
  l.tr = tr;
  l.train_scans = run_scans(train_runs, tr, /*drop_warmup=*/true);
  l.test_scans = run_scans(test_runs, tr, /*drop_warmup=*/true);
  l.train = training_rows(train_runs, l.train_scans, tr);
  l.test = test_layout(test_runs, tr);
  l.presentation_rows = presentation_rows(l.test, test_runs, l.test_scans);
  l.first_order = first_presentation_order(l.test);
  return l;
}

}  // namespace b2m::analysis
