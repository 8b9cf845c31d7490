#include "jobs/prepare_job.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>

#include "analysis/run_scans.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "io/npy_array.hpp"
#include "io/responses_file.hpp"
#include "mpi/agree.hpp"
#include "mpi/rank_grid.hpp"

namespace b2m::jobs {
namespace {

namespace fs = std::filesystem;

// |Resp_Test_Mean - mean of the repetitions| allowed, relative to the
// largest |value| of Resp_Test_Mean: float32 round-off of a mean of a few
// values is about 1e-7 of it.
constexpr double kMeanTolerance = 1e-5;

// The three arrays of a subject, as the dataset names them.
std::string array_path(const PrepareOptions& o, const std::string& subject,
                       const std::string& which) {
  return (fs::path(o.derivatives) / (subject + "_Resp_" + which + ".npy")).string();
}

// Every subject with a training array, sorted.
std::vector<std::string> found_subjects(const std::string& dir) {
  if (!fs::is_directory(dir)) throw InputError("derivatives directory " + dir + " does not exist");
  const std::regex pattern("(sub-[A-Za-z0-9]+)_Resp_Training\\.npy");
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, pattern)) out.push_back(m[1]);
  }
  if (out.empty()) throw InputError(dir + ": no sub-*_Resp_Training.npy arrays");
  std::sort(out.begin(), out.end());
  return out;
}

// The func directory of a subject's events: <root>/<subject>/func in a BIDS
// tree, else the directory itself (one design for every subject).
std::string events_dir(const std::string& root, const std::string& subject) {
  const fs::path func = fs::path(root) / subject / "func";
  return fs::is_directory(func) ? func.string() : root;
}

using Layout = analysis::ArrayLayout;

// The events of `dir` as rows of the arrays.
Layout read_layout(const PrepareOptions& o, const std::string& dir) {
  return analysis::array_layout(io::read_task_events(dir, "Training"),
                                io::read_task_events(dir, "Test"), repetition_time(o, dir));
}

// A subject's three arrays, opened and checked against the events.
struct Arrays {
  io::NpyReader train, test, mean;
};

std::string scans_text(const std::vector<analysis::RunScans>& scans) {
  std::size_t total = 0;
  for (const auto& s : scans) total += s.kept();
  return std::to_string(total) + " (" + std::to_string(scans.size()) + " runs of " +
         std::to_string(scans.front().scans) + " scans less the " +
         std::to_string(scans.front().first) + " of the warm-up clip)";
}

void check_rows(const io::NpyReader& a, std::size_t expected, const std::string& because) {
  if (a.rows() != expected)
    throw InputError(a.path() + " has " + std::to_string(a.rows()) + " rows, but " + because +
                     " give " + std::to_string(expected) + " rows");
}

Arrays open_arrays(const PrepareOptions& o, const std::string& subject, const Layout& l) {
  Arrays a{io::NpyReader(array_path(o, subject, "Training")),
           io::NpyReader(array_path(o, subject, "Test")),
           io::NpyReader(array_path(o, subject, "Test_Mean"))};
  check_rows(a.train, l.train.run.size(), "the training events " + scans_text(l.train_scans));
  check_rows(a.test, l.test_array_rows(), "the test events " + scans_text(l.test_scans));
  check_rows(a.mean, l.test.rows(),
             "the " + std::to_string(l.test.clip_ids.size()) + " test clips x " +
                 std::to_string(l.test.trs_per_clip) + " scans");
  for (const io::NpyReader* x : {&a.train, &a.test, &a.mean})
    if (x->shape().size() != 2)
      throw InputError(x->path() + ": a " + std::to_string(x->shape().size()) +
                       "-D array; [scans, voxels] is expected");
  for (const io::NpyReader* x : {&a.test, &a.mean})
    if (x->cols() != a.train.cols())
      throw InputError(x->path() + " has " + std::to_string(x->cols()) + " voxels, " +
                       a.train.path() + " has " + std::to_string(a.train.cols()));
  if (a.train.cols() == 0) throw InputError(a.train.path() + ": no voxels");
  return a;
}

// The largest differences between Resp_Test_Mean and the repetitions' mean
// over a block, with the clips in id order and in first-presentation order,
// and the largest |value| of Resp_Test_Mean.
struct MeanCheck {
  double by_id = 0, by_first = 0, scale = 0;
};

// One block of voxels: the repetitions split out of the test array, their
// mean, written with the training rows; the mean checked against the file's.
void prepare_block(const Arrays& a, const Layout& l, mpi::Range v, io::H5File& f,
                   MeanCheck& check) {
  const auto width = static_cast<Eigen::Index>(v.size());
  const auto trs = static_cast<Eigen::Index>(l.test.trs_per_clip);
  const io::RowMajor<float> train = a.train.columns(v);
  const io::RowMajor<float> test = a.test.columns(v);
  const io::RowMajor<float> given = a.mean.columns(v);
  std::vector<io::RowMajor<float>> reps(
      l.test.repetitions, io::RowMajor<float>(static_cast<Eigen::Index>(l.test.rows()), width));
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(l.test.rows()), width);
  for (std::size_t c = 0; c < l.test.clip_ids.size(); ++c)
    for (std::size_t k = 0; k < l.test.repetitions; ++k) {
      const auto at = static_cast<Eigen::Index>(c) * trs;
      const auto from = static_cast<Eigen::Index>(l.presentation_rows[c][k]);
      reps[k].middleRows(at, trs) = test.middleRows(from, trs);
      sum.middleRows(at, trs) += test.middleRows(from, trs).cast<double>();
    }
  const Eigen::MatrixXd mean = sum / double(l.test.repetitions);
  for (std::size_t i = 0; width > 0 && i < l.test.clip_ids.size(); ++i) {
    const auto at = static_cast<Eigen::Index>(i) * trs;
    const auto first = static_cast<Eigen::Index>(l.first_order[i]) * trs;
    const Eigen::MatrixXd row = given.middleRows(at, trs).cast<double>();
    check.by_id = std::max(check.by_id, (row - mean.middleRows(at, trs)).cwiseAbs().maxCoeff());
    check.by_first =
        std::max(check.by_first, (row - mean.middleRows(first, trs)).cwiseAbs().maxCoeff());
    check.scale = std::max(check.scale, row.cwiseAbs().maxCoeff());
  }
  io::write_responses(f, v.begin, train, mean.cast<float>(), reps, {});
}

// Which order Resp_Test_Mean lists its clips in, from the check over all
// voxels; an InputError when neither fits.
std::string mean_order(const MeanCheck& c, const std::string& path) {
  const double tolerance = kMeanTolerance * std::max(c.scale, 1e-30);
  if (c.by_id <= tolerance) return "clip id";
  if (c.by_first <= tolerance) return "first presentation";
  throw InputError(path + " is not the mean of the test repetitions: it differs by " +
                   std::to_string(std::min(c.by_id, c.by_first)) + " at most (values up to " +
                   std::to_string(c.scale) +
                   "), with its clips in id order or in order of first presentation");
}

nlohmann::json prepare_subject(UnitRun& run, const PrepareOptions& o, const std::string& subject) {
  const mpi::Comm& comm = run.comm();
  const std::string dir = events_dir(o.events, subject);
  const Layout l = mpi::agree_on(comm, [&] { return read_layout(o, dir); });
  const auto arrays =
      mpi::agree_on(comm, [&] { return std::make_unique<Arrays>(open_arrays(o, subject, l)); });
  const std::size_t voxels = arrays->train.cols();
  const io::ResponsesShape shape = prepared_shape(l.train, l.test, voxels);
  mpi::agree_on(comm, [&] { check_room(run, shape); });
  io::OutputFile out = run.open(0);
  io::H5File& f = out.file();
  io::create_responses(f, shape);

  const mpi::Blocks blocks(voxels, o.block_voxels);
  const auto ranks = static_cast<std::size_t>(comm.size());
  const auto mine = blocks.owned_by(static_cast<std::size_t>(comm.rank()), ranks);
  MeanCheck check;
  for (std::size_t round = 0; round < blocks.rounds(ranks); ++round) {
    const bool active = round < mine.size();
    const mpi::Range v = active ? blocks.block(mine[round]) : mpi::Range{};
    mpi::agree_on(comm, [&] { prepare_block(*arrays, l, v, f, check); });
  }
  check.by_id = comm.allreduce(check.by_id, mpi::Op::max);
  check.by_first = comm.allreduce(check.by_first, mpi::Op::max);
  check.scale = comm.allreduce(check.scale, mpi::Op::max);
  const std::string order =
      mpi::agree_on(comm, [&] { return mean_order(check, arrays->mean.path()); });
  f.write_attribute("/", "subject", subject);
  f.write_attribute("/", "source", std::string("ds003720 preprocessed arrays (--derivatives)"));
  f.write_attribute("/", "warmup",
                    std::string("dropped: the first event of every run, as in the arrays"));
  f.write_attribute("/", "test_mean_order", order);
  f.write_attribute("/", "tr", std::vector<double>{l.tr});
  const nlohmann::json row = {{"subject", subject},
                              {"train_rows", l.train.run.size()},
                              {"test_clips", l.test.clip_ids.size()},
                              {"repetitions", l.test.repetitions},
                              {"voxels", voxels},
                              {"test_mean_order", order}};
  run.commit(out, row);
  return row;
}

// Every subject of a BIDS tree: sub-* directories with a func directory.
std::vector<std::string> bids_subjects(const std::string& root) {
  if (!fs::is_directory(root)) throw InputError("BIDS root " + root + " does not exist");
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("sub-", 0) == 0 && fs::is_directory(entry.path() / "func")) out.push_back(name);
  }
  if (out.empty()) throw InputError(root + ": no sub-*/func directories");
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<PrepareOptions> parse(const cli::Arguments& args) {
  cli::Parser p("prepare", "Prepare responses files from a study's published data");
  p.add()("bids", "BIDS root: sub-XXX/func with *_bold.nii[.gz], *_events.tsv, *_bold.json",
          cxxopts::value<std::string>())(
      "mask", "--bids: brain mask per subject (NIfTI; {subject} is replaced)",
      cxxopts::value<std::string>())("atlas", "--bids: atlas of integer labels per subject (NIfTI)",
                                     cxxopts::value<std::string>())(
      "atlas-names", "--bids: the atlas's label names (lines 'LABEL NAME')",
      cxxopts::value<std::string>())("detrend",
                                     "--bids: median (running median), polynomial or none",
                                     cxxopts::value<std::string>()->default_value("median"))(
      "detrend-window", "--bids: running median window (s)",
      cxxopts::value<double>()->default_value("240"))("poly-order", "--bids: polynomial order",
                                                      cxxopts::value<int>()->default_value("2"))(
      "no-zscore", "--bids: keep the detrended values (default: z-score each run)")(
      "keep-warmup", "--bids: keep the scans of each run's first event (default: drop them)")(
      "derivatives", "directory of the dataset's preprocessed arrays (sub-XXX_Resp_*.npy)",
      cxxopts::value<std::string>())(
      "events", "--derivatives: BIDS root (sub-XXX/func) or func directory with the events",
      cxxopts::value<std::string>())(
      "subject", "subject to prepare, e.g. sub-001 (repeatable; default: every one found)",
      cxxopts::value<std::vector<std::string>>())("out-dir", "output directory",
                                                  cxxopts::value<std::string>())(
      "tr", "repetition time (s); default: the sidecars' RepetitionTime", cxxopts::value<double>())(
      "overwrite", "replace complete outputs made with other parameters or inputs")(
      "summary", "also write the summary table here (TSV, or JSON for *.json)",
      cxxopts::value<std::string>())(
      "block-voxels",
      "voxels each rank reads and writes at a time (memory: about 4 x 8,400 x this bytes)",
      cxxopts::value<std::size_t>()->default_value("4096"));
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  PrepareOptions o;
  o.bids = p.optional<std::string>(*r, "bids", "");
  o.derivatives = p.optional<std::string>(*r, "derivatives", "");
  if (o.bids.empty() == o.derivatives.empty())
    throw ConfigError("prepare: give either --bids or --derivatives");
  if (!o.bids.empty()) {
    o.mask = p.required<std::string>(*r, "mask");
    o.atlas = p.optional<std::string>(*r, "atlas", "");
    o.atlas_names = p.optional<std::string>(*r, "atlas-names", "");
    if (o.atlas.empty() != o.atlas_names.empty())
      throw ConfigError("prepare: --atlas and --atlas-names go together");
    o.detrend.method =
        analysis::detrend_method((*r)["detrend"].as<std::string>(), "prepare: --detrend");
    o.detrend.window_s = (*r)["detrend-window"].as<double>();
    o.detrend.order = (*r)["poly-order"].as<int>();
    if (!(o.detrend.window_s > 0)) throw ConfigError("prepare: --detrend-window must be positive");
    if (o.detrend.order < 0) throw ConfigError("prepare: --poly-order must be >= 0");
    o.zscore = r->count("no-zscore") == 0;
    o.drop_warmup = r->count("keep-warmup") == 0;
  } else {
    o.events = p.required<std::string>(*r, "events");
  }
  o.out_dir = p.required<std::string>(*r, "out-dir");
  o.subjects = p.optional<std::vector<std::string>>(*r, "subject", {});
  if (r->count("tr")) o.tr = p.tr(*r);
  o.overwrite = r->count("overwrite") > 0;
  o.summary = p.optional<std::string>(*r, "summary", "");
  o.block_voxels = (*r)["block-voxels"].as<std::size_t>();
  if (o.block_voxels < 1) throw ConfigError("prepare: --block-voxels must be at least 1");
  o.command_line = args.command_line;
  return o;
}

// The files a --derivatives subject reads.
std::vector<std::string> derivative_inputs(const PrepareOptions& o, const std::string& s) {
  for (const char* which : {"Training", "Test", "Test_Mean"})
    if (!fs::exists(array_path(o, s, which)))
      throw InputError(array_path(o, s, which) + " does not exist");
  std::vector<std::string> inputs = io::task_event_files(events_dir(o.events, s));
  for (const char* which : {"Test_Mean", "Test", "Training"})
    inputs.insert(inputs.begin(), array_path(o, s, which));
  return inputs;
}

}  // namespace

io::ResponsesShape prepared_shape(const analysis::TrainingRows& train,
                                  const analysis::TestLayout& test, std::size_t voxels) {
  io::ResponsesShape shape;
  shape.runs = train.run;
  shape.volumes = train.scan;
  shape.train_clip = train.clip;
  shape.train_clip_ids = train.clip_ids;
  shape.test_rows = test.rows();
  shape.reps = test.repetitions;
  shape.voxels = voxels;
  shape.test_ids = test.clip_ids;
  return shape;
}

void check_room(const UnitRun& run, const io::ResponsesShape& shape) {
  if (!run.comm().is_root()) return;
  const double rows = double(shape.runs.size() + shape.test_rows * (1 + shape.reps));
  io::check_free_space(run.unit().outputs.front(),
                       {{"responses", rows * double(shape.voxels) * sizeof(float)}});
}

double repetition_time(const PrepareOptions& o, const std::string& dir) {
  const std::optional<double> sidecar = io::sidecar_repetition_time(dir);
  if (o.tr && sidecar && std::abs(*o.tr - *sidecar) > 1e-9)
    throw ConfigError("prepare: --tr " + std::to_string(*o.tr) + " s, but the sidecars of " + dir +
                      " say " + std::to_string(*sidecar) + " s");
  if (!o.tr && !sidecar)
    throw ConfigError("prepare: " + dir +
                      " has no *_bold.json sidecar with RepetitionTime; give --tr");
  return o.tr ? *o.tr : *sidecar;
}

void run_prepare(const PrepareOptions& o, const mpi::Comm& world) {
  const bool bids = !o.bids.empty();
  const std::vector<std::string> subjects = mpi::agree_on(world, [&] {
    if (!o.subjects.empty()) return o.subjects;
    return bids ? bids_subjects(o.bids) : found_subjects(o.derivatives);
  });
  std::vector<Unit> units;
  for (const std::string& s : subjects)
    units.push_back(
        {s, {(fs::path(o.out_dir) / (s + "_responses.h5")).string()}, mpi::agree_on(world, [&] {
           return bids ? bids_inputs(o, s) : derivative_inputs(o, s);
         })});
  nlohmann::json parameters = {{"source", bids ? "bids" : "derivatives"},
                               {"tr", o.tr ? nlohmann::json(*o.tr) : nlohmann::json()}};
  if (bids)
    parameters.update({{"detrend", int(o.detrend.method)},
                       {"detrend_window", o.detrend.window_s},
                       {"poly_order", o.detrend.order},
                       {"zscore", o.zscore},
                       {"drop_warmup", o.drop_warmup}});
  Stage stage("prepare",
              {io::text("subject"), io::count("train_rows"), io::count("test_clips"),
               io::count("repetitions"), io::count("voxels"), io::text("test_mean_order")},
              {o.out_dir, o.overwrite, o.summary, o.command_line}, parameters);
  static_cast<void>(stage.run(units, mpi::group_count(units.size(), std::size_t(world.size())),
                              world, [&](UnitRun& run) {
                                return bids ? prepare_bids_subject(run, o, run.unit().name)
                                            : prepare_subject(run, o, run.unit().name);
                              }));
}

int prepare_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<PrepareOptions>(args, world, parse, run_prepare);
}

void prepare_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
