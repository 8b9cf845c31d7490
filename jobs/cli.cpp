#include "jobs/cli.hpp"

#include <algorithm>

#include <cstdio>

#include "core/error.hpp"
#include "mpi/environment.hpp"

namespace b2m::jobs::cli {

Parser::Parser(const std::string& verb, const std::string& description)
    : verb_(verb), spec_("b2m " + verb, description) {
  spec_.add_options()("h,help", "show this help");
}

void Parser::positional(const std::string& name, const std::string& help) {
  spec_.parse_positional({name});
  spec_.positional_help(help);
}

void Parser::outputs(const std::string& out_help, bool summary, bool out_required) {
  out_required_ = out_required;
  spec_.add_options()("out", out_help, cxxopts::value<std::string>())(
      "overwrite", "replace a complete output made with other parameters or inputs");
  if (summary)
    spec_.add_options()("summary", "write the summary table here (TSV, or JSON for *.json)",
                        cxxopts::value<std::string>());
}

void Parser::cross_validation(double alpha_max) {
  char max[32];
  std::snprintf(max, sizeof max, "%g", alpha_max);
  spec_.add_options()("folds", "cross-validation folds (grouped by run)",
                      cxxopts::value<std::size_t>()->default_value("5"))(
      "alphas", "explicit alpha grid (comma separated)", cxxopts::value<std::vector<double>>())(
      "n-alphas", "log-spaced alphas", cxxopts::value<std::size_t>()->default_value("20"))(
      "alpha-min", "smallest alpha", cxxopts::value<double>()->default_value("1"))(
      "alpha-max", "largest alpha", cxxopts::value<double>()->default_value(max));
}

void Parser::events() {
  spec_.add_options()("events", "BIDS func directory with the events files",
                      cxxopts::value<std::string>())(
      "tr", "repetition time (s)", cxxopts::value<double>()->default_value("1.5"));
}

void Parser::alignment(bool several_spaces) {
  events();
  several_spaces_ = several_spaces;
  if (several_spaces)
    spec_.add_options()("space", "feature space in the feature file (repeatable)",
                        cxxopts::value<std::vector<std::string>>());
  else
    spec_.add_options()("space", "feature space in the feature file",
                        cxxopts::value<std::string>());
  spec_.add_options()("features", "feature file with clip embeddings",
                      cxxopts::value<std::string>())(
      "delays", "FIR delays in TRs",
      cxxopts::value<std::vector<std::string>>()->default_value("1,2,3,4,5,6"));
}

void Parser::windows() {
  spec_.add_options()("delay", "hemodynamic delay added to every window, seconds",
                      cxxopts::value<double>()->default_value("4.5"))(
      "cut-windows",
      "cut training windows at the clip's end, as test windows are (default: they run on)")(
      "drop-first-event", "leave out each training run's first clip (the warm-up)");
}

void Parser::carry_over() {
  spec_.add_options()("carry-over-rows",
                      "rows at the start of each test clip left out of the r tested (default: "
                      "each result's largest FIR delay, the rows whose prediction holds earlier "
                      "clips)",
                      cxxopts::value<std::size_t>());
}

std::optional<cxxopts::ParseResult> Parser::parse(const Arguments& args) {
  cxxopts::ParseResult result;
  try {
    result = spec_.parse(args.argc, args.argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw ConfigError(spec_.program() + ": " + e.what());
  }
  if (result.count("help")) {
    if (mpi::world_rank() == 0) std::printf("%s\n", spec_.help().c_str());
    return std::nullopt;
  }
  if (!result.unmatched().empty())
    throw ConfigError(spec_.program() + ": unexpected argument '" + result.unmatched()[0] + "'");
  return result;
}

OutputOptions Parser::outputs(const cxxopts::ParseResult& r, const Arguments& args) const {
  OutputOptions o;
  o.out = out_required_ ? required<std::string>(r, "out") : optional<std::string>(r, "out", "");
  o.overwrite = r.count("overwrite") > 0;
  if (r.count("summary")) o.summary = r["summary"].as<std::string>();
  o.command_line = args.command_line;
  return o;
}

std::size_t Parser::folds(const cxxopts::ParseResult& r) const {
  return r["folds"].as<std::size_t>();
}

analysis::DesignSource Parser::alignment(const cxxopts::ParseResult& r) const {
  analysis::DesignSource a;
  a.features = optional<std::string>(r, "features", "");
  if (!several_spaces_) a.space = optional<std::string>(r, "space", "");
  a.events_dir = optional<std::string>(r, "events", "");
  a.delays = integers(r, "delays");
  std::vector<int> sorted = a.delays;
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty() && sorted.front() < 0)
    throw ConfigError(verb_ + ": --delays must be >= 0 TRs, got " + std::to_string(sorted.front()));
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw ConfigError(verb_ + ": --delays names a delay twice");
  a.tr = tr(r);
  return a;
}

std::vector<std::string> Parser::spaces(const cxxopts::ParseResult& r) const {
  return optional<std::vector<std::string>>(r, "space", {});
}

analysis::SampleOptions Parser::windows(const cxxopts::ParseResult& r) const {
  analysis::SampleOptions o;
  o.tr = tr(r);
  o.delay_s = r["delay"].as<double>();
  if (!(o.delay_s >= 0 && o.delay_s <= 30))
    throw ConfigError(verb_ + ": --delay must be between 0 and 30 seconds (the hemodynamic lag)");
  o.cut_windows = r.count("cut-windows") > 0;
  o.drop_first_event = r.count("drop-first-event") > 0;
  return o;
}

std::optional<std::size_t> Parser::carry_over(const cxxopts::ParseResult& r) const {
  if (r.count("carry-over-rows") == 0) return std::nullopt;
  return r["carry-over-rows"].as<std::size_t>();
}

nlohmann::json carry_over_parameter(std::optional<std::size_t> rows) {
  return rows ? nlohmann::json(*rows) : nlohmann::json("each result's");
}

nlohmann::json parameters(const analysis::SampleOptions& o) {
  return {{"tr", o.tr},
          {"delay_s", o.delay_s},
          {"per_clip", o.per_clip},
          {"cut_windows", o.cut_windows},
          {"drop_first_event", o.drop_first_event},
          {"exclude_genre", o.exclude_genre}};
}

namespace {

std::string number_text(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

}  // namespace

double Parser::tr(const cxxopts::ParseResult& r) const {
  // Every fMRI acquisition lies well inside: multiband sequences reach
  // about 0.3 s, sparse sampling about 10-20 s. A value outside is a typo
  // (ms for s) that would make timelines of billions of TRs or of none.
  constexpr double kMin = 0.1, kMax = 30.0;
  const double tr = r["tr"].as<double>();
  if (!(tr >= kMin && tr <= kMax))
    throw ConfigError(verb_ + ": --tr " + number_text(tr) +
                      " is not a repetition time in seconds (between 0.1 and 30)");
  return tr;
}

solvers::AlphaGrid Parser::alphas(const cxxopts::ParseResult& r) const {
  solvers::AlphaGrid g;
  g.values = optional<std::vector<double>>(r, "alphas", {});
  g.count = r["n-alphas"].as<std::size_t>();
  g.min = r["alpha-min"].as<double>();
  g.max = r["alpha-max"].as<double>();
  return g;
}

std::string Parser::choice(const cxxopts::ParseResult& r, const std::string& name,
                           const std::vector<std::string>& choices) const {
  const std::string value = r[name].as<std::string>();
  std::string listed;
  for (const std::string& c : choices) {
    if (c == value) return value;
    listed += (listed.empty() ? "" : ", ") + c;
  }
  throw ConfigError(verb_ + ": --" + name + " must be one of " + listed + ", got '" + value + "'");
}

std::pair<int, int> Parser::grid(const cxxopts::ParseResult& r, const std::string& name) const {
  const std::string g = r[name].as<std::string>();
  const auto x = g.find('x');
  int rows = 0, cols = 0;
  try {
    if (x != std::string::npos) {
      rows = std::stoi(g.substr(0, x));
      cols = std::stoi(g.substr(x + 1));
    }
  } catch (const std::exception&) {
    rows = 0;
  }
  if (rows < 1 || cols < 1)
    throw ConfigError(verb_ + ": --" + name + " must look like 2x2, got '" + g + "'");
  return {rows, cols};
}

std::vector<int> Parser::integers(const cxxopts::ParseResult& r, const std::string& name) const {
  std::vector<int> out;
  for (const std::string& s : r[name].as<std::vector<std::string>>()) {
    try {
      std::size_t used = 0;
      out.push_back(std::stoi(s, &used));
      if (used != s.size()) throw std::invalid_argument(s);
    } catch (const std::exception&) {
      throw ConfigError(verb_ + ": bad value '" + s + "' for --" + name);
    }
  }
  return out;
}

}  // namespace b2m::jobs::cli
