// The responses file of one subject (docs/formats.md): /train/Y [n, V],
// /train/run [n], /test/Y [m, V], optionally /train/volume (which scan of its
// run each row is), /test/Y_reps, the test clip ids and /voxels/roi. What
// the stages check before they read a voxel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/h5_file.hpp"
#include "io/h5_matrix.hpp"
#include "mpi/partition.hpp"

namespace b2m::io {

struct ResponsesLayout {
  std::size_t n = 0, m = 0, voxels = 0;
  std::vector<mpi::Range> runs;
  // Per run, the scan (volume index from the run's start) of each row:
  // /train/volume where the file has it (runs whose first scans were dropped,
  // such as the warm-up clip of ds003720's preprocessed arrays), else
  // 0, 1, ... Rows are in scan order.
  std::vector<std::vector<std::size_t>> volumes;
  bool volumes_given = false;
  // Test rows per test clip, from the optional `ids` attribute of /test
  // (one id per clip); 0 where the file does not say.
  std::size_t test_clip_rows = 0;
  // Rows at the start of each test clip whose design reaches back into the
  // clips shown before it (the largest FIR delay), from the design; unset
  // where the design does not say.
  std::optional<std::size_t> carry_over_rows;
  // Repetitions in /test/Y_reps [R, m, V] (each presentation of the test
  // clips, whose mean is /test/Y); 0 where the file has none.
  std::size_t repetitions = 0;
};

// Checks that /train/Y [n, V], /test/Y [m, V], /train/run [n] and
// /test/Y_reps [R, m, V] (if present) agree, that there is a voxel, that the
// runs are contiguous and that the test clip ids, if given, divide the test
// rows evenly; errors name the file.
[[nodiscard]] ResponsesLayout read_responses_layout(const H5File& f);

// Test rows per clip given `clips` test clip ids for `rows` test rows of
// `file`; an error unless they divide evenly.
[[nodiscard]] std::size_t rows_per_clip(std::size_t rows, std::size_t clips,
                                        const std::string& file);

// Run row ranges from the per-row run labels of a responses file: each run
// must be one contiguous block of at least two rows. `where` names the data.
[[nodiscard]] std::vector<mpi::Range> run_ranges(const std::vector<std::int64_t>& labels,
                                                 const std::string& where);

// The scan of each row per run (`volume`: one value per row, or empty for
// 0, 1, ... in each run); an error unless non-negative and increasing
// within every run. `where` names the data.
[[nodiscard]] std::vector<std::vector<std::size_t>> run_volumes(
    const std::vector<mpi::Range>& runs, const std::vector<std::int64_t>& volume,
    const std::string& where);

// A new responses file of `voxels` voxels: /train/Y [n, V] with the run of
// each row (`runs`, n values), /test/Y [m, V] with `test_ids` (one id per
// test clip), /train/volume and /train/clip when given, /test/Y_reps
// [reps, m, V] when reps > 0, /voxels/roi labelled with `roi_names` unless
// there are none, and /voxels/ijk when given. Collective.
struct ResponsesShape {
  std::vector<std::int32_t> runs;
  std::size_t test_rows = 0, reps = 0, voxels = 0;
  std::vector<std::string> test_ids, roi_names;
  std::vector<std::int32_t> volumes;  // scan of each training row; empty: 0, 1, ... per run
  // The clip playing at each training row (index into train_clip_ids, -1
  // for none); empty: not recorded.
  std::vector<std::int32_t> train_clip;
  std::vector<std::string> train_clip_ids;
  // The voxels' place in the subject's image grid (prepare from NIfTI):
  // i, j, k of each voxel (3 per voxel), the grid's dimensions and its
  // ijk -> xyz affine (row-major 4 x 4); empty: not recorded.
  std::vector<std::int32_t> ijk;
  std::vector<double> grid, affine;
  // The atlas label value of each ROI name; empty: not recorded.
  std::vector<double> roi_labels;
};
void create_responses(H5File& f, const ResponsesShape& shape);
// The responses of voxels from `first` on: training and test rows (row-major
// [rows, voxels]), one matrix per repetition and the ROI label of each
// voxel. Collective; a rank without voxels passes empty ones.
void write_responses(H5File& f, std::size_t first, const RowMajor<float>& train,
                     const RowMajor<float>& test, const std::vector<RowMajor<float>>& reps,
                     const std::vector<std::int32_t>& roi);

// The voxels' place in the image grid (/voxels/ijk with its `grid` and
// `affine`) and their ROIs (/voxels/roi with its `names`, and `labels`
// where given), copied from a responses file to a result of its voxels, so
// that `b2m maps` can place them and b2m stats summarize them per ROI;
// nothing where `from` has none. Collective.
void copy_voxel_geometry(const H5File& from, H5File& to);

// The ROI atlas of the voxels: a label per voxel and the name of each label.
struct Atlas {
  std::vector<std::int64_t> label;  // per voxel
  std::vector<std::string> names;   // label value -> name
};
// /voxels/roi with its `names` attribute; every label must have a name and
// there must be one label per voxel (`voxels`).
[[nodiscard]] Atlas read_atlas(const H5File& f, std::size_t voxels);

}  // namespace b2m::io
