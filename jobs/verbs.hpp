// The verb table: one line per `b2m` verb, its name and its one-line help.
// A verb `x` is a driver file (jobs/x_job.cpp) that defines
// `int jobs::x_command(const cli::Arguments&, const mpi::Comm&)`: it parses
// the verb's options (cli.hpp) and runs its stage (stage.hpp); and
// `void jobs::x_check(const cli::Arguments&)`, which parses them only (a
// ConfigError if they are wrong; b2m sweep checks every task with it before
// submitting). Adding a verb is that file and one line here.
#pragma once

#include "jobs/cli.hpp"
#include "mpi/comm.hpp"

#define B2M_VERBS(VERB)                                                                     \
  VERB(simulate, "simulate a study on the real ds003720 design")                            \
  VERB(prepare, "a study's published responses -> one responses file per subject")          \
  VERB(features, "features import: embeddings keyed by clip id -> a feature file")          \
  VERB(design, "align clip embeddings to the TR grid (FIR delays) into a design file")      \
  VERB(encode, "voxelwise ridge encoding models, cross-validated per voxel")                \
  VERB(decode, "voxels -> embeddings (kernel ridge), identification accuracy")              \
  VERB(maps, "per-voxel results -> NIfTI volumes in the subject's image grid")              \
  VERB(retrieve, "cosine top-k of decoded embeddings in a corpus, class agreement")         \
  VERB(generate, "decoded embeddings -> audio through a generator, farmed over ranks")      \
  VERB(embed, "audio clips -> b2m's acoustic embedding (log-mel, tempo, harmony)")          \
  VERB(evaluate, "reconstructions vs their stimuli: identification, tags, chance")          \
  VERB(stats, "permutation p, family-wise p and FDR q of encode results, per ROI")          \
  VERB(partition, "banded ridge over 2-3 spaces, variance partitioning into unique/shared") \
  VERB(compare, "two spaces' models of the same voxels: overlap, paired bootstrap, density")

namespace b2m::jobs {

#define B2M_DECLARE_VERB(name, help)                           \
  int name##_command(const cli::Arguments&, const mpi::Comm&); \
  void name##_check(const cli::Arguments&);
B2M_VERBS(B2M_DECLARE_VERB)
#undef B2M_DECLARE_VERB

struct Verb {
  const char* name;
  const char* help;
  int (*command)(const cli::Arguments&, const mpi::Comm&);
  void (*check)(const cli::Arguments&);
};

#define B2M_VERB_ENTRY(name, help) Verb{#name, help, name##_command, name##_check},
inline constexpr Verb kVerbs[] = {B2M_VERBS(B2M_VERB_ENTRY)};
#undef B2M_VERB_ENTRY

}  // namespace b2m::jobs
