#include "jobs/stage.hpp"

#include <chrono>
#include <cstdio>

#include "core/error.hpp"
#include "mpi/agree.hpp"
#include "mpi/rank_grid.hpp"

namespace b2m::jobs {
namespace {

// Before anything runs: no output (or side file) may name an input, or
// another output.
void check_outputs(const std::string& verb, const std::vector<Unit>& units) {
  std::vector<std::string> outputs, owner, inputs;
  for (const Unit& u : units) {
    for (const auto* files : {&u.outputs, &u.side_files})
      for (const std::string& out : *files) {
        outputs.push_back(out);
        owner.push_back(u.name);
      }
    inputs.insert(inputs.end(), u.inputs.begin(), u.inputs.end());
  }
  io::check_output_paths(outputs, owner, inputs, verb);
}

}  // namespace

io::OutputFile UnitRun::open(std::size_t i, bool with_checkpoint) const {
  return io::OutputFile(unit_.outputs.at(i), provenance_, comm_, with_checkpoint);
}

void UnitRun::commit(io::OutputFile& out, const nlohmann::json& row) const {
  out.commit(out.path() == unit_.outputs.front() ? row.dump() : std::string());
}

Stage::Stage(std::string verb, std::vector<io::Column> columns, OutputOptions options,
             nlohmann::json parameters)
    : verb_(std::move(verb)),
      columns_(std::move(columns)),
      options_(std::move(options)),
      parameters_(std::move(parameters)) {
  parameters_["stage"] = verb_;
}

std::vector<io::InputFile> Stage::checksums(const std::vector<std::string>& inputs,
                                            const mpi::Comm& group) {
  std::vector<io::InputFile> out;
  for (const std::string& path : inputs) {
    const auto cached = checksum_cache_.find(path);
    if (cached == checksum_cache_.end())
      checksum_cache_[path] = io::checksum_inputs({path}, group).front().checksum;
    out.push_back({path, checksum_cache_[path]});
  }
  return out;
}

nlohmann::json Stage::run_one(const Unit& unit, const mpi::Comm& group, const RunUnit& run_unit) {
  const auto start = std::chrono::steady_clock::now();
  io::Provenance provenance;
  provenance.command_line = options_.command_line;
  provenance.parameters = parameters_;
  provenance.parameters.update(unit.parameters);
  provenance.inputs = checksums(unit.inputs, group);
  // A complete output without a summary row (made by hand, say) is made again.
  const std::optional<std::string> done = mpi::agree_on(group, [&] {
    const bool complete = io::outputs_complete(unit.outputs, provenance, options_.overwrite, group);
    return complete ? io::read_output_summary(unit.outputs.front(), group) : std::nullopt;
  });
  const bool complete = done.has_value();
  nlohmann::json row;
  if (complete) {
    row = nlohmann::json::parse(*done);
  } else {
    UnitRun run(unit, std::move(provenance), group);
    row = run_unit(run);
  }
  if (group.is_root()) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %s %s in %.1f s (%d ranks) -> %s\n", verb_.c_str(), unit.name.c_str(),
                complete ? "already complete" : "done", seconds, group.size(),
                unit.outputs.front().c_str());
    std::fflush(stdout);
  }
  return row;
}

io::SummaryTable Stage::run(const std::vector<Unit>& units, std::size_t groups,
                            const mpi::Comm& world, const RunUnit& run_unit) {
  mpi::agree_on(world, [&] { check_outputs(verb_, units); });
  const mpi::GroupSplit split = mpi::split_into_groups(world, groups);
  nlohmann::json mine = nlohmann::json::array();
  for (std::size_t i = split.group; i < units.size(); i += groups) {
    nlohmann::json row = run_one(units[i], split.comm, run_unit);
    if (split.comm.is_root()) mine.push_back({{"unit", i}, {"row", std::move(row)}});
  }
  std::vector<nlohmann::json> rows(units.size());
  for (const std::string& part : world.allgather(mine.dump()))
    for (auto& entry : nlohmann::json::parse(part))
      rows.at(entry.at("unit").get<std::size_t>()) = std::move(entry.at("row"));
  io::SummaryTable table(columns_);
  for (auto& row : rows) table.add(std::move(row));
  print_table(table, world);
  if (!options_.summary.empty())
    mpi::agree_on(world, [&] {
      if (world.is_root()) io::write_summary(table, options_.summary);
    });
  return table;
}

void print_table(const io::SummaryTable& table, const mpi::Comm& comm) {
  if (!comm.is_root() || table.columns().empty()) return;
  std::printf("\n%s", table.text().c_str());
  std::fflush(stdout);
}

}  // namespace b2m::jobs
