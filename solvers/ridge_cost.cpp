#include "solvers/ridge_cost.hpp"

#include <cmath>
#include <numeric>

namespace b2m::solvers {
namespace {

// A handed piece smaller than this fraction of a fold stays with its owner.
constexpr double kSmallestPiece = 0.01;
// Fewer fold groups are preferred unless more save over this fraction.
constexpr double kGroupsGain = 0.02;

struct Balance {
  std::vector<std::vector<double>> shares;  // folds x groups
  double time = 0;                          // of the slowest group, in flops
};

Balance balance(std::size_t n, std::size_t m, const std::vector<mpi::Range>& folds, std::size_t p,
                std::size_t n_alphas, std::size_t voxels, std::size_t groups) {
  const std::size_t n_folds = folds.size();
  Balance out;
  out.shares.assign(n_folds, std::vector<double>(groups, 0.0));
  std::vector<std::vector<double>>& shares = out.shares;
  if (groups == 0) return out;
  // Each group's factorization load and each fold's scoring work.
  std::vector<double> load(groups, 0.0), work(n_folds, 0.0);
  load[groups == 1 ? 0 : refit_owner(n_folds, groups)] += factor_flops(n, p, m);
  for (std::size_t k = 0; k < n_folds; ++k) {
    const std::size_t n_val = folds[k].size();
    load[k % groups] += factor_flops(n - n_val, p, n_val);
    work[k] = double(voxels) * fold_flops_per_target(n - n_val, n_val, p, n_alphas);
  }
  // The level every group ends at: the groups below it take scoring work
  // until the sum of (level - load) over them equals all the scoring.
  const double scoring = std::accumulate(work.begin(), work.end(), 0.0);
  std::vector<double> sorted = load;
  std::sort(sorted.begin(), sorted.end());
  double level = 0, below = 0;
  for (std::size_t i = 0; i < groups; ++i) {
    below += sorted[i];
    level = (scoring + below) / double(i + 1);
    if (i + 1 == groups || level <= sorted[i + 1]) break;
  }
  std::vector<double> spare(groups);
  for (std::size_t g = 0; g < groups; ++g) spare[g] = std::max(0.0, level - load[g]);

  // Own folds first, then what is left of each fold to groups with spare time.
  std::vector<double> left = work;
  const auto take = [&](std::size_t k, std::size_t g) {
    const double piece = std::min(spare[g], left[k]);
    if (work[k] > 0) shares[k][g] += piece / work[k];
    spare[g] -= piece;
    left[k] -= piece;
  };
  for (std::size_t k = 0; k < n_folds; ++k) take(k, k % groups);
  for (std::size_t k = 0; k < n_folds; ++k)
    for (std::size_t g = 0; g < groups && left[k] > 0; ++g) take(k, g);

  for (std::size_t k = 0; k < n_folds; ++k) {
    std::vector<double>& s = shares[k];
    const std::size_t owner = k % groups;
    for (std::size_t g = 0; g < groups; ++g)
      if (g != owner && s[g] < kSmallestPiece) s[g] = 0;
    // Rounding leftovers and dropped pieces go to the owner.
    double handed = 0;
    for (std::size_t g = 0; g < groups; ++g)
      if (g != owner) handed += s[g];
    s[owner] = handed > 1.0 - 1e-9 ? 0.0 : 1.0 - handed;
  }
  for (std::size_t g = 0; g < groups; ++g) {
    double time = load[g];
    for (std::size_t k = 0; k < n_folds; ++k) time += shares[k][g] * work[k];
    out.time = std::max(out.time, time);
  }
  return out;
}

}  // namespace

std::vector<std::vector<double>> plan_fold_shares(std::size_t n, std::size_t m,
                                                  const std::vector<mpi::Range>& folds,
                                                  std::size_t p, std::size_t n_alphas,
                                                  std::size_t voxels, std::size_t groups) {
  return balance(n, m, folds, p, n_alphas, voxels, groups).shares;
}

std::size_t plan_fold_groups(std::size_t n, std::size_t m, const std::vector<mpi::Range>& folds,
                             std::size_t p, std::size_t n_alphas, std::size_t voxels,
                             std::size_t ranks) {
  std::vector<std::pair<std::size_t, double>> times;
  double best = 0;
  for (std::size_t g = 1; g <= std::min(ranks, folds.size()); ++g) {
    if (ranks % g != 0) continue;
    const std::size_t voxel_groups = ranks / g;
    const std::size_t per_group = (voxels + voxel_groups - 1) / voxel_groups;
    const double time = balance(n, m, folds, p, n_alphas, per_group, g).time;
    times.emplace_back(g, time);
    best = g == 1 ? time : std::min(best, time);
  }
  for (const auto& [g, time] : times)
    if (time <= best * (1.0 + kGroupsGain)) return g;
  return 1;
}

ScoringPasses plan_scoring_passes(const std::vector<std::vector<double>>& shares,
                                  const std::vector<bool>& wanted, const std::vector<double>& bytes,
                                  double budget) {
  const std::size_t folds = shares.size(), groups = folds ? shares.front().size() : 0;
  ScoringPasses plan;
  plan.batches.resize(groups);
  plan.last_pass.assign(folds, 0);
  for (std::size_t g = 0; g < groups; ++g) {
    auto& batches = plan.batches[g];
    double held = 0;
    for (std::size_t k = 0; k < folds; ++k) {
      if (shares[k][g] <= 0 || !wanted[k]) continue;
      if (batches.empty() || held + bytes[k] > budget) {
        batches.emplace_back();
        held = 0;
      }
      batches.back().push_back(k);
      held += bytes[k];
      plan.last_pass[k] = std::max(plan.last_pass[k], batches.size() - 1);
    }
  }
  return plan;
}

mpi::Range share_of_block(const std::vector<double>& shares, std::size_t g, mpi::Range block) {
  const auto boundary = [&](std::size_t group) {
    if (group >= shares.size()) return block.size();
    const double before = std::accumulate(shares.begin(), shares.begin() + long(group), 0.0);
    return std::min(block.size(),
                    static_cast<std::size_t>(std::llround(before * double(block.size()))));
  };
  return {block.begin + boundary(g), block.begin + std::max(boundary(g), boundary(g + 1))};
}

}  // namespace b2m::solvers
