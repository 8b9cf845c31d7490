#include "mpi/rank_grid.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "mpi/partition.hpp"

namespace b2m::mpi {

GroupSplit split_into_groups(const Comm& parent, std::size_t groups) {
  const auto size = static_cast<std::size_t>(parent.size());
  if (groups == 0 || groups > size)
    throw ConfigError("cannot split " + std::to_string(size) + " ranks into " +
                      std::to_string(groups) + " groups");
  const auto rank = static_cast<std::size_t>(parent.rank());
  std::size_t group = 0;
  while (rank >= even_part(size, groups, group).end) ++group;
  Comm comm = parent.split(static_cast<int>(group), parent.rank());
  return GroupSplit{group, groups, std::move(comm)};
}

std::size_t group_count(std::size_t units, std::size_t ranks) {
  std::size_t best = 1;
  std::size_t best_cost = units;
  for (std::size_t g = 1; g <= std::min(units, ranks); ++g) {
    if (ranks % g != 0) continue;
    const std::size_t cost = (units + g - 1) / g * g;
    if (cost <= best_cost) {
      best = g;
      best_cost = cost;
    }
  }
  return best;
}

RankGrid::RankGrid(const Comm& comm, std::size_t fold_groups)
    : fold_groups_(fold_groups),
      fold_group_(static_cast<std::size_t>(comm.rank()) % (fold_groups == 0 ? 1 : fold_groups)),
      voxel_groups_(fold_groups == 0 ? 0 : static_cast<std::size_t>(comm.size()) / fold_groups),
      voxel_group_(fold_groups == 0 ? 0 : static_cast<std::size_t>(comm.rank()) / fold_groups),
      fold_peers_(comm.split(static_cast<int>(voxel_group_), comm.rank())) {
  if (fold_groups == 0 || comm.size() % static_cast<int>(fold_groups) != 0)
    throw ConfigError("fold groups (" + std::to_string(fold_groups) +
                      ") must divide the number of ranks (" + std::to_string(comm.size()) + ")");
}

}  // namespace b2m::mpi
