// What every output records about how it was made.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/h5_file.hpp"
#include "mpi/comm.hpp"

namespace b2m::io {

struct InputFile {
  std::string path;
  std::string checksum;
};

struct Provenance {
  std::string command_line;
  nlohmann::json parameters = nlohmann::json::object();
  std::vector<InputFile> inputs;

  // A fingerprint of parameters and input checksums: a partial output is
  // resumed only if its fingerprint equals the new run's.
  [[nodiscard]] std::string fingerprint() const;
};

// Checksums the inputs, split over the ranks, and shares them (collective).
[[nodiscard]] std::vector<InputFile> checksum_inputs(const std::vector<std::string>& paths,
                                                     const mpi::Comm& comm);

// The command line as one shell-quoted string.
[[nodiscard]] std::string join_command_line(int argc, const char* const* argv);

// Writes the provenance attributes on "/" (collective).
void write_provenance(H5File& file, const Provenance& provenance);

}  // namespace b2m::io
