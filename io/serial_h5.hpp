// A few facts read from an HDF5 file by one process, without MPI: the
// sweep tools (b2m sweep) run on a login node, where starting MPI costs
// seconds, and only look at root attributes and dataset shapes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/h5_handle.hpp"

namespace b2m::io {

class SerialH5 {
 public:
  // Opens `path` read-only (H5Error naming it if it cannot be). HDF5's
  // file locks are off: a file another job is reading stays readable.
  explicit SerialH5(const std::string& path);

  [[nodiscard]] const std::string& path() const { return path_; }
  // The string attribute `name` of "/", or nullopt where there is none.
  [[nodiscard]] std::optional<std::string> root_attribute(const std::string& name) const;
  // The shape of `dataset`, or nullopt where there is no such dataset.
  [[nodiscard]] std::optional<std::vector<std::size_t>> shape(const std::string& dataset) const;

 private:
  std::string path_;
  H5Handle file_;
};

}  // namespace b2m::io
