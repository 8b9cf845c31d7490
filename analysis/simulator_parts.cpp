#include "analysis/simulator_parts.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/hrf.hpp"
#include "analysis/study_simulator.hpp"

namespace b2m::analysis::sim {

using solvers::Matrix;

namespace {

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

std::mt19937_64 stream(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return std::mt19937_64(mix(mix(mix(mix(seed) ^ a) ^ b) ^ c));
}

Matrix<double> gaussian(std::mt19937_64& rng, std::size_t rows, std::size_t cols, double scale) {
  std::normal_distribution<double> normal(0.0, scale);
  Matrix<double> m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i) m(i, j) = normal(rng);
  return m;
}

Matrix<double> ar1(std::mt19937_64& rng, std::size_t steps, std::size_t cols, double rho) {
  std::normal_distribution<double> normal;
  Matrix<double> m(static_cast<Eigen::Index>(steps), static_cast<Eigen::Index>(cols));
  const double innovation = std::sqrt(1 - rho * rho);
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    double x = normal(rng);
    for (Eigen::Index t = 0; t < m.rows(); ++t) {
      if (t > 0) x = rho * x + innovation * normal(rng);
      m(t, j) = x;
    }
  }
  return m;
}

std::vector<std::size_t> run_starts(const std::vector<RunTimeline>& timelines) {
  std::vector<std::size_t> starts;
  std::size_t at = 0;
  for (const auto& t : timelines) {
    starts.push_back(at);
    at += t.trs();
  }
  return starts;
}

Matrix<double> drive_of(const ClipEmbeddings& clips, const std::vector<RunTimeline>& timelines,
                        const Matrix<double>& basis, double tr) {
  std::size_t rows = 0;
  for (const auto& t : timelines) rows += t.trs();
  Matrix<double> drive(static_cast<Eigen::Index>(rows), basis.cols());
  Eigen::Index at = 0;
  for (const auto& t : timelines) {
    drive.middleRows(at, static_cast<Eigen::Index>(t.trs())) = tr_features(clips, t, tr) * basis;
    at += static_cast<Eigen::Index>(t.trs());
  }
  std::vector<double> flat(drive.data(), drive.data() + drive.size());
  convolve_runs(flat, static_cast<std::size_t>(drive.cols()), rows, run_starts(timelines),
                canonical_hrf(tr));
  return Eigen::Map<Matrix<double>>(flat.data(), drive.rows(), drive.cols());
}

std::size_t draw_index(std::mt19937_64& rng, const std::vector<double>& probabilities) {
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  for (std::size_t i = 0; i + 1 < probabilities.size(); ++i) {
    u -= probabilities[i];
    if (u < 0) return i;
  }
  return probabilities.size() - 1;
}

std::uint8_t bits(std::initializer_list<const char*> space_names) {
  std::uint8_t out = 0;
  for (const char* n : space_names) out |= static_cast<std::uint8_t>(1u << space_bit(n));
  return out;
}

std::uint8_t draw_drivers(std::mt19937_64& rng, const std::vector<DriverChoice>& choices) {
  std::vector<double> p;
  for (const auto& c : choices) p.push_back(c.probability);
  return choices[draw_index(rng, p)].drivers;
}

Eigen::VectorXd unit_variance(Matrix<double>& columns) {
  Eigen::VectorXd sd(columns.cols());
  for (Eigen::Index j = 0; j < columns.cols(); ++j) {
    const double mean = columns.col(j).mean();
    sd(j) = std::sqrt((columns.col(j).array() - mean).square().sum() / double(columns.rows()));
    if (sd(j) > 0) columns.col(j) /= sd(j);
  }
  return sd;
}

void add_ar1_noise(Matrix<double>& y, const std::vector<std::size_t>& starts,
                   const std::vector<double>& rho, const std::vector<double>& sd,
                   std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  for (Eigen::Index v = 0; v < y.cols(); ++v) {
    const auto i = static_cast<std::size_t>(v);
    const double innovation = std::sqrt(1 - rho[i] * rho[i]);
    double e = 0;
    for (Eigen::Index t = 0; t < y.rows(); ++t) {
      const bool start =
          std::find(starts.begin(), starts.end(), static_cast<std::size_t>(t)) != starts.end();
      e = start ? normal(rng) : rho[i] * e + innovation * normal(rng);
      y(t, v) += sd[i] * e;
    }
  }
}

}  // namespace b2m::analysis::sim
