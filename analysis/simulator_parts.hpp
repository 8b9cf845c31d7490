// Pieces the simulator's two voxel models share (study_simulator.cpp,
// calibrated_voxels.cpp): counter-based random streams and the drive of a
// space's features on a basis.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "analysis/feature_alignment.hpp"
#include "analysis/stimulus_timeline.hpp"
#include "solvers/matrix.hpp"

namespace b2m::analysis::sim {

// A stream per (seed, a, b, c), so that what a block draws never depends on
// which rank draws it or in what order.
[[nodiscard]] std::mt19937_64 stream(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0,
                                     std::uint64_t c = 0);
[[nodiscard]] solvers::Matrix<double> gaussian(std::mt19937_64& rng, std::size_t rows,
                                               std::size_t cols, double scale);
// Stationary AR(1) series of unit variance, one per column.
[[nodiscard]] solvers::Matrix<double> ar1(std::mt19937_64& rng, std::size_t steps, std::size_t cols,
                                          double rho);
// The first row of each run.
[[nodiscard]] std::vector<std::size_t> run_starts(const std::vector<RunTimeline>& timelines);
// HRF-convolved projection of a space's TR features on a basis, per run.
[[nodiscard]] solvers::Matrix<double> drive_of(const ClipEmbeddings& clips,
                                               const std::vector<RunTimeline>& timelines,
                                               const solvers::Matrix<double>& basis, double tr);
// Index i with probability probabilities[i] (one uniform draw; the last
// takes what rounding leaves).
[[nodiscard]] std::size_t draw_index(std::mt19937_64& rng,
                                     const std::vector<double>& probabilities);

// A set of driving spaces (bits of study_spaces()) and its probability.
struct DriverChoice {
  double probability;
  std::uint8_t drivers;
};
[[nodiscard]] std::uint8_t bits(std::initializer_list<const char*> space_names);
[[nodiscard]] std::uint8_t draw_drivers(std::mt19937_64& rng,
                                        const std::vector<DriverChoice>& choices);

// Scales each column to unit variance over its rows; returns the scales.
Eigen::VectorXd unit_variance(solvers::Matrix<double>& columns);
// Per column v, AR(1) noise of coefficient rho[v] and sd sd[v], restarted
// at each of `starts`, added to y.
void add_ar1_noise(solvers::Matrix<double>& y, const std::vector<std::size_t>& starts,
                   const std::vector<double>& rho, const std::vector<double>& sd,
                   std::mt19937_64& rng);

}  // namespace b2m::analysis::sim
