// `b2m generate`: decoded embeddings -> audio, one reconstruction per test
// clip of each decode result, through a generator (generators.hpp) farmed
// over the ranks in batches (generate_rows.hpp): the paper's
// reconstruction step. Under mpirun the rows are dealt over the ranks, each
// with its own GPU from --gpus.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/summary_table.hpp"
#include "jobs/cli.hpp"
#include "jobs/generate_rows.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct GenerateOptions {
  std::vector<std::string> predictions;  // decode outputs
  std::string generator;                 // "retrieval", "synth" or a command
  std::string corpus;                    // the built-ins' corpus
  std::string corpus_audio;              // retrieval: <id>.wav of a corpus without /sound
  bool include_stimuli = false;          // retrieval may return the study's own clips
  double seconds = 15;
  int rate = 16000;
  std::uint64_t seed = 1;
  double timeout_s = 3600;        // per external call
  std::vector<std::string> gpus;  // CUDA_VISIBLE_DEVICES of rank r: gpus[r % n]
  FarmSettings farm;
  // --out: each unit's result file (.h5), its WAVs in the folder of the
  // same name without ".h5"; "{name}" is the prediction file's name
  // without ".h5" (required with several prediction files).
  OutputOptions output;
};

[[nodiscard]] bool builtin_generator(const std::string& name);
// The folder of a result's WAVs, records and logs: its path without ".h5".
[[nodiscard]] std::string audio_folder(const std::string& result);

io::SummaryTable run_generate(const GenerateOptions& options, const mpi::Comm& world);

}  // namespace b2m::jobs
