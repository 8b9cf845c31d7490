// The stage skeleton's policy, on every rank count: units run once; a rerun
// with the same parameters skips them and reads their summary rows back;
// other parameters are refused unless --overwrite; outputs that would
// overwrite an input or each other are refused before anything runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "jobs/stage.hpp"
#include "mpi/rank_grid.hpp"
#include "tests/support/mpi_assert.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::jobs {
namespace {

struct Fixture {
  explicit Fixture(const mpi::Comm& world) : dir(world) {
    if (world.is_root()) std::ofstream(dir.file("input.txt")) << "the input";
    world.barrier();
    for (const char* name : {"a", "b", "c"})
      units.push_back({name, {dir.file(std::string(name) + ".h5")}, {dir.file("input.txt")}});
  }
  // Runs the stage with parameter `k`; counts this rank's unit runs.
  io::SummaryTable run(const mpi::Comm& world, int k, bool overwrite = false) {
    OutputOptions o{"", overwrite, dir.file("summary.tsv"), "b2m test"};
    Stage stage("test", {io::text("unit"), io::count("value")}, o, {{"k", k}});
    return stage.run(units, mpi::group_count(units.size(), std::size_t(world.size())), world,
                     [&](UnitRun& run) {
                       ++runs;
                       io::OutputFile out = run.open();
                       out.file().write_all<double>("/x", {1}, {double(k)});
                       const nlohmann::json row = {{"unit", run.unit().name},
                                                   {"value", k * 10 + int(run.unit().name[0])}};
                       run.commit(out, row);
                       return row;
                     });
  }
  testing::TempDir dir;
  std::vector<Unit> units;
  int runs = 0;
};

TEST(Stage, RunsOnceSkipsCompleteOutputsAndRefusesOtherParameters) {
  const mpi::Comm world = mpi::Comm::world();
  Fixture f(world);
  const io::SummaryTable first = f.run(world, 1);
  B2M_ASSERT_ALL(world, first.rows().size() == 3);
  for (std::size_t i = 0; i < 3; ++i)  // in unit order, on every rank
    EXPECT_EQ(first.rows()[i].at("unit"), f.units[i].name);
  EXPECT_EQ(world.allreduce(f.runs, mpi::Op::sum) > 0, true);
  EXPECT_EQ(testing::read_text(f.dir.file("summary.tsv")), first.tsv());

  const int before = f.runs;
  const io::SummaryTable again = f.run(world, 1);
  EXPECT_EQ(f.runs, before);  // nothing ran again
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(again.rows()[i], first.rows()[i]);

  EXPECT_THROW(static_cast<void>(f.run(world, 2)), Error);
  EXPECT_EQ(f.runs, before);
  const io::SummaryTable replaced = f.run(world, 2, /*overwrite=*/true);
  EXPECT_EQ(replaced.rows()[0].at("value"), 20 + int('a'));
}

TEST(Stage, RefusesOutputsThatOverwriteAnInputOrEachOther) {
  const mpi::Comm world = mpi::Comm::world();
  Fixture f(world);
  f.units[1].outputs = {f.dir.file("input.txt")};
  EXPECT_THROW(static_cast<void>(f.run(world, 1)), ConfigError);
  f.units[1].outputs = {f.dir.file("./a.h5")};  // the same file as unit a's
  EXPECT_THROW(static_cast<void>(f.run(world, 1)), ConfigError);
  EXPECT_EQ(f.runs, 0);
  EXPECT_FALSE(std::filesystem::exists(f.dir.file("a.h5")));
}

TEST(GroupCount, DividesTheRanksAndFinishesSoonest) {
  EXPECT_EQ(mpi::group_count(5, 2), 1u);  // one group of 2 beats two that leave a rank idle
  EXPECT_EQ(mpi::group_count(4, 2), 2u);
  EXPECT_EQ(mpi::group_count(6, 4), 2u);
  EXPECT_EQ(mpi::group_count(8, 4), 4u);
  EXPECT_EQ(mpi::group_count(1, 8), 1u);
}

}  // namespace
}  // namespace b2m::jobs
