// Splitting the ranks of a job into subject groups, and each subject group
// into a grid of fold groups x voxel groups (see DESIGN.md, Distribution).
#pragma once

#include <cstddef>

#include "mpi/comm.hpp"

namespace b2m::mpi {

// Ranks of `parent` split into `groups` contiguous groups of near-equal size.
struct GroupSplit {
  std::size_t group = 0;   // which group this rank belongs to
  std::size_t groups = 1;  // how many groups there are
  Comm comm;               // the ranks of this group
};
[[nodiscard]] GroupSplit split_into_groups(const Comm& parent, std::size_t groups);

// The number of rank groups for `units` independent pieces of work (a
// stage's subjects, subject x space pairs, ...): a divisor of `ranks` that
// minimises the time to finish, ceil(units / groups) rounds at groups /
// ranks of the job each (ties go to more groups, which communicate less).
// With 5 units on 2 ranks one group of 2 beats two groups that leave a rank
// idle.
[[nodiscard]] std::size_t group_count(std::size_t units, std::size_t ranks);

// A grid of fold groups x voxel groups over `comm`. Ranks that share a voxel
// group hold the same voxels and different folds: their validation scores
// are summed over `fold_peers`. Within a voxel group the refit is shared by
// voxel sub-slices, indexed by `fold_group`.
class RankGrid {
 public:
  RankGrid(const Comm& comm, std::size_t fold_groups);
  [[nodiscard]] std::size_t fold_group() const { return fold_group_; }
  [[nodiscard]] std::size_t fold_groups() const { return fold_groups_; }
  [[nodiscard]] std::size_t voxel_group() const { return voxel_group_; }
  [[nodiscard]] std::size_t voxel_groups() const { return voxel_groups_; }
  [[nodiscard]] const Comm& fold_peers() const { return fold_peers_; }

 private:
  std::size_t fold_groups_;
  std::size_t fold_group_;
  std::size_t voxel_groups_;
  std::size_t voxel_group_;
  Comm fold_peers_;
};

}  // namespace b2m::mpi
