// The /sound group of audio.h5 and corpus.h5 (docs/formats.md): one row of
// music_synth parameters per clip, from which the clip's audio is rendered
// again on demand, so a corpus of 10^6 clips costs 40 bytes a clip instead
// of a WAV each.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/music_synth.hpp"
#include "io/h5_file.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

// Creates /sound/* for `rows` clips rendered at `rate` for `seconds`.
// Collective.
void create_sound_table(io::H5File& f, std::size_t rows, int rate, double seconds);
// Rows from `first` on (a rank without rows passes none). Collective.
void write_sound_rows(io::H5File& f, std::size_t first,
                      const std::vector<analysis::ClipSound>& sounds);

struct SoundTable {
  std::size_t rows = 0;
  int rate = 0;
  double seconds = 0;
};
// The table's size and rendering; an InputError naming the file if /sound
// is absent or malformed.
[[nodiscard]] SoundTable read_sound_table(const io::H5File& f);
// The table of a corpus of `rows` clips: InputError naming the file if it
// is absent, malformed or of another length. Collective.
void check_sound_table(const io::H5File& f, std::size_t rows, const mpi::Comm& comm);
// Rows `rows` of the table (any order). Collective.
[[nodiscard]] std::vector<analysis::ClipSound> read_sound_rows(
    const io::H5File& f, const std::vector<std::size_t>& rows);

}  // namespace b2m::jobs
