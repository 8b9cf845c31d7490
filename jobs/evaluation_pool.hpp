// What b2m evaluate judges reconstructions against (issue 18), besides the
// stimuli themselves:
//
//   the pool    the first corpus clips that are not clips of the study
//               (and whose judged tags are known): their embeddings fit a
//               classifier per tag and scale the identification
//               (analysis/reconstruction_judge.hpp);
//   chance      corpus clips after the pool, neither the study's nor the
//               pool's, drawn at random under a seed: the reconstructions a
//               generator that ignored the brain would make, the baseline.
//
// Corpus clips are rendered from the corpus's /sound table at the stimuli's
// rate and length, or read from a folder of <id>.wav for a corpus of real
// clips.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/reconstruction_judge.hpp"
#include "jobs/clip_embedding.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

// The study's audio (simulate --audio, docs/formats.md): audio.h5 with the
// clips' ids and tags, and each clip's WAV at audio/<id>.wav beside it.
struct StudyStimuli {
  std::string path;  // audio.h5
  std::vector<std::string> ids;
  std::vector<std::string> tags;                    // names of /tags/<tag>
  std::vector<std::vector<std::string>> tag_names;  // per tag: value -> name
  std::vector<std::vector<int>> labels;             // per tag, per clip
  int rate = 0;                                     // the WAVs'
  double seconds = 0;
  [[nodiscard]] std::string wav(const std::string& id) const;
  // The clip's index; InputError naming `user` if the study has no such clip.
  [[nodiscard]] std::size_t index(const std::string& id, const std::string& user) const;
};
// Reads audio.h5; the rate and length come from /sound, or from the first
// clip's WAV. Collective.
[[nodiscard]] StudyStimuli read_stimuli(const std::string& path, const mpi::Comm& comm);

struct PoolOptions {
  std::string corpus;
  std::string corpus_audio;  // a folder of <id>.wav, for a corpus without /sound
  std::size_t pool = 1000;   // clips the classifiers are fitted on
  std::size_t chance = 0;    // chance clips to draw
  std::uint64_t seed = 1;    // of the chance draws
};

// The tags judged: those of the corpus that the stimuli have, with the
// same value names. InputError naming both files if there is none.
[[nodiscard]] std::vector<std::string> judged_tags(const std::string& corpus,
                                                   const StudyStimuli& stimuli,
                                                   const mpi::Comm& comm);

struct EvaluationPool {
  std::vector<std::string> pool_ids, chance_ids;
  solvers::Matrix<double> pool, chance;  // clips x the embedder's dimension
  std::vector<analysis::PoolTag> tags;   // the judged tags of the pool's clips
};

// Selects, renders and embeds the pool and the chance clips. Collective.
[[nodiscard]] EvaluationPool build_pool(const PoolOptions& options, const StudyStimuli& stimuli,
                                        const std::vector<std::string>& tags,
                                        ClipEmbedder& embedder, const mpi::Comm& comm);

}  // namespace b2m::jobs
