// NumPy .npy files (format version 1.0, little-endian float64, C order), for
// users who load results straight into numpy. Staged (io/atomic_file.hpp):
// written to "<path>.partial", for promote_file once the result it copies
// is committed.
#pragma once

#include <string>
#include <vector>

namespace b2m::io {

// The magic string, version and header of a C-order array of element type
// `descr` (e.g. "<f8") and `shape`, padded so that the data that follows
// starts on a multiple of 64 bytes (format 1.0).
[[nodiscard]] std::string npy_header(const std::string& descr,
                                     const std::vector<std::size_t>& shape);

// `values`: row-major (C order), shape[0] x shape[1] x ... elements.
void stage_npy(const std::string& path, const double* values,
               const std::vector<std::size_t>& shape);

}  // namespace b2m::io
