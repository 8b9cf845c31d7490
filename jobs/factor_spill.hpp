// Ridge factors parked in a per-process scratch file between the passes of
// encode over the responses, so that a rank holds one fold's factors at a
// time instead of all of them (about 150 MB each at p = 4,096).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "io/spill_file.hpp"
#include "solvers/ridge_factor.hpp"

namespace b2m::jobs {

class FactorSpill {
 public:
  explicit FactorSpill(std::string path) : file_(std::move(path)) {}
  void put(std::size_t key, const solvers::RidgeFactor& f);
  [[nodiscard]] solvers::RidgeFactor get(std::size_t key) const;
  // Moves a matrix out of memory under `key` (leaving `m` empty), and back.
  void park(std::size_t key, solvers::Matrix<double>& m);
  void restore(std::size_t key, solvers::Matrix<double>& m) const;

 private:
  io::SpillFile file_;
  std::map<std::size_t, std::vector<double>> shapes_;  // by first key
};

}  // namespace b2m::jobs
