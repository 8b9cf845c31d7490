#include "io/nifti.hpp"

#include <nifti2_io.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace b2m::io {
namespace {

// nifti_clib reports problems on stderr by itself; b2m reports them once,
// with the file named.
void quiet_library() {
  static const bool quiet = [] {
    nifti_set_debug_level(0);
    return true;
  }();
  static_cast<void>(quiet);
}

struct ImageFree {
  void operator()(nifti_image* image) const { nifti_image_free(image); }
};
using Image = std::unique_ptr<nifti_image, ImageFree>;

// Converts `n` stored values of NIfTI type `datatype` to float.
template <class T>
void widen(const unsigned char* raw, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

// The converter of a NIfTI type to float; nullptr for a type b2m does not read.
using Widen = void (*)(const unsigned char*, std::size_t, float*);
Widen widener(int datatype) {
  switch (datatype) {
    case DT_UINT8:
      return widen<std::uint8_t>;
    case DT_INT8:
      return widen<std::int8_t>;
    case DT_INT16:
      return widen<std::int16_t>;
    case DT_UINT16:
      return widen<std::uint16_t>;
    case DT_INT32:
      return widen<std::int32_t>;
    case DT_UINT32:
      return widen<std::uint32_t>;
    case DT_INT64:
      return widen<std::int64_t>;
    case DT_UINT64:
      return widen<std::uint64_t>;
    case DT_FLOAT32:
      return widen<float>;
    case DT_FLOAT64:
      return widen<double>;
    default:
      return nullptr;
  }
}

Geometry geometry_of(const nifti_image& nim) {
  Geometry g;
  g.dims = {static_cast<std::size_t>(std::max<int64_t>(nim.nx, 1)),
            static_cast<std::size_t>(std::max<int64_t>(nim.ny, 1)),
            static_cast<std::size_t>(std::max<int64_t>(nim.nz, 1))};
  g.voxel_mm = {std::abs(nim.dx), std::abs(nim.dy), std::abs(nim.dz)};
  const nifti_dmat44* m = nim.sform_code > 0   ? &nim.sto_xyz
                          : nim.qform_code > 0 ? &nim.qto_xyz
                                               : nullptr;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      g.affine[std::size_t(4 * r + c)] =
          m ? m->m[r][c] : (r == c ? (r < 3 ? g.voxel_mm[std::size_t(r)] : 1.0) : 0.0);
  return g;
}

std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

}  // namespace

bool Geometry::same_grid(const Geometry& other, double tolerance_mm) const {
  if (dims != other.dims) return false;
  for (std::size_t i = 0; i < affine.size(); ++i)
    if (!(std::abs(affine[i] - other.affine[i]) <= tolerance_mm)) return false;
  return true;
}

std::string Geometry::describe() const {
  return std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " +
         std::to_string(dims[2]) + " voxels of " + number(voxel_mm[0]) + " x " +
         number(voxel_mm[1]) + " x " + number(voxel_mm[2]) + " mm";
}

struct NiftiReader::State {
  Image image;
  znzFile file = nullptr;
  std::vector<unsigned char> raw;
  bool swap = false;
  double slope = 1, inter = 0;
  ~State() {
    if (file) znzclose(file);
  }
};

NiftiReader::NiftiReader(const std::string& path) : path_(path), state_(std::make_unique<State>()) {
  quiet_library();
  if (FILE* probe = std::fopen(path.c_str(), "rb"))
    std::fclose(probe);
  else
    throw InputError("cannot read " + path + ": " + std::strerror(errno));
  nifti_image* opened = nullptr;
  char mode[] = "rb";
  state_->file = nifti_image_open(path.c_str(), mode, &opened);
  state_->image.reset(opened);
  if (!opened || znz_isnull(state_->file))
    throw InputError(path + ": not a readable NIfTI image (bad or truncated header)");
  const nifti_image& nim = *opened;
  // nifti_image_open leaves the stream after the header; the data start at
  // vox_offset (past any extensions).
  if (znzseek(state_->file, static_cast<znz_off_t>(nim.iname_offset), SEEK_SET) < 0)
    throw InputError(path + ": truncated: the data offset " + std::to_string(nim.iname_offset) +
                     " lies past the end of the file");
  if (!widener(nim.datatype))
    throw InputError(path + ": NIfTI data type " + std::to_string(nim.datatype) + " (" +
                     nifti_datatype_string(nim.datatype) +
                     ") is not one b2m reads (integers, float32, float64)");
  for (int d = 5; d <= 7; ++d)
    if (nim.dim[0] >= d && nim.dim[d] > 1)
      throw InputError(path + ": a " + std::to_string(nim.dim[0]) +
                       "-D image; b2m reads 3-D volumes and 4-D series");
  geometry_ = geometry_of(nim);
  volumes_ = nim.dim[0] >= 4 ? static_cast<std::size_t>(std::max<int64_t>(nim.nt, 1)) : 1;
  const double seconds = nim.time_units == NIFTI_UNITS_MSEC   ? 1e-3
                         : nim.time_units == NIFTI_UNITS_USEC ? 1e-6
                                                              : 1.0;
  tr_ = volumes_ > 1 ? nim.dt * seconds : 0.0;
  state_->swap = nim.byteorder != nifti_short_order() && nim.swapsize > 1;
  if (nim.scl_slope != 0 && std::isfinite(nim.scl_slope)) {
    state_->slope = nim.scl_slope;
    state_->inter = std::isfinite(nim.scl_inter) ? nim.scl_inter : 0.0;
  }
  state_->raw.resize(geometry_.voxels() * static_cast<std::size_t>(nim.nbyper));
}

NiftiReader::~NiftiReader() = default;

void NiftiReader::next_volume(std::vector<float>& out) {
  if (read_ == volumes_)
    throw InputError(path_ + ": all " + std::to_string(volumes_) + " volumes were read");
  const nifti_image& nim = *state_->image;
  const std::size_t n = geometry_.voxels();
  const std::size_t got = znzread(state_->raw.data(), 1, state_->raw.size(), state_->file);
  if (got != state_->raw.size())
    throw InputError(path_ + ": truncated or corrupt: volume " + std::to_string(read_ + 1) +
                     " of " + std::to_string(volumes_) + " ends after " + std::to_string(got) +
                     " of its " + std::to_string(state_->raw.size()) + " bytes");
  if (state_->swap) nifti_swap_Nbytes(static_cast<int64_t>(n), nim.swapsize, state_->raw.data());
  out.resize(n);
  widener(nim.datatype)(state_->raw.data(), n, out.data());
  if (state_->slope != 1 || state_->inter != 0)
    for (float& v : out) v = static_cast<float>(state_->slope * v + state_->inter);
  ++read_;
}

std::vector<float> read_nifti_volume(const std::string& path, Geometry& geometry) {
  NiftiReader reader(path);
  if (reader.volumes() != 1)
    throw InputError(path + ": " + std::to_string(reader.volumes()) +
                     " volumes; a single 3-D volume is expected");
  std::vector<float> out;
  reader.next_volume(out);
  geometry = reader.geometry();
  return out;
}

struct NiftiWriter::State {
  znzFile file = nullptr;
  std::vector<unsigned char> raw;
  ~State() {
    if (file) znzclose(file);
  }
};

NiftiWriter::NiftiWriter(const std::string& path, const Geometry& geometry, std::size_t volumes,
                         NiftiType type, double tr, double scale)
    : path_(path),
      staged_(staged_path(path)),
      state_(std::make_unique<State>()),
      voxels_(geometry.voxels()),
      volumes_(volumes),
      type_(type),
      scale_(scale) {
  quiet_library();
  const int datatype = type == NiftiType::float32 ? DT_FLOAT32
                       : type == NiftiType::int16 ? DT_INT16
                                                  : DT_INT32;
  const int64_t dims[8] = {volumes > 1 ? 4 : 3,
                           static_cast<int64_t>(geometry.dims[0]),
                           static_cast<int64_t>(geometry.dims[1]),
                           static_cast<int64_t>(geometry.dims[2]),
                           static_cast<int64_t>(volumes),
                           1,
                           1,
                           1};
  Image nim(nifti_make_new_nim(dims, datatype, 0));
  if (!nim) throw Error("cannot make a NIfTI header for " + path);
  nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
  nim->dx = nim->pixdim[1] = geometry.voxel_mm[0];
  nim->dy = nim->pixdim[2] = geometry.voxel_mm[1];
  nim->dz = nim->pixdim[3] = geometry.voxel_mm[2];
  nim->dt = nim->pixdim[4] = volumes > 1 ? tr : 0.0;
  nim->xyz_units = NIFTI_UNITS_MM;
  nim->time_units = NIFTI_UNITS_SEC;
  nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->qform_code = NIFTI_XFORM_UNKNOWN;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) nim->sto_xyz.m[r][c] = geometry.affine[std::size_t(4 * r + c)];
  nim->sto_ijk = nifti_dmat44_inverse(nim->sto_xyz);
  nim->iname_offset = 352;  // 348-byte header + 4-byte extension flag
  nifti_1_header header{};
  if (nifti_convert_nim2n1hdr(nim.get(), &header) != 0)
    throw Error("cannot make a NIfTI header for " + path);
  // The conversion leaves these to nifti_clib's own writer; b2m writes the
  // file itself (under its staged name), so it sets them.
  header.vox_offset = 352;
  header.scl_slope = static_cast<float>(type == NiftiType::int16 ? scale : 1.0);
  header.scl_inter = 0;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  state_->file = znzopen(staged_.c_str(), gz ? "wb1" : "wb", gz ? 1 : 0);
  if (znz_isnull(state_->file))
    throw Error("cannot write " + staged_ + ": " + std::strerror(errno));
  const char extension[4] = {0, 0, 0, 0};
  if (znzwrite(&header, sizeof header, 1, state_->file) != 1 ||
      znzwrite(extension, 1, 4, state_->file) != 4)
    throw Error("writing " + staged_ + " failed: " + std::strerror(errno));
  state_->raw.resize(voxels_ * (type == NiftiType::int16 ? 2 : 4));
}

NiftiWriter::~NiftiWriter() = default;

void NiftiWriter::write_volume(const float* values) {
  if (written_ == volumes_) throw std::logic_error("NiftiWriter: more volumes than declared");
  unsigned char* raw = state_->raw.data();
  for (std::size_t i = 0; i < voxels_; ++i) {
    if (type_ == NiftiType::float32) {
      std::memcpy(raw + 4 * i, values + i, 4);
    } else if (type_ == NiftiType::int16) {
      const double q = std::round(values[i] / scale_);
      const auto v = static_cast<std::int16_t>(std::clamp(q, -32768.0, 32767.0));
      std::memcpy(raw + 2 * i, &v, 2);
    } else {
      const auto v = static_cast<std::int32_t>(std::lround(values[i]));
      std::memcpy(raw + 4 * i, &v, 4);
    }
  }
  if (znzwrite(raw, 1, state_->raw.size(), state_->file) != state_->raw.size())
    throw Error("writing " + staged_ + " failed: " + std::strerror(errno));
  ++written_;
}

void NiftiWriter::finish() {
  if (written_ != volumes_)
    throw std::logic_error("NiftiWriter: " + std::to_string(written_) + " of " +
                           std::to_string(volumes_) + " volumes written");
  if (znzclose(state_->file) != 0)
    throw Error("writing " + staged_ + " failed: " + std::strerror(errno));
  state_->file = nullptr;
}

}  // namespace b2m::io
