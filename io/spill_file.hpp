// A scratch file of one process for arrays it cannot afford to keep in
// memory but will need again (encode's per-fold factors: about 150 MB each at
// p = 4,096). Arrays are appended under integer keys and read back whole.
// The file is private to the process, never collective, and removed when the
// object goes away, also on errors. An I/O failure is deferred to the next
// agreed HDF5 call (spill_file.cpp).
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace b2m::io {

class SpillFile {
 public:
  // Creates (or truncates) `path`.
  explicit SpillFile(std::string path);
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile() noexcept;

  [[nodiscard]] const std::string& path() const { return path_; }

  // Stores `count` doubles under `key` (a key stored twice keeps the last).
  void put(std::size_t key, const double* data, std::size_t count);
  // Reads the array stored under `key` (as many doubles as were put) into `out`.
  void get(std::size_t key, double* out) const;

 private:
  struct Extent {
    long long offset;
    std::size_t count;
  };
  [[nodiscard]] const Extent& extent(std::size_t key) const;
  void fail(const char* what, int error) const;

  std::string path_;
  int fd_ = -1;
  std::map<std::size_t, Extent> index_;
  long long end_ = 0;
  mutable bool failed_ = false;
};

}  // namespace b2m::io
