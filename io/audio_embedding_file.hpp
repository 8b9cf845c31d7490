// The embeddings of audio clips (docs/formats.md, "Audio embeddings"), what
// `b2m embed` writes and `b2m evaluate` reads: /ids [n] (fixed-length
// strings), /embeddings [n, d] float64, and attributes naming the embedder.
#pragma once

#include <string>
#include <vector>

#include "io/h5_file.hpp"

namespace b2m::io {

// Creates the datasets and writes the ids (from rank 0) and the embedder's
// name. Collective.
void create_audio_embeddings(H5File& f, const std::vector<std::string>& ids, std::size_t dim,
                             const std::string& embedder);
// Rows [first, first + rows) of the embeddings, row-major. Collective; a
// rank without rows passes none.
void write_audio_embeddings(H5File& f, std::size_t first, std::size_t rows,
                            const std::vector<double>& values);

}  // namespace b2m::io
