// What a sweep's tasks will cost before they run: wall time, core-hours and
// I/O of each task from b2m's operation counts (solvers/ridge_cost.hpp) and
// the problem sizes in its input files (or the spec's [sizes] where an
// input does not exist yet), at the speed of this machine as a short GEMM
// and eigensolver probe measures it.
#pragma once

#include <map>
#include <string>

#include "cluster/plan.hpp"

namespace b2m::cluster {

struct Machine {
  double gemm_flops = 1e10;   // one core, double precision
  double eigen_weight = 7.0;  // an eigendecomposition of order k costs this x k^3 GEMM flops
  // A task's fixed cost: launching its ranks, MPI and HDF5 start-up.
  double startup_s = 2.0;
  double read_bytes_per_s = 1e9;  // input files (each is read, and checksummed once)
};

// Times a GEMM and a symmetric eigendecomposition on one core (about 0.3 s).
[[nodiscard]] Machine probe_machine();

struct Estimate {
  double seconds = 0;  // wall time of the task on its ranks
  double core_hours = 0;
  double bytes_read = 0;
  double bytes_written = 0;
  std::string unsized;  // non-empty: why the size is a guess
};

// Caches the sizes read from input files, by path.
class Sizer {
 public:
  explicit Sizer(const Spec& spec) : spec_(spec) {}
  [[nodiscard]] Estimate estimate(const Plan& plan, const Task& task, const Machine& machine);

 private:
  // The shape of `dataset` in `file`, or {} if it cannot be read.
  const std::vector<std::size_t>& shape(const std::string& file, const std::string& dataset);
  [[nodiscard]] double size(const std::string& key, double fallback, std::string& unsized) const;

  const Spec& spec_;
  std::map<std::string, std::vector<std::size_t>> shapes_;
};

// The estimate of every task of `plan` (index as in plan.tasks) at the
// speed of `machine`.
[[nodiscard]] std::vector<Estimate> estimate_all(const Plan& plan, const Machine& machine);

}  // namespace b2m::cluster
