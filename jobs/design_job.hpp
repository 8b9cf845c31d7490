// `b2m design`: clip embeddings + events -> an aligned design file.
#pragma once

#include <string>
#include <vector>

#include "mpi/comm.hpp"

namespace b2m::jobs {

struct DesignOptions {
  std::string features;
  std::string space;
  std::string events_dir;
  std::vector<int> delays = {1, 2, 3, 4};
  double tr = 1.5;
  std::string out;
  std::string command_line;
};

void run_design(const DesignOptions& options, const mpi::Comm& comm);

}  // namespace b2m::jobs
