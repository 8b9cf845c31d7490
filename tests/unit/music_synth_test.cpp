// The simulated clips' sound (analysis/music_synth) and its WAV files
// (io/wav_file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "analysis/music_synth.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/wav_file.hpp"

namespace b2m::analysis {
namespace {

constexpr int kRate = 16000;

ClipSound rock() {
  ClipSound s;
  s.tempo_bpm = 128;
  s.rhythm = genre_style("rock").rhythm;
  s.instrument = 1;
  s.seed = 42;
  return s;
}

// The autocorrelation of the onset strength (the rectified rise of 10 ms
// frame energies) at `lag` seconds.
double onset_correlation(const std::vector<float>& x, double lag) {
  const std::size_t hop = kRate / 100;
  std::vector<double> energy;
  for (std::size_t i = 0; i + hop <= x.size(); i += hop) {
    double e = 0;
    for (std::size_t j = i; j < i + hop; ++j) e += double(x[j]) * x[j];
    energy.push_back(std::log1p(1e3 * e));
  }
  std::vector<double> onset(energy.size(), 0.0);
  for (std::size_t i = 1; i < energy.size(); ++i)
    onset[i] = std::max(0.0, energy[i] - energy[i - 1]);
  const double mean = std::accumulate(onset.begin(), onset.end(), 0.0) / double(onset.size());
  for (double& o : onset) o -= mean;
  const auto frames = std::size_t(std::lround(lag * 100));
  double c = 0;
  for (std::size_t i = frames; i < onset.size(); ++i) c += onset[i] * onset[i - frames];
  return c / double(onset.size() - frames);
}

TEST(MusicSynth, IsDeterministicPerSeedAndHasTheAskedLengthAndPeak) {
  const std::vector<float> a = synthesize(rock(), 4.0, kRate), b = synthesize(rock(), 4.0, kRate);
  ClipSound other = rock();
  other.seed = 43;
  ASSERT_EQ(a.size(), std::size_t(4 * kRate));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, synthesize(other, 4.0, kRate));
  float peak = 0;
  for (float v : a) peak = std::max(peak, std::abs(v));
  EXPECT_NEAR(peak, 0.9f, 1e-6f);
}

TEST(MusicSynth, ItsPulseFollowsTheTempo) {
  // The eighth-note melody and the drums put onsets on the beat grid: the
  // onset strength repeats at the beat, and less at 13% off it.
  for (double bpm : {76.0, 128.0, 160.0})
    for (int rhythm : {genre_style("classical").rhythm, genre_style("rock").rhythm}) {
      ClipSound s = rock();
      s.tempo_bpm = bpm;
      s.rhythm = rhythm;
      const std::vector<float> x = synthesize(s, 15.0, kRate);
      const double beat = 60.0 / bpm, on = onset_correlation(x, beat);
      EXPECT_GT(on, 0.0) << bpm << " bpm, rhythm " << rhythm;
      EXPECT_GT(on, onset_correlation(x, 0.87 * beat)) << bpm << " bpm, rhythm " << rhythm;
      EXPECT_GT(on, onset_correlation(x, 1.13 * beat)) << bpm << " bpm, rhythm " << rhythm;
    }
}

TEST(MusicSynth, RefusesParametersOutOfRange) {
  ClipSound s = rock();
  s.tempo_bpm = 20;
  EXPECT_THROW(static_cast<void>(synthesize(s, 1.0, kRate)), ConfigError);
  s = rock();
  s.instrument = 7;
  EXPECT_THROW(static_cast<void>(synthesize(s, 1.0, kRate)), ConfigError);
  EXPECT_THROW(static_cast<void>(synthesize(rock(), 0.0, kRate)), ConfigError);
  EXPECT_THROW(static_cast<void>(synthesize(rock(), 1.0, 100)), ConfigError);
}

TEST(MusicSynth, GenresHaveTheirOwnStyles) {
  EXPECT_EQ(genre_style("blues").rhythm, 0);
  EXPECT_EQ(genre_style("rock").rhythm, 9);
  EXPECT_GT(genre_style("metal").tempo_bpm, genre_style("reggae").tempo_bpm);
  const GenreStyle other = genre_style("polka");
  EXPECT_GE(other.rhythm, 0);
  EXPECT_EQ(other.tempo_bpm, 110);
}

class WavFile : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("b2m-wav-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(WavFile, RoundTripsSixteenBitSamples) {
  const std::vector<float> x = synthesize(rock(), 2.0, kRate);
  io::write_file_atomically(path("a/clip.wav"), {io::encode_wav(x, kRate)});
  EXPECT_FALSE(std::filesystem::exists(path("a/clip.wav.partial")));
  const io::Audio a = io::read_wav(path("a/clip.wav"));
  EXPECT_EQ(a.rate, kRate);
  EXPECT_EQ(a.channels, 1);
  ASSERT_EQ(a.samples.size(), x.size());
  EXPECT_DOUBLE_EQ(a.seconds(), 2.0);
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, double(std::abs(a.samples[i] - x[i])));
  EXPECT_LE(worst, 1.0 / 32768 + 1e-7);
}

TEST_F(WavFile, MissingGarbledAndTruncatedFilesAreRefusedByName) {
  const std::vector<float> x = synthesize(rock(), 1.0, kRate);
  io::write_file_atomically(path("whole.wav"), {io::encode_wav(x, kRate)});
  const auto refused = [&](const std::string& file, const std::string& why) {
    try {
      static_cast<void>(io::read_wav(file));
      ADD_FAILURE() << file << " was read";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused(path("none.wav"), "no such file");
  std::ofstream(path("text.wav")) << "not a sound file at all";
  refused(path("text.wav"), "not a sound file");
  // The first half of the bytes: the header promises every frame.
  const auto size = std::filesystem::file_size(path("whole.wav"));
  std::filesystem::copy_file(path("whole.wav"), path("half.wav"));
  std::filesystem::resize_file(path("half.wav"), size / 2);
  refused(path("half.wav"), "truncated");
}

}  // namespace
}  // namespace b2m::analysis
