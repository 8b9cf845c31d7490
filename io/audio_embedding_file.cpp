#include "io/audio_embedding_file.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace b2m::io {

void create_audio_embeddings(H5File& f, const std::vector<std::string>& ids, std::size_t dim,
                             const std::string& embedder) {
  std::size_t width = 1;
  for (const std::string& id : ids) width = std::max(width, id.size());
  const Shape rows{ids.size()};
  f.create_strings("/ids", rows, width);
  const bool root = f.comm().is_root();
  f.write_strings("/ids", {0}, root ? rows : Shape{0}, root ? ids : std::vector<std::string>{});
  f.create<double>("/embeddings", {ids.size(), dim});
  f.write_attribute("/", "embedder", embedder);
}

void write_audio_embeddings(H5File& f, std::size_t first, std::size_t rows,
                            const std::vector<double>& values) {
  const Shape shape = f.shape("/embeddings");
  if (values.size() != rows * shape.at(1))
    throw Error(f.path() + ":/embeddings: " + std::to_string(values.size()) + " values for " +
                std::to_string(rows) + " rows");
  f.write<double>("/embeddings", {first, 0}, {rows, shape[1]}, values.data());
}

}  // namespace b2m::io
