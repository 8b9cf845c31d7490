// Content checksums of input files, recorded in every output's provenance.
#pragma once

#include <string>

namespace b2m::io {

// XXH3-128 of the whole file as 32 hex digits. XXH3 streams at memory speed,
// so checksumming a multi-GB responses file costs about one read of it.
[[nodiscard]] std::string file_checksum(const std::string& path);

}  // namespace b2m::io
