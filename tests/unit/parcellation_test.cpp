// The calibrated simulator's parcels (analysis/parcellation.hpp).
#include "analysis/parcellation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace b2m::analysis {
namespace {

TEST(Parcellation, TilesTheVoxelsWith148DestrieuxParcels) {
  for (std::size_t voxels : {60000u, 1000u, 100u}) {
    const Parcellation p = destrieux_parcellation(voxels, 3);
    ASSERT_EQ(p.size(), 148u);
    EXPECT_EQ(p.names.front(), "lh.G_and_S_frontomargin");
    EXPECT_EQ(p.names[74], "rh.G_and_S_frontomargin");
    std::size_t at = 0;
    for (const auto& r : p.voxels) {
      EXPECT_EQ(r.begin, at);
      if (voxels >= 148) EXPECT_GE(r.size(), 1u);
      at = r.end;
    }
    EXPECT_EQ(at, voxels);
    for (std::size_t v : {std::size_t(0), voxels / 2, voxels - 1}) {
      const std::size_t k = p.parcel_of(v);
      EXPECT_TRUE(p.voxels[k].begin <= v && v < p.voxels[k].end);
    }
  }
}

TEST(Parcellation, AuditoryParcelsAreFixedAndTheOthersLognormal) {
  const Parcellation p = destrieux_parcellation(60000, 5);
  std::vector<std::size_t> primary, belt, adjacent, sizes;
  for (std::size_t i = 0; i < p.size(); ++i) {
    sizes.push_back(p.voxels[i].size());
    if (p.kind[i] == ParcelKind::primary) primary.push_back(i);
    if (p.kind[i] == ParcelKind::belt) belt.push_back(i);
    if (p.kind[i] == ParcelKind::adjacent) adjacent.push_back(i);
  }
  EXPECT_EQ(primary.size(), 4u);  // Heschl's gyrus and transverse sulcus, 2 hemispheres
  EXPECT_EQ(belt.size(), 4u);
  EXPECT_EQ(adjacent.size(), 6u);
  EXPECT_EQ(p.names[primary[0]], "lh.G_temp_sup-G_T_transv");
  // The auditory parcels all get the lognormal's mean weight: equal sizes
  // (within the rounding), near the mean parcel size.
  const double mean = 60000.0 / 148;
  for (std::size_t i : primary) {
    EXPECT_NEAR(double(sizes[i]), double(sizes[primary[0]]), 1.0);
    EXPECT_NEAR(double(sizes[i]), mean, mean * 0.35);
  }
  for (std::size_t i : belt) EXPECT_NEAR(double(sizes[i]), double(sizes[primary[0]]), 1.0);
  std::vector<std::size_t> sorted = sizes;
  std::sort(sorted.begin(), sorted.end());
  const double median = double(sorted[sorted.size() / 2]);
  const double ratio =
      std::accumulate(sizes.begin(), sizes.end(), 0.0) / double(sizes.size()) / median;
  EXPECT_GT(ratio, 1.3);  // lognormal with Destrieux's mean / median of 1.86
  EXPECT_LT(ratio, 2.8);
}

}  // namespace
}  // namespace b2m::analysis
