// The b2m version written into every output's provenance.
#pragma once

namespace b2m {

inline constexpr const char* kVersion = "0.2.0";

}  // namespace b2m
