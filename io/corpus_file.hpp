// The corpus file that retrieval searches (docs/formats.md):
// /embeddings [N, d] float, optionally /ids [N] (fixed-length strings) and
// /tags/<tag> [N] int32 with a `names` attribute.
#pragma once

#include <string>
#include <vector>

#include <cstdint>
#include <utility>

#include "io/h5_file.hpp"
#include "io/h5_matrix.hpp"

namespace b2m::io {

struct CorpusLayout {
  std::size_t rows = 0, dim = 0;
  bool has_ids = false;
  std::vector<std::string> tags;                    // names of /tags/<tag>
  std::vector<std::vector<std::string>> tag_names;  // per tag: value -> name (may be empty)
};

// Checks the shapes (a non-empty [N, d] embedding, one id and one tag per
// row); errors name the file and dataset.
[[nodiscard]] CorpusLayout read_corpus_layout(const H5File& f);

// Rows [first, first + n) of the embeddings into the columns of `columns`
// (d x n: the row-major file layout, read without a copy). Collective.
void read_corpus_rows(const H5File& f, const CorpusLayout& c, std::size_t first, std::size_t n,
                      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>& columns);
// An InputError naming the corpus row of the first non-finite value.
void check_corpus_rows(const H5File& f,
                       const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>& columns,
                       std::size_t first);
// The ids (the row numbers, as text, without /ids) and tags of the same
// rows. Collective.
void read_corpus_metadata(const H5File& f, const CorpusLayout& c, std::size_t first, std::size_t n,
                          std::vector<std::string>& ids,
                          std::vector<std::vector<std::int32_t>>& tags);

// A new corpus of `rows` x `dim` embeddings with ids of up to `id_width`
// characters and one int32 tag per row for each of `tags` (its value names).
void create_corpus(H5File& f, std::size_t rows, std::size_t dim, std::size_t id_width,
                   const std::vector<std::pair<std::string, std::vector<std::string>>>& tags);
// Rows from `first` on: embeddings (rows x dim, row-major), ids and tags
// (in the order of the tags' names, sorted). Collective; a rank without
// rows passes empty ones (and an empty vector per tag).
void write_corpus_rows(H5File& f, std::size_t first, const RowMajor<float>& embeddings,
                       const std::vector<std::string>& ids,
                       const std::vector<std::vector<std::int32_t>>& tags);

}  // namespace b2m::io
