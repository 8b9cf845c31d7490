#include "jobs/stats_job.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>

#include "analysis/permutation_test.hpp"
#include "analysis/roi_summary.hpp"
#include "analysis/significance.hpp"
#include "analysis/subject_tests.hpp"
#include "core/error.hpp"
#include "io/encode_files.hpp"
#include "io/h5_matrix.hpp"
#include "io/output_file.hpp"
#include "io/responses_file.hpp"
#include "jobs/cli.hpp"
#include "jobs/roi_table.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"
#include "mpi/partition.hpp"
#include "mpi/rank_grid.hpp"

namespace b2m::jobs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* const kTest =
    "one-sided permutation test of r over the rows of each test clip past its carry-over rows "
    "(r_tested): whole test clips of the observed rows permuted against the prediction; p = (1 "
    "+ #{r_perm >= r}) / (1 + P); p_fwer from the null of the largest r over voxels; q: "
    "Benjamini-Hochberg over the voxels' p";

// What every rank holds once its share is combined: per voxel r and the
// permutations at or above it; per permutation the largest r.
struct Counts {
  std::vector<double> r;
  std::vector<std::uint64_t> exceed;
  std::vector<double> max_r;
};

// Counts of this rank's voxels (its voxel group's range, read in blocks)
// under its permutation group's share of the permutations, combined over
// the grid. Collective over `comm`.
Counts count_permutations(const io::H5File& f, const io::TestRows& t, std::size_t carry_over,
                          const std::vector<std::vector<std::uint32_t>>& permutations,
                          const StatsOptions& o, const mpi::Comm& comm) {
  const mpi::RankGrid grid(comm, o.permutation_groups);
  std::vector<std::vector<std::uint32_t>> mine;
  for (std::size_t k = grid.fold_group(); k < permutations.size(); k += grid.fold_groups())
    mine.push_back(permutations[k]);
  const mpi::Range voxels = mpi::even_part(t.voxels, grid.voxel_groups(), grid.voxel_group());
  const std::size_t rounds =
      comm.allreduce((voxels.size() + o.block_size - 1) / o.block_size, mpi::Op::max);
  std::vector<double> r;
  std::vector<std::uint64_t> exceed;
  std::vector<double> max_r(permutations.size(), -std::numeric_limits<double>::infinity());
  for (std::size_t round = 0; round < rounds; ++round) {
    const std::size_t begin = std::min(voxels.end, voxels.begin + round * o.block_size);
    const mpi::Range cols{begin, std::min(voxels.end, begin + o.block_size)};
    io::ColMajor<float> prediction, observed;
    mpi::agree_on(comm, [&] {
      prediction = io::read_columns<float>(f, "/test/prediction", t.m, cols);
      observed = io::read_columns<float>(f, "/test/observed", t.m, cols);
    });
    mpi::agree_on(comm, [&] {
      io::check_finite(prediction, f.path() + ":/test/prediction", cols);
      io::check_finite(observed, f.path() + ":/test/observed", cols);
    });
    const analysis::PermutationCounts c = analysis::permutation_counts<float>(
        analysis::clip_tails<float>(prediction, t.clip_rows, carry_over),
        analysis::clip_tails<float>(observed, t.clip_rows, carry_over), t.clip_rows - carry_over,
        mine);
    r.insert(r.end(), c.r.data(), c.r.data() + c.r.size());
    exceed.insert(exceed.end(), c.exceed.begin(), c.exceed.end());
    for (std::size_t k = 0; k < mine.size(); ++k) {
      double& top = max_r[grid.fold_group() + k * grid.fold_groups()];
      top = std::max(top, c.max_r[k]);
    }
  }
  grid.fold_peers().allreduce_in_place(exceed.data(), exceed.size(), mpi::Op::sum);
  comm.allreduce_in_place(max_r.data(), max_r.size(), mpi::Op::max);
  // Voxel groups in rank order hold the voxels in order; one rank each says.
  const bool speaks = grid.fold_group() == 0;
  Counts all;
  all.r = comm.allgatherv(r.data(), speaks ? r.size() : 0);
  all.exceed = comm.allgatherv(exceed.data(), speaks ? exceed.size() : 0);
  all.max_r = std::move(max_r);
  return all;
}

std::size_t ones(const std::vector<std::uint8_t>& mask) {
  return std::size_t(std::count(mask.begin(), mask.end(), std::uint8_t{1}));
}

nlohmann::json stats_unit(UnitRun& run, const StatsOptions& o) {
  const mpi::Comm& comm = run.comm();
  const std::string& path = run.unit().inputs.front();
  auto file = mpi::agree_on(
      comm, [&] { return std::make_unique<io::H5File>(path, io::Access::read, comm); });
  const io::TestRows t = mpi::agree_on(comm, [&] { return io::read_test_rows(*file); });
  const std::size_t carry_over =
      mpi::agree_on(comm, [&] { return io::tested_carry_over(t, o.carry_over_rows, path); });
  const ResultRecord record = mpi::agree_on(comm, [&] { return read_result_record(path, comm); });
  std::string subject = record.text("subject"), space = record.text("space");
  if (subject.empty()) subject = run.unit().name;
  if (space.empty()) space = "unknown";
  std::vector<std::vector<std::uint32_t>> permutations;
  for (std::size_t k = 0; k < o.permutations; ++k)
    permutations.push_back(analysis::clip_permutation(o.seed, k, t.clips()));
  const Counts c = count_permutations(*file, t, carry_over, permutations, o, comm);
  const std::vector<double> r_test = file->read_all<double>("/voxels/r_test");

  const Eigen::VectorXd r = Eigen::Map<const Eigen::VectorXd>(c.r.data(), Eigen::Index(c.r.size()));
  const std::vector<double> p = analysis::permutation_p(r, c.exceed, o.permutations);
  const analysis::MaxStatisticNull null(c.max_r);
  const std::vector<double> p_fwer = null.p_values(r);
  const std::vector<double> q = analysis::fdr_q_values(p);
  const std::vector<std::uint8_t> significant = analysis::threshold_mask(q, o.q, true),
                                  family = analysis::threshold_mask(p_fwer, o.fwer, true);
  const double r_fwer = null.threshold(o.fwer);

  io::OutputFile out = run.open();
  io::H5File& f = out.file();
  const io::Shape per_voxel{t.voxels};
  f.write_all<double>("/voxels/r_test", per_voxel, r_test);
  f.write_all<double>("/voxels/r_tested", per_voxel, c.r);
  f.write_all<double>("/voxels/p_permutation", per_voxel, p);
  f.write_all<double>("/voxels/p_fwer", per_voxel, p_fwer);
  f.write_all<double>("/voxels/q", per_voxel, q);
  f.write_all<std::uint8_t>("/voxels/significant", per_voxel, significant);
  f.write_all<std::uint8_t>("/voxels/significant_fwer", per_voxel, family);
  f.write_all<double>("/null/max_r", {o.permutations}, c.max_r);
  std::vector<std::int32_t> table;
  for (const auto& pi : permutations) table.insert(table.end(), pi.begin(), pi.end());
  f.write_all<std::int32_t>("/null/permutations", {o.permutations, t.clips()}, table);
  f.write_attribute("/", "test", std::string(kTest));
  f.write_attribute("/", "subject", subject);
  f.write_attribute("/", "space", space);
  f.write_attribute("/null", "clip_rows", std::vector<double>{double(t.clip_rows)});
  f.write_attribute("/null", "carry_over_rows", std::vector<double>{double(carry_over)});
  io::copy_voxel_geometry(*file, f);
  const nlohmann::json row = {{"result", run.unit().name},
                              {"subject", subject},
                              {"space", space},
                              {"voxels", t.voxels},
                              {"permutations", o.permutations},
                              {"carry_over_rows", carry_over},
                              {"significant_q", ones(significant)},
                              {"significant_fwer", ones(family)},
                              {"r_fwer", io::number(r_fwer)}};
  run.commit(out, row);
  return row;
}

// The per-ROI table of the stats outputs, per subject and across subjects
// (rows with subject "all"), on rank 0 of `world`.
void write_roi_summary(const std::vector<Unit>& units, const StatsOptions& o,
                       const mpi::Comm& world) {
  mpi::agree_on(world, [&] {
    if (!world.is_root()) return;
    const mpi::Comm self = mpi::Comm::self();
    RoiTable table("space", "r", {"q", "fwer"});
    for (const Unit& u : units) {
      const io::H5File f(u.outputs.front(), io::Access::read, self);
      const io::Shape shape = f.shape("/voxels/r_test");
      if (!f.exists("/voxels/roi"))
        throw InputError(u.inputs.front() +
                         " has no /voxels/roi: --roi-summary needs results of responses with an "
                         "atlas (encode copies it from them)");
      const io::Atlas atlas = io::read_atlas(f, shape[0]);
      table.add(f.read_string_attribute("/", "subject"), f.read_string_attribute("/", "space"),
                analysis::roi_scores(atlas.label, atlas.names, f.read_all<double>("/voxels/r_test"),
                                     {f.read_all<std::uint8_t>("/voxels/significant"),
                                      f.read_all<std::uint8_t>("/voxels/significant_fwer")}));
    }
    table.write(o.roi_summary);
  });
}

// The figures of decode, retrieve and evaluate results that are reported
// as above chance, and their chance level: a constant, or another field of
// the same row (a corpus's genre mix sets the chance of genre agreement;
// a reconstruction's tag agreement is tested against its pairing chance,
// the agreement of its own mix of classes paired at random).
struct Figure {
  const char* stage;
  const char* name;
  double chance;
  const char* chance_field;
};
constexpr Figure kFigures[] = {{"decode", "identification", 0.5, nullptr},
                               {"decode", "identification_clip", 0.5, nullptr},
                               {"retrieve", "top1_genre", 0.0, "chance_genre"},
                               {"retrieve", "identification", 0.5, nullptr},
                               {"evaluate", "identification", 0.5, nullptr},
                               {"evaluate", "genre", 0.0, "pairing_chance_genre"},
                               {"evaluate", "instrument", 0.0, "pairing_chance_instrument"},
                               {"evaluate", "mood", 0.0, "pairing_chance_mood"}};

const char* const kSubjectTest =
    "one-sided, on value - chance: one-sample t-test (df = n - 1); sign-flip test (exact: all "
    "2^n sign patterns)";

// Tests across subjects of the decode and retrieve results, grouped by
// stage and space; printed, and written to --subject-tests.
void test_subjects(const std::vector<std::pair<std::string, ResultRecord>>& results,
                   const StatsOptions& o, const mpi::Comm& world) {
  std::vector<std::pair<std::string, std::string>> groups;  // (stage, space), first seen first
  // Per group, per subject: the (path, record) of its result.
  using Result = std::pair<std::string, ResultRecord>;
  std::map<std::pair<std::string, std::string>, std::map<std::string, const Result*>> members;
  for (const Result& result : results) {
    const auto& [path, record] = result;
    // Reconstructions group by space and generator.
    const auto key =
        std::pair(record.stage, record.stage == "evaluate"
                                    ? record.text("space") + " (" + record.text("generator") + ")"
                                    : record.text("space"));
    const std::string subject = record.text("subject");
    if (subject.empty() || key.second.empty())
      throw InputError(path +
                       ": its summary row names no subject or space (a result of an older "
                       "b2m?): rerun its stage");
    if (members.find(key) == members.end()) groups.push_back(key);
    const auto [at, fresh] = members[key].emplace(subject, &result);
    if (!fresh)
      throw InputError("stats: " + at->second->first + " and " + path + " are both " +
                       record.stage + " results of " + subject + " in " + key.second +
                       ": a subject must be counted once");
  }
  io::SummaryTable table({io::text("stage"), io::text("space"), io::text("figure"),
                          io::count("subjects"), io::mean_sd("value"), io::real("chance"),
                          io::real("t"), io::real("p_t", "%.3g"), io::real("p_sign_flip", "%.3g"),
                          io::text("test")});
  for (const auto& key : groups)
    for (const Figure& figure : kFigures) {
      if (key.first != figure.stage) continue;
      std::vector<double> values, chance;
      for (const auto& [subject, result] : members[key]) {
        const nlohmann::json& row = result->second.row;
        const double v = row.contains(figure.name) ? io::number_or_nan(row[figure.name]) : kNaN;
        const double c = figure.chance_field == nullptr ? figure.chance
                         : row.contains(figure.chance_field)
                             ? io::number_or_nan(row[figure.chance_field])
                             : kNaN;
        if (std::isfinite(v) && std::isfinite(c)) {
          values.push_back(v);
          chance.push_back(c);
        }
      }
      if (values.empty()) continue;  // (identification among a corpus without the stimuli)
      const analysis::SubjectTest t = analysis::test_above_chance(values, chance);
      table.add({{"stage", key.first},
                 {"space", key.second},
                 {"figure", figure.name},
                 {"subjects", t.subjects},
                 {"value", nlohmann::json::array({io::number(t.mean), io::number(t.sd)})},
                 {"chance", io::number(t.chance)},
                 {"t", io::number(t.t)},
                 {"p_t", io::number(t.p_t)},
                 {"p_sign_flip", io::number(t.p_sign_flip)},
                 {"test", kSubjectTest}});
    }
  print_table(table, world);
  if (!o.subject_tests.empty())
    mpi::agree_on(world, [&] {
      if (world.is_root()) io::write_summary(table, o.subject_tests);
    });
}

std::optional<StatsOptions> parse(const cli::Arguments& args) {
  cli::Parser p("stats", "Permutation statistics of encode results (p, family-wise p, FDR q)");
  p.positional("results", "[ENCODE.h5 ...]");
  p.add()("results",
          "encode outputs made with --save-predictions (tested voxel by voxel); decode, "
          "retrieve and evaluate outputs (tested across subjects)",
          cxxopts::value<std::vector<std::string>>())(
      "permutations", "permutations of the test clips",
      cxxopts::value<std::size_t>()->default_value("1000"))(
      "seed", "seed of the permutations", cxxopts::value<std::uint64_t>()->default_value("0"))(
      "q", "FDR level of /voxels/significant", cxxopts::value<double>()->default_value("0.05"))(
      "fwer", "family-wise level of /voxels/significant_fwer",
      cxxopts::value<double>()->default_value("0.05"))(
      "permutation-groups", "rank groups that split the permutations (must divide the ranks)",
      cxxopts::value<std::size_t>()->default_value("1"))(
      "block-size", "voxels read at once", cxxopts::value<std::size_t>()->default_value("4096"))(

      "roi-summary", "per-ROI table (TSV, or JSON for *.json): per subject and across subjects",
      cxxopts::value<std::string>())("subject-tests",
                                     "table of the tests across subjects (TSV, or JSON for *.json)",
                                     cxxopts::value<std::string>());
  p.carry_over();
  p.outputs("output file; {name} is the encode result's name (needed for encode results only)",
            true, false);
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  StatsOptions o;
  o.results = p.required<std::vector<std::string>>(*r, "results");
  o.permutations = (*r)["permutations"].as<std::size_t>();
  o.seed = (*r)["seed"].as<std::uint64_t>();
  o.q = (*r)["q"].as<double>();
  o.fwer = (*r)["fwer"].as<double>();
  o.permutation_groups = (*r)["permutation-groups"].as<std::size_t>();
  o.block_size = (*r)["block-size"].as<std::size_t>();
  o.carry_over_rows = p.carry_over(*r);
  o.roi_summary = p.optional<std::string>(*r, "roi-summary", "");
  o.subject_tests = p.optional<std::string>(*r, "subject-tests", "");
  o.output = p.outputs(*r, args);
  for (const auto& [name, level] : {std::pair("q", o.q), std::pair("fwer", o.fwer)})
    if (!(level > 0 && level < 1))
      throw ConfigError("stats: --" + std::string(name) + " must lie in (0, 1)");
  // The smallest p of P permutations is 1 / (P + 1): below that no voxel
  // can pass, whatever its r.
  const double smallest = 1.0 / double(o.permutations + 1);
  if (smallest >= std::min(o.q, o.fwer))
    throw ConfigError("stats: " + std::to_string(o.permutations) +
                      " permutations cannot reach p < " + std::to_string(std::min(o.q, o.fwer)) +
                      " (the smallest p is 1 / (P + 1) = " + std::to_string(smallest) +
                      "); use at least " +
                      std::to_string(std::size_t(std::ceil(1 / std::min(o.q, o.fwer)))) +
                      " permutations (1,000 or more for stable maps)");
  if (o.block_size < 1) throw ConfigError("stats: --block-size must be positive");
  return o;
}

}  // namespace

io::SummaryTable run_stats(const StatsOptions& o, const mpi::Comm& world) {
  // Decode, retrieve and evaluate results are tested across subjects;
  // encode results (and files in their layout made elsewhere) voxel by voxel.
  std::vector<std::string> voxelwise;
  std::vector<std::pair<std::string, ResultRecord>> subject_level;
  for (const std::string& path : o.results) {
    mpi::agree_on(world, [&] { io::check_input_complete(path, world); });
    ResultRecord record = mpi::agree_on(world, [&] { return read_result_record(path, world); });
    if (record.stage == "decode" || record.stage == "retrieve" || record.stage == "evaluate")
      subject_level.emplace_back(path, std::move(record));
    else
      voxelwise.push_back(path);
  }
  if (!subject_level.empty()) test_subjects(subject_level, o, world);
  if (voxelwise.empty()) return io::SummaryTable({});
  if (voxelwise.size() > 1 && o.output.out.find("{name}") == std::string::npos)
    throw ConfigError("stats: with several encode results, --out must contain {name}");
  if (o.output.out.empty()) throw ConfigError("stats: --out is required for encode results");
  nlohmann::json parameters = {
      {"permutations", o.permutations}, {"seed", o.seed}, {"q", o.q}, {"fwer", o.fwer}};
  parameters["carry_over_rows"] = cli::carry_over_parameter(o.carry_over_rows);
  std::vector<Unit> units;
  for (const std::string& path : voxelwise)
    units.push_back({file_stem(path), {fill(o.output.out, "name", file_stem(path))}, {path}});
  Stage stage("stats",
              {io::text("result"), io::text("subject"), io::text("space"), io::count("voxels"),
               io::count("permutations"), io::count("carry_over_rows"), io::count("significant_q"),
               io::count("significant_fwer"), io::real("r_fwer")},
              o.output, parameters);
  // Rank groups take the results in turn; each holds whole permutation groups.
  const auto ranks = std::size_t(world.size());
  if (o.permutation_groups < 1 || ranks % o.permutation_groups != 0)
    throw ConfigError("stats: --permutation-groups (" + std::to_string(o.permutation_groups) +
                      ") must divide the number of ranks (" + std::to_string(ranks) + ")");
  const io::SummaryTable table =
      stage.run(units, mpi::group_count(units.size(), ranks / o.permutation_groups), world,
                [&](UnitRun& run) { return stats_unit(run, o); });
  if (!o.roi_summary.empty()) write_roi_summary(units, o, world);
  return table;
}

int stats_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<StatsOptions>(args, world, parse, run_stats);
}

void stats_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
