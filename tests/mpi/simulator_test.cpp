#include <gtest/gtest.h>

#include <cmath>

#include "io/h5_file.hpp"
#include "jobs/simulate_job.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::jobs {
namespace {

SimulateOptions small_study(const std::string& out_dir) {
  SimulateOptions o;
  o.events_dir = testing::source_dir() + "/data/ds003720/func";
  o.out_dir = out_dir;
  o.subjects = 1;
  o.voxels = 2100;  // three generation blocks
  o.seed = 11;
  return o;
}

TEST(Simulate, OutputDoesNotDependOnTheRankCountAndMatchesTheDesign) {
  const mpi::Comm world = mpi::Comm::world();
  const testing::TempDir dir(world);
  run_simulate(small_study(dir.file("all")), world);
  if (world.is_root()) {
    const mpi::Comm self = mpi::Comm::self();
    run_simulate(small_study(dir.file("one")), self);
    const io::H5File a(dir.file("all/sub-01_responses.h5"), io::Access::read, self);
    const io::H5File b(dir.file("one/sub-01_responses.h5"), io::Access::read, self);
    for (const char* set : {"/train/Y", "/test/Y", "/test/Y_reps"})
      EXPECT_EQ(a.read_all<float>(set), b.read_all<float>(set)) << set;
    EXPECT_EQ(a.read_all<std::int32_t>("/voxels/roi"), b.read_all<std::int32_t>("/voxels/roi"));
    const io::H5File ta(dir.file("all/sub-01_truth.h5"), io::Access::read, self);
    const io::H5File tb(dir.file("one/sub-01_truth.h5"), io::Access::read, self);
    EXPECT_EQ(ta.read_all<std::uint8_t>("/drivers"), tb.read_all<std::uint8_t>("/drivers"));

    // The real design: 12 runs x 410 TRs, 60 clips x 10 TRs, 4 repetitions.
    EXPECT_EQ(a.shape("/train/Y"), (io::Shape{4920, 2100}));
    EXPECT_EQ(a.shape("/test/Y_reps"), (io::Shape{4, 600, 2100}));
    const auto runs = a.read_all<std::int32_t>("/train/run");
    EXPECT_EQ(runs.front(), 1);
    EXPECT_EQ(runs[410], 2);
    EXPECT_EQ(runs.back(), 12);
    // /test/Y is the mean of the repetitions.
    const auto mean = a.read_all<float>("/test/Y");
    const auto reps = a.read_all<float>("/test/Y_reps");
    const std::size_t n = mean.size();
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double m = (double(reps[i]) + reps[n + i] + reps[2 * n + i] + reps[3 * n + i]) / 4;
      worst = std::max(worst, std::abs(m - mean[i]));
    }
    EXPECT_LT(worst, 1e-4);
    // Undriven voxels have no signal; driven ones a ceiling well above zero.
    const auto drivers = ta.read_all<std::uint8_t>("/drivers");
    const auto ceiling = ta.read_all<float>("/noise_ceiling");
    std::size_t undriven = 0;
    double driven_ceiling = 0;
    for (std::size_t v = 0; v < drivers.size(); ++v) {
      if (drivers[v] == 0) {
        ++undriven;
        EXPECT_EQ(ceiling[v], 0.0f);
      } else {
        driven_ceiling += ceiling[v];
      }
    }
    EXPECT_GT(undriven, 500u);
    EXPECT_LT(undriven, 2000u);
    EXPECT_GT(driven_ceiling / double(drivers.size() - undriven), 0.3);
  }
  world.barrier();
}

}  // namespace
}  // namespace b2m::jobs
