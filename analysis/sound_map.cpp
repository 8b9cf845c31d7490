#include "analysis/sound_map.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace b2m::analysis {
namespace {

constexpr int kInstruments = 4;
constexpr double kSlowest = 40, kFastest = 240;

// The index of the largest of `n` values from `at`.
int argmax(const solvers::Vector<double>& v, Eigen::Index at, int n) {
  Eigen::Index best = 0;
  v.segment(at, n).maxCoeff(&best);
  return int(best);
}

}  // namespace

SoundMap::SoundMap(std::size_t dim, int rhythms)
    : dim_(dim),
      rhythms_(rhythms > 0 ? rhythms : throw ConfigError("SoundMap: needs a rhythm")),
      ridge_(dim, std::size_t(rhythms) + kInstruments + 3) {}

std::size_t SoundMap::targets() const {
  return std::size_t(rhythms_) + kInstruments + 3;
}

void SoundMap::add(const solvers::Matrix<float>& embeddings, const std::vector<ClipSound>& sounds) {
  const auto n = Eigen::Index(sounds.size()), q = Eigen::Index(targets());
  if (embeddings.cols() != n || embeddings.rows() != Eigen::Index(dim_))
    throw ConfigError("SoundMap::add: embeddings and sounds do not match");
  solvers::Matrix<double> y = solvers::Matrix<double>::Zero(q, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const ClipSound& s = sounds[std::size_t(i)];
    if (s.rhythm < 0 || s.rhythm >= rhythms_ || s.instrument < 0 || s.instrument >= kInstruments)
      throw ConfigError("SoundMap::add: a sound's rhythm or instrument is out of range");
    y(s.rhythm, i) = 1;
    y(rhythms_ + s.instrument, i) = 1;
    y(q - 3, i) = s.major ? 1 : -1;
    y(q - 2, i) = std::log(s.tempo_bpm);
    y(q - 1, i) = s.brightness;
  }
  ridge_.add(embeddings.cast<double>(), y);
}

void SoundMap::fit(const mpi::Comm& comm, double ridge) {
  try {
    ridge_.fit(comm, ridge);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("synth generator: the corpus's map from embedding to sound: ") +
                      e.what());
  }
}

ClipSound SoundMap::sound(const double* embedding, std::uint64_t seed) const {
  const solvers::Vector<double> y = ridge_.predict(embedding);
  const auto q = Eigen::Index(targets());
  ClipSound s;
  s.rhythm = argmax(y, 0, rhythms_);
  s.instrument = argmax(y, rhythms_, kInstruments);
  s.major = y(q - 3) > 0;
  s.tempo_bpm = std::clamp(std::exp(y(q - 2)), kSlowest, kFastest);
  s.brightness = std::clamp(y(q - 1), 0.0, 1.0);
  s.root = root_of_seed(seed);
  s.seed = seed;
  return s;
}

}  // namespace b2m::analysis
