#include "jobs/study_files.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {

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
