// Comparing two feature spaces' encoding models of the same voxels (b2m
// compare): where both are significant, and whether one predicts better.
//
// The paired test resamples test clips (the stimuli), not voxels: voxels
// of a region share their noise and their stimuli, so a bootstrap over
// voxels would treat thousands of dependent values as independent. Each
// draw takes C of the C test clips with replacement, the same draw for
// every voxel and subject (they heard the same clips), and recomputes every
// voxel's r_A and r_B on the drawn clips; a region's statistic is the mean
// of r_A - r_B over its voxels. Per voxel and clip the sums of y, y^2, a,
// a^2, a y, b, b^2 and b y are kept, so a draw costs one weighted sum of C
// clips per voxel, not a pass over the rows.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "solvers/matrix.hpp"

namespace b2m::analysis {

// Voxels significant for A, for B and for both among a set, and their
// Dice coefficient 2 both / (a + b) (NaN when neither has any).
struct Overlap {
  std::size_t a = 0, b = 0, both = 0;
  double dice = std::numeric_limits<double>::quiet_NaN();
};
// Per label 0 .. labels - 1 (a voxel's label, e.g. its ROI; < 0 or >=
// labels: counted in no label) the overlap of masks `a` and `b`.
[[nodiscard]] std::vector<Overlap> overlap_by_label(const std::vector<std::uint8_t>& a,
                                                    const std::vector<std::uint8_t>& b,
                                                    const std::vector<std::int32_t>& label,
                                                    std::size_t labels);

// How often each of `clips` clips is drawn in bootstrap draw `index` under
// `seed` (C draws with replacement; SplitMix64, so any rank makes any draw).
[[nodiscard]] std::vector<std::uint32_t> clip_bootstrap(std::uint64_t seed, std::uint64_t index,
                                                        std::size_t clips);

// The per-clip sums of a block of voxels, for r of two predictions (a, b)
// against the same observed rows (m = C L rows of L rows per clip, in clip
// order).
class PairedClipSums {
 public:
  template <class T>
  PairedClipSums(const solvers::ConstMatrixRef<T>& a, const solvers::ConstMatrixRef<T>& b,
                 const solvers::ConstMatrixRef<T>& observed, std::size_t clip_rows);

  [[nodiscard]] Eigen::Index clips() const { return sums_.rows(); }
  [[nodiscard]] Eigen::Index voxels() const { return sums_.cols() / 8; }

  // r_A and r_B of every voxel (draws x voxels) under each row of `weights`
  // (draws x C: how often each clip counts). NaN where a series is
  // constant on the drawn clips.
  void correlations(const solvers::Matrix<double>& weights, solvers::Matrix<double>& r_a,
                    solvers::Matrix<double>& r_b) const;

 private:
  solvers::Matrix<double> sums_;  // C x 8 w: per voxel y, y^2, a, a^2, a y, b, b^2, b y
  Eigen::Index clip_rows_;
};

// Adds, per region and draw, the sum of r_A - r_B over voxel j's regions
// (`regions[j]`: none for a voxel left out) and the count of finite
// differences: r_a, r_b are draws x block width (PairedClipSums), sums and
// counts regions x draws.
void add_region_differences(const solvers::Matrix<double>& r_a, const solvers::Matrix<double>& r_b,
                            const std::vector<std::vector<std::uint32_t>>& regions,
                            solvers::Matrix<double>& sums, solvers::Matrix<double>& counts);

// A bootstrap distribution of a difference summarized: the observed value,
// the percentile interval at `level`, and the two-sided p of "no
// difference", 2 (1 + #draws on the other side of 0) / (1 + draws), at most
// 1. NaN draws are left out.
struct PairedDifference {
  double observed = 0, low = 0, high = 0, p = 1;
  std::size_t draws = 0;
};
[[nodiscard]] PairedDifference summarize_bootstrap(double observed, std::vector<double> draws,
                                                   double level);

// A region's difference across subjects: the mean of the subjects'
// observed values, and per draw the mean of their draws (each subject's
// draw d resampled the same clips; a draw NaN for any subject is left out),
// summarized as summarize_bootstrap does.
[[nodiscard]] PairedDifference across_subjects(const std::vector<double>& observed,
                                               const std::vector<std::vector<double>>& draws,
                                               double level);

// The 2-D histogram of (x, y) pairs on bins x bins equal cells over
// [low, high)^2 (row: x's bin, column: y's); values outside go to the edge
// cells, NaN pairs to none.
[[nodiscard]] solvers::Matrix<double> density_2d(const std::vector<double>& x,
                                                 const std::vector<double>& y, std::size_t bins,
                                                 double low, double high);

}  // namespace b2m::analysis
