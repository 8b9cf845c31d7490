#include "analysis/sound_map.hpp"

#include <Eigen/Cholesky>
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

SoundMap::SoundMap(std::size_t dim, int rhythms) : dim_(dim), rhythms_(rhythms) {
  if (dim == 0 || rhythms < 1) throw ConfigError("SoundMap: needs a dimension and a rhythm");
  const auto d = Eigen::Index(dim), q = Eigen::Index(targets());
  xx_ = solvers::Matrix<double>::Zero(d, d);
  xy_ = solvers::Matrix<double>::Zero(d, q);
  sx_ = solvers::Vector<double>::Zero(d);
  sy_ = solvers::Vector<double>::Zero(q);
}

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
  const solvers::Matrix<double> x = embeddings.cast<double>();
  xx_.noalias() += x * x.transpose();
  xy_.noalias() += x * y.transpose();
  sx_ += x.rowwise().sum();
  sy_ += y.rowwise().sum();
  rows_ += double(n);
}

void SoundMap::fit(const mpi::Comm& comm, double ridge) {
  comm.allreduce_in_place(xx_.data(), std::size_t(xx_.size()), mpi::Op::sum);
  comm.allreduce_in_place(xy_.data(), std::size_t(xy_.size()), mpi::Op::sum);
  comm.allreduce_in_place(sx_.data(), std::size_t(sx_.size()), mpi::Op::sum);
  comm.allreduce_in_place(sy_.data(), std::size_t(sy_.size()), mpi::Op::sum);
  rows_ = comm.allreduce(rows_, mpi::Op::sum);
  if (rows_ < double(dim_) + 1)
    throw ConfigError("synth generator: the corpus has " + std::to_string(std::size_t(rows_)) +
                      " rows, fewer than the embedding's " + std::to_string(dim_) +
                      " dimensions + 1: too few to learn the map");
  mean_x_ = sx_ / rows_;
  mean_y_ = sy_ / rows_;
  // Centred (co)variances from the raw sums, per row.
  solvers::Matrix<double> cov = xx_ / rows_ - mean_x_ * mean_x_.transpose();
  const solvers::Matrix<double> cross = xy_ / rows_ - mean_x_ * mean_y_.transpose();
  scale_x_ = cov.diagonal().cwiseMax(0.0).cwiseSqrt();
  for (Eigen::Index j = 0; j < scale_x_.size(); ++j)
    if (!(scale_x_(j) > 1e-12))
      throw ConfigError("synth generator: embedding dimension " + std::to_string(j) +
                        " is constant over the corpus");
  const solvers::Vector<double> inv = scale_x_.cwiseInverse();
  solvers::Matrix<double> corr = inv.asDiagonal() * cov * inv.asDiagonal();
  corr.diagonal().array() += ridge;
  weights_ = corr.ldlt().solve(inv.asDiagonal() * cross);
}

ClipSound SoundMap::sound(const double* embedding, std::uint64_t seed) const {
  if (weights_.size() == 0) throw ConfigError("SoundMap::sound before fit");
  const Eigen::Map<const solvers::Vector<double>> x(embedding, Eigen::Index(dim_));
  const solvers::Vector<double> z = (x - mean_x_).cwiseProduct(scale_x_.cwiseInverse());
  const solvers::Vector<double> y = mean_y_ + weights_.transpose() * z;
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
