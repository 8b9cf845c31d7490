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

// Factorizing n training rows of p features (ridge_factor) for n_out rows.
[[nodiscard]] inline double factor_flops(std::size_t n, std::size_t p, std::size_t n_out) {
  const double k = static_cast<double>(std::min(n, p));
  const double big = static_cast<double>(std::max(n, p));
  const double gram = big * k * k;
  const double eigen = 7.0 * k * k * k;
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

// The fold group that factorizes the refit when `groups` groups share
// `folds` folds (group g holds folds g, g + groups, ...): the first group
// with fewer folds, or the last when all hold the same number.
[[nodiscard]] inline std::size_t refit_owner(std::size_t folds, std::size_t groups) {
  return folds % groups == 0 ? groups - 1 : folds % groups;
}

// The number of fold groups (a divisor of `ranks`, at most the number of
// folds) with the smallest modelled run time for n training rows (split into
// `folds`), m test rows and `voxels` targets. Every rank factorizes its own
// folds and one group the refit, so more fold groups divide the
// factorizations while the per-voxel work stays divided by the rank count:
// small p with many voxels gives 1 group (least communication), large p more.
[[nodiscard]] inline std::size_t plan_fold_groups(std::size_t n, std::size_t m,
                                                  const std::vector<mpi::Range>& folds,
                                                  std::size_t p, std::size_t n_alphas,
                                                  std::size_t voxels, std::size_t ranks) {
  std::size_t best = 1;
  double best_cost = 0;
  for (std::size_t g = 1; g <= std::min(ranks, folds.size()); ++g) {
    if (ranks % g != 0) continue;
    const std::size_t voxel_groups = ranks / g;
    const double voxels_per_group = double((voxels + voxel_groups - 1) / voxel_groups);
    // The slowest group: each group's folds, plus the refit on its owner.
    double cost = 0;
    for (std::size_t group = 0; group < g; ++group) {
      double group_cost = group == refit_owner(folds.size(), g) ? factor_flops(n, p, m) : 0.0;
      for (std::size_t k = group; k < folds.size(); k += g) {
        const std::size_t n_val = folds[k].size();
        group_cost += factor_flops(n - n_val, p, n_val) +
                      voxels_per_group * fold_flops_per_target(n - n_val, n_val, p, n_alphas);
      }
      cost = std::max(cost, group_cost);
    }
    if (g == 1 || cost < best_cost) {
      best = g;
      best_cost = cost;
    }
  }
  return best;
}

}  // namespace b2m::solvers
