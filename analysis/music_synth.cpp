#include "analysis/music_synth.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "analysis/split_mix64.hpp"
#include "core/error.hpp"

namespace b2m::analysis {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kHarmonics = 8;  // below 5.3 kHz for the highest melody note
constexpr int kTable = 4096;   // samples of one period of an instrument's wave

// Drum hits on the 16 steps of a bar (bit k: step k), per genre in the
// simulator's order: blues, classical, country, disco, hiphop, jazz, metal,
// pop, reggae, rock.
struct Pattern {
  std::uint16_t kick, snare, hat;
};
constexpr std::uint16_t steps(std::initializer_list<int> at) {
  std::uint16_t mask = 0;
  for (int k : at) mask = std::uint16_t(mask | (1u << k));
  return mask;
}
constexpr std::uint16_t kEighths = steps({0, 2, 4, 6, 8, 10, 12, 14});
const Pattern kPatterns[] = {
    {steps({0, 8}), steps({4, 12}), steps({0, 3, 4, 7, 8, 11, 12, 15})},  // blues: shuffle
    {0, 0, 0},                                                            // classical: none
    {steps({0, 8}), steps({4, 12}), kEighths},                            // country
    {steps({0, 4, 8, 12}), steps({4, 12}), steps({2, 6, 10, 14})},        // disco
    {steps({0, 3, 10}), steps({4, 12}), kEighths},                        // hiphop
    {steps({0}), 0, steps({0, 4, 6, 8, 12, 14})},                         // jazz: ride
    {kEighths, steps({4, 12}), steps({0, 4, 8, 12})},                     // metal
    {steps({0, 6, 8}), steps({4, 12}), kEighths},                         // pop
    {steps({8}), steps({8}), steps({2, 6, 10, 14})},                      // reggae: one drop
    {steps({0, 8, 10}), steps({4, 12}), kEighths},                        // rock
};

constexpr int kMajor[] = {0, 2, 4, 5, 7, 9, 11};
constexpr int kMinor[] = {0, 2, 3, 5, 7, 8, 10};

double uniform(SplitMix64& s) {
  return double(s.next() >> 11) * 0x1.0p-53;
}

double hertz(double midi) {
  return 440.0 * std::pow(2.0, (midi - 69.0) / 12.0);
}

// Amplitude of harmonic n (from 1) of an instrument family; `brightness`
// slows the roll-off common to all.
double harmonic(int family, int n, double brightness) {
  const double tilt = std::pow(double(n), -(2.2 - 2.0 * brightness));
  switch (family) {
    case 0:  // bowed strings: every harmonic
      return tilt;
    case 1:  // reed (clarinet-like): odd harmonics
      return n % 2 == 1 ? tilt : 0.03 * tilt;
    case 2:  // brass: a formant around the 3rd to 5th harmonic
      return tilt * double(n) * std::exp(-double(n) / 3.0);
    default:  // keys: few harmonics
      return n <= 3 ? tilt / double(n) : 0.0;
  }
}

// One period of the family's wave, peak-normalized.
std::vector<double> wave_table(int family, double brightness) {
  std::vector<double> table(kTable, 0.0);
  for (int n = 1; n <= kHarmonics; ++n) {
    const double a = harmonic(family, n, brightness);
    if (a == 0.0) continue;
    for (int k = 0; k < kTable; ++k)
      table[std::size_t(k)] += a * std::sin(2 * kPi * n * k / kTable);
  }
  double peak = 0;
  for (double x : table) peak = std::max(peak, std::abs(x));
  for (double& x : table) x /= peak;
  return table;
}

// The family's amplitude envelope `t` seconds into a note of `length`.
double envelope(int family, double t, double length) {
  const double release = std::min(1.0, (length - t) / 0.02);
  switch (family) {
    case 0:
      return std::min(1.0, t / 0.06) * release;
    case 1:
      return std::min(1.0, t / 0.02) * release;
    case 2:
      return std::min(1.0, t / 0.04) * (0.8 + 0.2 * std::min(1.0, t / 0.2)) * release;
    default:
      return std::min(1.0, t / 0.003) * std::exp(-t / 0.25) * release;
  }
}

class Mix {
 public:
  Mix(std::size_t samples, int rate) : out_(samples, 0.0), rate_(rate) {}

  // A note of the wave `table` at `hz` from `start` seconds for `length`.
  void note(const std::vector<double>& table, int family, double hz, double start, double length,
            double gain) {
    double phase = 0;
    const double step = hz * kTable / rate_;
    for_span(start, length, [&](std::size_t i, double t) {
      const auto k = std::size_t(phase);
      const double frac = phase - double(k);
      const double x = table[k] + frac * (table[(k + 1) % kTable] - table[k]);
      out_[i] += gain * envelope(family, t, length) * x;
      phase = std::fmod(phase + step, double(kTable));
    });
  }

  // Kick: a sine falling from 120 to 45 Hz; snare: noise and a 180 Hz tone;
  // hat: differenced (high-passed) noise.
  void kick(double start) {
    double phase = 0;
    for_span(start, 0.25, [&](std::size_t i, double t) {
      phase += 2 * kPi * (45.0 + 75.0 * std::exp(-t / 0.05)) / rate_;
      out_[i] += 0.6 * std::exp(-t / 0.12) * std::sin(phase);
    });
  }
  void snare(double start, SplitMix64& noise) {
    for_span(start, 0.2, [&](std::size_t i, double t) {
      out_[i] += 0.35 * std::exp(-t / 0.06) * (2 * uniform(noise) - 1) +
                 0.12 * std::exp(-t / 0.05) * std::sin(2 * kPi * 180.0 * t);
    });
  }
  void hat(double start, SplitMix64& noise) {
    double last = 0;
    for_span(start, 0.05, [&](std::size_t i, double t) {
      const double x = 2 * uniform(noise) - 1;
      out_[i] += 0.12 * std::exp(-t / 0.015) * (x - last);
      last = x;
    });
  }

  std::vector<float> normalized() const {
    double peak = 0;
    for (double x : out_) peak = std::max(peak, std::abs(x));
    std::vector<float> out(out_.size());
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = float(peak > 0 ? 0.9 * out_[i] / peak : 0.0);
    return out;
  }

 private:
  template <class F>
  void for_span(double start, double length, F&& f) {
    const auto first = std::size_t(std::llround(start * rate_));
    const auto count = std::size_t(std::llround(length * rate_));
    for (std::size_t j = 0; j < count && first + j < out_.size(); ++j)
      f(first + j, double(j) / rate_);
  }
  std::vector<double> out_;
  double rate_;
};

constexpr const char* kGenres[] = {"blues", "classical", "country", "disco",  "hiphop",
                                   "jazz",  "metal",     "pop",     "reggae", "rock"};
constexpr double kTempo[] = {96, 72, 112, 120, 92, 132, 160, 116, 76, 128};
static_assert(std::size(kGenres) == std::size(kPatterns) &&
              std::size(kTempo) == std::size(kGenres));

}  // namespace

std::vector<std::string> instrument_names() {
  return {"strings", "reed", "brass", "keys"};
}

int rhythm_count() {
  return int(std::size(kPatterns));
}

GenreStyle genre_style(const std::string& genre) {
  for (std::size_t g = 0; g < std::size(kGenres); ++g)
    if (genre == kGenres[g]) return {int(g), kTempo[g]};
  std::size_t letters = 0;
  for (unsigned char c : genre) letters += c;
  return {int(letters % std::size(kPatterns)), 110};
}

std::vector<float> synthesize(const ClipSound& s, double seconds, int rate) {
  if (!(s.tempo_bpm >= 40 && s.tempo_bpm <= 240))
    throw ConfigError("synthesize: tempo " + std::to_string(s.tempo_bpm) + " bpm outside 40..240");
  if (s.rhythm < 0 || s.rhythm >= int(std::size(kPatterns)) || s.instrument < 0 ||
      s.instrument >= int(instrument_names().size()))
    throw ConfigError("synthesize: unknown rhythm or instrument");
  if (!(s.brightness >= 0 && s.brightness <= 1) || s.root < 40 || s.root > 70)
    throw ConfigError("synthesize: brightness must lie in [0, 1] and the root in MIDI 40..70");
  if (!(seconds > 0 && seconds <= 600) || rate < 8000 || rate > 96000)
    throw ConfigError("synthesize: duration in (0, 600] s at 8..96 kHz");
  Mix mix(std::size_t(std::llround(seconds * rate)), rate);
  SplitMix64 melody = SplitMix64::stream(s.seed, 0), noise = SplitMix64::stream(s.seed, 1);
  const int* scale = s.major ? kMajor : kMinor;
  const double beat = 60.0 / s.tempo_bpm, bar = 4 * beat;

  // The triad of the mode, an octave below the tonic, held bar by bar.
  const std::vector<double> pad = wave_table(0, 0.2);
  for (double t = 0; t < seconds; t += bar)
    for (int interval : {0, s.major ? 4 : 3, 7})
      mix.note(pad, 0, hertz(s.root - 12 + interval), t, std::min(bar, seconds - t), 0.12);

  // The tonic in the bass on every beat.
  const std::vector<double> bass = wave_table(3, 0.0);
  for (double t = 0; t < seconds; t += beat)
    mix.note(bass, 3, hertz(s.root - 24), t, std::min(0.9 * beat, seconds - t), 0.35);

  // Eighth notes walking the scale over 11 degrees from the tonic, with
  // rests.
  const std::vector<double> wave = wave_table(s.instrument, s.brightness);
  int degree = 4;
  for (double t = 0; t < seconds; t += beat / 2) {
    degree = std::clamp(degree + int(melody.below(5)) - 2, 0, 10);
    if (uniform(melody) < 0.15) continue;
    const int semitones = 12 * (degree / 7) + scale[degree % 7];
    mix.note(wave, s.instrument, hertz(s.root + semitones), t, std::min(beat / 2, seconds - t),
             0.5);
  }

  const Pattern& p = kPatterns[s.rhythm];
  for (int k = 0; k * beat / 4 < seconds; ++k) {
    const double t = k * beat / 4;
    const std::uint16_t bit = std::uint16_t(1u << (k % 16));
    if (p.kick & bit) mix.kick(t);
    if (p.snare & bit) mix.snare(t, noise);
    if (p.hat & bit) mix.hat(t, noise);
  }
  return mix.normalized();
}

}  // namespace b2m::analysis
