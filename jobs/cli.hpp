// The command line, shared: each verb's driver file defines its options
// from the groups below (each defined once, with one default per verb where
// verbs differ), parses them into its plain options struct and calls its
// driver; the verb table (verbs.hpp) lists the verbs. Options are parsed on every
// rank, so a bad option fails on all of them together.
#pragma once

#include <cxxopts.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/decode_samples.hpp"
#include "analysis/feature_alignment.hpp"
#include "jobs/stage.hpp"
#include "mpi/agree.hpp"
#include "mpi/comm.hpp"
#include "solvers/alpha_grid.hpp"

namespace b2m::jobs::cli {

// The arguments of one verb (argv[0] is the verb) and the whole command
// line, as every output's provenance records it.
struct Arguments {
  int argc = 0;
  char** argv = nullptr;
  std::string command_line;
};

class Parser {
 public:
  Parser(const std::string& verb, const std::string& description);
  [[nodiscard]] const std::string& verb() const { return verb_; }
  [[nodiscard]] cxxopts::OptionAdder add() { return spec_.add_options(); }
  // Positional arguments collect into the vector option `name`.
  void positional(const std::string& name, const std::string& help);

  // Option groups.
  // --out (with `out_help`), --overwrite and, if `summary`, --summary.
  // `out_required` false: a verb that writes files only for some inputs
  // checks --out itself.
  void outputs(const std::string& out_help, bool summary = true, bool out_required = true);
  // --folds, --alphas, --n-alphas, --alpha-min, --alpha-max (default `alpha_max`).
  void cross_validation(double alpha_max);
  // --events, and --tr.
  void events();
  // --features, --space, --events, --delays, --tr: a design aligned on the fly;
  // with `several_spaces`, --space is repeatable (read by spaces()).
  void alignment(bool several_spaces = false);
  // --delay, --cut-windows, --drop-first-event: how embedding windows become
  // samples of the scans (analysis::SampleOptions); needs events().
  void windows();
  // --carry-over-rows: rows at the start of each test clip left out of the r
  // that stats tests and compare resamples (io::tested_carry_over).
  void carry_over();

  // Parses `args`; nullopt when --help was asked for (and printed by rank 0).
  [[nodiscard]] std::optional<cxxopts::ParseResult> parse(const Arguments& args);

  // Readers of the groups and of single options.
  [[nodiscard]] OutputOptions outputs(const cxxopts::ParseResult& r, const Arguments& args) const;
  [[nodiscard]] std::size_t folds(const cxxopts::ParseResult& r) const;
  [[nodiscard]] analysis::DesignSource alignment(const cxxopts::ParseResult& r) const;
  // Every --space of alignment(true), in order.
  [[nodiscard]] std::vector<std::string> spaces(const cxxopts::ParseResult& r) const;
  // The window options and --tr.
  [[nodiscard]] analysis::SampleOptions windows(const cxxopts::ParseResult& r) const;
  // --carry-over-rows; unset: each result's own (its largest FIR delay).
  [[nodiscard]] std::optional<std::size_t> carry_over(const cxxopts::ParseResult& r) const;
  // --tr (seconds), checked to be a plausible repetition time.
  [[nodiscard]] double tr(const cxxopts::ParseResult& r) const;
  [[nodiscard]] solvers::AlphaGrid alphas(const cxxopts::ParseResult& r) const;
  // A required option's value (ConfigError naming the verb and option).
  template <class T>
  [[nodiscard]] T required(const cxxopts::ParseResult& r, const std::string& name) const {
    if (!r.count(name)) throw ConfigError(verb_ + ": --" + name + " is required");
    return r[name].as<T>();
  }
  // An optional option's value, or `fallback`.
  template <class T>
  [[nodiscard]] T optional(const cxxopts::ParseResult& r, const std::string& name,
                           T fallback) const {
    return r.count(name) ? r[name].as<T>() : fallback;
  }
  // One of `choices` (ConfigError listing them otherwise).
  [[nodiscard]] std::string choice(const cxxopts::ParseResult& r, const std::string& name,
                                   const std::vector<std::string>& choices) const;
  // A process grid "RxC" (ConfigError otherwise).
  [[nodiscard]] std::pair<int, int> grid(const cxxopts::ParseResult& r,
                                         const std::string& name) const;
  // A comma-separated list of integers.
  [[nodiscard]] std::vector<int> integers(const cxxopts::ParseResult& r,
                                          const std::string& name) const;

 private:
  std::string verb_;
  cxxopts::Options spec_;
  bool out_required_ = true;
  bool several_spaces_ = false;
};

// The window options as a stage's parameters record them.
[[nodiscard]] nlohmann::json parameters(const analysis::SampleOptions& o);
// The carry-over setting as a stage parameter, recorded even when unset:
// outputs of b2m before the carry-over rows were left out used every row,
// and must not pass for complete outputs of the same command.
[[nodiscard]] nlohmann::json carry_over_parameter(std::optional<std::size_t> rows);

// Parses a verb's options on every rank of `world` (a failure on one is a
// failure on all) and, unless --help was asked for, runs it.
template <class Options, class Parse, class Run>
int run_verb(const Arguments& args, const mpi::Comm& world, Parse&& parse, Run&& run) {
  const std::optional<Options> options = mpi::agree_on(world, [&] { return parse(args); });
  if (options) run(*options, world);
  return 0;
}

}  // namespace b2m::jobs::cli
