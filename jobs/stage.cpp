#include "jobs/stage.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <set>

#include "core/error.hpp"
#include "io/run_lock.hpp"
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

// Every file the stage writes, for its run locks.
std::vector<std::string> written_files(const std::vector<Unit>& units, const std::string& summary) {
  std::vector<std::string> out;
  for (const Unit& u : units) {
    out.insert(out.end(), u.outputs.begin(), u.outputs.end());
    out.insert(out.end(), u.side_files.begin(), u.side_files.end());
  }
  if (!summary.empty()) out.push_back(summary);
  return out;
}

}  // namespace

io::OutputFile UnitRun::open(std::size_t i, const io::ResumeCheck& resume) const {
  return io::OutputFile(unit_.outputs.at(i), provenance_, comm_, resume);
}

void UnitRun::commit(io::OutputFile& out, const nlohmann::json& row) const {
  const bool first = out.path() == unit_.outputs.front();
  out.commit(first ? row.dump() : std::string(),
             first ? unit_.side_files : std::vector<std::string>());
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
  std::vector<std::string> missing;
  std::set<std::string> seen;
  for (const std::string& path : inputs)
    if (!checksum_cache_.count(path) && seen.insert(path).second) missing.push_back(path);
  for (const std::string& path : missing)
    mpi::agree_on(group, [&] { io::check_input_complete(path, group); });
  for (const io::InputFile& in : io::checksum_inputs(missing, group))
    checksum_cache_[in.path] = in.checksum;
  std::vector<io::InputFile> out;
  for (const std::string& path : inputs) out.push_back({path, checksum_cache_.at(path)});
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
    const bool complete =
        io::outputs_complete(unit.outputs, provenance, options_.overwrite, group) &&
        io::side_files_current(unit.outputs.front(), unit.side_files, group);
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
  // Rank 0 holds the locks of every file the stage writes, from before
  // anything is looked at until the stage ends.
  io::RunLocks locks;
  mpi::agree_on(world, [&] {
    check_outputs(verb_, units);
    if (world.is_root())
      locks = io::RunLocks(written_files(units, options_.summary), options_.command_line);
  });
  const mpi::GroupSplit split = mpi::split_into_groups(world, groups);
  nlohmann::json mine = nlohmann::json::array();
  // Groups take units in rounds, and a failure in any group ends the round
  // on every rank: no group waits for one that has given up. A failure its
  // group has not agreed on is not waited for here (its peers may be in a
  // collective of the group): it ends the job through main's abort.
  const std::size_t rounds = (units.size() + groups - 1) / groups;
  for (std::size_t round = 0; round < rounds; ++round) {
    std::exception_ptr failure;
    try {
      const std::size_t i = round * groups + split.group;
      if (i < units.size()) {
        nlohmann::json row = run_one(units[i], split.comm, run_unit);
        if (split.comm.is_root()) mine.push_back({{"unit", i}, {"row", std::move(row)}});
      }
    } catch (...) {
      if (!mpi::failure_agreed_on(split.comm)) throw;
      failure = std::current_exception();
    }
    mpi::agree(world, failure);
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
