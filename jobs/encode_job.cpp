#include "jobs/encode_job.hpp"

#include <cmath>
#include <memory>
#include <optional>

#include "analysis/encode_summary.hpp"
#include "analysis/zscore.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "io/design_file.hpp"
#include "io/feature_file.hpp"
#include "io/responses_file.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"
#include "mpi/rank_grid.hpp"
#include "solvers/design_ridge.hpp"
#include "solvers/ridge_cost.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;

// What window samples are made from (--window-samples): the subject's
// responses then decide which scans each window has.
struct WindowSource {
  io::ClipEmbeddings clips;
  analysis::SampleEvents events;
};

// The design every subject shares (or, with window samples, what each
// subject's is made from), plus what it was made from.
struct LoadedDesign {
  analysis::Design design;
  std::optional<WindowSource> windows;
  std::string source;
  std::vector<std::string> inputs;
};

LoadedDesign load_design(const EncodeOptions& o, const mpi::Comm& comm) {
  LoadedDesign out;
  if (!o.design.empty() == !o.alignment.features.empty())
    throw ConfigError("encode: give either --design or --features (with --space and --events)");
  if (!o.design.empty()) {
    mpi::agree_on(comm, [&] {
      const io::H5File f(o.design, io::Access::read, comm);
      out.design = io::read_design(f);
    });
    out.source = o.design;
    out.inputs = {o.design};
  } else {
    if (o.alignment.space.empty() || o.alignment.events_dir.empty())
      throw ConfigError("encode: --features needs --space and --events");
    if (o.window_samples)
      out.windows = mpi::agree_on(comm, [&] {
        const io::H5File file(o.alignment.features, io::Access::read, comm);
        return WindowSource{io::read_clip_embeddings(file, o.alignment.space),
                            analysis::read_sample_events(o.alignment.events_dir, o.samples.tr)};
      });
    else
      out.design = analysis::align_design(o.alignment, comm);
    out.source = o.alignment.features + " [" + o.alignment.space + "]";
    out.inputs = mpi::agree_on(comm, [&] { return io::task_event_files(o.alignment.events_dir); });
    out.inputs.insert(out.inputs.begin(), o.alignment.features);
  }
  return out;
}

// The rows of a subject's models, and with window samples its design.
ResponseRows response_rows(const io::H5File& responses, LoadedDesign& loaded,
                           const analysis::SampleOptions& options) {
  ResponseRows rows;
  if (!loaded.windows) {
    rows.file = io::responses_for(responses, loaded.design, loaded.source);
    rows.model = rows.file;
    return rows;
  }
  const WindowSource& w = *loaded.windows;
  rows.file = io::read_responses_layout(responses);
  analysis::DecodeSamples samples =
      analysis::decode_samples(w.clips, w.events, rows.file, options, responses.path());
  loaded.design.train_x = analysis::sample_targets(w.clips, samples.train, false);
  loaded.design.test_x = analysis::sample_targets(w.clips, samples.test, false);
  loaded.design.test_clips = w.events.test.clip_ids;
  rows.model = analysis::sample_layout(rows.file, samples, w.events.test.clip_ids.size());
  rows.samples = std::move(samples);
  return rows;
}

// The solver of the subject's passes: the design, standardized like the
// responses, parked in the passes' scratch file while an eigensolver runs
// where memory asks for it.
template <class T>
std::unique_ptr<solvers::SpectralSolver> design_solver(analysis::Design design,
                                                       const io::ResponsesLayout& layout,
                                                       const EncodeSettings& settings,
                                                       EncodePasses<T>& passes) {
  if (settings.zscore) {
    static_cast<void>(analysis::zscore_within<double>(design.train_x, layout.runs));
    static_cast<void>(analysis::zscore_within<double>(design.test_x, {{0, layout.m}}));
  }
  auto solver =
      std::make_unique<solvers::DesignRidge>(std::move(design.train_x), std::move(design.test_x));
  solver->park_with(passes.parking());
  return solver;
}

// The summary row of a subject from its per-voxel results (on the group's
// root), the same on every rank of the group.
nlohmann::json summary_row(const Unit& unit, const std::string& space, const VoxelResults& res,
                           const io::Atlas& atlas, const mpi::Comm& comm) {
  std::string text;
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) return;
    const analysis::EncodeSummary s = analysis::summarize_encoding(
        res.r, res.alpha, res.p, res.ceiling, atlas.label, analysis::auditory_labels(atlas.names));
    text = nlohmann::json{{"subject", unit.name},
                          {"space", space},
                          {"voxels", s.voxels},
                          {"constant", s.constant},
                          {"significant_q05", s.significant},
                          {"median_r_auditory", io::number(s.median_r_auditory)},
                          {"median_r", io::number(s.median_r)},
                          {"alpha_p5", io::number(s.alpha_p5)},
                          {"alpha_p95", io::number(s.alpha_p95)},
                          {"reliable_voxels", s.reliable},
                          {"median_r_normalized", io::number(s.median_r_normalized)}}
               .dump();
  });
  comm.bcast(text, 0);
  return nlohmann::json::parse(text);
}

template <class T>
nlohmann::json encode_subject(UnitRun& run, const EncodeOptions& o, LoadedDesign loaded,
                              const std::vector<double>& alphas, const std::string& space) {
  const mpi::Comm& comm = run.comm();
  const std::string& path = run.unit().inputs.front();
  auto responses = mpi::agree_on(
      comm, [&] { return std::make_unique<io::H5File>(path, io::Access::read, comm); });
  const ResponseRows rows =
      mpi::agree_on(comm, [&] { return response_rows(*responses, loaded, o.samples); });
  const io::ResponsesLayout& layout = rows.model;
  // The ROIs, for the summary's auditory median (none without /voxels/roi).
  const io::Atlas atlas = mpi::agree_on(comm, [&] {
    const bool labelled =
        responses->exists("/voxels/roi") && responses->has_attribute("/voxels/roi", "names");
    return labelled ? io::read_atlas(*responses, layout.voxels) : io::Atlas{};
  });
  std::vector<mpi::Range> folds = subject_folds(layout, o.folds, path, comm);
  const auto p = static_cast<std::size_t>(loaded.design.train_x.cols());
  const mpi::RankGrid grid(
      comm, fold_groups_for(o.fold_groups, layout, folds, p, alphas.size(), comm, "encode"));
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) return;
    const double voxels = double(layout.voxels);
    const double weights = o.passes.save_weights ? double(p) * voxels * sizeof(T) : 0.0;
    const double test_rows =
        o.passes.save_predictions ? 2.0 * double(layout.m) * voxels * sizeof(float) : 0.0;
    io::check_free_space(run.unit().outputs.front(),
                         {{"output", voxels * (5 * sizeof(double) + 1) + weights + test_rows},
                          {"checkpoint", 2.0 * double(o.folds * alphas.size()) * voxels * 8}});
  });
  io::OutputFile out = run.open(
      0, [](io::H5File& f, io::H5File& checkpoint) { io::check_resumable(f, checkpoint); });
  EncodePasses<T> passes(o.passes, *responses, rows, std::move(folds), alphas, grid, out, comm,
                         static_cast<Eigen::Index>(p));
  VoxelResults results;
  if (passes.plan()) {
    passes.factorize(design_solver(std::move(loaded.design), layout, o.passes, passes));
    passes.score_folds();
    passes.rescore_near_ties();
    results = passes.finish();
  } else {
    results = passes.read_results();
  }
  io::copy_voxel_geometry(*responses, out.file());
  const nlohmann::json row = summary_row(run.unit(), space, results, atlas, comm);
  run.commit(out, row);
  return row;
}

std::optional<EncodeOptions> parse(const cli::Arguments& args) {
  cli::Parser p("encode", "Voxelwise ridge encoding models");
  p.positional("responses", "[RESPONSES.h5 ...]");
  p.add()("responses", "responses file(s), one per subject",
          cxxopts::value<std::vector<std::string>>())("design", "aligned design file",
                                                      cxxopts::value<std::string>());
  p.alignment();
  p.add()("window-samples",
          "decode's samples as rows: each embedding window against the mean of its scans "
          "(the paper's encoding; --delay, --cut-windows and --drop-first-event apply, not "
          "--delays)");
  p.windows();
  p.add()("null", "null of p_test: autocorrelation (b2m) or gaussian (the paper's)",
          cxxopts::value<std::string>()->default_value("autocorrelation"));
  p.outputs("output file; with several subjects it must contain {subject}");
  p.cross_validation(1e7);
  p.add()("precision", "single or double", cxxopts::value<std::string>()->default_value("double"))(
      "block-size", "voxels per block (unit of work and checkpoint)",
      cxxopts::value<std::size_t>()->default_value("2048"))(
      "fold-groups",
      "rank groups that split the folds (must divide the ranks; 0: chosen from the problem size)",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "factor-memory",
      "MB of fold factors held at once: folds that fit are scored in one pass over the responses",
      cxxopts::value<std::size_t>()->default_value("256"))(
      "no-zscore", "use the data as given (no per-run z-scoring)")("save-weights",
                                                                   "also write /weights [p, V]")(
      "save-predictions",
      "also write the test rows predicted and observed, /test/prediction and /test/observed "
      "[m, V] (what b2m stats permutes)");
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  EncodeOptions o;
  o.responses = p.required<std::vector<std::string>>(*r, "responses");
  o.design = p.optional<std::string>(*r, "design", "");
  o.alignment = p.alignment(*r);
  o.window_samples = r->count("window-samples") > 0;
  o.samples = p.windows(*r);
  if (o.window_samples && r->count("delays"))
    throw ConfigError(
        "encode: --window-samples pairs each window with its scans through --delay "
        "(seconds); --delays (FIR, in TRs) does not apply");
  if (o.window_samples && !o.design.empty())
    throw ConfigError(
        "encode: --window-samples makes its samples from --features and --events, "
        "not from --design");
  if (!o.window_samples &&
      (r->count("delay") || o.samples.cut_windows || o.samples.drop_first_event))
    throw ConfigError(
        "encode: --delay, --cut-windows and --drop-first-event need --window-samples");
  o.output = p.outputs(*r, args);
  o.folds = p.folds(*r);
  o.alphas = p.alphas(*r);
  o.precision = p.choice(*r, "precision", {"single", "double"}) == "single" ? Precision::single
                                                                            : Precision::double_;
  o.passes.block_size = (*r)["block-size"].as<std::size_t>();
  o.fold_groups = (*r)["fold-groups"].as<std::size_t>();
  o.passes.factor_memory_mb = (*r)["factor-memory"].as<std::size_t>();
  o.passes.zscore = r->count("no-zscore") == 0;
  o.passes.save_weights = r->count("save-weights") > 0;
  o.passes.save_predictions = r->count("save-predictions") > 0;
  o.passes.null = p.choice(*r, "null", {"autocorrelation", "gaussian"}) == "gaussian"
                      ? analysis::TestNull::gaussian
                      : analysis::TestNull::autocorrelation;
  return o;
}

}  // namespace

io::SummaryTable run_encode(const EncodeOptions& o, const mpi::Comm& world) {
  const std::vector<Subject> subjects = subjects_of(o.responses, o.output.out, "encode");
  const std::vector<double> alphas = o.alphas.alphas();
  if (o.passes.block_size < 1) throw ConfigError("encode: --block-size must be positive");
  // The design is handed to the first subject of a rank group (which frees
  // it once factorized) and loaded again for each later one.
  std::optional<LoadedDesign> first_design = load_design(o, world);
  const std::string source = first_design->source;
  const std::vector<std::string> design_inputs = first_design->inputs;
  const std::string space = o.alignment.space.empty() ? source : o.alignment.space;
  std::vector<Unit> units;
  for (const Subject& s : subjects) {
    Unit u{s.name, {s.out}, design_inputs};
    u.inputs.insert(u.inputs.begin(), s.responses);
    units.push_back(std::move(u));
  }
  nlohmann::json parameters = {
      {"design", source},
      {"folds", o.folds},
      {"alphas", alphas},
      {"precision", o.precision == Precision::single ? "single" : "double"},
      {"block_size", o.passes.block_size},
      {"zscore", o.passes.zscore},
      {"save_weights", o.passes.save_weights},
      {"tr", o.alignment.tr}};
  // Options at their defaults are left out, so that outputs made before
  // they existed still resume.
  if (o.window_samples) {
    parameters["window_samples"] = cli::parameters(o.samples);
  } else {
    parameters["delays"] = o.alignment.delays;
  }
  if (o.passes.null == analysis::TestNull::gaussian) parameters["null"] = "gaussian";
  if (o.passes.save_predictions) parameters["save_predictions"] = true;
  Stage stage("encode",
              {io::text("subject"), io::text("space"), io::count("voxels"), io::count("constant"),
               io::count("significant_q05"), io::real("median_r_auditory"), io::real("median_r"),
               io::real("alpha_p5", "%.3g"), io::real("alpha_p95", "%.3g"),
               io::count("reliable_voxels"), io::real("median_r_normalized")},
              o.output, parameters);
  return stage.run(
      units, mpi::group_count(units.size(), std::size_t(world.size())), world, [&](UnitRun& run) {
        LoadedDesign d = first_design ? std::move(*first_design) : load_design(o, run.comm());
        first_design.reset();
        return o.precision == Precision::single
                   ? encode_subject<float>(run, o, std::move(d), alphas, space)
                   : encode_subject<double>(run, o, std::move(d), alphas, space);
      });
}

int encode_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<EncodeOptions>(args, world, parse, run_encode);
}

void encode_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
