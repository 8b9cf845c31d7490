// The files of an encode run (docs/formats.md), in terms of what the run
// reads and writes rather than of datasets:
//
//   EncodeResults   the result: per voxel alpha, cv_score, r_test, r2_test,
//                   p_test and valid, the noise ceiling where the responses
//                   have repetitions (explainable_variance, noise_ceiling,
//                   r_normalized), optionally /weights [p, V] and the test
//                   rows predicted and observed (/test/prediction,
//                   /test/observed [m, V], what b2m stats permutes), and
//                   which voxel blocks are finished (/progress/blocks_done);
//   ScoreCheckpoint the checkpoint beside it: per fold, alpha and voxel the
//                   validation MSE and R^2 (/cv/mse, /cv/r2 [folds, alphas,
//                   V]) and which (fold, block) pairs are on disk (/cv/done).
//
// Writes are collective hyperslab transfers: a rank with nothing to write
// passes an empty selection (an empty range or matrix, or no mark) and
// still joins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/h5_file.hpp"
#include "io/h5_matrix.hpp"
#include "mpi/partition.hpp"

namespace b2m::io {

// The per-voxel results of a slice of voxels, in the result file's order;
// the ceiling's columns are null in a result without them.
struct VoxelColumns {
  const double *alpha, *cv_score, *r_test, *r2_test, *p_test;
  const std::uint8_t* valid;
  // Written where the result has a noise ceiling (may be null on a rank
  // without voxels).
  const double *explainable_variance = nullptr, *noise_ceiling = nullptr, *r_normalized = nullptr;
};

// What an encode result holds.
struct EncodeResultShape {
  std::size_t voxels = 0, blocks = 0;
  std::vector<double> alphas;
  bool ceiling = false;       // the noise ceiling's datasets
  std::size_t features = 0;   // /weights [features, voxels] when > 0
  std::size_t test_rows = 0;  // /test/prediction and /test/observed when > 0
  std::size_t clip_rows = 0;  // test rows per test clip (attribute of /test)
  // Rows at each clip's start whose prediction holds earlier clips'
  // features (attribute of /test, where known).
  std::optional<std::size_t> carry_over_rows;
};

// Both live at the root of their file, or under `group` (e.g.
// "/candidates/3": b2m partition keeps an encode result per candidate in its
// checkpoint).
class EncodeResults {
 public:
  explicit EncodeResults(H5File& file, std::string group = "")
      : file_(file), group_(std::move(group)) {}
  // The datasets of `shape`; /weights of element type T. Collective.
  template <class T>
  void create(const EncodeResultShape& shape);
  [[nodiscard]] std::vector<std::uint8_t> blocks_done() const;
  [[nodiscard]] bool has_ceiling() const { return file_.exists(at("/voxels/noise_ceiling")); }
  void write(mpi::Range voxels, const VoxelColumns& columns);
  template <class T>
  void write_weights(std::size_t first_voxel, const RowMajor<T>& weights);
  // The test rows of voxels from `first_voxel` on, as the model predicted
  // them and as it was scored against them (float32). Collective.
  template <class T>
  void write_test_rows(std::size_t first_voxel, const ColMajor<T>& prediction,
                       const ColMajor<T>& observed);
  // Marks block `block` finished (or joins without marking). Collective.
  void mark_done(std::optional<std::size_t> block);
  // r_test, alpha, p_test and noise_ceiling (NaN in a result without it)
  // of `voxels`. Collective.
  void read(mpi::Range voxels, std::vector<double>& r, std::vector<double>& alpha,
            std::vector<double>& p, std::vector<double>& ceiling) const;

 private:
  [[nodiscard]] std::string at(const char* name) const { return group_ + name; }
  H5File& file_;
  std::string group_;
};

// For resuming an encode output: reads the progress records of `results`
// and its `checkpoint` (at their roots, or under `group`) and checks that
// they agree, or throws (collective).
void check_resumable(H5File& results, H5File& checkpoint, const std::string& group = "");

class ScoreCheckpoint {
 public:
  explicit ScoreCheckpoint(H5File& file, std::string group = "")
      : file_(file), group_(std::move(group)) {}
  void create(std::size_t folds, std::size_t alphas, std::size_t voxels, std::size_t blocks);
  // Folds x blocks: 1 where the fold's scores of the block are all on disk.
  [[nodiscard]] std::vector<std::uint8_t> done() const;
  // Fold `fold`'s scores (alphas x voxels) of voxels from `first_voxel` on.
  void write(std::size_t fold, std::size_t first_voxel, const RowMajor<double>& mse,
             const RowMajor<double>& r2);
  // Marks (fold, block) on disk, or joins without marking. Collective.
  void mark_done(std::optional<std::pair<std::size_t, std::size_t>> fold_block);
  // The scores of `voxels` summed over the folds, in fold order, whatever
  // the rank layout that wrote them (alphas x voxels). Collective.
  void summed(mpi::Range voxels, RowMajor<double>& mse, RowMajor<double>& r2) const;

 private:
  [[nodiscard]] std::string at(const char* name) const { return group_ + name; }
  H5File& file_;
  std::string group_;
};

// The test rows an encode result made with --save-predictions holds
// (/test/prediction and /test/observed [m, V], /voxels/r_test [V]) and how
// they divide into test clips (/test's attribute clip_rows), which b2m stats
// permutes and b2m compare resamples: an InputError naming the file when
// any is missing or inconsistent, or there are fewer than two clips.
struct TestRows {
  std::size_t m = 0, voxels = 0, clip_rows = 0;
  std::optional<std::size_t> carry_over_rows;  // /test's attribute, where the file has it
  [[nodiscard]] std::size_t clips() const { return m / clip_rows; }
};
[[nodiscard]] TestRows read_test_rows(const H5File& f);

// The rows at the start of each test clip that b2m stats and compare leave
// out of the r they test (their prediction holds the clips before): `given`
// (--carry-over-rows), else what the result at `path` says. An InputError
// naming the file where neither says, or where no row of a clip is left.
[[nodiscard]] std::size_t tested_carry_over(const TestRows& t, std::optional<std::size_t> given,
                                            const std::string& path);

}  // namespace b2m::io
