// The sound of a simulated clip (issue 18): a short piece of music made from
// a handful of parameters, which the simulator derives from the clip's
// latent semantics so that what an embedder hears carries the tags the
// simulator records:
//
//   genre      -> tempo and rhythm: a drum pattern per genre on a bar of 16
//                 steps, at the genre's tempo;
//   instrument -> timbre: the harmonic spectrum and envelope of one of four
//                 families (bowed strings: every harmonic, 1/n; reed: odd
//                 harmonics; brass: harmonics peaking at the 3rd to 5th;
//                 keys: few harmonics, struck and decaying);
//   mood       -> mode and brightness: major and bright harmonics for
//                 "bright", minor and dull ones for "dark".
//
// A melody of eighth notes walks the key's scale over a sustained triad of
// the mode and a bass on the beats. Everything is drawn from SplitMix64
// under the sound's seed, so a clip sounds the same on any machine, and any
// corpus clip can be rendered on demand from its stored parameters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace b2m::analysis {

struct ClipSound {
  double tempo_bpm = 120;   // beats (quarter notes) per minute
  int rhythm = 0;           // drum pattern: the genre's index
  int instrument = 0;       // index into instrument_names()
  bool major = true;        // mode of the melody and the triad
  double brightness = 0.5;  // in [0, 1]: how slowly the harmonics roll off
  int root = 57;            // MIDI note of the tonic (57: A3)
  std::uint64_t seed = 0;   // the melody's walk and the drums' noise
};

[[nodiscard]] std::vector<std::string> instrument_names();

// The key a seed plays in: MIDI 52..62 (E3 to D4), drawn from the seed so
// that the key carries no tag.
[[nodiscard]] inline int root_of_seed(std::uint64_t seed) {
  return 52 + int(seed % 11);
}

// The style of a genre of the ds003720 (GTZAN) set: its drum pattern and
// tempo. Another name gets a pattern chosen from its letters and 110 bpm.
struct GenreStyle {
  int rhythm = 0;
  double tempo_bpm = 110;
};
[[nodiscard]] GenreStyle genre_style(const std::string& genre);
// How many drum patterns there are (a sound's rhythm is below this).
[[nodiscard]] int rhythm_count();

// `seconds` of the sound at `rate` samples per second, mono, peak 0.9.
// ConfigError for a parameter out of range.
[[nodiscard]] std::vector<float> synthesize(const ClipSound& sound, double seconds, int rate);

}  // namespace b2m::analysis
