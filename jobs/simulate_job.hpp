// `b2m simulate`: a simulated study on the real ds003720 design.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "analysis/study_simulator.hpp"
#include "jobs/cli.hpp"
#include "jobs/simulate_audio.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct SimulateOptions {
  std::string events_dir;  // BIDS func directory with the events files
  std::string out_dir;
  int subjects = 5;
  std::size_t voxels = 20000;
  std::uint64_t seed = 1;
  double tr = 1.5;
  std::size_t corpus = 0;                    // synthetic corpus clips (0: no corpus)
  std::string corpus_space = "mulan_music";  // the corpus's embedding space
  std::string bids;                          // also the study as published here (simulate_bids.hpp)
  std::array<std::size_t, 3> bids_grid{};    // its image grid; 0s: sized to the voxels
  double bids_drift = 30;                    // its runs' drift coefficients, at most
  analysis::SimulatorParams params;          // the preset and its parameters
  AudioOptions audio;                        // a WAV per stimulus clip (simulate_audio.hpp)
  bool overwrite = false;
  std::string command_line;
};

// Writes <out>/features.h5, with `corpus` > 0 <out>/corpus.h5, with `audio`
// <out>/audio.h5 and <out>/audio/<clip>.wav, and, per
// subject NN, <out>/sub-NN_responses.h5 and <out>/sub-NN_truth.h5, and with
// `bids` the subject's files of the published study (jobs/simulate_bids.hpp).
// Collective over `comm`; the stage skeleton's output policy applies to
// each (jobs/stage.hpp).
void run_simulate(const SimulateOptions& options, const mpi::Comm& comm);

// The verb: options from the command line, then run_simulate.
int simulate_command(const cli::Arguments& args, const mpi::Comm& world);

}  // namespace b2m::jobs
