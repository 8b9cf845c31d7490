#include "jobs/partition_job.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include "analysis/roi_summary.hpp"
#include "analysis/scores.hpp"
#include "analysis/variance_partition.hpp"
#include "analysis/zscore.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "io/design_file.hpp"
#include "io/encode_files.hpp"
#include "io/responses_file.hpp"
#include "jobs/cli.hpp"
#include "jobs/roi_table.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"
#include "mpi/rank_grid.hpp"
#include "solvers/banded_ridge.hpp"
#include "solvers/design_ridge.hpp"
#include "solvers/ridge_cost.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// The spaces' designs side by side and the columns of each (its band).
struct BandedDesign {
  analysis::Design design;
  std::vector<mpi::Range> bands;
};

BandedDesign load_bands(const PartitionOptions& o, const mpi::Comm& comm) {
  BandedDesign out;
  for (const std::string& space : o.spaces) {
    analysis::DesignSource source = o.alignment;
    source.space = space;
    analysis::Design d = analysis::align_design(source, comm);
    const auto begin = std::size_t(out.design.train_x.cols());
    if (out.bands.empty()) {
      out.design = std::move(d);
    } else {
      // Every space is aligned on the same events and delays: the same rows.
      if (d.train_x.rows() != out.design.train_x.rows() ||
          d.test_x.rows() != out.design.test_x.rows())
        throw InputError(o.alignment.features + ": space " + space + " aligns to " +
                         std::to_string(d.train_x.rows()) + " training rows, " + o.spaces.front() +
                         " to " + std::to_string(out.design.train_x.rows()));
      for (auto* part : {&out.design.train_x, &out.design.test_x}) {
        const bool train = part == &out.design.train_x;
        const auto& add = train ? d.train_x : d.test_x;
        part->conservativeResize(Eigen::NoChange, part->cols() + add.cols());
        part->rightCols(add.cols()) = add;
      }
    }
    out.bands.push_back({begin, std::size_t(out.design.train_x.cols())});
  }
  return out;
}

std::string candidate_group(std::size_t c) {
  return "/candidates/" + std::to_string(c);
}

// A resumed output: every candidate group present must be a consistent
// encode result and checkpoint, and the partition's own progress, once it
// exists, readable.
void check_partition_resumable(io::H5File& file, io::H5File& checkpoint) {
  if (file.exists("/progress/blocks_done"))  // (not before the candidates are done)
    static_cast<void>(io::EncodeResults(file).blocks_done());
  for (std::size_t c = 0; checkpoint.exists(candidate_group(c)); ++c)
    io::check_resumable(checkpoint, checkpoint, candidate_group(c));
}

// What the final pass writes per voxel: per subset (mask - 1) the pick and
// its test scores, and the region sizes.
struct PartitionColumns {
  std::vector<std::int32_t> candidate;  // subsets x w
  std::vector<double> alpha, cv_score, r_test, r2_test, exact, corrected;
};

class PartitionPass {
 public:
  PartitionPass(const PartitionOptions& o, const std::vector<Eigen::VectorXd>& candidates,
                const std::vector<double>& alphas, const io::ResponsesLayout& layout,
                io::OutputFile& out, const mpi::Comm& comm)
      : o_(o),
        candidates_(candidates),
        alphas_(alphas),
        layout_(layout),
        out_(out),
        comm_(comm),
        vp_(o.spaces.size()),
        blocks_(layout.voxels, o.passes.block_size) {}

  void create() {
    io::H5File& f = out_.file();
    const std::size_t s = vp_.masks(), v = layout_.voxels;
    f.create<std::int32_t>("/subsets/candidate", {s, v});
    for (const char* set : {"/subsets/alpha", "/subsets/cv_score", "/subsets/r_test",
                            "/subsets/r2_test", "/partition/exact", "/partition/corrected"})
      f.create<double>(set, {s, v});
    f.create<std::uint8_t>("/progress/blocks_done", {blocks_.count()});
    f.flush();
  }

  // This rank's blocks (dealt round-robin over all ranks), each finished and
  // marked; every rank joins every collective round.
  void run() {
    io::EncodeResults progress(out_.file());  // (its /progress/blocks_done only)
    const std::vector<std::uint8_t> done = progress.blocks_done();
    std::vector<std::size_t> todo;
    for (std::size_t b : blocks_.owned_by(std::size_t(comm_.rank()), std::size_t(comm_.size())))
      if (!done[b]) todo.push_back(b);
    const std::size_t rounds = comm_.allreduce(todo.size(), mpi::Op::max);
    for (std::size_t round = 0; round < rounds; ++round) {
      const std::optional<std::size_t> block =
          round < todo.size() ? std::optional(todo[round]) : std::nullopt;
      finish(block ? blocks_.block(*block) : mpi::Range{});
      out_.file().flush();
      progress.mark_done(block);
      out_.file().flush();
    }
  }

 private:
  // A subset's model on a voxel is one candidate's at that candidate's own
  // best alpha, which is what the candidate's passes refit and scored: its
  // test r and R^2 are read back, not recomputed. A voxel without variance
  // in its training rows (invalid in the candidates' results) gets no pick.
  void finish(mpi::Range cols) {
    const std::size_t w = cols.size(), subsets = vp_.masks();
    io::H5File& ck = out_.checkpoint();
    std::vector<std::uint8_t> valid(w, 0);
    mpi::agree_on(comm_, [&] {
      ck.read<std::uint8_t>(candidate_group(0) + "/voxels/valid", {cols.begin}, {w}, valid.data());
    });
    solvers::BandedChoice choice(o_.spaces.size(), Eigen::Index(w));
    std::vector<std::vector<double>> r_test(candidates_.size()), r2_test(candidates_.size());
    for (std::size_t c = 0; c < candidates_.size(); ++c) {
      const std::string group = candidate_group(c);
      solvers::Scores mse, r2;
      io::ScoreCheckpoint(ck, group).summed(cols, mse, r2);
      if (w > 0) choice.offer(c, solvers::band_support(candidates_[c]), mse, r2, o_.folds, alphas_);
      for (auto [name, values] :
           {std::pair{"/voxels/r_test", &r_test[c]}, std::pair{"/voxels/r2_test", &r2_test[c]}}) {
        values->assign(w, kNaN);
        mpi::agree_on(comm_,
                      [&] { ck.read<double>(group + name, {cols.begin}, {w}, values->data()); });
      }
    }
    PartitionColumns out;
    out.candidate.assign(subsets * w, -1);
    for (auto* v :
         {&out.alpha, &out.cv_score, &out.r_test, &out.r2_test, &out.exact, &out.corrected})
      v->assign(subsets * w, kNaN);
    for (unsigned mask = 1; mask <= subsets; ++mask) {
      const solvers::BandedChoice::Pick& pick = choice.subset(mask);
      for (std::size_t j = 0; j < w; ++j) {
        const std::size_t at = (mask - 1) * w + j;
        const std::int32_t c = valid[j] ? pick.candidate[j] : -1;
        out.candidate[at] = c;
        if (c < 0) continue;
        out.alpha[at] = pick.alpha(Eigen::Index(j));
        out.cv_score[at] = pick.cv_score(Eigen::Index(j));
        out.r_test[at] = r_test[std::size_t(c)][j];
        out.r2_test[at] = r2_test[std::size_t(c)][j];
      }
    }
    for (std::size_t j = 0; j < w; ++j) {
      std::vector<double> subset_r2(subsets);
      for (std::size_t s = 0; s < subsets; ++s) subset_r2[s] = out.r2_test[s * w + j];
      const std::vector<double> exact = vp_.exact(subset_r2), corrected = vp_.corrected(subset_r2);
      for (std::size_t s = 0; s < subsets; ++s) {
        out.exact[s * w + j] = exact[s];
        out.corrected[s * w + j] = corrected[s];
      }
    }
    write(cols, out);
  }

  void write(mpi::Range cols, const PartitionColumns& c) {
    io::H5File& f = out_.file();
    const std::size_t subsets = vp_.masks(), w = cols.size();
    const io::Shape at = {0, cols.begin}, count = {w == 0 ? 0 : subsets, w};
    mpi::agree_on(comm_, [&] {
      f.write<std::int32_t>("/subsets/candidate", at, count, c.candidate.data());
      const std::pair<const char*, const std::vector<double>*> sets[] = {
          {"/subsets/alpha", &c.alpha},   {"/subsets/cv_score", &c.cv_score},
          {"/subsets/r_test", &c.r_test}, {"/subsets/r2_test", &c.r2_test},
          {"/partition/exact", &c.exact}, {"/partition/corrected", &c.corrected}};
      for (const auto& [name, values] : sets) f.write<double>(name, at, count, values->data());
    });
  }

  const PartitionOptions& o_;
  const std::vector<Eigen::VectorXd>& candidates_;
  const std::vector<double>& alphas_;
  const io::ResponsesLayout& layout_;
  io::OutputFile& out_;
  const mpi::Comm& comm_;
  const analysis::VariancePartition vp_;
  const mpi::Blocks blocks_;
};

// The region names, in mask order: a single space's name, or the spaces
// of a shared region joined by "+".
std::vector<std::string> region_names(const std::vector<std::string>& spaces) {
  std::vector<std::string> names;
  for (unsigned mask = 1; mask < (1u << spaces.size()); ++mask) {
    std::string name;
    for (std::size_t b = 0; b < spaces.size(); ++b)
      if ((mask >> b) & 1) name += (name.empty() ? "" : "+") + spaces[b];
    names.push_back(name);
  }
  return names;
}

// The summary row: per region, the mean corrected size over the voxels
// whose joint model reaches --summary-r2 (read back from the output).
nlohmann::json summary_row(const Unit& unit, const PartitionOptions& o, io::H5File& f,
                           std::size_t voxels, std::size_t candidates, const mpi::Comm& comm) {
  const std::size_t subsets = (std::size_t{1} << o.spaces.size()) - 1;
  // Every rank reads both (S x V doubles: a few MB at 60,000 voxels), as
  // the reads are collective and the row must be the same on every rank
  // (the summary is written as a collective attribute).
  std::vector<double> r2, sizes;
  mpi::agree_on(comm, [&] {
    r2 = f.read_all<double>("/subsets/r2_test");
    sizes = f.read_all<double>("/partition/corrected");
  });
  const std::size_t joint = subsets - 1;
  std::vector<double> mean(subsets, 0.0);
  std::size_t predicted = 0;
  for (std::size_t v = 0; v < voxels; ++v) {
    if (!(r2[joint * voxels + v] >= o.summary_r2)) continue;
    ++predicted;
    for (std::size_t s = 0; s < subsets; ++s) mean[s] += sizes[s * voxels + v];
  }
  nlohmann::json regions = nlohmann::json::object();
  const std::vector<std::string> names = region_names(o.spaces);
  for (std::size_t s = 0; s < subsets; ++s)
    regions[names[s]] = predicted > 0 ? io::number(mean[s] / double(predicted)) : nullptr;
  std::string spaces;
  for (const std::string& s : o.spaces) spaces += (spaces.empty() ? "" : "+") + s;
  return {{"subject", unit.name},     {"spaces", spaces},       {"voxels", voxels},
          {"candidates", candidates}, {"predicted", predicted}, {"regions", regions.dump()}};
}

// The per-ROI table of the region sizes (the corrected ones, over the
// voxels whose joint model reaches --summary-r2), per subject and across
// subjects (rows with subject "all"), on rank 0 of `world`.
void write_roi_summary(const std::vector<Unit>& units, const PartitionOptions& o,
                       const mpi::Comm& world) {
  mpi::agree_on(world, [&] {
    if (!world.is_root()) return;
    const mpi::Comm self = mpi::Comm::self();
    const std::vector<std::string> regions = region_names(o.spaces);
    const std::size_t subsets = regions.size(), joint = subsets - 1;
    RoiTable table("region", "", {});
    for (const Unit& u : units) {
      const io::H5File f(u.outputs.front(), io::Access::read, self);
      if (!f.exists("/voxels/roi"))
        throw InputError(u.inputs.front() +
                         " has no /voxels/roi: --roi-summary needs responses with an atlas");
      const std::vector<double> r2 = f.read_all<double>("/subsets/r2_test");
      const std::vector<double> sizes = f.read_all<double>("/partition/corrected");
      const std::size_t voxels = r2.size() / subsets;
      const io::Atlas atlas = io::read_atlas(f, voxels);
      for (std::size_t s = 0; s < subsets; ++s) {
        std::vector<double> score(voxels, kNaN);
        for (std::size_t v = 0; v < voxels; ++v)
          if (r2[joint * voxels + v] >= o.summary_r2) score[v] = sizes[s * voxels + v];
        table.add(u.name, regions[s], analysis::roi_scores(atlas.label, atlas.names, score, {}));
      }
    }
    table.write(o.roi_summary);
  });
}

nlohmann::json partition_subject(UnitRun& run, const PartitionOptions& o, BandedDesign loaded,
                                 const std::vector<Eigen::VectorXd>& candidates,
                                 const std::vector<double>& alphas) {
  const mpi::Comm& comm = run.comm();
  const std::string& path = run.unit().inputs.front();
  auto responses = mpi::agree_on(
      comm, [&] { return std::make_unique<io::H5File>(path, io::Access::read, comm); });
  ResponseRows rows;
  mpi::agree_on(comm, [&] {
    rows.file = io::responses_for(*responses, loaded.design, o.alignment.features);
    rows.model = rows.file;
  });
  const io::ResponsesLayout& layout = rows.model;
  std::vector<mpi::Range> folds = subject_folds(layout, o.folds, path, comm);
  const auto p = std::size_t(loaded.design.train_x.cols());
  const mpi::RankGrid grid(
      comm, fold_groups_for(o.fold_groups, layout, folds, p, alphas.size(), comm, "partition"));
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) return;
    const double v = double(layout.voxels), c = double(candidates.size());
    const double subsets = double((std::size_t{1} << o.spaces.size()) - 1);
    io::check_free_space(
        run.unit().outputs.front(),
        {{"output", v * subsets * (7 * sizeof(double) + sizeof(std::int32_t))},
         {"checkpoint", c * v *
                            (2.0 * double(o.folds * alphas.size()) * 8 +
                             2.0 * double(layout.m) * sizeof(float) + 8 * sizeof(double))}});
  });
  io::OutputFile out = run.open(0, check_partition_resumable);
  // The design is z-scored once, as encode does, and then weighted: z-scoring
  // a weighted design would undo the weights.
  if (o.passes.zscore) {
    static_cast<void>(analysis::zscore_within<double>(loaded.design.train_x, layout.runs));
    static_cast<void>(analysis::zscore_within<double>(loaded.design.test_x, {{0, layout.m}}));
  }
  EncodeSettings settings = o.passes;
  settings.save_predictions = false;
  settings.save_weights = false;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    EncodePasses<double> passes(settings, *responses, rows, folds, alphas, grid, out, comm,
                                solvers::weighted_width(loaded.bands, candidates[c]),
                                candidate_group(c));
    if (!passes.plan()) continue;
    auto solver = std::make_unique<solvers::DesignRidge>(
        solvers::weighted_bands(loaded.design.train_x, loaded.bands, candidates[c]),
        solvers::weighted_bands(loaded.design.test_x, loaded.bands, candidates[c]));
    solver->park_with(passes.parking());
    passes.factorize(std::move(solver));
    passes.score_folds();
    passes.rescore_near_ties();
    passes.finish_on_disk();
  }
  PartitionPass pass(o, candidates, alphas, layout, out, comm);
  if (!out.file().exists("/progress/blocks_done")) pass.create();
  pass.run();
  out.file().write_attribute("/", "spaces", o.spaces);
  out.file().write_attribute("/", "regions", region_names(o.spaces));
  if (!out.file().exists("/candidates/weights")) {  // (a resume may find them)
    std::vector<double> table;
    for (const auto& g : candidates) table.insert(table.end(), g.data(), g.data() + g.size());
    out.file().write_all<double>("/candidates/weights", {candidates.size(), o.spaces.size()},
                                 table);
    out.file().write_all<double>("/candidates/alphas", {alphas.size()}, alphas);
  }
  io::copy_voxel_geometry(*responses, out.file());
  const nlohmann::json row =
      summary_row(run.unit(), o, out.file(), layout.voxels, candidates.size(), comm);
  run.commit(out, row);
  return row;
}

std::optional<PartitionOptions> parse(const cli::Arguments& args) {
  cli::Parser p("partition",
                "Banded ridge over 2 or 3 feature spaces and the variance partitioning of their "
                "models");
  p.positional("responses", "[RESPONSES.h5 ...]");
  p.add()("responses", "responses file(s), one per subject",
          cxxopts::value<std::vector<std::string>>());
  p.alignment(true);
  p.outputs("output file; with several subjects it must contain {subject}");
  p.cross_validation(1e7);
  p.add()("grid-steps", "band weights are the multiples of 1 / STEPS on the simplex",
          cxxopts::value<std::size_t>()->default_value("4"))(
      "block-size", "voxels per block (unit of work and checkpoint)",
      cxxopts::value<std::size_t>()->default_value("2048"))(
      "fold-groups",
      "rank groups that split the folds (must divide the ranks; 0: chosen from the problem size)",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "factor-memory", "MB of fold factors held at once",
      cxxopts::value<std::size_t>()->default_value("256"))(
      "no-zscore", "use the data as given (no per-run z-scoring)")(
      "summary-r2",
      "the summary's region sizes: means over voxels whose joint model reaches this "
      "test R^2",
      cxxopts::value<double>()->default_value("0.05"))(
      "roi-summary",
      "per-ROI table of the region sizes (TSV, or JSON for *.json): per subject and across "
      "subjects",
      cxxopts::value<std::string>());
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  PartitionOptions o;
  o.responses = p.required<std::vector<std::string>>(*r, "responses");
  o.alignment = p.alignment(*r);
  o.spaces = p.spaces(*r);
  if (o.spaces.size() < 2 || o.spaces.size() > 3)
    throw ConfigError("partition: give 2 or 3 feature spaces (--space), got " +
                      std::to_string(o.spaces.size()));
  for (std::size_t i = 0; i < o.spaces.size(); ++i)
    for (std::size_t j = i + 1; j < o.spaces.size(); ++j)
      if (o.spaces[i] == o.spaces[j])
        throw ConfigError("partition: --space " + o.spaces[i] + " is given twice");
  if (o.alignment.features.empty() || o.alignment.events_dir.empty())
    throw ConfigError("partition: --features and --events are required");
  o.output = p.outputs(*r, args);
  o.folds = p.folds(*r);
  o.alphas = p.alphas(*r);
  o.grid_steps = (*r)["grid-steps"].as<std::size_t>();
  if (o.grid_steps < 1) throw ConfigError("partition: --grid-steps must be positive");
  o.passes.block_size = (*r)["block-size"].as<std::size_t>();
  if (o.passes.block_size < 1) throw ConfigError("partition: --block-size must be positive");
  o.fold_groups = (*r)["fold-groups"].as<std::size_t>();
  o.passes.factor_memory_mb = (*r)["factor-memory"].as<std::size_t>();
  o.passes.zscore = r->count("no-zscore") == 0;
  o.summary_r2 = (*r)["summary-r2"].as<double>();
  o.roi_summary = p.optional<std::string>(*r, "roi-summary", "");
  return o;
}

}  // namespace

io::SummaryTable run_partition(const PartitionOptions& o, const mpi::Comm& world) {
  const std::vector<Subject> subjects = subjects_of(o.responses, o.output.out, "partition");
  const std::vector<double> alphas = o.alphas.alphas();
  const std::vector<Eigen::VectorXd> candidates =
      solvers::simplex_grid(o.spaces.size(), o.grid_steps);
  std::optional<BandedDesign> first = load_bands(o, world);
  std::vector<std::string> inputs =
      mpi::agree_on(world, [&] { return io::task_event_files(o.alignment.events_dir); });
  inputs.insert(inputs.begin(), o.alignment.features);
  std::vector<Unit> units;
  for (const Subject& s : subjects) {
    Unit u{s.name, {s.out}, inputs};
    u.inputs.insert(u.inputs.begin(), s.responses);
    units.push_back(std::move(u));
  }
  nlohmann::json grid = nlohmann::json::array();
  for (const auto& g : candidates)
    grid.push_back(std::vector<double>(g.data(), g.data() + g.size()));
  const nlohmann::json parameters = {{"spaces", o.spaces},
                                     {"features", o.alignment.features},
                                     {"delays", o.alignment.delays},
                                     {"tr", o.alignment.tr},
                                     {"folds", o.folds},
                                     {"alphas", alphas},
                                     {"candidates", grid},
                                     {"block_size", o.passes.block_size},
                                     {"zscore", o.passes.zscore}};
  Stage stage("partition",
              {io::text("subject"), io::text("spaces"), io::count("voxels"),
               io::count("candidates"), io::count("predicted"), io::text("regions")},
              o.output, parameters);
  const io::SummaryTable table = stage.run(
      units, mpi::group_count(units.size(), std::size_t(world.size())), world, [&](UnitRun& run) {
        BandedDesign d = first ? std::move(*first) : load_bands(o, run.comm());
        first.reset();
        return partition_subject(run, o, std::move(d), candidates, alphas);
      });
  if (!o.roi_summary.empty()) write_roi_summary(units, o, world);
  return table;
}

int partition_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<PartitionOptions>(args, world, parse, run_partition);
}

void partition_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
