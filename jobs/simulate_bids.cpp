#include "jobs/simulate_bids.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "analysis/detrend.hpp"
#include "analysis/zscore.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

namespace fs = std::filesystem;

std::string bids_name(int subject) {
  char text[16];
  std::snprintf(text, sizeof text, "sub-%03d", subject);
  return text;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A number in [0, 1) from a key: the same whatever rank draws it.
double unit_hash(std::uint64_t key) {
  key += 0x9e3779b97f4a7c15ULL;
  key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ULL;
  key = (key ^ (key >> 27)) * 0x94d049bb133111ebULL;
  key ^= key >> 31;
  return double(key >> 11) * 0x1.0p-53;
}

// The grid and brain of `voxels` voxels: the real grid's proportions (96 x
// 96 x 68, 2 mm) scaled so an ellipsoid filling 84% of each axis holds them,
// and the voxels nearest its centre, in storage order.
void brain_grid(std::size_t voxels, const std::array<std::size_t, 3>& fixed, io::Geometry& grid,
                std::vector<std::size_t>& brain) {
  double scale = std::cbrt(double(voxels) / (0.3 * 96 * 96 * 68));
  for (;; scale *= 1.03) {
    grid.dims = {std::max<std::size_t>(3, std::size_t(std::ceil(96 * scale))),
                 std::max<std::size_t>(3, std::size_t(std::ceil(96 * scale))),
                 std::max<std::size_t>(3, std::size_t(std::ceil(68 * scale)))};
    if (fixed[0] != 0) grid.dims = fixed;
    std::vector<std::pair<double, std::size_t>> inside;
    for (std::size_t k = 0; k < grid.dims[2]; ++k)
      for (std::size_t j = 0; j < grid.dims[1]; ++j)
        for (std::size_t i = 0; i < grid.dims[0]; ++i) {
          double r = 0;
          const std::size_t at[3] = {i, j, k};
          for (std::size_t d = 0; d < 3; ++d) {
            const double half = 0.5 * double(grid.dims[d] - 1);
            const double x = (double(at[d]) - half) / (0.42 * double(grid.dims[d]));
            r += x * x;
          }
          if (r <= 1) inside.push_back({r, i + grid.dims[0] * (j + grid.dims[1] * k)});
        }
    if (inside.size() < voxels) {
      if (fixed[0] != 0)
        throw ConfigError("simulate: a " + std::to_string(fixed[0]) + " x " +
                          std::to_string(fixed[1]) + " x " + std::to_string(fixed[2]) +
                          " grid holds " + std::to_string(inside.size()) +
                          " brain voxels, fewer than --voxels");
      continue;
    }
    std::sort(inside.begin(), inside.end());
    brain.clear();
    for (std::size_t v = 0; v < voxels; ++v) brain.push_back(inside[v].second);
    std::sort(brain.begin(), brain.end());
    break;
  }
  grid.voxel_mm = {2, 2, 2};
  grid.affine = {2, 0, 0, -double(grid.dims[0]), 0, 2, 0, -double(grid.dims[1]),
                 0, 0, 2, -double(grid.dims[2]), 0, 0, 0, 1};
}

}  // namespace

BidsSubject::BidsSubject(std::string root, int subject, std::string events_dir,
                         analysis::ArrayLayout layout, BidsImages images)
    : root_(std::move(root)),
      name_(bids_name(subject)),
      events_dir_(std::move(events_dir)),
      layout_(std::move(layout)),
      train_runs_(io::read_task_events(events_dir_, "Training")),
      test_runs_(io::read_task_events(events_dir_, "Test")),
      images_(images) {
  for (const auto* runs : {&train_runs_, &test_runs_})
    for (const auto& s : analysis::run_scans(*runs, layout_.tr, /*drop_warmup=*/false))
      all_scans_.push_back(s);
}

std::string BidsSubject::func_file(const std::string& task, int run,
                                   const std::string& suffix) const {
  char text[96];
  std::snprintf(text, sizeof text, "%s_task-%s_run-%02d_%s", name_.c_str(), task.c_str(), run,
                suffix.c_str());
  return (fs::path(root_) / name_ / "func" / text).string();
}

std::string BidsSubject::array_file(const std::string& which) const {
  return (fs::path(root_) / "derivative" / "preprocessed_data" /
          (name_ + "_Resp_" + which + ".npy"))
      .string();
}

std::string BidsSubject::mask_file(const std::string& which) const {
  return (fs::path(root_) / "derivative" / "masks" / (name_ + "_" + which)).string();
}

// Scratch: every scan of every run, plus a last row with each voxel's ROI.
std::string BidsSubject::series_file() const {
  return (fs::path(root_) / ("." + name_ + "_series.npy")).string();
}

std::vector<std::string> BidsSubject::files() const {
  std::vector<std::string> out = {array_file("Training"),    array_file("Test"),
                                  array_file("Test_Mean"),   mask_file("mask.nii.gz"),
                                  mask_file("atlas.nii.gz"), mask_file("atlas_names.tsv")};
  for (const auto* runs : {&train_runs_, &test_runs_})
    for (const io::RunEvents& run : *runs) {
      const std::string task = runs == &train_runs_ ? "Training" : "Test";
      for (const char* suffix : {"events.tsv", "bold.json", "bold.nii.gz"})
        out.push_back(func_file(task, run.run, suffix));
    }
  return out;
}

void BidsSubject::begin(std::size_t voxels, const mpi::Comm& comm) {
  voxels_ = voxels;
  brain_grid(voxels, images_.grid, grid_, brain_);
  std::size_t scans = 1;  // the ROI row
  for (const auto& s : all_scans_) scans += s.scans;
  // The root creates the arrays at their full size, then the others open them.
  const auto arrays = [&](io::NpyWriter::Mode mode) {
    train_ = std::make_unique<io::NpyWriter>(array_file("Training"), layout_.train.run.size(),
                                             voxels, mode);
    test_ = std::make_unique<io::NpyWriter>(array_file("Test"), layout_.test_array_rows(), voxels,
                                            mode);
    mean_ =
        std::make_unique<io::NpyWriter>(array_file("Test_Mean"), layout_.test.rows(), voxels, mode);
    series_ = std::make_unique<io::NpyWriter>(series_file(), scans, voxels, mode);
  };
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) return;
    // The study's description is the same for every subject; written whole.
    io::write_file_atomically((fs::path(root_) / "dataset_description.json").string(),
                              {R"({"Name": "b2m simulated study on the ds003720 design", )"
                               R"("BIDSVersion": "1.4.0", "DatasetType": "raw"})"
                               "\n"});
    for (const auto* runs : {&train_runs_, &test_runs_})
      for (const io::RunEvents& run : *runs) {
        const std::string task = runs == &train_runs_ ? "Training" : "Test";
        // The events exactly as given (their quoting too); the sidecar with
        // what prepare reads from it.
        io::stage_file(func_file(task, run.run, "events.tsv"), {read_whole(run.file)});
        const nlohmann::json sidecar = {{"TaskName", task},
                                        {"RepetitionTime", layout_.tr},
                                        {"GeneratedBy", "b2m simulate --bids"}};
        io::stage_file(func_file(task, run.run, "bold.json"), {sidecar.dump(2) + "\n"});
      }
    fs::create_directories(fs::path(array_file("Training")).parent_path());
    arrays(io::NpyWriter::Mode::create);
  });
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) arrays(io::NpyWriter::Mode::open);
  });
}

io::RowMajor<float> BidsSubject::series(const analysis::VoxelBlock& block) const {
  const Eigen::Index width = block.train.cols();
  Eigen::Index rows = block.train.rows() + 1;
  for (const auto& run : block.test_runs) rows += run.rows();
  io::RowMajor<float> out(rows, width);
  out.topRows(block.train.rows()) = block.train;
  Eigen::Index row = block.train.rows();
  for (const auto& run : block.test_runs) {
    out.middleRows(row, run.rows()) = run;
    row += run.rows();
  }
  for (Eigen::Index v = 0; v < width; ++v) out(row, v) = float(block.roi[std::size_t(v)]);
  return out;
}

void BidsSubject::write(std::size_t first, const analysis::VoxelBlock& block) {
  const Eigen::Index width = block.train.cols();
  if (width == 0) return;
  const analysis::ArrayLayout& l = layout_;
  const io::RowMajor<float> all = series(block);
  // Each run's kept scans, detrended (quadratic) and z-scored as a
  // publisher's preprocessing would.
  const analysis::DetrendOptions quadratic{analysis::DetrendMethod::polynomial, 0, 2};
  std::vector<solvers::Matrix<float>> runs;
  Eigen::Index offset = 0;
  for (std::size_t r = 0; r < all_scans_.size(); ++r) {
    const std::size_t n_train = train_runs_.size();
    const analysis::RunScans& s = r < n_train ? l.train_scans[r] : l.test_scans[r - n_train];
    solvers::Matrix<float> kept =
        all.middleRows(offset + Eigen::Index(s.first), Eigen::Index(s.kept()));
    analysis::detrend(kept, l.tr, quadratic);
    static_cast<void>(analysis::zscore_within<float>(kept, {{0, s.kept()}}));
    runs.push_back(std::move(kept));
    offset += Eigen::Index(all_scans_[r].scans);
  }
  io::RowMajor<float> train(static_cast<Eigen::Index>(l.train.run.size()), width);
  io::RowMajor<float> test(static_cast<Eigen::Index>(l.test_array_rows()), width);
  Eigen::Index row = 0, test_row = 0;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const bool is_test = r >= train_runs_.size();
    (is_test ? test : train).middleRows(is_test ? test_row : row, runs[r].rows()) = runs[r];
    (is_test ? test_row : row) += runs[r].rows();
  }
  // The means of the presentations, clips by first presentation.
  const auto trs = static_cast<Eigen::Index>(l.test.trs_per_clip);
  io::RowMajor<float> mean =
      io::RowMajor<float>::Zero(static_cast<Eigen::Index>(l.test.rows()), width);
  for (std::size_t i = 0; i < l.test.clip_ids.size(); ++i)
    for (std::size_t at : l.presentation_rows[l.first_order[i]])
      mean.middleRows(Eigen::Index(i) * trs, trs) +=
          test.middleRows(Eigen::Index(at), trs) / float(l.test.repetitions);
  train_->write_columns(first, train);
  test_->write_columns(first, test);
  mean_->write_columns(first, mean);
  series_->write_columns(first, all);
}

void BidsSubject::write_masks() const {
  const io::NpyReader series(io::staged_path(series_file()));
  const io::RowMajor<float> roi = series.rows({series.rows() - 1, series.rows()});
  std::vector<float> mask(grid_.voxels(), 0.0f), atlas(grid_.voxels(), 0.0f);
  for (std::size_t v = 0; v < voxels_; ++v) {
    mask[brain_[v]] = 1;
    atlas[brain_[v]] = roi(0, Eigen::Index(v)) + 1;
  }
  for (const auto& [which, values] : {std::pair{"mask.nii.gz", &mask}, {"atlas.nii.gz", &atlas}}) {
    io::NiftiWriter w(mask_file(which), grid_, 1, io::NiftiType::int16);
    w.write_volume(values->data());
    w.finish();
  }
  std::string names = "index\tname\n";
  const auto& rois = images_.roi_names;
  for (std::size_t k = 0; k < rois.size(); ++k)
    names += std::to_string(k + 1) + "\t" + rois[k] + "\n";
  io::stage_file(mask_file("atlas_names.tsv"), {names});
}

void BidsSubject::write_run(std::size_t run, const io::NpyReader& series) const {
  std::size_t first = 0;
  for (std::size_t r = 0; r < run; ++r) first += all_scans_[r].scans;
  const std::size_t scans = all_scans_[run].scans;
  const io::RowMajor<float> y = series.rows({first, first + scans});
  const bool test = run >= train_runs_.size();
  const io::RunEvents& events = test ? test_runs_[run - train_runs_.size()] : train_runs_[run];
  io::NiftiWriter w(func_file(test ? "Test" : "Training", events.run, "bold.nii.gz"), grid_, scans,
                    io::NiftiType::float32, layout_.tr);
  std::vector<float> volume(grid_.voxels(), 0.0f);
  for (std::size_t t = 0; t < scans; ++t) {
    const double s = scans > 1 ? 2.0 * double(t) / double(scans - 1) - 1.0 : 0.0;
    for (std::size_t v = 0; v < voxels_; ++v) {
      const std::uint64_t key = (std::uint64_t(run) << 40) ^ std::uint64_t(v);
      const double baseline = 800 + 400 * unit_hash(std::uint64_t(v));
      const double linear = images_.drift * (2 * unit_hash(3 * key + 1) - 1);
      const double bend = images_.drift * (2 * unit_hash(3 * key + 2) - 1);
      volume[brain_[v]] = static_cast<float>(baseline + 10.0 * y(Eigen::Index(t), Eigen::Index(v)) +
                                             linear * s + bend * (s * s - 1.0 / 3.0));
    }
    w.write_volume(volume.data());
  }
  w.finish();
}

void BidsSubject::finish(const mpi::Comm& comm) {
  mpi::agree_on(comm, [&] {
    for (auto* w : {train_.get(), test_.get(), mean_.get(), series_.get()}) w->finish();
  });
  mpi::agree_on(comm, [&] {
    const io::NpyReader series(io::staged_path(series_file()));
    const auto ranks = std::size_t(comm.size());
    for (std::size_t run = std::size_t(comm.rank()); run < all_scans_.size(); run += ranks)
      write_run(run, series);
    if (comm.is_root()) write_masks();
  });
  mpi::agree_on(comm, [&] {
    if (comm.is_root()) fs::remove(io::staged_path(series_file()));
  });
}

}  // namespace b2m::jobs
