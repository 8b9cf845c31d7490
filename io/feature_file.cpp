#include "io/feature_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/error.hpp"

namespace b2m::io {

std::map<std::string, int> ClipEmbeddings::index() const {
  std::map<std::string, int> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out[ids[i]] = static_cast<int>(i);
  return out;
}

ClipEmbeddings read_clip_embeddings(const H5File& file, const std::string& space) {
  const std::string group = "/spaces/" + space;
  const std::string dataset = group + "/embeddings";
  if (!file.exists(dataset))
    throw InputError(file.path() + ": no feature space '" + space + "' (missing " + dataset + ")");
  ClipEmbeddings clips;
  clips.source = file.path() + ":" + dataset;
  clips.ids = file.read_strings_attribute("/clips", "ids");
  const Shape shape = file.shape(dataset);
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

void write_clip_embeddings(H5File& file, const std::string& space, const ClipEmbeddings& clips) {
  const std::string group = "/spaces/" + space;
  file.write_all<float>(group + "/embeddings", {clips.ids.size(), clips.windows, clips.dim},
                        clips.values);
  file.write_attribute(group, "window_s", std::vector<double>{clips.window_s});
  file.write_attribute(group, "step_s", std::vector<double>{clips.step_s});
}

void write_clips(H5File& file, const std::vector<std::string>& ids, const std::vector<int>& genre,
                 const std::vector<std::string>& genre_names) {
  file.create_group("/clips");
  file.write_attribute("/clips", "ids", ids);
  const std::vector<std::int32_t> index(genre.begin(), genre.end());
  file.write_all<std::int32_t>("/clips/genre", {index.size()}, index);
  file.write_attribute("/clips/genre", "names", genre_names);
}

}  // namespace b2m::io
