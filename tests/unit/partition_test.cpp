#include <gtest/gtest.h>

#include "core/error.hpp"
#include "mpi/partition.hpp"

namespace b2m::mpi {
namespace {

TEST(EvenPart, CoversTheRangeContiguouslyWithSizesWithinOne) {
  for (std::size_t n : {0u, 1u, 7u, 12u, 1000u}) {
    for (std::size_t parts : {1u, 2u, 3u, 5u, 8u}) {
      std::size_t next = 0;
      for (std::size_t i = 0; i < parts; ++i) {
        const Range r = even_part(n, parts, i);
        EXPECT_EQ(r.begin, next);
        EXPECT_LE(r.size(), n / parts + 1);
        EXPECT_GE(r.size(), n / parts);
        next = r.end;
      }
      EXPECT_EQ(next, n);
    }
  }
  EXPECT_THROW(static_cast<void>(even_part(10, 0, 0)), ConfigError);
}

TEST(Blocks, FixedLayoutIndependentOfGroups) {
  const Blocks blocks(10, 4);
  ASSERT_EQ(blocks.count(), 3u);
  EXPECT_EQ(blocks.block(2).begin, 8u);
  EXPECT_EQ(blocks.block(2).end, 10u);
  for (std::size_t groups : {1u, 2u, 3u, 4u}) {
    std::vector<int> seen(blocks.count(), 0);
    std::size_t most = 0;
    for (std::size_t g = 0; g < groups; ++g) {
      const auto owned = blocks.owned_by(g, groups);
      most = std::max(most, owned.size());
      for (std::size_t b : owned) ++seen[b];
    }
    for (int s : seen) EXPECT_EQ(s, 1);
    EXPECT_EQ(blocks.rounds(groups), most);
  }
  EXPECT_THROW(Blocks(5, 0), ConfigError);
}

}  // namespace
}  // namespace b2m::mpi
