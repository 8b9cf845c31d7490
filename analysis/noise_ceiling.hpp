// How much of a voxel's test response the stimulus drives, from repeated
// presentations of the same clips (Sahani & Linden 2003; Schoppe et al.
// 2016), and the correlation a perfect model could reach.
//
// With R repetitions Y_1..Y_R of m test rows, total power TP = mean_r
// var(Y_r) and the power of the repeat mean var(Ybar) = SP + NP / R, where
// SP is the stimulus-driven (signal) power and NP = TP - SP the noise. So
//   SP = (R var(Ybar) - TP) / (R - 1)     (unbiased for any R >= 2),
//   explainable variance (one repetition)  EV = SP / TP,
//   ceiling of r against the repeat mean   CC_max = sqrt(SP / var(Ybar)),
//   normalized r                           r / CC_max.
// EV is negative where the noise swamps the signal; the ceiling is then 0
// and the normalized r undefined (NaN).
#pragma once

#include <vector>

#include "solvers/matrix.hpp"

namespace b2m::analysis {

struct NoiseCeiling {
  Eigen::VectorXd explainable_variance;  // per column; NaN for a constant column
  Eigen::VectorXd ceiling;               // in [0, 1]; NaN for a constant column
};

// From R >= 2 repetitions, each m x V (rows in the same clip order).
[[nodiscard]] NoiseCeiling noise_ceiling(const std::vector<solvers::Matrix<double>>& reps);

// r / ceiling where the ceiling is positive, else NaN.
[[nodiscard]] Eigen::VectorXd normalized_r(const Eigen::VectorXd& r,
                                           const Eigen::VectorXd& ceiling);

}  // namespace b2m::analysis
