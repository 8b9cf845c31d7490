// NumPy .npy files (format version 1.0, little-endian float64, C order), for
// users who load results straight into numpy. Written atomically: to
// "<path>.partial", renamed when complete.
#pragma once

#include <string>
#include <vector>

namespace b2m::io {

// `values`: row-major (C order), shape[0] x shape[1] x ... elements.
void write_npy(const std::string& path, const double* values,
               const std::vector<std::size_t>& shape);

}  // namespace b2m::io
