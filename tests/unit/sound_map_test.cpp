// The synth generator's map from an embedding to a sound
// (analysis/sound_map), fitted where the answer is known: sounds that are
// simple functions of well-separated embeddings.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/sound_map.hpp"
#include "core/error.hpp"

namespace b2m::analysis {
namespace {

constexpr std::size_t kDim = 8;

// A clip of class `c` (its rhythm and instrument): near centre c, with the
// tempo, brightness and mode read from dimensions 5 to 7.
struct Example {
  std::vector<float> x;
  ClipSound sound;
};
Example example(std::mt19937_64& rng, int c) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Example e;
  for (std::size_t j = 0; j < kDim; ++j)
    e.x.push_back(float((j == std::size_t(c) ? 4.0 : 0.0) + 0.3 * normal(rng)));
  e.x[5] = float(normal(rng));
  e.x[6] = float(normal(rng));
  e.x[7] = float(normal(rng));
  e.sound.rhythm = c;
  e.sound.instrument = c % 4;
  e.sound.tempo_bpm = std::exp(4.7 + 0.1 * e.x[5]);
  e.sound.brightness = 0.5 + 0.1 * e.x[6];
  e.sound.major = e.x[7] > 0;
  return e;
}

TEST(SoundMap, LearnsKnownSounds) {
  std::mt19937_64 rng(3);
  SoundMap map(kDim, 5);
  solvers::Matrix<float> x(kDim, 600);
  std::vector<ClipSound> sounds;
  for (Eigen::Index i = 0; i < x.cols(); ++i) {
    const Example e = example(rng, int(i % 5));
    for (std::size_t j = 0; j < kDim; ++j) x(Eigen::Index(j), i) = e.x[j];
    sounds.push_back(e.sound);
  }
  map.add(x.leftCols(200), {sounds.begin(), sounds.begin() + 200});  // in two parts, as shards
  map.add(x.rightCols(400), {sounds.begin() + 200, sounds.end()});
  map.fit(mpi::Comm::world());
  int right_class = 0, right_mode = 0;
  double tempo_error = 0, brightness_error = 0;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    const Example e = example(rng, i % 5);
    const std::vector<double> q(e.x.begin(), e.x.end());
    const ClipSound s = map.sound(q.data(), 100 + std::uint64_t(i));
    right_class += s.rhythm == e.sound.rhythm && s.instrument == e.sound.instrument;
    right_mode += s.major == e.sound.major;
    tempo_error = std::max(tempo_error, std::abs(std::log(s.tempo_bpm / e.sound.tempo_bpm)));
    brightness_error = std::max(brightness_error, std::abs(s.brightness - e.sound.brightness));
    EXPECT_EQ(s.seed, 100 + std::uint64_t(i));
    EXPECT_EQ(s.root, root_of_seed(s.seed));
  }
  EXPECT_EQ(right_class, n);
  EXPECT_GE(right_mode, int(0.9 * n));  // the sign of a linear read-out of a step
  EXPECT_LT(tempo_error, 0.02);
  EXPECT_LT(brightness_error, 0.02);
}

TEST(SoundMap, RefusesWhatItCannotLearn) {
  SoundMap map(kDim, 5);
  solvers::Matrix<float> x = solvers::Matrix<float>::Random(kDim, 4);
  std::vector<ClipSound> sounds(4);
  map.add(x, sounds);
  EXPECT_THROW(map.fit(mpi::Comm::world()), ConfigError);  // fewer rows than dimensions
  sounds[0].rhythm = 7;
  EXPECT_THROW(map.add(x, sounds), ConfigError);  // a rhythm past the count
  SoundMap constant(kDim, 5);
  constant.add(solvers::Matrix<float>::Ones(kDim, 40), std::vector<ClipSound>(40));
  EXPECT_THROW(constant.fit(mpi::Comm::world()), ConfigError);
  EXPECT_THROW(static_cast<void>(SoundMap(kDim, 5).sound(std::vector<double>(kDim).data(), 1)),
               ConfigError);
}

}  // namespace
}  // namespace b2m::analysis
