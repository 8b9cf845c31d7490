#include "io/spill_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "mpi/io_guard.hpp"

namespace b2m::io {

// A failure is not thrown here: this rank alone would leave its peers in
// the next collective. It is recorded (mpi/io_guard.hpp) and raised at the
// next HDF5 call, where every rank agrees on it; until then reads give
// zeros and writes are dropped.
void SpillFile::fail(const char* what, int error) const {
  if (!failed_)
    mpi::defer_io_failure(what + (" scratch file " + path_) + " failed: " + std::strerror(error));
  failed_ = true;
}

SpillFile::SpillFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("creating", errno);
}

SpillFile::~SpillFile() noexcept {
  if (fd_ >= 0) ::close(fd_);
  std::remove(path_.c_str());
}

void SpillFile::put(std::size_t key, const double* data, std::size_t count) {
  index_[key] = {end_, count};
  const char* bytes = reinterpret_cast<const char*>(data);
  std::size_t left = count * sizeof(double);
  while (!failed_ && left > 0) {
    const ssize_t n = ::pwrite(fd_, bytes, left, end_);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("writing", n < 0 ? errno : ENOSPC);
    bytes += n;
    left -= static_cast<std::size_t>(n);
    end_ += n;
  }
}

const SpillFile::Extent& SpillFile::extent(std::size_t key) const {
  const auto it = index_.find(key);
  if (it == index_.end())
    throw Error("scratch file " + path_ + ": nothing stored under key " + std::to_string(key));
  return it->second;
}

void SpillFile::get(std::size_t key, double* out) const {
  const Extent& e = extent(key);
  char* bytes = reinterpret_cast<char*>(out);
  std::size_t left = e.count * sizeof(double);
  long long at = e.offset;
  while (!failed_ && left > 0) {
    const ssize_t n = ::pread(fd_, bytes, left, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fail("reading", n < 0 ? errno : EIO);  // 0: the file was truncated
      break;
    }
    bytes += n;
    left -= static_cast<std::size_t>(n);
    at += n;
  }
  if (failed_) std::fill(out, out + e.count, 0.0);
}

}  // namespace b2m::io
