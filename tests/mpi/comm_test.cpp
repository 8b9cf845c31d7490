#include <gtest/gtest.h>

#include "core/error.hpp"
#include "mpi/agree.hpp"
#include "mpi/comm.hpp"
#include "mpi/rank_grid.hpp"
#include "tests/support/mpi_assert.hpp"

namespace b2m::mpi {
namespace {

TEST(Comm, CollectivesReduceGatherAndBroadcast) {
  const Comm world = Comm::world();
  const int n = world.size();
  EXPECT_EQ(world.allreduce(world.rank(), Op::sum), n * (n - 1) / 2);
  EXPECT_EQ(world.allreduce(world.rank(), Op::max), n - 1);
  const auto names = world.allgather(std::string(static_cast<std::size_t>(world.rank()), 'x'));
  B2M_ASSERT_ALL(world, names.size() == static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r)
    EXPECT_EQ(names[static_cast<std::size_t>(r)].size(), static_cast<std::size_t>(r));
  std::string text = world.is_root() ? "from root" : "";
  world.bcast(text, 0);
  EXPECT_EQ(text, "from root");
}

TEST(GroupSplit, GroupsAreContiguousAndCoverAllRanks) {
  const Comm world = Comm::world();
  for (std::size_t groups = 1; groups <= static_cast<std::size_t>(world.size()); ++groups) {
    const GroupSplit split = split_into_groups(world, groups);
    const auto all = world.allgather(static_cast<int>(split.group));
    for (std::size_t r = 1; r < all.size(); ++r) EXPECT_GE(all[r], all[r - 1]);
    EXPECT_EQ(all.back(), static_cast<int>(groups) - 1);
    EXPECT_EQ(split.comm.allreduce(1, Op::sum),
              static_cast<int>(std::count(all.begin(), all.end(), static_cast<int>(split.group))));
  }
  EXPECT_THROW(
      static_cast<void>(split_into_groups(world, static_cast<std::size_t>(world.size()) + 1)),
      ConfigError);
}

TEST(RankGrid, FoldPeersShareAVoxelGroup) {
  const Comm world = Comm::world();
  const std::size_t folds = world.size() % 2 == 0 ? 2 : 1;
  const RankGrid grid(world, folds);
  EXPECT_EQ(grid.fold_groups() * grid.voxel_groups(), static_cast<std::size_t>(world.size()));
  EXPECT_EQ(grid.fold_peers().size(), static_cast<int>(folds));
  const auto voxel_groups = grid.fold_peers().allgather(static_cast<int>(grid.voxel_group()));
  for (int g : voxel_groups) EXPECT_EQ(g, static_cast<int>(grid.voxel_group()));
  const int fold_sum = grid.fold_peers().allreduce(static_cast<int>(grid.fold_group()), Op::sum);
  EXPECT_EQ(fold_sum, static_cast<int>(folds * (folds - 1) / 2));
}

TEST(Agree, AFailureOnOneRankRaisesOnEveryRank) {
  const Comm world = Comm::world();
  const int last = world.size() - 1;
  try {
    agree_on(world, [&] {
      if (world.rank() == last) throw InputError("bad voxel in block 7");
    });
    FAIL() << "no exception on rank " << world.rank();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad voxel in block 7"), std::string::npos);
    if (world.rank() == last) {
      EXPECT_NE(dynamic_cast<const InputError*>(&e), nullptr);
    } else {
      EXPECT_NE(dynamic_cast<const PeerError*>(&e), nullptr);
    }
  }
  EXPECT_NO_THROW(agree_on(world, [] {}));
  EXPECT_EQ(agree_on(world, [&] { return world.rank() + 1; }), world.rank() + 1);
}

}  // namespace
}  // namespace b2m::mpi
