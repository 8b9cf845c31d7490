#include "jobs/study_files.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {

std::size_t rows_per_clip(std::size_t rows, std::size_t clips, const std::string& file) {
  if (clips == 0 || rows % clips != 0)
    throw InputError(file + ": the attribute ids of /test names " + std::to_string(clips) +
                     " clips, which do not divide the " + std::to_string(rows) + " test rows");
  return rows / clips;
}

ResponsesLayout read_responses_layout(const io::H5File& f) {
  const io::Shape train = f.shape("/train/Y");
  const io::Shape test = f.shape("/test/Y");
  const io::Shape run = f.shape("/train/run");
  const auto shape_text = [](const io::Shape& s) {
    std::string t = "[";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + "]";
  };
  if (train.size() != 2 || test.size() != 2 || run.size() != 1)
    throw InputError(f.path() + ": expected /train/Y [n, V], /test/Y [m, V], /train/run [n]; got " +
                     shape_text(train) + ", " + shape_text(test) + ", " + shape_text(run));
  ResponsesLayout out;
  out.n = train[0];
  out.voxels = train[1];
  out.m = test[0];
  if (test[1] != out.voxels)
    throw InputError(f.path() + ": /train/Y has " + std::to_string(out.voxels) +
                     " voxels but /test/Y has " + std::to_string(test[1]));
  if (run[0] != out.n)
    throw InputError(f.path() + ": /train/run has " + std::to_string(run[0]) + " rows, /train/Y " +
                     std::to_string(out.n));
  if (out.voxels == 0) throw InputError(f.path() + ": no voxels");
  out.runs = run_ranges(f.read_all<std::int64_t>("/train/run"), f.path() + ":/train/run");
  if (f.has_attribute("/test", "ids"))
    out.test_clip_rows =
        rows_per_clip(out.m, f.read_strings_attribute("/test", "ids").size(), f.path());
  return out;
}

// Run row ranges from the per-row run labels: each run must be one
// contiguous block of at least two rows.
std::vector<mpi::Range> run_ranges(const std::vector<std::int64_t>& labels,
                                   const std::string& where) {
  std::vector<mpi::Range> runs;
  std::vector<std::int64_t> seen;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i == 0 || labels[i] != labels[i - 1]) {
      if (std::find(seen.begin(), seen.end(), labels[i]) != seen.end())
        throw InputError(where + ": run " + std::to_string(labels[i]) +
                         " is not one contiguous block of rows");
      seen.push_back(labels[i]);
      runs.push_back({i, i});
    }
    runs.back().end = i + 1;
  }
  for (std::size_t r = 0; r < runs.size(); ++r)
    if (runs[r].size() < 2)
      throw InputError(where + ": run " + std::to_string(seen[r]) + " has " +
                       std::to_string(runs[r].size()) + " row(s); a run needs at least 2");
  if (runs.empty()) throw InputError(where + ": no training rows");
  return runs;
}

analysis::ClipEmbeddings read_clip_embeddings(const io::H5File& file, const std::string& space) {
  const std::string group = "/spaces/" + space;
  const std::string dataset = group + "/embeddings";
  if (!file.exists(dataset))
    throw InputError(file.path() + ": no feature space '" + space + "' (missing " + dataset + ")");
  analysis::ClipEmbeddings clips;
  clips.source = file.path() + ":" + dataset;
  clips.ids = file.read_strings_attribute("/clips", "ids");
  const io::Shape shape = file.shape(dataset);
  if (shape.size() != 3 || shape[0] != clips.ids.size())
    throw InputError(clips.source + ": expected [n_clips=" + std::to_string(clips.ids.size()) +
                     ", n_windows, dim]");
  clips.windows = shape[1];
  clips.dim = shape[2];
  clips.window_s = file.read_double_attribute(group, "window_s").at(0);
  clips.step_s = file.read_double_attribute(group, "step_s").at(0);
  clips.values = file.read_all<float>(dataset);
  const auto bad = std::find_if(clips.values.begin(), clips.values.end(),
                                [](float v) { return !std::isfinite(v); });
  if (bad != clips.values.end()) {
    const auto i = static_cast<std::size_t>(bad - clips.values.begin());
    throw InputError(clips.source + ": non-finite value in clip " +
                     clips.ids[i / (clips.windows * clips.dim)]);
  }
  return clips;
}

void write_clip_embeddings(io::H5File& file, const std::string& space,
                           const analysis::ClipEmbeddings& clips) {
  const std::string group = "/spaces/" + space;
  file.write_all<float>(group + "/embeddings", {clips.ids.size(), clips.windows, clips.dim},
                        clips.values);
  file.write_attribute(group, "window_s", std::vector<double>{clips.window_s});
  file.write_attribute(group, "step_s", std::vector<double>{clips.step_s});
}

analysis::Design align_design(const AlignmentOptions& a, const mpi::Comm& comm) {
  return mpi::agree_on(comm, [&] {
    const io::H5File file(a.features, io::Access::read, comm);
    const analysis::ClipEmbeddings clips = read_clip_embeddings(file, a.space);
    return analysis::build_design(clips, io::read_task_events(a.events_dir, "Training"),
                                  io::read_task_events(a.events_dir, "Test"), a.tr, a.delays);
  });
}

std::vector<std::string> events_files(const std::string& events_dir) {
  std::vector<std::string> out;
  for (const char* task : {"Training", "Test"})
    for (const auto& run : io::read_task_events(events_dir, task)) out.push_back(run.file);
  return out;
}

}  // namespace b2m::jobs
