// Permutation tests of test correlations (b2m stats).
//
// The null keeps each voxel's prediction and permutes whole test clips of
// its responses: under "the model predicts nothing" the clips are
// exchangeable, while the scans inside a clip keep their autocorrelation (a
// scan-wise shuffle would break it and make the null too narrow).
//
// For one voxel whose prediction p and responses y are standardized over the
// m = C L test rows (C clips of L rows), the correlation when clip c of the
// prediction is paired with clip pi(c) of the responses is
//
//   r_pi = (1/m) sum_c sum_k p[c, k] y[pi(c), k] = (1/m) sum_c B[c, pi(c)],
//
// with B = P Y^T (C x C; P and Y the voxel's clips as C x L blocks). B costs
// C^2 L per voxel, once; each permutation then C additions. The additions
// run over a batch of voxels at once (B is stored voxel-fastest), so 1,000
// permutations of 60,000 voxels take seconds.
#pragma once

#include <cstdint>
#include <vector>

#include "solvers/matrix.hpp"

namespace b2m::analysis {

// Permutation `index` of `clips` clips drawn from `seed`: a Fisher-Yates
// shuffle on a SplitMix64 stream seeded by (seed, index), so any rank makes
// any permutation, whatever share of them it computes.
[[nodiscard]] std::vector<std::uint32_t> clip_permutation(std::uint64_t seed, std::uint64_t index,
                                                          std::size_t clips);

// The rows of `x` (clips of `clip_rows` rows, in clip order) past the first
// `skip` of each clip. Where `skip` is the largest FIR delay, a kept row's
// prediction holds its own clip's features only, so the clips stay
// exchangeable under the null even where the responses carry one clip into
// the next; with the head rows kept, the observed pairing keeps a clip's
// carry-over matched and every permutation breaks it, which narrows the
// null.
template <class T>
[[nodiscard]] solvers::Matrix<T> clip_tails(const solvers::ConstMatrixRef<T>& x,
                                            std::size_t clip_rows, std::size_t skip);

// What a share of the voxels contributes to the tests.
struct PermutationCounts {
  Eigen::VectorXd r;                  // per voxel: the observed r (NaN: constant)
  std::vector<std::uint64_t> exceed;  // per voxel: permutations with r_pi >= r
  std::vector<double> max_r;          // per permutation: the largest r_pi (-inf: no voxel)
};

// The observed r and the permutation counts of the columns of `prediction`
// and `observed` (m x w test rows of `clip_rows` rows per clip, in clip
// order) under `permutations` (each a permutation of the m / clip_rows
// clips). A column that is constant in either gets r NaN, no count and no
// part in max_r.
template <class T>
[[nodiscard]] PermutationCounts permutation_counts(
    const solvers::ConstMatrixRef<T>& prediction, const solvers::ConstMatrixRef<T>& observed,
    std::size_t clip_rows, const std::vector<std::vector<std::uint32_t>>& permutations);

// The permutation p of each voxel, (1 + exceed) / (1 + P): the observed
// pairing counts as one of the permutations, so p is never 0. NaN where r
// is NaN.
[[nodiscard]] std::vector<double> permutation_p(const Eigen::VectorXd& r,
                                                const std::vector<std::uint64_t>& exceed,
                                                std::size_t permutations);

// The max-statistic null for family-wise control (Nichols & Holmes 2002):
// the largest r over all voxels under each permutation, sorted once.
class MaxStatisticNull {
 public:
  explicit MaxStatisticNull(std::vector<double> max_r);
  // The family-wise p of each voxel, (1 + #{pi: max_r[pi] >= r}) / (1 + P);
  // NaN where r is NaN.
  [[nodiscard]] std::vector<double> p_values(const Eigen::VectorXd& r) const;
  // The r a voxel must pass for a family-wise p below `level`: r > threshold
  // exactly when p_values gives p < level (the null's 1 - level quantile,
  // the observed pairing counted as a permutation); NaN when P is too small
  // for the level.
  [[nodiscard]] double threshold(double level) const;

 private:
  std::vector<double> sorted_;
};

}  // namespace b2m::analysis
