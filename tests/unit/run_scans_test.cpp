// The rows of ds003720's preprocessed arrays, from the real events: each run
// loses the 10 scans of its warm-up clip, and what is left holds every
// training clip once and every test clip 4 times.
#include "analysis/run_scans.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::analysis {
namespace {

const std::string kFunc = testing::source_dir() + "/data/ds003720/func";

TEST(RunScans, RealEventsGiveTheDatasetsArrayShapes) {
  const ArrayLayout l = array_layout(io::read_task_events(kFunc, "Training"),
                                     io::read_task_events(kFunc, "Test"), 1.5);
  ASSERT_EQ(l.train_scans.size(), 12u);
  for (const RunScans& s : l.train_scans) {
    EXPECT_EQ(s.scans, 410u);
    EXPECT_EQ(s.first, 10u);
  }
  EXPECT_EQ(l.train.run.size(), 4800u);   // Resp_Training
  EXPECT_EQ(l.test_array_rows(), 2400u);  // Resp_Test
  EXPECT_EQ(l.test.rows(), 600u);         // Resp_Test_Mean
  EXPECT_EQ(l.test.clip_ids.size(), 60u);
  EXPECT_EQ(l.test.repetitions, 4u);
  // Every training clip once: 10 rows each, no row without a clip.
  EXPECT_EQ(l.train.clip_ids.size(), 480u);
  std::map<int, int> rows_of;
  for (int c : l.train.clip) ++rows_of[c];
  EXPECT_EQ(rows_of.size(), 480u);
  EXPECT_EQ(rows_of.count(-1), 0u);
  for (const auto& [clip, rows] : rows_of) EXPECT_EQ(rows, 10) << l.train.clip_ids[clip];
  EXPECT_EQ(l.train.scan.front(), 10);
  EXPECT_EQ(l.train.scan.back(), 409);
  // The presentations tile the 2,400 test rows, 10 rows each.
  std::set<std::size_t> starts;
  for (const auto& clip : l.presentation_rows)
    for (std::size_t row : clip) {
      EXPECT_EQ(row % 10, 0u);
      starts.insert(row);
    }
  EXPECT_EQ(starts.size(), 240u);
  EXPECT_EQ(*starts.rbegin(), 2390u);
  // The first presentation order is a permutation of the clips.
  EXPECT_EQ(std::set<std::size_t>(l.first_order.begin(), l.first_order.end()).size(), 60u);
}

TEST(RunScans, WarmupOffTheScanGridIsRefused) {
  io::RunEvents run;
  run.file = "run.tsv";
  run.events = {{0, 14.0, "pop", 1}, {14.0, 15, "rock", 2}};
  EXPECT_THROW(static_cast<void>(run_scans({run}, 1.5, true)), InputError);
  EXPECT_EQ(run_scans({run}, 1.5, false).front().first, 0u);
}

}  // namespace
}  // namespace b2m::analysis
