// A temporary directory shared by all ranks of a communicator, removed on
// destruction.
#pragma once

#include <string>

#include "mpi/comm.hpp"

namespace b2m::testing {

class TempDir {
 public:
  explicit TempDir(const mpi::Comm& comm);
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() noexcept;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  const mpi::Comm* comm_;
  std::string path_;
};

// The whole contents of a text file ("" if it cannot be read).
[[nodiscard]] std::string read_text(const std::string& path);

// The repository root (for data/).
[[nodiscard]] std::string source_dir();

}  // namespace b2m::testing
