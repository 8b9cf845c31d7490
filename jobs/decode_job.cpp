#include "jobs/decode_job.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include "analysis/decode_metrics.hpp"
#include "analysis/roi_ensemble.hpp"
#include "analysis/scores.hpp"
#include "analysis/stimulus_timeline.hpp"
#include "analysis/study_tables.hpp"
#include "analysis/target_scaling.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "io/decode_files.hpp"
#include "io/feature_file.hpp"
#include "io/h5_matrix.hpp"
#include "io/npy.hpp"
#include "jobs/decode_inputs.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"
#include "mpi/rank_grid.hpp"
#include "solvers/design_ridge.hpp"
#include "solvers/distributed_kernel_ridge_cv.hpp"
#include "solvers/kernel_assembly.hpp"
#include "solvers/kernel_ridge_cv.hpp"
#include "solvers/ridge_cv.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;

// What every unit shares: the events and each space's clip embeddings.
struct Study {
  analysis::SampleEvents events;
  std::vector<std::string> event_files;
  std::vector<io::ClipEmbeddings> clips;  // per --space
};

// One unit's inputs, read and checked: the responses as decode reads them,
// the folds, the voxels and the standardized targets.
struct UnitInputs {
  std::unique_ptr<io::H5File> responses;
  std::unique_ptr<DecodeSource> source;
  std::vector<mpi::Range> folds;
  analysis::VoxelSelection selection;
  Matrix<double> y_train, y_test;  // targets in the embedding's units
  analysis::StandardizedTargets targets;
};

// A model's predictions in standardized target units.
struct Fit {
  Matrix<double> test_z, cv_z;
  Eigen::VectorXd alpha;  // per dimension (NaN with ROI models: see rois)
  Matrix<double> dual;    // whole models with --save-weights
  std::optional<analysis::RoiEnsemble::Result> rois;
};

analysis::VoxelSelection select_voxels(const DecodeOptions& o, const io::H5File& responses,
                                       std::size_t v, const mpi::Comm& comm) {
  if (o.top_voxels > 0) {
    const io::H5File encoded(o.encode_result, io::Access::read, comm);
    const std::vector<double> score = encoded.read_all<double>("/voxels/cv_score");
    if (score.size() != v)
      throw InputError(o.encode_result + ":/voxels/cv_score has " + std::to_string(score.size()) +
                       " voxels, " + responses.path() + " has " + std::to_string(v));
    return analysis::best_scored_voxels(score, o.top_voxels, o.encode_result);
  }
  if (o.rois.empty() && o.roi_models_top == 0) return analysis::all_voxels(v);
  return analysis::roi_voxels(io::read_atlas(responses, v), o.rois, o.roi_models_top,
                              responses.path());
}

UnitInputs read_inputs(const DecodeOptions& o, const std::string& path,
                       const io::ClipEmbeddings& clips, const Study& study, const mpi::Comm& comm) {
  UnitInputs in;
  in.responses = mpi::agree_on(
      comm, [&] { return std::make_unique<io::H5File>(path, io::Access::read, comm); });
  in.source = mpi::agree_on(comm, [&] {
    const io::ResponsesLayout layout = io::read_responses_layout(*in.responses);
    analysis::DecodeSamples samples =
        analysis::decode_samples(clips, study.events, layout, o.samples, path);
    std::vector<mpi::Range> runs = analysis::sample_run_ranges(samples.train);
    return std::make_unique<DecodeSource>(
        DecodeSource{*in.responses, layout, std::move(samples), std::move(runs)});
  });
  in.folds = mpi::agree_on(comm, [&] {
    try {
      return solvers::contiguous_folds(in.source->runs, o.folds);
    } catch (const InputError& e) {
      throw InputError(path + ": " + e.what());
    }
  });
  in.selection = mpi::agree_on(
      comm, [&] { return select_voxels(o, *in.responses, in.source->layout.voxels, comm); });
  const analysis::DecodeSamples& samples = in.source->samples;
  in.y_train = analysis::sample_targets(clips, samples.train, samples.per_clip);
  in.y_test = analysis::sample_targets(clips, samples.test, samples.per_clip);
  in.targets = analysis::standardize_targets(in.y_train);
  return in;
}

// Whether the whole-brain kernel is kept block-cyclic (--kernel-layout).
// Automatically with several ranks, unless LAPACK eigensolves are asked
// for: memory per rank then falls as 1 / ranks (the replicated solver holds
// about 4 n^2 doubles on every rank), and the time is the replicated
// layout's at 2 ranks (70.6 vs 68.6 s at V = 60,000, n = 4,920); beyond one
// rank per fold the farmed solves stop scaling and the grid does not. Not
// where the smallest training kernel (`smallest_train` rows) is too small
// to give every process of the grid a row.
bool distributed_kernel(const DecodeOptions& o, int smallest_train, const mpi::Comm& comm) {
  switch (o.kernel_layout) {
    case KernelLayout::replicated:
      return false;
    case KernelLayout::distributed:
      return true;
    case KernelLayout::automatic:
      break;
  }
  const auto [rows, cols] = o.eigen.grid_shape(comm.size());
  return comm.size() > 1 && o.eigen.backend != solvers::EigenBackend::lapack &&
         solvers::fills_grid(smallest_train, rows, cols);
}

// One model on all selected voxels: their kernels streamed from the
// responses (solvers/kernel_assembly.hpp), so no rank holds its voxels and
// memory does not grow with V, then the kernel solver of the layout. With
// the kernel block-cyclic, a chunk (read in float, kept in double: 12 bytes
// a value) is held to about the rank's share of K, so that memory per rank
// falls with the ranks here too; at 4,096 columns it was the peak (575 MB
// per rank at 2 ranks on 60,000 voxels). Collective.
Fit fit_whole(const DecodeOptions& o, const UnitInputs& in, const std::vector<double>& alphas,
              const mpi::Comm& comm) {
  const DecodeSource& source = *in.source;
  const auto n = static_cast<int>(source.samples.train.size());
  const auto n_test = static_cast<Eigen::Index>(source.samples.test.size());
  std::size_t largest_fold = 0;
  for (const mpi::Range& f : in.folds) largest_fold = std::max(largest_fold, f.size());
  const analysis::VoxelShare mine = analysis::even_share(
      in.selection, source.layout.voxels, std::size_t(comm.size()), std::size_t(comm.rank()));
  solvers::CvFit fit;
  if (distributed_kernel(o, n - static_cast<int>(largest_fold), comm)) {
    const auto [rows, cols] = o.eigen.grid_shape(comm.size());
    const solvers::BlacsGrid grid(comm, rows, cols);
    solvers::DistributedMatrix k(
        grid, n, n,
        solvers::fitting_block(n - static_cast<int>(largest_fold), o.eigen.block, rows, cols));
    solvers::BlockCyclicKernel kernel(k, n_test);
    const double share = 8.0 * double(n) * double(n) / double(comm.size());
    const double column = 12.0 * double(source.layout.n + source.layout.m);
    const auto columns = static_cast<std::size_t>(
        std::clamp(share / column, double(kMinReadColumns), double(kReadColumns)));
    for_each_chunk(source, mine, comm, columns,
                   [&](const Matrix<double>& train, const Matrix<double>& test, std::size_t) {
                     kernel.add(train, test);
                   });
    kernel.finish();
    solvers::DistributedKernelRidge solver(std::move(k), std::move(kernel.test_kernel()));
    fit = solver.fit(in.targets.z, in.folds, alphas);
  } else {
    solvers::ReplicatedKernel kernel(n, n_test);
    for_each_chunk(source, mine, comm, kReadColumns,
                   [&](const Matrix<double>& train, const Matrix<double>& test, std::size_t) {
                     kernel.add(train, test);
                   });
    kernel.finish(comm);
    solvers::KernelRidge solver(std::move(kernel.kernel()), std::move(kernel.test_kernel()), comm,
                                o.eigen);
    fit = solver.fit(in.targets.z, in.folds, alphas);
  }
  return {std::move(fit.test_prediction), std::move(fit.cv_prediction), std::move(fit.alpha),
          o.save_weights ? std::move(fit.dual) : Matrix<double>(), std::nullopt};
}

// One model per ROI, farmed over ranks: rank r fits ROIs r, r + ranks, ...
// batch by batch (roi_batches) from their voxels, which it alone read, so no
// kernel travels between ranks; each through the design solver, which
// factorizes a Gram matrix of the ROI's order per fold, not the n x n
// kernel. The top k by mean CV r are averaged (analysis/roi_ensemble.hpp).
Fit fit_roi_models(const DecodeOptions& o, const UnitInputs& in, const std::vector<double>& alphas,
                   const mpi::Comm& comm) {
  const DecodeSource& source = *in.source;
  const analysis::VoxelSelection& sel = in.selection;
  analysis::RoiEnsemble ensemble(
      sel.models.size(), o.roi_models_top, static_cast<Eigen::Index>(source.samples.train.size()),
      static_cast<Eigen::Index>(source.samples.test.size()), in.targets.z.cols());
  const auto batches = analysis::roi_batches(
      sel, source.samples.train.size() + source.samples.test.size(), o.roi_memory_mb << 20,
      std::size_t(comm.size()), std::size_t(comm.rank()));
  const std::size_t rounds = comm.allreduce(batches.size(), mpi::Op::max);
  for (std::size_t b = 0; b < rounds; ++b) {
    const std::vector<std::size_t> batch =
        b < batches.size() ? batches[b] : std::vector<std::size_t>{};
    const RoiInputs roi = read_roi_inputs(source, analysis::roi_share(sel, batch), comm);
    mpi::agree_on(comm, [&] {
      for (std::size_t model : batch) {
        std::vector<Eigen::Index> cols;
        for (std::size_t j = 0; j < roi.model_of.size(); ++j)
          if (roi.model_of[j] == model) cols.push_back(static_cast<Eigen::Index>(j));
        solvers::DesignRidge solver(roi.train(Eigen::all, cols), roi.test(Eigen::all, cols));
        solvers::CvFit fit = solver.fit(in.targets.z, in.folds, alphas);
        const double cv_r = analysis::mean_column_r(fit.cv_prediction, in.targets.z);
        ensemble.offer(model, cv_r, std::move(fit));
      }
    });
  }
  analysis::RoiEnsemble::Result rois = ensemble.combine(comm);
  Fit f{std::move(rois.test), std::move(rois.cv),
        Eigen::VectorXd::Constant(in.targets.z.cols(), std::numeric_limits<double>::quiet_NaN()),
        Matrix<double>(), std::move(rois)};
  return f;
}

std::string npy_path(const std::string& out, const std::string& what) {
  std::string stem = out;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".h5") == 0) stem.resize(stem.size() - 3);
  return stem + "_" + what + ".npy";
}

std::vector<double> to_vector(const Eigen::VectorXd& v) {
  return {v.data(), v.data() + v.size()};
}

// Voxel-space weights W = X^T C [voxels, d], each rank its own voxels'
// rows, from a second pass over the responses. Collective.
void write_weights(io::H5File& f, const UnitInputs& in, const Matrix<double>& dual,
                   const mpi::Comm& comm) {
  const auto d = static_cast<std::size_t>(dual.cols());
  f.create<double>("/weights", {in.selection.voxels.size(), d});
  const analysis::VoxelShare mine = analysis::even_share(
      in.selection, in.source->layout.voxels, std::size_t(comm.size()), std::size_t(comm.rank()));
  for_each_chunk(*in.source, mine, comm, kReadColumns,
                 [&](const Matrix<double>& train, const Matrix<double>&, std::size_t first) {
                   const io::RowMajor<double> w = train.transpose() * dual;
                   io::write_rows<double>(f, "/weights", first, 0, w);
                 });
  f.write_attribute("/weights", "unit",
                    std::string("standardized targets per standardized voxel: embedding = "
                                "mean + sd * (x_z W)"));
}

// The summary row of a unit, recorded in its output and shown in the table.
nlohmann::json summary_row(const Unit& unit, const std::string& space, const UnitInputs& in,
                           const analysis::DecodeMetrics& m, const std::string& held_out) {
  // One-genre-out: the held-out genre's test samples, identified among all.
  double held_out_score = std::numeric_limits<double>::quiet_NaN();
  const auto& labels = m.genre_identification.labels;
  const auto at = std::find(labels.begin(), labels.end(), held_out);
  if (at != labels.end())
    held_out_score = m.genre_identification.means[std::size_t(at - labels.begin())];
  return {{"subject", unit.parameters.at("subject")},
          {"space", space},
          {"train_samples", in.source->samples.train.size()},
          {"test_samples", in.source->samples.test.size()},
          {"voxels", in.selection.voxels.size()},
          {"identification", io::number(m.mean_identification)},
          {"embedding_r", io::number(m.mean_embedding_r)},
          {"mean_cv_r", io::number(m.mean_cv_r)},
          {"identification_clip", io::number(m.mean_clip_identification)},
          {"test_r", io::number(m.mean_test_r)},
          {"baseline_embedding_r", io::number(m.baseline_embedding_r)},
          {"held_out_genre", held_out},
          {"identification_held_out", io::number(held_out_score)}};
}

// The unit's result file (docs/formats.md), after its .npy copies (staged,
// renamed into place by the commit).
void write_result(UnitRun& run, const DecodeOptions& o, const UnitInputs& in, const Fit& fit,
                  const Matrix<double>& pred, const Matrix<double>& cv_pred,
                  const analysis::DecodeMetrics& m, const io::ClipEmbeddings& clips,
                  const std::vector<double>& alphas, const nlohmann::json& row) {
  const mpi::Comm& comm = run.comm();
  const std::string& out_path = run.unit().outputs.front();
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) return;
    const io::RowMajor<double> p = pred, c = cv_pred;  // C order
    io::stage_npy(npy_path(out_path, "test_prediction"), p.data(),
                  {std::size_t(p.rows()), std::size_t(p.cols())});
    io::stage_npy(npy_path(out_path, "train_cv_prediction"), c.data(),
                  {std::size_t(c.rows()), std::size_t(c.cols())});
  });
  io::OutputFile out = run.open();
  io::H5File& f = out.file();
  io::write_decode_predictions(f, pred, in.y_test, cv_pred, in.y_train);
  io::write_decode_samples(f, analysis::sample_index(in.source->samples), clips.ids);
  io::DecodeScores scores;
  scores.identification = m.identification;
  scores.embedding_r = to_vector(m.embedding_r);
  scores.alpha = to_vector(fit.alpha);
  scores.cv_r = to_vector(m.cv_r);
  scores.test_r = to_vector(m.test_r);
  scores.alphas = alphas;
  scores.genres = m.genre_identification.labels;
  scores.genre_identification = m.genre_identification.means;
  scores.mean_identification = m.mean_identification;
  scores.mean_embedding_r = m.mean_embedding_r;
  scores.mean_cv_r = m.mean_cv_r;
  scores.clip_identification = m.clip_identification;
  scores.mean_clip_identification = m.mean_clip_identification;
  scores.mean_test_r = m.mean_test_r;
  scores.baseline_embedding_r = m.baseline_embedding_r;
  scores.train_samples = in.source->samples.train.size();
  scores.test_samples = in.source->samples.test.size();
  scores.voxels.assign(in.selection.voxels.begin(), in.selection.voxels.end());
  scores.space = row.at("space");
  scores.subject = row.at("subject");
  io::write_decode_scores(f, scores);
  if (fit.rois)
    io::write_roi_models(f, fit.rois->cv_r, fit.rois->top, fit.rois->alpha, in.selection.models);
  if (o.save_weights) write_weights(f, in, fit.dual, comm);
  io::copy_voxel_geometry(*in.responses, f);  // /voxels/selected indexes these voxels
  run.commit(out, row);
}

nlohmann::json decode_unit(UnitRun& run, const DecodeOptions& o, const Study& study,
                           const std::vector<double>& alphas) {
  const Unit& unit = run.unit();
  const std::string space = unit.parameters.at("space");
  const std::size_t s = static_cast<std::size_t>(
      std::find(o.spaces.begin(), o.spaces.end(), space) - o.spaces.begin());
  const io::ClipEmbeddings& clips = study.clips[s];
  const UnitInputs in = read_inputs(o, unit.inputs.front(), clips, study, run.comm());
  const Fit fit = o.roi_models_top > 0 ? fit_roi_models(o, in, alphas, run.comm())
                                       : fit_whole(o, in, alphas, run.comm());
  const Matrix<double> pred = in.targets.original(fit.test_z);
  const Matrix<double> cv_pred = in.targets.original(fit.cv_z);
  std::vector<std::string> genres;
  std::vector<std::size_t> test_clip;
  for (const auto& t : in.source->samples.test) {
    genres.push_back(analysis::clip_genre(clips.ids[t.clip]));
    test_clip.push_back(t.clip);
  }
  const analysis::DecodeMetrics m =
      analysis::decode_metrics(pred, in.y_test, cv_pred, in.y_train, genres, test_clip);
  const nlohmann::json row = summary_row(unit, space, in, m, o.samples.exclude_genre);
  write_result(run, o, in, fit, pred, cv_pred, m, clips, alphas, row);
  return row;
}

void check_options(const DecodeOptions& o) {
  if (o.spaces.empty()) throw ConfigError("decode: give at least one --space");
  if (o.features.empty()) throw ConfigError("decode: --features is required");
  if (o.events_dir.empty()) throw ConfigError("decode: --events is required");
  if (o.spaces.size() > 1 && o.output.out.find("{space}") == std::string::npos)
    throw ConfigError("decode: with several --space values, --out must contain {space}");
  if (o.top_voxels > 0 && o.encode_result.empty())
    throw ConfigError("decode: --top-voxels needs --encode-result");
  if (o.top_voxels > 0 && (o.roi_models_top > 0 || !o.rois.empty()))
    throw ConfigError("decode: --top-voxels cannot be combined with --roi or --roi-models");
  if (o.folds < 2) throw ConfigError("decode: --folds must be at least 2");
  if (o.save_weights && o.roi_models_top > 0)
    throw ConfigError(
        "decode: --save-weights is not available with --roi-models (one model per ROI)");
}

Study read_study(const DecodeOptions& o, const mpi::Comm& world) {
  return mpi::agree_on(world, [&] {
    Study st;
    st.events = analysis::read_sample_events(o.events_dir, o.samples.tr);
    st.event_files = io::task_event_files(o.events_dir);
    const io::H5File file(o.features, io::Access::read, world);
    for (const std::string& space : o.spaces)
      st.clips.push_back(io::read_clip_embeddings(file, space));
    return st;
  });
}

std::optional<DecodeOptions> parse(const cli::Arguments& args) {
  cli::Parser p("decode", "Decode embeddings from voxels (kernel ridge per subject and space)");
  p.positional("responses", "[RESPONSES.h5 ...]");
  p.add()("responses", "responses file(s), one per subject",
          cxxopts::value<std::vector<std::string>>())(
      "features", "feature file with the clip embeddings (the targets)",
      cxxopts::value<std::string>())("space", "target space(s) in the feature file",
                                     cxxopts::value<std::vector<std::string>>());
  p.events();
  p.outputs("output file; {subject} and {space} are filled in");
  p.cross_validation(1e9);
  p.windows();
  p.add()("per-clip", "one sample per clip presentation (targets: mean of the clip's windows)")(
      "exclude-genre",
      "leave out this genre's training clips; the summary scores its test clips (one-genre-out)",
      cxxopts::value<std::string>())("roi",
                                     "use only the voxels of these ROIs (names of /voxels/roi)",
                                     cxxopts::value<std::vector<std::string>>())(
      "roi-models", "one model per ROI; average the top K by CV correlation (0: one model)",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "roi-memory", "MB of voxels a rank holds at once for its ROI models",
      cxxopts::value<std::size_t>()->default_value("256"))(
      "top-voxels", "use the N voxels with the best encoding cv_score (0: every voxel)",
      cxxopts::value<std::size_t>()->default_value("0"))(
      "encode-result", "encode output whose /voxels/cv_score ranks the voxels",
      cxxopts::value<std::string>())("save-weights",
                                     "also write voxel-space weights /weights [voxels, dim]")(
      "kernel-layout", "auto, replicated or distributed (block-cyclic on the ScaLAPACK grid)",
      cxxopts::value<std::string>()->default_value("auto"))(
      "eigensolver", "auto, lapack or scalapack",
      cxxopts::value<std::string>()->default_value("auto"))(
      "grid", "ScaLAPACK process grid RxC (default: most nearly square)",
      cxxopts::value<std::string>())("block", "ScaLAPACK block size",
                                     cxxopts::value<int>()->default_value("64"));
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  DecodeOptions o;
  o.responses = p.required<std::vector<std::string>>(*r, "responses");
  o.features = p.required<std::string>(*r, "features");
  o.spaces = p.required<std::vector<std::string>>(*r, "space");
  o.events_dir = p.required<std::string>(*r, "events");
  o.output = p.outputs(*r, args);
  o.samples = p.windows(*r);
  o.samples.per_clip = r->count("per-clip") > 0;
  o.samples.exclude_genre = p.optional<std::string>(*r, "exclude-genre", "");
  o.folds = p.folds(*r);
  o.alphas = p.alphas(*r);
  o.rois = p.optional<std::vector<std::string>>(*r, "roi", {});
  o.roi_models_top = (*r)["roi-models"].as<std::size_t>();
  o.roi_memory_mb = (*r)["roi-memory"].as<std::size_t>();
  o.top_voxels = (*r)["top-voxels"].as<std::size_t>();
  o.encode_result = p.optional<std::string>(*r, "encode-result", "");
  o.save_weights = r->count("save-weights") > 0;
  const std::string solver = p.choice(*r, "eigensolver", {"auto", "lapack", "scalapack"});
  o.eigen.backend = solver == "auto"     ? solvers::EigenBackend::automatic
                    : solver == "lapack" ? solvers::EigenBackend::lapack
                                         : solvers::EigenBackend::scalapack;
  if (r->count("grid")) {
    const auto [rows, cols] = p.grid(*r, "grid");
    o.eigen.grid_rows = rows;
    o.eigen.grid_cols = cols;
  }
  o.eigen.block = (*r)["block"].as<int>();
  if (o.eigen.block < 1) throw ConfigError("decode: --block must be positive");
  const std::string layout = p.choice(*r, "kernel-layout", {"auto", "replicated", "distributed"});
  o.kernel_layout = layout == "auto"         ? KernelLayout::automatic
                    : layout == "replicated" ? KernelLayout::replicated
                                             : KernelLayout::distributed;
  return o;
}

}  // namespace

io::SummaryTable run_decode(const DecodeOptions& o, const mpi::Comm& world) {
  check_options(o);
  const std::vector<double> alphas = o.alphas.alphas();
  const std::vector<Subject> subjects = subjects_of(o.responses, o.output.out, "decode");
  const Study study = read_study(o, world);
  std::vector<std::string> shared = study.event_files;
  shared.insert(shared.begin(), o.features);
  if (!o.encode_result.empty()) shared.push_back(o.encode_result);
  // Space-major, so that the table lists a space's subjects together.
  std::vector<Unit> units;
  for (const std::string& space : o.spaces)
    for (const Subject& s : subjects) {
      Unit u{s.name + " " + space, {fill(s.out, "space", space)}, shared};
      u.side_files = {npy_path(u.outputs.front(), "test_prediction"),
                      npy_path(u.outputs.front(), "train_cv_prediction")};
      u.inputs.insert(u.inputs.begin(), s.responses);
      u.parameters = {{"space", space}, {"subject", s.name}};
      units.push_back(std::move(u));
    }
  nlohmann::json parameters = cli::parameters(o.samples);
  parameters.update({{"folds", o.folds},
                     {"alphas", alphas},
                     {"rois", o.rois},
                     {"roi_models_top", o.roi_models_top},
                     {"top_voxels", o.top_voxels},
                     {"save_weights", o.save_weights}});
  Stage stage("decode",
              {io::text("subject"), io::text("space"), io::count("train_samples"),
               io::count("test_samples"), io::count("voxels"), io::real("identification"),
               io::real("embedding_r"), io::real("mean_cv_r"), io::real("identification_clip"),
               io::real("test_r"), io::real("baseline_embedding_r"), io::text("held_out_genre"),
               io::real("identification_held_out")},
              o.output, parameters);
  const io::SummaryTable table =
      stage.run(units, mpi::group_count(units.size(), std::size_t(world.size())), world,
                [&](UnitRun& run) { return decode_unit(run, o, study, alphas); });
  print_table(analysis::per_space_summary(table), world);
  return table;
}

int decode_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<DecodeOptions>(args, world, parse, run_decode);
}

void decode_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
