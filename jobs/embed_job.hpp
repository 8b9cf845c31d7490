// `b2m embed`: audio clips -> b2m's built-in acoustic embedding
// (analysis/acoustic_embedding.hpp), one row per clip, the clips split over
// ranks. What `b2m evaluate` computes of reconstructions and stimuli, as a
// verb of its own so a user can embed any set of clips.
#pragma once

#include <string>
#include <vector>

#include "jobs/cli.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct EmbedOptions {
  std::string audio_dir;   // every *.wav in it, by name
  std::string audio_list;  // or: one path per line (relative to the list's folder)
  OutputOptions output;
};

// The clips named by the options, sorted by name for a directory, in the
// list's order for a list; an InputError naming what is missing.
[[nodiscard]] std::vector<std::string> audio_inputs(const EmbedOptions& o);

// The id of a clip: its file name without the extension.
[[nodiscard]] std::string clip_id_of(const std::string& path);

// Embeds `files` into the open embedding file `f` (io/audio_embedding_file),
// each rank its share. The clips must share one sample rate; a bad clip is
// an InputError naming its file, on every rank. Collective.
void embed_clips(const std::vector<std::string>& files, io::H5File& f, const mpi::Comm& comm);

void run_embed(const EmbedOptions& o, const mpi::Comm& world);

}  // namespace b2m::jobs
