#include <gtest/gtest.h>

#include "analysis/stimulus_timeline.hpp"
#include "core/error.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::analysis {
namespace {

TEST(RunTimeline, MapsEveryTrToTheClipPlayingAndTheTimeWithinIt) {
  const auto run = io::read_events_file(testing::source_dir() +
                                        "/data/ds003720/func/task-Training_run-01_events.tsv");
  std::map<std::string, int> index;
  for (std::size_t i = 0; i < run.events.size(); ++i)
    index[run.events[i].clip_id()] = static_cast<int>(i);
  const RunTimeline t = run_timeline(run, 1.5, index, "test");
  ASSERT_EQ(t.trs(), 410u);  // 615 s at TR 1.5 s
  EXPECT_EQ(t.clip[0], index[run.events[0].clip_id()]);
  EXPECT_DOUBLE_EQ(t.clip_time[3], 4.5);
  EXPECT_EQ(t.clip[10], index[run.events[1].clip_id()]);
  EXPECT_DOUBLE_EQ(t.clip_time[10], 0.0);
  EXPECT_EQ(t.clip[409], index[run.events[40].clip_id()]);
  EXPECT_DOUBLE_EQ(t.clip_time[409], 13.5);
  index.erase(run.events[5].clip_id());
  try {
    static_cast<void>(run_timeline(run, 1.5, index, "features.h5"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(run.events[5].clip_id()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("features.h5"), std::string::npos);
  }
}

}  // namespace
}  // namespace b2m::analysis
