// NIfTI images (.nii, .nii.gz; NIfTI-1 or -2) through nifti_clib, Debian's
// libnifti2-dev: bold runs read one volume at a time, so a run of 96 x 96 x
// 68 x 410 scans never sits whole in memory, and 3-D images (masks, atlases,
// maps) read and written whole. gzip is streamed by nifti_clib's znzlib.
// Errors name the file and say what is wrong (not a NIfTI image, a data
// type b2m cannot read, data that ends early).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace b2m::io {

// The voxel grid of an image.
struct Geometry {
  std::array<std::size_t, 3> dims{};  // nx, ny, nz
  std::array<double, 3> voxel_mm{};   // voxel size
  // ijk -> xyz (mm), row-major 4 x 4: the sform where set, else the qform,
  // else the voxel sizes alone.
  std::array<double, 16> affine{};
  [[nodiscard]] std::size_t voxels() const { return dims[0] * dims[1] * dims[2]; }
  // Same dimensions and an affine equal within `tolerance_mm` per entry.
  [[nodiscard]] bool same_grid(const Geometry& other, double tolerance_mm = 1e-3) const;
  // "96 x 96 x 68, 2 x 2 x 2 mm", for messages.
  [[nodiscard]] std::string describe() const;
};

// An image opened for reading, its volumes read in order. The storage order
// of a volume is NIfTI's: i fastest, then j, then k.
class NiftiReader {
 public:
  explicit NiftiReader(const std::string& path);
  ~NiftiReader();
  NiftiReader(const NiftiReader&) = delete;
  NiftiReader& operator=(const NiftiReader&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const Geometry& geometry() const { return geometry_; }
  [[nodiscard]] std::size_t volumes() const { return volumes_; }
  // The time between volumes in seconds from the header; 0 if it says none.
  [[nodiscard]] double repetition_time() const { return tr_; }

  // The next volume (geometry().voxels() values), scaled by the header's
  // slope and intercept. An InputError naming the file when the data ends
  // early or is corrupt, or when all volumes have been read.
  void next_volume(std::vector<float>& out);

 private:
  struct State;
  std::string path_;
  std::unique_ptr<State> state_;
  Geometry geometry_;
  std::size_t volumes_ = 1, read_ = 0;
  double tr_ = 0;
};

// A 3-D image whole (the first volume of a 4-D one is refused: a mask or an
// atlas has one).
[[nodiscard]] std::vector<float> read_nifti_volume(const std::string& path, Geometry& geometry);

// The stored element type of an image b2m writes.
enum class NiftiType { float32, int16, int32 };

// A new image of `volumes` volumes on `geometry`, written volume by volume
// to `<path>.partial` (gzip level 1 for a .nii.gz name) and published by
// promote_file(path) (io/atomic_file.hpp) once its owner is complete.
// int16 images store round(value / scale) with the header's slope `scale`.
class NiftiWriter {
 public:
  NiftiWriter(const std::string& path, const Geometry& geometry, std::size_t volumes,
              NiftiType type, double tr = 0, double scale = 1);
  ~NiftiWriter();
  NiftiWriter(const NiftiWriter&) = delete;
  NiftiWriter& operator=(const NiftiWriter&) = delete;

  void write_volume(const float* values);
  // Flushes and closes; an error unless every volume was written.
  void finish();

 private:
  struct State;
  std::string path_, staged_;
  std::unique_ptr<State> state_;
  std::size_t voxels_, volumes_, written_ = 0;
  NiftiType type_;
  double scale_;
};

}  // namespace b2m::io
