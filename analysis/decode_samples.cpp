#include "analysis/decode_samples.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

// Rows [0, count) whose acquisition time k * tr lies in [begin, end) seconds;
// the row nearest the middle when none does (a window shorter than a TR).
std::vector<std::size_t> rows_in(double begin, double end, double tr, std::size_t count) {
  std::vector<std::size_t> rows;
  for (std::size_t k = 0; k < count; ++k) {
    const double t = static_cast<double>(k) * tr;
    if (t + 1e-9 >= begin && t < end - 1e-9) rows.push_back(k);
  }
  if (rows.empty() && count > 0) {
    const double middle = 0.5 * (begin + end) / tr;
    rows.push_back(
        std::min(count - 1, static_cast<std::size_t>(std::max(0.0, std::round(middle)))));
  }
  return rows;
}

// The windows of one presentation, as (window index, start s, end s)
// relative to the clip onset, delay included.
struct Span {
  std::size_t window;
  double begin, end;
};

std::vector<Span> spans(const ClipEmbeddings& clips, double duration, const SampleOptions& o) {
  if (o.per_clip) return {{0, o.delay_s, duration + o.delay_s}};
  std::vector<Span> out;
  for (std::size_t w = 0; w < clips.windows; ++w) {
    const double start = static_cast<double>(w) * clips.step_s + o.delay_s;
    out.push_back({w, start, start + clips.window_s});
  }
  return out;
}

// The rows of a window cut at its clip's end, as a test clip's rows hold
// them: the clip's own scans from `onset` (a scan time) for `duration` s,
// among `count` rows.
std::vector<std::size_t> clip_rows(const Span& s, double onset, double duration, double tr,
                                   std::size_t count) {
  const auto first = static_cast<std::size_t>(std::llround(onset / tr));
  const auto own = static_cast<std::size_t>(std::ceil(duration / tr - 1e-9));
  std::vector<std::size_t> rows = rows_in(s.begin, std::min(s.end, duration), tr,
                                          std::min(own, count - std::min(count, first)));
  for (auto& row : rows) row += first;
  return rows;
}

}  // namespace

SampleEvents read_sample_events(const std::string& events_dir, double tr) {
  return {io::read_task_events(events_dir, "Training"),
          test_layout(io::read_task_events(events_dir, "Test"), tr)};
}

DecodeSamples decode_samples(const ClipEmbeddings& clips, const SampleEvents& events,
                             const io::ResponsesLayout& responses, const SampleOptions& o,
                             const std::string& responses_source) {
  const std::vector<io::RunEvents>& train_runs = events.train_runs;
  const TestLayout& test = events.test;
  if (!(o.tr > 0)) throw ConfigError("the TR must be positive");
  if (!(o.delay_s >= 0)) throw ConfigError("the hemodynamic delay must be >= 0 s");
  if (responses.m != test.rows())
    throw InputError(responses_source + ": /test/Y has " + std::to_string(responses.m) +
                     " rows, but the test events give " + std::to_string(test.clip_ids.size()) +
                     " clips x " + std::to_string(test.trs_per_clip) +
                     " TRs = " + std::to_string(test.rows()));
  const std::vector<std::vector<std::size_t>>& train_run_scans = responses.volumes;
  if (train_runs.size() != train_run_scans.size())
    throw InputError(responses_source + ": " + std::to_string(train_run_scans.size()) +
                     " training runs, the events have " + std::to_string(train_runs.size()));
  const std::map<std::string, int> index = clips.index();
  const auto clip_of = [&](const std::string& id, const std::string& where) {
    const auto found = index.find(id);
    if (found == index.end())
      throw InputError(clips.source + ": no embedding for clip " + id + " of " + where);
    return static_cast<std::size_t>(found->second);
  };
  DecodeSamples out;
  out.per_clip = o.per_clip;
  std::size_t offset = 0;
  bool excluded = false;
  for (std::size_t r = 0; r < train_runs.size(); ++r) {
    const std::vector<std::size_t>& scans = train_run_scans[r];
    const std::size_t length = scans.empty() ? 0 : scans.back() + 1;
    double end = 0;
    for (const auto& e : train_runs[r].events) end = std::max(end, e.onset + e.duration);
    const auto needed = static_cast<std::size_t>(std::ceil(end / o.tr - 1e-9));
    if (needed > length)
      throw InputError(responses_source + ": training run " + std::to_string(r + 1) + " has " +
                       std::to_string(length) + " scans, but its events (" + train_runs[r].file +
                       ") last " + std::to_string(needed) + " TRs");
    // The row of each scan of the run; kMissing where the run lacks it.
    constexpr std::size_t kMissing = static_cast<std::size_t>(-1);
    std::vector<std::size_t> row_of(length, kMissing);
    for (std::size_t i = 0; i < scans.size(); ++i) row_of[scans[i]] = offset + i;
    const auto& events = train_runs[r].events;
    const auto first =
        std::min_element(events.begin(), events.end(),
                         [](const auto& a, const auto& b) { return a.onset < b.onset; });
    for (auto e_it = events.begin(); e_it != events.end(); ++e_it) {
      if (o.drop_first_event && e_it == first) continue;
      const io::Event& e = *e_it;
      if (!o.exclude_genre.empty() && clip_genre(e.clip_id()) == o.exclude_genre) {
        excluded = true;
        continue;
      }
      const std::size_t clip = clip_of(e.clip_id(), train_runs[r].file);
      for (const Span& s : spans(clips, e.duration, o)) {
        DecodeSample sample{o.cut_windows
                                ? clip_rows(s, e.onset, e.duration, o.tr, length)
                                : rows_in(e.onset + s.begin, e.onset + s.end, o.tr, length),
                            clip, s.window, r};
        for (auto& row : sample.rows) row = row_of[row];
        if (std::find(sample.rows.begin(), sample.rows.end(), kMissing) == sample.rows.end())
          out.train.push_back(std::move(sample));
      }
    }
    offset += scans.size();
  }
  if (!o.exclude_genre.empty() && !excluded)
    throw ConfigError("--exclude-genre " + o.exclude_genre + ": no training clip has that genre");
  const double clip_s = static_cast<double>(test.trs_per_clip) * o.tr;
  for (std::size_t c = 0; c < test.clip_ids.size(); ++c) {
    const std::size_t clip = clip_of(test.clip_ids[c], "the test runs");
    for (const Span& s : spans(clips, clip_s, o)) {
      DecodeSample sample{clip_rows(s, 0, clip_s, o.tr, test.rows()), clip, s.window, 0};
      for (auto& row : sample.rows) row += c * test.trs_per_clip;
      out.test.push_back(std::move(sample));
    }
  }
  return out;
}

solvers::Matrix<double> sample_targets(const ClipEmbeddings& clips,
                                       const std::vector<DecodeSample>& samples, bool per_clip) {
  solvers::Matrix<double> out(static_cast<Eigen::Index>(samples.size()),
                              static_cast<Eigen::Index>(clips.dim));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    const std::size_t first = per_clip ? 0 : samples[i].window;
    const std::size_t last = per_clip ? clips.windows : samples[i].window + 1;
    out.row(row).setZero();
    for (std::size_t w = first; w < last; ++w)
      out.row(row) += Eigen::Map<const Eigen::VectorXf>(clips.window(samples[i].clip, w),
                                                        static_cast<Eigen::Index>(clips.dim))
                          .cast<double>()
                          .transpose();
    out.row(row) /= double(last - first);
  }
  return out;
}

template <class T>
solvers::Matrix<double> average_rows(const solvers::Matrix<T>& responses,
                                     const std::vector<DecodeSample>& samples) {
  solvers::Matrix<double> out(static_cast<Eigen::Index>(samples.size()), responses.cols());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    out.row(row).setZero();
    for (std::size_t r : samples[i].rows)
      out.row(row) += responses.row(static_cast<Eigen::Index>(r)).template cast<double>();
    out.row(row) /= double(samples[i].rows.size());
  }
  return out;
}

template solvers::Matrix<double> average_rows<float>(const solvers::Matrix<float>&,
                                                     const std::vector<DecodeSample>&);
template solvers::Matrix<double> average_rows<double>(const solvers::Matrix<double>&,
                                                      const std::vector<DecodeSample>&);

std::vector<mpi::Range> sample_run_ranges(const std::vector<DecodeSample>& samples) {
  std::vector<mpi::Range> runs;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i == 0 || samples[i].run != samples[i - 1].run) runs.push_back({i, i});
    runs.back().end = i + 1;
  }
  return runs;
}

io::ResponsesLayout sample_layout(const io::ResponsesLayout& responses,
                                  const DecodeSamples& samples, std::size_t test_clips) {
  io::ResponsesLayout out;
  out.n = samples.train.size();
  out.m = samples.test.size();
  out.voxels = responses.voxels;
  out.runs = sample_run_ranges(samples.train);
  out.test_clip_rows = test_clips != 0 ? out.m / test_clips : 0;
  out.carry_over_rows = 0;  // a sample is its own window's embedding
  out.repetitions = responses.repetitions;
  return out;
}

io::DecodeSampleIndex sample_index(const DecodeSamples& samples) {
  io::DecodeSampleIndex index;
  for (const auto& t : samples.test) {
    index.test_clip.push_back(static_cast<std::int32_t>(t.clip));
    index.test_window.push_back(static_cast<std::int32_t>(t.window));
  }
  for (const auto& t : samples.train) {
    index.train_clip.push_back(static_cast<std::int32_t>(t.clip));
    index.train_run.push_back(static_cast<std::int32_t>(t.run));
  }
  return index;
}

}  // namespace b2m::analysis
