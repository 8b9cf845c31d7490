// The generation farm's work on one rank (issue 18): rows of a unit's
// queries in batches through a generator, every file validated, failed
// rows retried with backoff, and a record per row so that a rerun (or
// another array element) generates only the rows whose validated file is
// missing.
//
// A unit's folder holds the final <clip>.wav of each row, rows/<row>.json
// (the row's record, written after its WAV), logs/ (each external call's
// output) and work/ (each call's fresh output folder, removed after it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/generators.hpp"

namespace b2m::jobs {

struct FarmSettings {
  std::size_t batch = 4;  // rows per generator call (the model loads once per call)
  int retries = 2;        // further calls for a row whose file failed validation
  double backoff_s = 1;   // before retry k: backoff_s * 2^(k-1) seconds
};

// What became of a row.
struct RowRecord {
  std::size_t row = 0;
  std::string clip;      // the test clip it reconstructs
  std::string file;      // <clip>.wav in the unit's folder
  std::string checksum;  // XXH3-128 of the file
  std::uint64_t seed = 0;
  int attempts = 0;
  double seconds = 0;  // wall time of its calls, shared out over their rows
  bool ok = false;
  bool reused = false;      // found valid from an earlier run, not generated now
  std::string error;        // why not ok: the last problem and the generator's output
  std::string fingerprint;  // the run's; a record of another run is not reused
};
[[nodiscard]] nlohmann::json to_json(const RowRecord& r);
[[nodiscard]] RowRecord row_record(const nlohmann::json& j);

// The problem with a reconstruction, or "" if it is valid: it exists,
// decodes, has the rate, lasts `seconds` (to 1% or 20 ms), holds finite
// samples and is not silent (RMS at least 1e-4, -80 dBFS).
[[nodiscard]] std::string wav_problem(const std::string& path, int rate, double seconds);

// Generates `rows` (this rank's) of the unit in `dir` through `g`; `clips`
// names every row's clip. Rows with a valid record of this `fingerprint`
// are reused. Returns a record per row, in the order of `rows`.
[[nodiscard]] std::vector<RowRecord> generate_rows(Generator& g, const GeneratorCall& base,
                                                   const std::vector<std::size_t>& rows,
                                                   const std::vector<std::string>& clips,
                                                   const std::string& dir,
                                                   const FarmSettings& settings,
                                                   const std::string& fingerprint);

}  // namespace b2m::jobs
