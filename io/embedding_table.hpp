// Embeddings computed elsewhere (MuLan, w2v-BERT, CLAP, MERT, a caption's
// text embedding), keyed by clip id, as people save them: a .npy array with
// a list of ids, a CSV table, or an HDF5 file. `b2m features import` turns
// them into the feature file every stage reads (io/feature_file.hpp).
#pragma once

#include <string>
#include <vector>

#include "io/feature_file.hpp"

namespace b2m::io {

// Rows of embeddings keyed by clip id: [row][window][dim].
struct EmbeddingTable {
  std::string source;
  std::vector<std::string> ids;
  std::size_t windows = 0, dim = 0;
  std::vector<float> values;
};

// Clip ids, one per line (blank lines and surrounding spaces ignored).
[[nodiscard]] std::vector<std::string> read_id_list(const std::string& path);

// A .npy array [clips, dim] (one window) or [clips, windows, dim], float32 or
// float64, with its ids from `ids_path` (one per row).
[[nodiscard]] EmbeddingTable read_npy_table(const std::string& path, const std::string& ids_path);

// A CSV table with a header: a column `clip` (the id), optionally a column
// `window` (0, 1, ...), and one column per dimension. Every clip needs
// every window once. Commas or tabs separate the fields.
[[nodiscard]] EmbeddingTable read_csv_table(const std::string& path);

// An HDF5 file with `dataset` [clips, dim] or [clips, windows, dim] and the
// clip ids in the dataset's attribute `ids`, or in a string dataset `ids`
// beside it.
// Collective, like every read of `file`.
[[nodiscard]] EmbeddingTable read_h5_table(const H5File& file, const std::string& dataset);

// The embeddings of `clip_ids` (the clips the events play, in that order):
// an InputError naming the source when one is missing (the first few
// listed), when an id appears twice, or when a value is not finite.
[[nodiscard]] ClipEmbeddings select_clips(const EmbeddingTable& table,
                                          const std::vector<std::string>& clip_ids, double window_s,
                                          double step_s);

}  // namespace b2m::io
