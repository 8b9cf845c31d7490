// The feature file (docs/formats.md): per feature space, the embedding of
// every window of every clip, keyed by the clip ids of /clips.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "io/h5_file.hpp"

namespace b2m::io {

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
  // Clip id -> position in `ids`.
  [[nodiscard]] std::map<std::string, int> index() const;
};

// The embeddings of `space` (/spaces/<space>/embeddings [clips, windows,
// dim] with its window_s and step_s); missing spaces, shapes that disagree
// with /clips and non-finite values are InputErrors naming the file.
[[nodiscard]] ClipEmbeddings read_clip_embeddings(const H5File& file, const std::string& space);
void write_clip_embeddings(H5File& file, const std::string& space, const ClipEmbeddings& clips);

// /clips with its `ids` and /clips/genre (an index into `genre_names`).
void write_clips(H5File& file, const std::vector<std::string>& ids, const std::vector<int>& genre,
                 const std::vector<std::string>& genre_names);

}  // namespace b2m::io
