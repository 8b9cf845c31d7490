#include "io/responses_file.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/error.hpp"

namespace b2m::io {
namespace {

std::string shape_text(const Shape& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

}  // namespace

std::size_t rows_per_clip(std::size_t rows, std::size_t clips, const std::string& file) {
  if (clips == 0 || rows % clips != 0)
    throw InputError(file + ": the attribute ids of /test names " + std::to_string(clips) +
                     " clips, which do not divide the " + std::to_string(rows) + " test rows");
  return rows / clips;
}

ResponsesLayout read_responses_layout(const H5File& f) {
  const Shape train = f.shape("/train/Y");
  const Shape test = f.shape("/test/Y");
  const Shape run = f.shape("/train/run");
  if (train.size() != 2 || test.size() != 2 || run.size() != 1)
    throw InputError(f.path() + ": expected /train/Y [n, V], /test/Y [m, V], /train/run [n]; got " +
                     shape_text(train) + ", " + shape_text(test) + ", " + shape_text(run));
  ResponsesLayout out;
  out.n = train[0];
  out.voxels = train[1];
  out.m = test[0];
  if (test[1] != out.voxels)
    throw InputError(f.path() + ": /train/Y has " + std::to_string(out.voxels) +
                     " voxels but /test/Y has " + std::to_string(test[1]));
  if (run[0] != out.n)
    throw InputError(f.path() + ": /train/run has " + std::to_string(run[0]) + " rows, /train/Y " +
                     std::to_string(out.n));
  if (out.voxels == 0) throw InputError(f.path() + ": no voxels");
  out.runs = run_ranges(f.read_all<std::int64_t>("/train/run"), f.path() + ":/train/run");
  out.volumes_given = f.exists("/train/volume");
  out.volumes = run_volumes(
      out.runs,
      out.volumes_given ? f.read_all<std::int64_t>("/train/volume") : std::vector<std::int64_t>{},
      f.path() + ":/train/volume");
  if (f.exists("/test/Y_reps")) {
    const Shape reps = f.shape("/test/Y_reps");
    if (reps.size() != 3 || reps[1] != out.m || reps[2] != out.voxels)
      throw InputError(f.path() + ": expected /test/Y_reps [repetitions, " + std::to_string(out.m) +
                       ", " + std::to_string(out.voxels) + "] beside /test/Y; got " +
                       shape_text(reps));
    out.repetitions = reps[0];
  }
  if (f.has_attribute("/test", "ids"))
    out.test_clip_rows =
        rows_per_clip(out.m, f.read_strings_attribute("/test", "ids").size(), f.path());
  return out;
}

std::vector<mpi::Range> run_ranges(const std::vector<std::int64_t>& labels,
                                   const std::string& where) {
  std::vector<mpi::Range> runs;
  std::vector<std::int64_t> seen;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i == 0 || labels[i] != labels[i - 1]) {
      if (std::find(seen.begin(), seen.end(), labels[i]) != seen.end())
        throw InputError(where + ": run " + std::to_string(labels[i]) +
                         " is not one contiguous block of rows");
      seen.push_back(labels[i]);
      runs.push_back({i, i});
    }
    runs.back().end = i + 1;
  }
  for (std::size_t r = 0; r < runs.size(); ++r)
    if (runs[r].size() < 2)
      throw InputError(where + ": run " + std::to_string(seen[r]) + " has " +
                       std::to_string(runs[r].size()) + " row(s); a run needs at least 2");
  if (runs.empty()) throw InputError(where + ": no training rows");
  return runs;
}

std::vector<std::vector<std::size_t>> run_volumes(const std::vector<mpi::Range>& runs,
                                                  const std::vector<std::int64_t>& volume,
                                                  const std::string& where) {
  const std::size_t rows = runs.empty() ? 0 : runs.back().end;
  if (!volume.empty() && volume.size() != rows)
    throw InputError(where + ": " + std::to_string(volume.size()) + " values for " +
                     std::to_string(rows) + " training rows");
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    std::vector<std::size_t> scans;
    for (std::size_t i = runs[r].begin; i < runs[r].end; ++i) {
      const std::int64_t v = volume.empty() ? std::int64_t(i - runs[r].begin) : volume[i];
      if (v < 0 || (!scans.empty() && std::size_t(v) <= scans.back()))
        throw InputError(where + ": row " + std::to_string(i) + " (run " + std::to_string(r + 1) +
                         ") has scan " + std::to_string(v) +
                         "; scans must be non-negative and increase within a run");
      scans.push_back(std::size_t(v));
    }
    out.push_back(std::move(scans));
  }
  return out;
}

void copy_voxel_geometry(const H5File& from, H5File& to) {
  // (a resumed output may have them already)
  if (from.exists("/voxels/ijk") && !to.exists("/voxels/ijk")) {
    const Shape shape = from.shape("/voxels/ijk");
    to.write_all<std::int32_t>("/voxels/ijk", shape, from.read_all<std::int32_t>("/voxels/ijk"));
    for (const char* name : {"grid", "affine"})
      to.write_attribute("/voxels/ijk", name, from.read_double_attribute("/voxels/ijk", name));
  }
  if (from.exists("/voxels/roi") && from.has_attribute("/voxels/roi", "names") &&
      !to.exists("/voxels/roi")) {
    to.write_all<std::int32_t>("/voxels/roi", from.shape("/voxels/roi"),
                               from.read_all<std::int32_t>("/voxels/roi"));
    to.write_attribute("/voxels/roi", "names", from.read_strings_attribute("/voxels/roi", "names"));
    if (from.has_attribute("/voxels/roi", "labels"))
      to.write_attribute("/voxels/roi", "labels",
                         from.read_double_attribute("/voxels/roi", "labels"));
  }
}

Atlas read_atlas(const H5File& f, std::size_t voxels) {
  if (!f.exists("/voxels/roi") || !f.has_attribute("/voxels/roi", "names"))
    throw InputError(f.path() + ": ROI selection needs /voxels/roi with a 'names' attribute");
  Atlas a{f.read_all<std::int64_t>("/voxels/roi"),
          f.read_strings_attribute("/voxels/roi", "names")};
  if (a.label.size() != voxels)
    throw InputError(f.path() + ":/voxels/roi has " + std::to_string(a.label.size()) +
                     " labels for " + std::to_string(voxels) + " voxels");
  for (std::int64_t l : a.label)
    if (l < 0 || static_cast<std::size_t>(l) >= a.names.size())
      throw InputError(f.path() + ":/voxels/roi: label " + std::to_string(l) + " has no name (" +
                       std::to_string(a.names.size()) + " names)");
  return a;
}

void create_responses(H5File& f, const ResponsesShape& s) {
  const std::size_t n = s.runs.size();
  f.create<float>("/train/Y", {n, s.voxels});
  f.write_all<std::int32_t>("/train/run", {n}, s.runs);
  if (!s.volumes.empty()) {
    if (s.volumes.size() != n)
      throw std::logic_error("create_responses: one scan index per training row is needed");
    f.write_all<std::int32_t>("/train/volume", {n}, s.volumes);
  }
  if (!s.train_clip.empty()) {
    if (s.train_clip.size() != n)
      throw std::logic_error("create_responses: one clip per training row is needed");
    f.write_all<std::int32_t>("/train/clip", {n}, s.train_clip);
    f.write_attribute("/train/clip", "ids", s.train_clip_ids);
  }
  f.create<float>("/test/Y", {s.test_rows, s.voxels});
  if (s.reps > 0) f.create<float>("/test/Y_reps", {s.reps, s.test_rows, s.voxels});
  f.write_attribute("/test", "ids", s.test_ids);
  if (!s.ijk.empty()) {
    if (s.ijk.size() != 3 * s.voxels || s.grid.size() != 3 || s.affine.size() != 16)
      throw std::logic_error(
          "create_responses: i, j, k per voxel, 3 dimensions and 16 affine values");
    f.write_all<std::int32_t>("/voxels/ijk", {s.voxels, 3}, s.ijk);
    f.write_attribute("/voxels/ijk", "grid", s.grid);
    f.write_attribute("/voxels/ijk", "affine", s.affine);
  }
  if (s.roi_names.empty()) return;
  f.create<std::int32_t>("/voxels/roi", {s.voxels});
  f.write_attribute("/voxels/roi", "names", s.roi_names);
  if (!s.roi_labels.empty()) f.write_attribute("/voxels/roi", "labels", s.roi_labels);
}

void write_responses(H5File& f, std::size_t first, const RowMajor<float>& train,
                     const RowMajor<float>& test, const std::vector<RowMajor<float>>& reps,
                     const std::vector<std::int32_t>& roi) {
  write_rows<float>(f, "/train/Y", 0, first, train);
  write_rows<float>(f, "/test/Y", 0, first, test);
  if (f.exists("/test/Y_reps")) {
    const RowMajor<float> none;
    for (std::size_t r = 0; r < f.shape("/test/Y_reps")[0]; ++r)
      write_slice<float>(f, "/test/Y_reps", r, first, r < reps.size() ? reps[r] : none);
  }
  if (f.exists("/voxels/roi"))
    f.write<std::int32_t>("/voxels/roi", {first}, {roi.size()}, roi.data());
}

}  // namespace b2m::io
