// The stage skeleton: what every b2m verb does around its numerics, written
// once. A stage is a list of units of work (a subject, a subject x space
// pair, a prediction file, ...), each with the files it reads and writes.
// For each unit the skeleton
//
//   - records provenance: the command line, the parameters and the XXH3
//     checksum of every input (each file checksummed once per rank group);
//   - applies one existing-output policy: a unit whose outputs are all
//     complete with the same fingerprint is skipped (its summary row read
//     back from the file); one made with other parameters or inputs is
//     refused unless --overwrite; otherwise the unit runs;
//   - lets the driver write through atomic outputs (io/output_file.hpp) that
//     carry the provenance, and records the unit's summary row in its first
//     output when it is committed;
//   - prints a progress line per unit with its wall time;
//
// and for the stage: refuses outputs that would overwrite an input or each
// other before anything runs, splits the ranks into groups that take units
// in turn, gathers the summary rows in unit order, prints them as a table on
// rank 0 and writes them to --summary (TSV, or JSON for *.json) atomically.
//
// A driver supplies the units, its summary columns and a function that runs
// one unit on its rank group; docs/architecture.md shows a whole verb.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/output_file.hpp"
#include "io/summary_table.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

// The output options every verb that writes takes (--out, --overwrite,
// --summary), and the command line its provenance records.
struct OutputOptions {
  std::string out;  // a path, or a template with {subject}, {space} or {name}
  bool overwrite = false;
  std::string summary;  // optional: the stage's summary table, TSV or .json
  std::string command_line;
};

struct Unit {
  Unit(std::string name_, std::vector<std::string> outputs_, std::vector<std::string> inputs_,
       nlohmann::json parameters_ = nlohmann::json::object())
      : name(std::move(name_)),
        outputs(std::move(outputs_)),
        inputs(std::move(inputs_)),
        parameters(std::move(parameters_)) {}
  std::string name;                  // in progress lines and summary rows
  std::vector<std::string> outputs;  // final paths; the first carries the summary row
  std::vector<std::string> inputs;   // checksummed into the provenance
  nlohmann::json parameters = nlohmann::json::object();  // merged over the stage's
  // Files the unit writes beside its outputs (decode's .npy copies): never
  // an input or another unit's, but not fingerprinted.
  std::vector<std::string> side_files;
};

// What a driver's unit function is handed: the unit, the rank group that
// runs it, and the doors to its outputs.
class UnitRun {
 public:
  UnitRun(const Unit& unit, io::Provenance provenance, const mpi::Comm& comm)
      : unit_(unit), provenance_(std::move(provenance)), comm_(comm) {}
  [[nodiscard]] const Unit& unit() const { return unit_; }
  [[nodiscard]] const mpi::Comm& comm() const { return comm_; }
  [[nodiscard]] const io::Provenance& provenance() const { return provenance_; }
  // Opens output `i` of the unit as an atomic output carrying the unit's
  // provenance, resumable with `resume` (collective).
  [[nodiscard]] io::OutputFile open(std::size_t i = 0, const io::ResumeCheck& resume = {}) const;
  // Records `row` in output 0 and commits `out` (collective).
  void commit(io::OutputFile& out, const nlohmann::json& row) const;

 private:
  const Unit& unit_;
  io::Provenance provenance_;
  const mpi::Comm& comm_;
};

class Stage {
 public:
  // `parameters`: what every unit's provenance records (with the verb).
  Stage(std::string verb, std::vector<io::Column> columns, OutputOptions options,
        nlohmann::json parameters);

  // Runs a unit and returns its summary row (a JSON object with a value per
  // column), the same on every rank of the unit's group. Collective there.
  using RunUnit = std::function<nlohmann::json(UnitRun&)>;

  // Runs `units` on `groups` rank groups of `world` (unit i on group
  // i % groups). Returns the summary table in unit order, on every rank.
  // Collective over `world`.
  io::SummaryTable run(const std::vector<Unit>& units, std::size_t groups, const mpi::Comm& world,
                       const RunUnit& run_unit);

 private:
  [[nodiscard]] nlohmann::json run_one(const Unit& unit, const mpi::Comm& group,
                                       const RunUnit& run_unit);
  [[nodiscard]] std::vector<io::InputFile> checksums(const std::vector<std::string>& inputs,
                                                     const mpi::Comm& group);

  std::string verb_;
  std::vector<io::Column> columns_;
  OutputOptions options_;
  nlohmann::json parameters_;
  std::map<std::string, std::string> checksum_cache_;
};

// Prints a table on rank 0 of `comm`, after a blank line.
void print_table(const io::SummaryTable& table, const mpi::Comm& comm);

}  // namespace b2m::jobs
