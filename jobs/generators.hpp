// The generators of `b2m generate` (README, "The generator contract"): what
// turns rows of decoded embeddings into audio. One is an external command
// (MusicGen or AudioLDM behind a wrapper, on a GPU node); two are built in:
//
//   retrieval  the audio of each row's best corpus match by cosine (the
//              paper's retrieval path), rendered from the corpus's /sound
//              table or copied from --corpus-audio;
//   synth      the simulator's synthesizer driven by the embedding, through
//              a map learned on the corpus (analysis/sound_map.hpp).
//
// Every generator writes <out_dir>/<row>.wav for the rows it is given; what
// it wrote is validated by the farm (generate_rows.hpp), never trusted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/retrieval.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

// One call: the contract's arguments.
struct GeneratorCall {
  std::string embeddings;  // the queries file: .npy, float32 [rows, d]
  std::vector<std::size_t> rows;
  std::string out_dir;     // empty when the call starts
  std::uint64_t seed = 1;  // row r's seed is seed + r
  double seconds = 15;
  int rate = 16000;
  std::string space;  // the embedding space of the rows
};

struct GeneratorOutcome {
  int status = 0;   // the command's exit status (kTimedOut at its time limit)
  std::string log;  // where its output went ("" for a built-in)
};

class Generator {
 public:
  Generator() = default;
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  virtual ~Generator() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  virtual GeneratorOutcome run(const GeneratorCall& call, const std::string& log) = 0;
};

// An external command, run as `/bin/sh -c 'COMMAND --embeddings F --rows
// 3,4,5 --out-dir D --seed S --seconds X --rate R --space NAME'`, its
// output appended to the call's log, ended after `timeout_s`. Open MPI's and
// PMIx's variables are left out of its environment (it is not a rank);
// `gpu`, if given, becomes its CUDA_VISIBLE_DEVICES.
[[nodiscard]] std::unique_ptr<Generator> command_generator(std::string command, double timeout_s,
                                                           std::string gpu);

// The built-ins, prepared collectively over `comm` from the corpus (the
// search, the fit); each rank then renders the rows it is given.
// `queries`: the rows (one per test clip, in order).
[[nodiscard]] std::unique_ptr<Generator> synth_generator(const std::string& corpus,
                                                         const analysis::Queries& queries,
                                                         const mpi::Comm& comm);
// `exclude`: ids no row may retrieve (the study's clips); `corpus_audio`:
// a folder of <id>.wav for a corpus without /sound ("" if it has one).
[[nodiscard]] std::unique_ptr<Generator> retrieval_generator(
    const std::string& corpus, const std::string& corpus_audio, const analysis::Queries& queries,
    const std::vector<std::string>& exclude, const mpi::Comm& comm);

}  // namespace b2m::jobs
