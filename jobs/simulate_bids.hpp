// The simulated study as a consortium would publish it (`simulate --bids
// DIR`), so that the real-data path (`b2m prepare`) runs end to end here:
//
//   DIR/dataset_description.json
//   DIR/sub-NNN/func/sub-NNN_task-{Training,Test}_run-NN_{bold.nii.gz,events.tsv,bold.json}
//   DIR/derivative/masks/sub-NNN_{mask,atlas}.nii.gz, sub-NNN_atlas_names.tsv
//   DIR/derivative/preprocessed_data/sub-NNN_Resp_{Training,Test,Test_Mean}.npy
//
// Geometry: a grid in the proportions of the real one (96 x 96 x 68 voxels
// of 2 mm for about 60,000 brain voxels, smaller for fewer), the brain the
// voxels nearest the centre of an ellipsoid, simulated voxel v the v-th
// brain voxel in storage order; the atlas labels each with its ROI + 1.
// Bold (float32): baseline (800-1200) + 10 x the simulated response + a
// quadratic drift of each run (coefficients up to 30 by default), so that
// detrending matters; 0 outside the brain.
//
// The arrays are what a publisher's preprocessing of those runs gives:
// each run without the scans of its warm-up clip, its quadratic trend
// removed and z-scored (exactly what `prepare --bids --detrend polynomial
// --poly-order 2` computes), training and test runs one after another, and
// the test clips' means in order of first presentation. Simulated subject
// `s` (sub-0s_responses.h5) is BIDS subject sub-00s.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "analysis/run_scans.hpp"
#include "analysis/study_simulator.hpp"
#include "io/nifti.hpp"
#include "io/npy_array.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

// How the published images look: the grid (all 0: sized to the voxels)
// and the largest drift coefficient of a run (0: no drift).
struct BidsImages {
  std::array<std::size_t, 3> grid{};
  double drift = 30;
  std::vector<std::string> roi_names;  // the atlas's label names, in label order
};

class BidsSubject {
 public:
  // The files of subject `subject` in the tree at `root`, made from the
  // events (and their layout) of `events_dir`, the images as `images` says.
  BidsSubject(std::string root, int subject, std::string events_dir, analysis::ArrayLayout layout,
              BidsImages images);

  // Every file it writes (final paths): the unit's side files.
  [[nodiscard]] std::vector<std::string> files() const;

  // Stages the small files and creates the arrays for `voxels` voxels
  // (collective).
  void begin(std::size_t voxels, const mpi::Comm& comm);
  // The rows of the block of voxels from `first` in each array (any rank,
  // its own blocks; an empty block writes nothing).
  void write(std::size_t first, const analysis::VoxelBlock& block);
  // Flushes the arrays, then writes the bold runs, each rank whole runs in
  // turn (collective); the unit's commit publishes them.
  void finish(const mpi::Comm& comm);

 private:
  [[nodiscard]] std::string func_file(const std::string& task, int run,
                                      const std::string& suffix) const;
  [[nodiscard]] std::string array_file(const std::string& which) const;
  [[nodiscard]] std::string mask_file(const std::string& which) const;
  [[nodiscard]] std::string series_file() const;
  // Every scan of every run (training runs, then test runs) x the block's
  // voxels: the simulated responses the bold runs are made of.
  [[nodiscard]] io::RowMajor<float> series(const analysis::VoxelBlock& block) const;
  void write_run(std::size_t run, const io::NpyReader& series) const;
  void write_masks() const;

  std::string root_, name_, events_dir_;
  analysis::ArrayLayout layout_;
  std::vector<io::RunEvents> train_runs_, test_runs_;
  std::vector<analysis::RunScans> all_scans_;  // every scan of every run
  BidsImages images_;
  std::size_t voxels_ = 0;
  io::Geometry grid_;
  std::vector<std::size_t> brain_;  // storage index of each voxel
  std::unique_ptr<io::NpyWriter> train_, test_, mean_, series_;
};

}  // namespace b2m::jobs
