#include "io/npy_array.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <regex>
#include <vector>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/npy.hpp"

namespace b2m::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

// Reads exactly `size` bytes at `offset`; false at the end of the file.
bool read_at(int fd, void* out, std::size_t size, long long offset) {
  auto* p = static_cast<char*>(out);
  while (size > 0) {
    const ssize_t got = ::pread(fd, p, size, offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    size -= static_cast<std::size_t>(got);
    offset += got;
  }
  return true;
}

void write_at(int fd, const void* data, std::size_t size, long long offset,
              const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t wrote = ::pwrite(fd, p, size, offset);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) throw Error("writing " + path + " failed: " + std::strerror(errno));
    p += wrote;
    size -= static_cast<std::size_t>(wrote);
    offset += wrote;
  }
}

}  // namespace

NpyReader::NpyReader(std::string path) : path_(std::move(path)) {
  fd_ = Descriptor(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd_.get() < 0) throw InputError("cannot read " + path_ + ": " + std::strerror(errno));
  unsigned char prefix[12];
  if (!read_at(fd_.get(), prefix, 10, 0) || std::memcmp(prefix, kMagic, 6) != 0)
    throw InputError(path_ + ": not a .npy file (no \\x93NUMPY magic string)");
  const unsigned major = prefix[6];
  if (major < 1 || major > 3)
    throw InputError(path_ + ": .npy format version " + std::to_string(major) + " is not known");
  std::size_t length = prefix[8] | (std::size_t(prefix[9]) << 8), start = 10;
  if (major >= 2) {
    if (!read_at(fd_.get(), prefix + 10, 2, 10))
      throw InputError(path_ + ": truncated .npy header");
    length |= (std::size_t(prefix[10]) << 16) | (std::size_t(prefix[11]) << 24);
    start = 12;
  }
  std::string header(length, '\0');
  if (!read_at(fd_.get(), header.data(), length, static_cast<long long>(start)))
    throw InputError(path_ + ": truncated .npy header");
  data_ = static_cast<long long>(start + length);

  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
    throw InputError(path_ + ": .npy header has no 'descr'");
  const std::string descr = m[1];
  if (descr == "<f4")
    item_ = 4;
  else if (descr == "<f8")
    item_ = 8;
  else
    throw InputError(path_ + ": element type '" + descr +
                     "' is not little-endian float32 ('<f4') or float64 ('<f8')");
  if (!std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*(True|False))")))
    throw InputError(path_ + ": .npy header has no 'fortran_order'");
  if (m[1] == "True")
    throw InputError(path_ +
                     ": the array is in Fortran order; save it with "
                     "numpy.save(path, numpy.ascontiguousarray(a))");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    throw InputError(path_ + ": .npy header has no 'shape'");
  const std::string dims = m[1];
  const std::regex number(R"(\d+)");
  for (std::sregex_iterator d(dims.begin(), dims.end(), number), end; d != end; ++d)
    shape_.push_back(std::stoull(d->str()));
  if (shape_.size() < 2)
    throw InputError(path_ + ": a " + std::to_string(shape_.size()) +
                     "-D array; at least 2-D (rows x columns) is expected");
  rows_ = shape_[0];
  cols_ = 1;
  for (std::size_t i = 1; i < shape_.size(); ++i) cols_ *= shape_[i];

  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0)
    throw InputError("cannot read " + path_ + ": " + std::strerror(errno));
  const auto needed = static_cast<long long>(rows_ * cols_ * item_);
  if (st.st_size - data_ < needed)
    throw InputError(path_ + ": truncated: shape (" + std::to_string(rows_) + ", " +
                     std::to_string(cols_) + ") needs " + std::to_string(needed) +
                     " bytes of data, the file holds " + std::to_string(st.st_size - data_));
}

void NpyReader::read_segment(std::size_t row, mpi::Range cols, float* out) const {
  const long long at = data_ + static_cast<long long>((row * cols_ + cols.begin) * item_);
  std::vector<double> wide(item_ == 8 ? cols.size() : 0);
  void* into = item_ == 8 ? static_cast<void*>(wide.data()) : static_cast<void*>(out);
  if (!read_at(fd_.get(), into, cols.size() * item_, at))
    throw InputError(path_ + ": read failed at row " + std::to_string(row) + ": " +
                     (errno ? std::strerror(errno) : "end of file"));
  for (std::size_t j = 0; j < wide.size(); ++j) out[j] = static_cast<float>(wide[j]);
}

RowMajor<float> NpyReader::columns(mpi::Range cols) const {
  if (cols.end > cols_) throw std::out_of_range("NpyReader::columns: columns out of range");
  RowMajor<float> out(static_cast<Eigen::Index>(rows_), static_cast<Eigen::Index>(cols.size()));
  if (cols.empty()) return out;
  for (std::size_t r = 0; r < rows_; ++r)
    read_segment(r, cols, out.row(static_cast<Eigen::Index>(r)).data());
  return out;
}

RowMajor<float> NpyReader::rows(mpi::Range rows) const {
  if (rows.end > rows_) throw std::out_of_range("NpyReader::rows: rows out of range");
  RowMajor<float> out(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(cols_));
  for (std::size_t r = rows.begin; r < rows.end; ++r)
    read_segment(r, {0, cols_}, out.row(static_cast<Eigen::Index>(r - rows.begin)).data());
  return out;
}

NpyWriter::NpyWriter(std::string path, std::size_t rows, std::size_t cols, Mode mode)
    : path_(std::move(path)), staged_(staged_path(path_)), rows_(rows), cols_(cols) {
  const std::string header = npy_header("<f4", {rows, cols});
  data_ = static_cast<long long>(header.size());
  const int flags = mode == Mode::create ? O_RDWR | O_CREAT | O_TRUNC : O_RDWR;
  fd_ = Descriptor(::open(staged_.c_str(), flags | O_CLOEXEC, 0644));
  if (fd_.get() < 0) throw Error("cannot write " + staged_ + ": " + std::strerror(errno));
  if (mode == Mode::open) return;
  write_at(fd_.get(), header.data(), header.size(), 0, staged_);
  const auto size = data_ + static_cast<long long>(rows * cols * sizeof(float));
  if (::ftruncate(fd_.get(), size) != 0)
    throw Error("writing " + staged_ + " failed: " + std::strerror(errno));
}

void NpyWriter::write_columns(std::size_t first, const RowMajor<float>& block) {
  if (block.size() == 0) return;
  if (static_cast<std::size_t>(block.rows()) != rows_ ||
      first + static_cast<std::size_t>(block.cols()) > cols_)
    throw std::logic_error("NpyWriter::write_columns: block out of range");
  for (std::size_t r = 0; r < rows_; ++r)
    write_at(fd_.get(), block.row(static_cast<Eigen::Index>(r)).data(),
             static_cast<std::size_t>(block.cols()) * sizeof(float),
             data_ + static_cast<long long>((r * cols_ + first) * sizeof(float)), staged_);
}

void NpyWriter::finish() {
  if (::fsync(fd_.get()) != 0 || !fd_.close())
    throw Error("writing " + staged_ + " failed: " + std::strerror(errno));
}

}  // namespace b2m::io
