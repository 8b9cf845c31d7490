// `b2m design`: clip embeddings + events -> an aligned design file.
#pragma once

#include <string>
#include <vector>

#include "jobs/study_files.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct DesignOptions {
  AlignmentOptions alignment;
  std::string out;
  std::string command_line;
};

void run_design(const DesignOptions& options, const mpi::Comm& comm);

}  // namespace b2m::jobs
