#include "io/spill_file.hpp"

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace b2m::io {
namespace {

[[noreturn]] void fail(const std::string& path, const char* what) {
  throw Error("scratch file " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

SpillFile::SpillFile(std::string path) : path_(std::move(path)) {
  file_.reset(std::fopen(path_.c_str(), "w+b"));
  if (!file_) fail(path_, "cannot create");
}

SpillFile::~SpillFile() noexcept {
  file_.reset();
  std::remove(path_.c_str());
}

void SpillFile::put(std::size_t key, const double* data, std::size_t count) {
  if (fseeko(file_.get(), end_, SEEK_SET) != 0) fail(path_, "seek failed");
  if (std::fwrite(data, sizeof(double), count, file_.get()) != count)
    fail(path_, "write failed (disk full?)");
  index_[key] = {end_, count};
  end_ += static_cast<long long>(count * sizeof(double));
}

const SpillFile::Extent& SpillFile::extent(std::size_t key) const {
  const auto it = index_.find(key);
  if (it == index_.end())
    throw Error("scratch file " + path_ + ": nothing stored under key " + std::to_string(key));
  return it->second;
}

void SpillFile::get(std::size_t key, double* out) const {
  const Extent& e = extent(key);
  if (std::fflush(file_.get()) != 0) fail(path_, "flush failed");
  if (fseeko(file_.get(), e.offset, SEEK_SET) != 0) fail(path_, "seek failed");
  if (std::fread(out, sizeof(double), e.count, file_.get()) != e.count)
    fail(path_, "short read (file truncated?)");
}

}  // namespace b2m::io
