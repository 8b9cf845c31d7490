#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "io/h5_file.hpp"
#include "jobs/encode_job.hpp"
#include "tests/support/mpi_assert.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::jobs {
namespace {

constexpr std::size_t kRuns = 12, kRunRows = 30, kTest = 60, kFeatures = 16, kVoxels = 150;

// A small responses + design pair with a range of SNRs and one constant voxel.
void write_problem(const std::string& responses, const std::string& design, std::uint64_t seed) {
  const mpi::Comm self = mpi::Comm::self();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const std::size_t n = kRuns * kRunRows;
  const auto fill = [&](std::size_t rows, std::size_t cols) {
    std::vector<double> m(rows * cols);
    for (auto& v : m) v = normal(rng);
    return m;
  };
  const auto x = fill(n, kFeatures), xt = fill(kTest, kFeatures), w = fill(kFeatures, kVoxels);
  std::vector<float> y(n * kVoxels), yt(kTest * kVoxels);
  for (std::size_t v = 0; v < kVoxels; ++v) {
    const double snr = v == 3 ? 0.0 : double(v % 10) / 10.0;
    for (std::size_t i = 0; i < n; ++i) {
      double s = 0;
      for (std::size_t k = 0; k < kFeatures; ++k) s += x[i * kFeatures + k] * w[k * kVoxels + v];
      y[i * kVoxels + v] = v == 3 ? 2.0f : float(snr * s + normal(rng));
    }
    for (std::size_t i = 0; i < kTest; ++i) {
      double s = 0;
      for (std::size_t k = 0; k < kFeatures; ++k) s += xt[i * kFeatures + k] * w[k * kVoxels + v];
      yt[i * kVoxels + v] = float(snr * s + normal(rng));
    }
  }
  std::vector<std::int32_t> run(n);
  for (std::size_t i = 0; i < n; ++i) run[i] = static_cast<std::int32_t>(i / kRunRows + 1);
  io::H5File r(responses, io::Access::create, self);
  r.write_all<float>("/train/Y", {n, kVoxels}, y);
  r.write_all<std::int32_t>("/train/run", {n}, run);
  r.write_all<float>("/test/Y", {kTest, kVoxels}, yt);
  io::H5File d(design, io::Access::create, self);
  d.write_all<double>("/train/X", {n, kFeatures}, x);
  d.write_all<double>("/test/X", {kTest, kFeatures}, xt);
}

EncodeOptions options(std::vector<std::string> responses, const std::string& design,
                      const std::string& out) {
  EncodeOptions o;
  o.responses = std::move(responses);
  o.design = design;
  o.output.out = out;
  o.alphas = {{}, 12, 0.1, 1e5};
  return o;
}

void expect_same_results(const std::string& a_path, const std::string& b_path, double tolerance) {
  const mpi::Comm self = mpi::Comm::self();
  const io::H5File a(a_path, io::Access::read, self);
  const io::H5File b(b_path, io::Access::read, self);
  for (const char* set : {"/voxels/alpha", "/voxels/cv_score", "/voxels/r_test", "/voxels/r2_test",
                          "/voxels/p_test"}) {
    const auto x = a.read_all<double>(set), y = b.read_all<double>(set);
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(y[i])) {
        EXPECT_TRUE(std::isnan(x[i])) << set << " voxel " << i;
      } else {
        EXPECT_NEAR(x[i], y[i], tolerance * std::max(1.0, std::abs(y[i]))) << set << " voxel " << i;
      }
    }
  }
  EXPECT_EQ(a.read_all<std::uint8_t>("/voxels/valid"), b.read_all<std::uint8_t>("/voxels/valid"));
}

TEST(Encode, ResultsDoNotDependOnRanksBlocksOrFoldGroups) {
  const mpi::Comm world = mpi::Comm::world();
  const testing::TempDir dir(world);
  const std::string design = dir.file("design.h5");
  if (world.is_root()) {
    write_problem(dir.file("s1_responses.h5"), design, 1);
    write_problem(dir.file("s2_responses.h5"), dir.file("unused.h5"), 2);
  }
  world.barrier();
  const std::string s1 = dir.file("s1_responses.h5"), s2 = dir.file("s2_responses.h5");

  run_encode(options({s1}, design, dir.file("default.h5")), world);
  EncodeOptions blocks = options({s1}, design, dir.file("blocks.h5"));
  blocks.passes.block_size = 7;
  blocks.fold_groups = world.size() % 2 == 0 ? 2 : 1;
  run_encode(blocks, world);
  const io::SummaryTable table =
      run_encode(options({s1, s2}, design, dir.file("multi_{subject}.h5")), world);
  B2M_ASSERT_ALL(world, table.rows().size() == 2u);
  EXPECT_EQ(table.rows()[0].at("subject"), "s1");
  EXPECT_EQ(table.rows()[0].at("constant"), 1u);

  if (world.is_root()) {
    const mpi::Comm self = mpi::Comm::self();
    EncodeOptions reference = options({s1}, design, dir.file("reference.h5"));
    reference.passes.block_size = kVoxels;
    run_encode(reference, self);
    run_encode(options({s2}, design, dir.file("reference2.h5")), self);
    expect_same_results(dir.file("default.h5"), dir.file("reference.h5"), 1e-10);
    expect_same_results(dir.file("blocks.h5"), dir.file("reference.h5"), 1e-10);
    expect_same_results(dir.file("multi_s1.h5"), dir.file("reference.h5"), 1e-10);
    expect_same_results(dir.file("multi_s2.h5"), dir.file("reference2.h5"), 1e-10);
    // The constant voxel is reported as NaN, not a crash; signal voxels are predicted.
    const io::H5File f(dir.file("reference.h5"), io::Access::read, self);
    const auto r = f.read_all<double>("/voxels/r_test");
    EXPECT_TRUE(std::isnan(r[3]));
    EXPECT_GT(r[9], 0.5);  // snr 0.9
  }
  world.barrier();
}

}  // namespace
}  // namespace b2m::jobs
