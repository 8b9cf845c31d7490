// `b2m design`: clip embeddings + events -> an aligned design file.
#pragma once

#include <string>

#include "analysis/feature_alignment.hpp"
#include "jobs/cli.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct DesignOptions {
  analysis::DesignSource alignment;
  OutputOptions output;
};

void run_design(const DesignOptions& options, const mpi::Comm& world);

// The verb: options from the command line, then run_design.
int design_command(const cli::Arguments& args, const mpi::Comm& world);

}  // namespace b2m::jobs
