// The built-in acoustic embedder (analysis/acoustic_embedding) on sounds
// whose features are known in closed form: a sine's pitch class and
// centroid, a click train's tempo, the third above a bass note. The whole
// definition is checked against numpy by tests/reference/simulate_audio.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/acoustic_embedding.hpp"
#include "core/error.hpp"

namespace b2m::analysis {
namespace {

constexpr int kRate = 16000;
constexpr double kPi = 3.14159265358979323846;

// Where each block of the vector starts.
std::size_t offset(const std::string& block) {
  std::size_t at = 0;
  for (const auto& [name, size] : AcousticEmbedder::blocks()) {
    if (name == block) return at;
    at += size;
  }
  ADD_FAILURE() << "no block " << block;
  return 0;
}

std::vector<float> tones(const std::vector<double>& hertz, double seconds) {
  std::vector<float> x(std::size_t(seconds * kRate), 0.0f);
  for (std::size_t i = 0; i < x.size(); ++i)
    for (double f : hertz) x[i] += float(0.3 * std::sin(2 * kPi * f * double(i) / kRate));
  return x;
}

std::vector<double> embed(const std::vector<float>& x) {
  AcousticEmbedder e(kRate);
  std::vector<double> out(AcousticEmbedder::dim());
  e.embed(x, out.data());
  return out;
}

TEST(AcousticEmbedder, LayoutAtSixteenKilohertz) {
  const AcousticEmbedder e(kRate);
  EXPECT_EQ(e.window(), 2048u);
  EXPECT_EQ(e.hop(), 512u);
  EXPECT_EQ(e.harmony_window(), 8192u);
  EXPECT_EQ(AcousticEmbedder::dim(), 194u);
  EXPECT_EQ(offset("bass_relative_chroma") + 12, AcousticEmbedder::dim());
}

TEST(AcousticEmbedder, SineHasItsPitchClassAndCentroid) {
  const std::vector<double> v = embed(tones({440.0}, 4));
  const std::size_t chroma = offset("chroma"), spectral = offset("spectral");
  EXPECT_GT(v[chroma + 9], 0.95);              // A
  EXPECT_NEAR(v[spectral + 0], 0.440, 0.005);  // mean centroid, kHz
  EXPECT_LT(v[spectral + 1], 1e-6);            // its sd over frames
  EXPECT_LT(v[spectral + 2 * 1], 0.02);        // mean spread: one line
  EXPECT_LT(v[spectral + 2 * 2], 1e-3);        // flatness: far from noise
  // The log-mel mean peaks in the band whose centre lies nearest 440 Hz.
  const auto peak = std::max_element(v.begin(), v.begin() + 64) - v.begin();
  const auto mel = [](double f) { return 2595 * std::log10(1 + f / 700); };
  const double step = (mel(8000) - mel(30)) / 65;
  EXPECT_NEAR(double(peak), (mel(440) - mel(30)) / step - 1, 1.0);
}

TEST(AcousticEmbedder, ClickTrainHasItsTempo) {
  std::vector<float> x(std::size_t(8 * kRate), 0.0f);
  for (std::size_t i = 0; i < x.size(); i += kRate / 2)  // 120 bpm
    for (std::size_t j = i; j < std::min(x.size(), i + 80); ++j) x[j] = 0.8f;
  const std::vector<double> v = embed(x);
  const std::size_t tempo = offset("tempo");
  // Tempi 60 * 4^(i/31): 117.9 and 122.1 bpm are i = 15 and 16; 240 bpm,
  // half the beat, is i = 31.
  const double at_beat = std::max(v[tempo + 15], v[tempo + 16]);
  EXPECT_GT(at_beat, 0.5);
  EXPECT_GT(v[tempo + 0], 0.5);  // 60 bpm: two beats
  EXPECT_LT(v[tempo + 31], at_beat - 0.5);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_LE(std::abs(v[tempo + i]), 1.0 + 1e-12);
}

TEST(AcousticEmbedder, HearsTheThirdAboveTheBass) {
  const double a1 = 55.0;  // A in the bass's range
  const auto third = [&](int semitones) { return a1 * 8 * std::pow(2.0, semitones / 12.0); };
  const std::vector<double> major = embed(tones({a1, third(4)}, 4));
  const std::vector<double> minor = embed(tones({a1, third(3)}, 4));
  const std::size_t rel = offset("bass_relative_chroma");
  EXPECT_GT(major[rel + 4], major[rel + 3] + 0.3);
  EXPECT_GT(minor[rel + 3], minor[rel + 4] + 0.3);
  // In any key: a bass a fifth higher moves the chroma, not rel.
  const std::vector<double> moved = embed(tones({a1 * 1.5, third(4) * 1.5}, 4));
  EXPECT_GT(moved[rel + 4], moved[rel + 3] + 0.3);
}

TEST(AcousticEmbedder, SameClipSameBits) {
  AcousticEmbedder e(kRate);
  const std::vector<float> x = tones({220.0, 330.0}, 3);
  std::vector<double> a(AcousticEmbedder::dim()), b(AcousticEmbedder::dim());
  e.embed(x, a.data());
  e.embed(tones({1000.0}, 3), b.data());
  e.embed(x, b.data());
  EXPECT_EQ(a, b);
}

TEST(AcousticEmbedder, RefusesWhatItCannotEmbed) {
  EXPECT_THROW(AcousticEmbedder(4000), ConfigError);
  AcousticEmbedder e(kRate);
  std::vector<double> out(AcousticEmbedder::dim());
  std::vector<float> x(e.min_samples() - 1, 0.1f);
  EXPECT_THROW(e.embed(x, out.data()), ConfigError);
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  EXPECT_THROW(e.embed(x, out.data()), ConfigError);
  x.back() = 0.1f;
  EXPECT_NO_THROW(e.embed(x, out.data()));
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](double v) { return std::isfinite(v); }));
  // Silence embeds too: finite, its tempo autocorrelation 0.
  std::fill(x.begin(), x.end(), 0.0f);
  e.embed(x, out.data());
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](double v) { return std::isfinite(v); }));
  EXPECT_EQ(out[offset("tempo")], 0.0);
}

}  // namespace
}  // namespace b2m::analysis
