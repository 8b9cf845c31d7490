// Operation counts of the ridge solvers (ridge_cv.hpp), used to plan the
// distribution of work. Counted in flops of GEMM-like work; the eigensolver is
// weighted by its measured speed relative to GEMM (about 7 k^3 at GEMM rate
// for dsyevr with vectors on this code's sizes).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "mpi/partition.hpp"

namespace b2m::solvers {

// The cost of a symmetric eigendecomposition of order k (with vectors) in
// GEMM flops is about kEigenWeight k^3 on this code's sizes.
inline constexpr double kEigenWeight = 7.0;

// Factorizing n training rows of p features (ridge_factor) for n_out rows;
// `eigen_weight` as kEigenWeight, or as measured on the machine.
[[nodiscard]] inline double factor_flops(std::size_t n, std::size_t p, std::size_t n_out,
                                         double eigen_weight = kEigenWeight) {
  const double k = static_cast<double>(std::min(n, p));
  const double big = static_cast<double>(std::max(n, p));
  const double gram = big * k * k;
  const double eigen = eigen_weight * k * k * k;
  const double products = 2.0 * static_cast<double>(n) * static_cast<double>(p) * k +
                          2.0 * static_cast<double>(n_out) * static_cast<double>(p) * k;
  return gram + eigen + products;
}

// Scoring one target on one fold: B = right Y_train, then one product per alpha.
[[nodiscard]] inline double fold_flops_per_target(std::size_t n_train, std::size_t n_val,
                                                  std::size_t p, std::size_t n_alphas) {
  const double k = static_cast<double>(std::min(n_train, p));
  return 2.0 * static_cast<double>(n_train) * k +
         2.0 * static_cast<double>(n_alphas) * static_cast<double>(n_val) * k;
}

// A whole encode of `voxels` targets on one rank: K run-grouped folds of n
// training rows (factorized and scored at `n_alphas` alphas), then the
// refit and the test predictions of m rows. For cost estimates (b2m sweep).
[[nodiscard]] inline double encode_flops(std::size_t n, std::size_t m, std::size_t p,
                                         std::size_t folds, std::size_t n_alphas,
                                         std::size_t voxels, double eigen_weight = kEigenWeight) {
  double flops = factor_flops(n, p, m, eigen_weight);
  const std::size_t n_val = std::max<std::size_t>(1, n / std::max<std::size_t>(1, folds));
  for (std::size_t f = 0; f < folds; ++f)
    flops += factor_flops(n - n_val, p, n_val, eigen_weight) +
             double(voxels) * fold_flops_per_target(n - n_val, n_val, p, n_alphas);
  const double k = static_cast<double>(std::min(n, p));
  return flops + double(voxels) * 2.0 * (double(n) + double(m)) * k;
}

// A kernel (dual) ridge decode of n training samples of `voxels` voxels
// into d targets, m test samples, K folds at `n_alphas` alphas: kernel
// assembly, the folds' eigendecompositions, validation predictions, and
// the refit (a Cholesky factorization per distinct alpha, at most d).
[[nodiscard]] inline double kernel_ridge_flops(std::size_t n, std::size_t m, std::size_t voxels,
                                               std::size_t d, std::size_t folds,
                                               std::size_t n_alphas,
                                               double eigen_weight = kEigenWeight) {
  const double N = double(n), M = double(m), V = double(voxels), D = double(d);
  double flops = 2.0 * N * N * V + 2.0 * M * N * V;
  const double n_val = N / double(std::max<std::size_t>(1, folds));
  const double k = N - n_val;
  flops += double(folds) *
           (eigen_weight * k * k * k + 4.0 * k * k * D + 2.0 * double(n_alphas) * n_val * k * D);
  const double refits = double(std::min(d, n_alphas));
  return flops + refits * N * N * N / 3.0 + 2.0 * N * N * D + 2.0 * M * N * D;
}

// The fold group that factorizes the refit when `groups` groups share
// `folds` folds (group g holds folds g, g + groups, ...): the first group
// with fewer folds, or the last when all hold the same number.
[[nodiscard]] inline std::size_t refit_owner(std::size_t folds, std::size_t groups) {
  return folds % groups == 0 ? groups - 1 : folds % groups;
}

// The number of fold groups (a divisor of `ranks`, at most the number of
// folds) for n training rows (split into `folds`), m test rows and `voxels`
// targets (ridge_cost.cpp). Every rank factorizes its own group's folds and
// one group the refit, and the scoring is shared so that the groups end
// together (plan_fold_shares), so more groups divide the factorizations;
// but each group reads all of its voxels' responses. The fewest groups
// within 2% of the best modelled time win: small p with many voxels gives 1
// group, large p more.
[[nodiscard]] std::size_t plan_fold_groups(std::size_t n, std::size_t m,
                                           const std::vector<mpi::Range>& folds, std::size_t p,
                                           std::size_t n_alphas, std::size_t voxels,
                                           std::size_t ranks);

// How the scoring of each fold is shared among `groups` fold groups that
// each score `voxels` targets: shares[k][g] is the fraction of fold k's
// targets that group g scores (ridge_cost.cpp). Group g factorizes folds
// g, g + groups, ... and the refit's owner the refit too, so the groups'
// factorization loads differ (3 folds against 2 folds and the refit with 5
// folds on 2 groups); the scoring evens them out. A group scores its own
// folds first and hands what would make it the slowest to the groups with
// spare time. Pieces under 1% of a fold stay with its owner: each handed
// piece costs sending the fold's factors.
[[nodiscard]] std::vector<std::vector<double>> plan_fold_shares(
    std::size_t n, std::size_t m, const std::vector<mpi::Range>& folds, std::size_t p,
    std::size_t n_alphas, std::size_t voxels, std::size_t groups);

// The passes of the scoring over the responses when `shares[k][g]` of fold
// k goes to fold group g (plan_fold_shares): per group the folds it scores
// a piece of (where `wanted[k]`), in fold order, in batches of as many folds
// as `budget` bytes of their factors (`bytes[k]` each) hold; and per fold
// the last pass in which any group scores it (when its owner may mark it
// done: every piece is on disk).
struct ScoringPasses {
  std::vector<std::vector<std::vector<std::size_t>>> batches;  // [group][pass] -> folds
  std::vector<std::size_t> last_pass;                          // per fold
};
[[nodiscard]] ScoringPasses plan_scoring_passes(const std::vector<std::vector<double>>& shares,
                                                const std::vector<bool>& wanted,
                                                const std::vector<double>& bytes, double budget);

// The columns of `block` that group g scores of a fold shared as `shares`
// (one fraction per group, summing to 1): consecutive ranges in group order
// that cover the block.
[[nodiscard]] mpi::Range share_of_block(const std::vector<double>& shares, std::size_t g,
                                        mpi::Range block);

}  // namespace b2m::solvers
