// `b2m evaluate`: reconstructions (b2m generate results) judged against the
// clips they rebuild, in an embedder's space (the built-in acoustic one or
// an external command, jobs/clip_embedding.hpp): identification among the
// test clips, and genre, instrument and mood agreement through classifiers
// fitted on corpus clips, each figure beside its chance baseline (random
// corpus clips) and each tag beside its classifier's held-out accuracy
// (analysis/reconstruction_judge.hpp, jobs/evaluation_pool.hpp). One row per
// result, then mean +- sd over subjects per space and generator: the paper's
// table of its reconstructions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/summary_table.hpp"
#include "jobs/evaluation_pool.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct EvaluateOptions {
  std::vector<std::string> reconstructions;  // b2m generate results
  std::string stimuli;                       // the study's audio.h5
  PoolOptions pool;                          // the corpus, pool size, chance seed
  std::string embedder;                      // "" for the built-in, or a command
  double embedder_timeout_s = 3600;
  bool unscaled = false;        // identification on raw embeddings (the paper's)
  std::string subject_summary;  // optional: the table over subjects (TSV or .json)
  // --out: each result's evaluation (.h5); "{name}" is the result's file
  // name without ".h5", "{parent}" the name of its folder.
  OutputOptions output;
};

// The table over subjects of the per-result rows: mean +- sd per space and
// generator, in the order first seen.
[[nodiscard]] io::SummaryTable over_subjects(const io::SummaryTable& results,
                                             const std::vector<std::string>& tags);

io::SummaryTable run_evaluate(const EvaluateOptions& options, const mpi::Comm& world);

}  // namespace b2m::jobs
