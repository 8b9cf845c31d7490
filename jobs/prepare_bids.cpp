// `b2m prepare --bids`: a subject's bold runs -> its responses file.
//
// Each rank takes whole runs in turn (run j on rank j mod P) and streams a
// run volume by volume, keeping only the mask's voxels: a rank holds one
// run's masked series (410 x 60,000 float32 = 98 MB at real size), never the
// 4-D image. The run is cut to the scans it keeps (without the warm-up clip
// by default), detrended and z-scored, and written: a training run as its
// rows of /train/Y, a test run as each presentation's rows of /test/Y_reps.
// A last pass over blocks of voxels averages the repetitions into /test/Y.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "analysis/run_scans.hpp"
#include "analysis/zscore.hpp"
#include "core/error.hpp"
#include "io/bids_events.hpp"
#include "io/brain_mask.hpp"
#include "io/nifti.hpp"
#include "io/responses_file.hpp"
#include "jobs/prepare_job.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

namespace fs = std::filesystem;
using solvers::Matrix;

std::string func_dir(const PrepareOptions& o, const std::string& subject) {
  return (fs::path(o.bids) / subject / "func").string();
}

// The bold run of an events file: the same name with _bold.nii.gz or _bold.nii.
std::string bold_of(const io::RunEvents& run) {
  const std::string stem = run.file.substr(0, run.file.size() - std::string("_events.tsv").size());
  for (const char* ext : {"_bold.nii.gz", "_bold.nii"})
    if (fs::exists(stem + ext)) return stem + ext;
  throw InputError(run.file + ": no bold run beside it (" + fs::path(stem).filename().string() +
                   "_bold.nii.gz or .nii)");
}

// A run of the subject: its events, bold file and kept scans.
struct Run {
  bool test = false;
  std::size_t index = 0;  // among the task's runs
  io::RunEvents events;
  std::string bold;
  analysis::RunScans scans;
};

struct Subject {
  double tr = 0;
  std::vector<Run> runs;  // training runs, then test runs
  analysis::TrainingRows train;
  analysis::TestLayout test;
  std::vector<std::size_t> train_offset;  // first /train/Y row of each training run
};

// Bold runs that no events file describes: an extra run is as likely a
// misnamed file as a run to ignore, so it is refused.
void refuse_extra_runs(const std::string& dir, const std::vector<Run>& runs) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const bool bold =
        name.find("_bold.nii") != std::string::npos && name.find("task-") != std::string::npos;
    if (bold && std::none_of(runs.begin(), runs.end(),
                             [&](const Run& r) { return fs::path(r.bold).filename() == name; }))
      throw InputError(entry.path().string() + ": a bold run without an events file (" + dir +
                       " has events for the other runs); remove or rename it");
  }
}

Subject read_subject(const PrepareOptions& o, const std::string& subject) {
  const std::string dir = func_dir(o, subject);
  if (!fs::is_directory(dir)) throw InputError(dir + " does not exist");
  Subject s;
  s.tr = repetition_time(o, dir);
  const std::vector<io::RunEvents> train = io::read_task_events(dir, "Training");
  const std::vector<io::RunEvents> test = io::read_task_events(dir, "Test");
  const auto train_scans = analysis::run_scans(train, s.tr, o.drop_warmup);
  const auto test_scans = analysis::run_scans(test, s.tr, o.drop_warmup);
  for (std::size_t r = 0; r < train.size(); ++r)
    s.runs.push_back({false, r, train[r], bold_of(train[r]), train_scans[r]});
  for (std::size_t r = 0; r < test.size(); ++r)
    s.runs.push_back({true, r, test[r], bold_of(test[r]), test_scans[r]});
  refuse_extra_runs(dir, s.runs);
  s.train = analysis::training_rows(train, train_scans, s.tr);
  s.test = analysis::test_layout(test, s.tr);
  std::size_t row = 0;
  for (const auto& scans : train_scans) {
    s.train_offset.push_back(row);
    row += scans.kept();
  }
  return s;
}

// A bold run must lie on the mask's grid and have as many volumes as its
// events span.
void check_run(const io::NiftiReader& bold, const Run& run, const io::BrainMask& mask) {
  if (!bold.geometry().same_grid(mask.geometry))
    throw InputError(bold.path() + ": its grid (" + bold.geometry().describe() +
                     ") differs from the mask's, " + mask.source + " (" + mask.geometry.describe() +
                     ")");
  if (bold.volumes() != run.scans.scans)
    throw InputError(bold.path() + " has " + std::to_string(bold.volumes()) +
                     " volumes, but its events (" + run.events.file + ") span " +
                     std::to_string(run.scans.scans) + " scans");
}

// The run's kept scans of the mask's voxels (scans x voxels), detrended
// and z-scored.
Matrix<float> load_run(const Run& run, const io::BrainMask& mask, const PrepareOptions& o,
                       double tr) {
  io::NiftiReader bold(run.bold);
  check_run(bold, run, mask);
  const auto kept = static_cast<Eigen::Index>(run.scans.kept());
  Matrix<float> out(kept, static_cast<Eigen::Index>(mask.voxels()));
  std::vector<float> volume;
  for (std::size_t t = 0; t < run.scans.scans; ++t) {
    bold.next_volume(volume);  // the warm-up's volumes too: a gzip stream is read in order
    if (t < run.scans.first) continue;
    const auto row = static_cast<Eigen::Index>(t - run.scans.first);
    for (std::size_t v = 0; v < mask.voxels(); ++v)
      out(row, static_cast<Eigen::Index>(v)) = volume[mask.index[v]];
  }
  for (Eigen::Index v = 0; v < out.cols(); ++v)
    for (Eigen::Index t = 0; t < kept; ++t)
      if (!std::isfinite(out(t, v)))
        throw InputError(run.bold + ": a non-finite value at scan " +
                         std::to_string(run.scans.first + std::size_t(t)) + " of mask voxel " +
                         std::to_string(v));
  analysis::detrend(out, tr, o.detrend);
  if (o.zscore) static_cast<void>(analysis::zscore_within<float>(out, {{0, std::size_t(kept)}}));
  return out;
}

// Where a test run's presentations go: (repetition, first row of the clip
// in /test/Y_reps, first row in the run's kept scans).
struct Placement {
  std::size_t repetition, to, from;
};
std::vector<Placement> placements(const Subject& s, const Run& run) {
  std::vector<Placement> out;
  for (std::size_t c = 0; c < s.test.clip_ids.size(); ++c)
    for (std::size_t k = 0; k < s.test.repetitions; ++k) {
      const analysis::Presentation& p = s.test.presentations[c][k];
      if (p.run != run.index) continue;
      if (p.first_tr < run.scans.first)
        throw InputError(run.events.file + ": test clip " + s.test.clip_ids[c] +
                         " is presented in the scans of the warm-up clip, which are dropped");
      out.push_back({k, c * s.test.trs_per_clip, p.first_tr - run.scans.first});
    }
  return out;
}

// Every rank's share of the runs, written round by round: the training
// rows, then the test presentations (each rank joins every collective write,
// with nothing to write where it has nothing).
void write_runs(const Subject& s, const io::BrainMask& mask, const PrepareOptions& o, io::H5File& f,
                const mpi::Comm& comm) {
  const auto ranks = static_cast<std::size_t>(comm.size());
  const auto me = static_cast<std::size_t>(comm.rank());
  const std::size_t rounds = (s.runs.size() + ranks - 1) / ranks;
  const std::size_t voxels = mask.voxels(), trs = s.test.trs_per_clip;
  for (std::size_t round = 0; round < rounds; ++round) {
    const std::size_t job = round * ranks + me;
    const Run* run = job < s.runs.size() ? &s.runs[job] : nullptr;
    const io::RowMajor<float> rows = mpi::agree_on(comm, [&] {
      return run ? io::RowMajor<float>(load_run(*run, mask, o, s.tr)) : io::RowMajor<float>();
    });
    const bool train = run && !run->test;
    io::write_rows<float>(f, "/train/Y", train ? s.train_offset[run->index] : 0, 0,
                          train ? rows : io::RowMajor<float>());
    const std::vector<Placement> mine = mpi::agree_on(
        comm, [&] { return run && run->test ? placements(s, *run) : std::vector<Placement>{}; });
    const std::size_t writes = comm.allreduce(mine.size(), mpi::Op::max);
    for (std::size_t i = 0; i < writes; ++i) {
      const bool active = i < mine.size();
      const Placement p = active ? mine[i] : Placement{0, 0, 0};
      f.write<float>("/test/Y_reps", {p.repetition, p.to, 0},
                     {active ? 1u : 0u, active ? trs : 0u, active ? voxels : 0u},
                     active ? rows.row(static_cast<Eigen::Index>(p.from)).data() : nullptr);
    }
  }
}

// /test/Y: the mean of the repetitions, block of voxels by block.
void write_test_mean(const Subject& s, std::size_t voxels, std::size_t block, io::H5File& f,
                     const mpi::Comm& comm) {
  const mpi::Blocks blocks(voxels, block);
  const auto ranks = static_cast<std::size_t>(comm.size());
  const auto mine = blocks.owned_by(static_cast<std::size_t>(comm.rank()), ranks);
  const std::size_t reps = s.test.repetitions, m = s.test.rows();
  for (std::size_t round = 0; round < blocks.rounds(ranks); ++round) {
    const mpi::Range v = round < mine.size() ? blocks.block(mine[round]) : mpi::Range{};
    std::vector<float> all(reps * m * v.size());
    f.read<float>("/test/Y_reps", {0, 0, v.begin}, {v.empty() ? 0 : reps, m, v.size()}, all.data());
    io::RowMajor<float> mean = io::RowMajor<float>::Zero(static_cast<Eigen::Index>(m),
                                                         static_cast<Eigen::Index>(v.size()));
    for (std::size_t k = 0; k < reps; ++k)
      mean += Eigen::Map<const io::RowMajor<float>>(all.data() + k * m * v.size(),
                                                    static_cast<Eigen::Index>(m),
                                                    static_cast<Eigen::Index>(v.size()));
    mean /= static_cast<float>(reps);
    io::write_rows<float>(f, "/test/Y", 0, v.begin, mean);
  }
}

std::string warmup_text(const PrepareOptions& o) {
  return o.drop_warmup ? "dropped: the scans of every run's first event"
                       : "kept: every scan of every run";
}

std::string detrend_text(const PrepareOptions& o, double tr) {
  switch (o.detrend.method) {
    case analysis::DetrendMethod::running_median:
      return "running median of " + std::to_string(o.detrend.window_s) + " s (+-" +
             std::to_string(analysis::median_half_width(o.detrend.window_s, tr)) + " scans)";
    case analysis::DetrendMethod::polynomial:
      return "polynomial of order " + std::to_string(o.detrend.order);
    default:
      return "none";
  }
}

}  // namespace

std::string subject_path(const std::string& pattern, const std::string& subject) {
  std::string out = pattern;
  for (auto at = out.find("{subject}"); at != std::string::npos; at = out.find("{subject}"))
    out.replace(at, 9, subject);
  return out;
}

std::vector<std::string> bids_inputs(const PrepareOptions& o, const std::string& subject) {
  const Subject s = read_subject(o, subject);
  std::vector<std::string> out = {subject_path(o.mask, subject)};
  if (!o.atlas.empty()) {
    out.push_back(subject_path(o.atlas, subject));
    out.push_back(subject_path(o.atlas_names, subject));
  }
  for (const Run& r : s.runs) {
    out.push_back(r.events.file);
    out.push_back(r.bold);
  }
  for (const std::string& f : out)
    if (!fs::exists(f)) throw InputError(f + " does not exist");
  return out;
}

nlohmann::json prepare_bids_subject(UnitRun& run, const PrepareOptions& o,
                                    const std::string& subject) {
  const mpi::Comm& comm = run.comm();
  const Subject s = mpi::agree_on(comm, [&] { return read_subject(o, subject); });
  const io::BrainMask mask = mpi::agree_on(comm, [&] {
    return io::read_brain_mask(subject_path(o.mask, subject),
                               o.atlas.empty() ? "" : subject_path(o.atlas, subject),
                               o.atlas.empty() ? "" : subject_path(o.atlas_names, subject));
  });
  // Every run's header, before any work: a bad run fails the subject now.
  io::ResponsesShape shape = prepared_shape(s.train, s.test, mask.voxels());
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) return;
    for (const Run& r : s.runs) check_run(io::NiftiReader(r.bold), r, mask);
    check_room(run, shape);
  });
  io::OutputFile out = run.open(0);
  io::H5File& f = out.file();
  shape.roi_names = mask.names;
  shape.roi_labels.assign(mask.labels.begin(), mask.labels.end());
  for (std::size_t v = 0; v < mask.voxels(); ++v)
    for (std::int32_t x : mask.ijk(v)) shape.ijk.push_back(x);
  shape.grid.assign(mask.geometry.dims.begin(), mask.geometry.dims.end());
  shape.affine.assign(mask.geometry.affine.begin(), mask.geometry.affine.end());
  io::create_responses(f, shape);
  write_runs(s, mask, o, f, comm);
  if (!mask.roi.empty()) {
    const mpi::Range mine =
        mpi::even_part(mask.voxels(), std::size_t(comm.size()), std::size_t(comm.rank()));
    f.write<std::int32_t>("/voxels/roi", {mine.begin}, {mine.size()}, mask.roi.data() + mine.begin);
  }
  write_test_mean(s, mask.voxels(), o.block_voxels, f, comm);
  f.write_attribute("/", "subject", subject);
  f.write_attribute("/", "source", "BIDS bold runs (--bids " + o.bids + ")");
  f.write_attribute("/", "warmup", warmup_text(o));
  f.write_attribute("/", "detrend", detrend_text(o, s.tr));
  f.write_attribute("/", "zscore", std::string(o.zscore ? "per run" : "none"));
  f.write_attribute("/", "tr", std::vector<double>{s.tr});
  const nlohmann::json row = {{"subject", subject},
                              {"train_rows", s.train.run.size()},
                              {"test_clips", s.test.clip_ids.size()},
                              {"repetitions", s.test.repetitions},
                              {"voxels", mask.voxels()},
                              {"test_mean_order", ""}};
  run.commit(out, row);
  return row;
}

}  // namespace b2m::jobs
