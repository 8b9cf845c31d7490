// simulate --audio (issue 18): the sound of every stimulus clip, rendered
// by analysis/music_synth from the clip's latents, as <out>/audio/<id>.wav,
// and <out>/audio.h5 with each clip's tags and sound parameters (from which
// any clip can be rendered again, docs/formats.md).
#pragma once

#include <string>
#include <vector>

#include "analysis/study_simulator.hpp"
#include "io/h5_file.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct AudioOptions {
  bool enabled = false;
  int rate = 16000;     // samples per second
  double seconds = 15;  // per clip (ds003720's clips are 15 s)
};

// The WAV of each stimulus clip, in clip order, under `dir`.
[[nodiscard]] std::vector<std::string> audio_files(const analysis::StudySimulator& sim,
                                                   const std::string& dir);

// Renders the WAVs, staged as the unit's side files (the stage promotes
// them after `f`; the ranks of `comm` share the clips), and writes the tags
// and sound parameters into `f`. Collective.
void write_audio(const analysis::StudySimulator& sim, const AudioOptions& o, const std::string& dir,
                 io::H5File& f, const mpi::Comm& comm);

}  // namespace b2m::jobs
